from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role
from accounts.services import create_user, grant_role
from lib.errors import ServiceError


class Command(BaseCommand):
    help = (
        "创建一个账号并授予一个不带范围的角色（用于新系统的首批管理员，如 secadmin）。"
        "密码从环境变量 ACCOUNT_PASSWORD 读取，否则交互输入。操作记入审计日志。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        unscoped = [r.value for r in Role if r not in {Role.APPLICANT, Role.RECOMMENDER}]
        parser.add_argument("--role", required=True, choices=unscoped)
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("ACCOUNT_PASSWORD") or self._ask()
        try:
            user = create_user(
                actor=None,
                actor_role="system",
                username=options["username"],
                password=password,
                full_name=options["full_name"],
                email=options["email"],
            )
            grant_role(
                actor=None,
                actor_role="system",
                user=user,
                role=Role(options["role"]),
                reason="create_account 命令",
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"已创建 {user.username}（{Role(options['role']).label}）。")
        )

    def _ask(self) -> str:
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致。")
        return first
