"""Our deployment checks (audit/checks.py), run by `manage.py check --deploy` and so by `make
test`'s deploy-check under the documented production environment, where any warning fails."""

from __future__ import annotations

from typing import Any

import pytest

from audit.checks import production_settings

pytestmark = pytest.mark.req("A3.1")


def _ids(settings: Any) -> list[str]:
    return [str(message.id) for message in production_settings()]


def test_the_documented_production_settings_pass(settings: Any, tmp_path: Any) -> None:
    settings.SECRETS_FROM_VAR = []
    settings.CLAMD_SOCKET = "/run/clamav/clamd.ctl"
    settings.SITE_URL = "https://award.example.gov.cn"
    settings.CERTIFICATE_SIGNING_KEY = str(tmp_path / "office.key")
    settings.CERTIFICATE_SIGNING_CERT = str(tmp_path / "office.pem")
    (tmp_path / "office.key").write_text("key")
    (tmp_path / "office.pem").write_text("cert")
    assert _ids(settings) == []


def test_keys_left_in_var_no_scanner_and_plain_http_are_told(settings: Any) -> None:
    settings.SECRETS_FROM_VAR = ["SECRET_KEY", "BACKUP_KEY"]
    settings.CLAMD_SOCKET = settings.CLAMD_ADDRESS = ""
    settings.SITE_URL = "http://award.example.gov.cn"
    settings.CERTIFICATE_SIGNING_KEY = settings.CERTIFICATE_SIGNING_CERT = ""
    messages = production_settings()
    assert [m.id for m in messages] == ["deploy.W001", "deploy.W002", "deploy.W003", "deploy.W004"]
    assert (
        messages[0].msg == "密钥 SECRET_KEY、BACKUP_KEY 未由环境变量提供，而是生成在 var/ 目录中。"
    )
    assert messages[1].msg == "未配置病毒扫描服务：上传的文件不经扫描即保存。"
    settings.CLAMD_ADDRESS = "127.0.0.1:3310"  # either form of the scanner's address will do
    assert "deploy.W002" not in _ids(settings)


@pytest.mark.req("A21.1")
def test_an_unset_certificate_signing_key_is_told(settings: Any, tmp_path: Any) -> None:
    settings.SECRETS_FROM_VAR = []
    settings.CLAMD_SOCKET = "/run/clamav/clamd.ctl"
    settings.SITE_URL = "https://award.example.gov.cn"
    settings.CERTIFICATE_SIGNING_KEY = settings.CERTIFICATE_SIGNING_CERT = ""
    [message] = production_settings()
    assert message.id == "deploy.W004"
    assert message.msg.startswith("证书签名密钥未配置")
    key, cert = tmp_path / "office.key", tmp_path / "office.pem"
    settings.CERTIFICATE_SIGNING_KEY, settings.CERTIFICATE_SIGNING_CERT = str(key), str(cert)
    [message] = production_settings()  # named, but no such files
    assert message.id == "deploy.W004"
    assert str(key) in message.msg
    key.write_text("key")
    cert.write_text("cert")
    assert _ids(settings) == []
