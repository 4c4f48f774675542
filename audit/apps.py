from __future__ import annotations

import hashlib

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        # The chain is SM3 (GB/T 32905): refuse to run rather than fall back to another hash.
        if "sm3" not in hashlib.algorithms_available:
            raise ImproperlyConfigured("hashlib 缺少 SM3 算法，审计链无法计算，系统拒绝启动。")
        from . import checks  # noqa: F401  (registers the deployment checks)
