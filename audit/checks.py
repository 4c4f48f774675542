"""Deployment checks of our own (`manage.py check --deploy`, run by `make test` under the
documented production environment of docs/deployment.md, where any warning fails).

deploy.W001  a key was generated into var/ instead of given by the environment: it would sit
             beside the data it protects and end up in the same backups.
deploy.W002  no virus scanner (CLAMD_SOCKET / CLAMD_ADDRESS): uploads are stored unscanned.
deploy.W003  SITE_URL is not https: links in emails and the certificates' QR codes.
deploy.W004  no key to sign the certificates with (CERTIFICATE_SIGNING_KEY / _CERT unset or
             not files): the certificates would be refused, never issued unsigned
             (lib/signing.py).
deploy.W005  REDIS_URL empty: cache, sessions and throttles per process, not shared by the app
             servers (issue 17).
deploy.W006  CELERY_BROKER_URL empty: background work runs inside the web request (eager).
deploy.W007  LOG_FORMAT is not json: the log platform cannot read the request id and fields.
deploy.W008  METRICS_ALLOWED_NETWORKS lets every address (or a whole public range) read
             /metrics.
"""

from __future__ import annotations

import ipaddress
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


def _open_networks() -> list[str]:
    """The networks of METRICS_ALLOWED_NETWORKS that are everyone (0.0.0.0/0, ::/0) or too
    wide to be one monitoring network (a prefix shorter than /8, /32 for IPv6), or invalid."""
    wide = []
    for raw in getattr(settings, "METRICS_ALLOWED_NETWORKS", []):
        try:
            network = ipaddress.ip_network(str(raw).strip(), strict=False)
        except ValueError:
            wide.append(f"{raw}（无效）")
            continue
        if network.prefixlen < (8 if network.version == 4 else 32):
            wide.append(str(network))
    return wide


@register(Tags.security, deploy=True)
def topology_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Issue 17: what several app servers, the workers and the log platform need."""
    messages: list[CheckMessage] = []
    if not getattr(settings, "REDIS_URL", ""):
        messages.append(
            Warning(
                "REDIS_URL 未设置：缓存、会话和频率限制只在各自进程内，多台应用服务器之间不共享，"
                "异议表单的防重复提交也只在单个进程内有效。",
                hint="设置 REDIS_URL=redis://<主机>:6379/0（docs/deployment.md“共享状态”）。",
                id="deploy.W005",
            )
        )
    if not getattr(settings, "CELERY_BROKER_URL", ""):
        messages.append(
            Warning(
                "CELERY_BROKER_URL 未设置：邮件、短信、证书和导出在网页请求内执行，失败不会重试。",
                hint="设置 CELERY_BROKER_URL=redis://<主机>:6379/1，并运行 Celery worker 和 beat"
                "（docs/deployment.md“拓扑”）。",
                id="deploy.W006",
            )
        )
    if getattr(settings, "LOG_FORMAT", "") != "json":
        messages.append(
            Warning(
                f"LOG_FORMAT 为 {getattr(settings, 'LOG_FORMAT', '')!r}：日志不是 JSON，"
                "日志平台无法按请求编号检索。",
                hint="设置 LOG_FORMAT=json（docs/deployment.md“日志、指标与健康检查”）。",
                id="deploy.W007",
            )
        )
    if wide := _open_networks():
        messages.append(
            Warning(
                f"METRICS_ALLOWED_NETWORKS 含 {'、'.join(wide)}：/metrics 对过大的范围开放。",
                hint="只列监控网络的地址段，如 METRICS_ALLOWED_NETWORKS=10.0.9.0/24"
                "（docs/deployment.md“日志、指标与健康检查”）。",
                id="deploy.W008",
            )
        )
    return messages
