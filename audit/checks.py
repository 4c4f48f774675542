"""Deployment checks of our own (`manage.py check --deploy`, run by `make test` under the
documented production environment of docs/deployment.md, where any warning fails).

deploy.W001  a key was generated into var/ instead of given by the environment: it would sit
             beside the data it protects and end up in the same backups.
deploy.W002  no virus scanner (CLAMD_SOCKET / CLAMD_ADDRESS): uploads are stored unscanned.
deploy.W003  SITE_URL is not https: links in emails and the certificates' QR codes.
deploy.W004  no key to sign the certificates with (CERTIFICATE_SIGNING_KEY / _CERT unset or
             not files): the certificates would be refused, never issued unsigned
             (lib/signing.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    generated = list(getattr(settings, "SECRETS_FROM_VAR", []))
    if generated:
        messages.append(
            Warning(
                f"密钥 {'、'.join(generated)} 未由环境变量提供，而是生成在 var/ 目录中。",
                hint="生产环境由环境变量（或密钥管理服务）提供每一个密钥，并与数据和备份分开保存"
                "（docs/deployment.md“密钥”）。",
                id="deploy.W001",
            )
        )
    if not (getattr(settings, "CLAMD_SOCKET", "") or getattr(settings, "CLAMD_ADDRESS", "")):
        messages.append(
            Warning(
                "未配置病毒扫描服务：上传的文件不经扫描即保存。",
                hint="安装 clamd 并设置 CLAMD_SOCKET（如 /run/clamav/clamd.ctl）或 "
                "CLAMD_ADDRESS（主机:端口）（docs/deployment.md“病毒扫描”）。",
                id="deploy.W002",
            )
        )
    if not str(getattr(settings, "SITE_URL", "")).startswith("https://"):
        messages.append(
            Warning(
                f"SITE_URL（{settings.SITE_URL}）不是 https 地址："
                "邮件中的链接和证书二维码将指向明文地址。",
                hint="设置 SITE_URL=https://<对外域名>。",
                id="deploy.W003",
            )
        )
    key = str(getattr(settings, "CERTIFICATE_SIGNING_KEY", "") or "")
    cert = str(getattr(settings, "CERTIFICATE_SIGNING_CERT", "") or "")
    if not (key and cert):
        messages.append(
            Warning(
                "证书签名密钥未配置：荣誉证书无法数字签名，下载证书将被拒绝。",
                hint="设置 CERTIFICATE_SIGNING_KEY（颁发单位私钥，PEM）和 "
                "CERTIFICATE_SIGNING_CERT（其证书，PEM，可附证书链），私钥有口令时设置 "
                "CERTIFICATE_SIGNING_PASSPHRASE（docs/decisions/0018-signed-certificates.md）。",
                id="deploy.W004",
            )
        )
    elif missing := [path for path in (key, cert) if not Path(path).is_file()]:
        messages.append(
            Warning(
                f"证书签名密钥未配置：{'、'.join(missing)} 不是文件，荣誉证书无法数字签名。",
                hint="CERTIFICATE_SIGNING_KEY 和 CERTIFICATE_SIGNING_CERT 应为 PEM 文件的路径。",
                id="deploy.W004",
            )
        )
    return messages
