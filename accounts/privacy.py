"""The privacy notice (个人信息保护声明) and the consents asked at registration, in one place.

`PRIVACY_NOTICE_VERSION` is what an account records when its owner agrees
(`User.privacy_notice_version`, `User.privacy_consent_at`, and the registration's audit event);
a new version of the notice (templates/accounts/privacy.html) gets a new value here.
个人信息保护法 第十四、十七条 (informed consent, what the notice says), 第二十九条 (a separate
consent for sensitive personal information: the 身份证 number of an individual applicant).
"""

from __future__ import annotations

import datetime as dt

PRIVACY_NOTICE_VERSION = "2026-12"
PRIVACY_NOTICE_DATE = dt.date(2026, 12, 5)

CONSENT_LABEL = "我已阅读并同意《个人信息保护声明》"
CONSENT_REQUIRED = "请阅读《个人信息保护声明》，勾选同意后再注册（《个人信息保护法》第十四条）。"
SENSITIVE_CONSENT_LABEL = (
    "我单独同意本系统处理我的身份证号码（敏感个人信息），仅用于核验申报人身份和防止重复注册"
)
SENSITIVE_CONSENT_REQUIRED = (
    "身份证号码属于敏感个人信息，须经您单独同意才能处理（《个人信息保护法》第二十九条）；"
    "不同意的，无法以个人名义注册申报。"
)
