from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.integrity import verify_state
from audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "校验审计日志的 SM3 哈希链及其检查点（AUDIT_ANCHOR_DIR）；--state 另比对各项正式结果"
        "与其最后的审计记录。全部一致时退出码为 0，否则列出问题并以 1 退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--state",
            action="store_true",
            help="同时比对评分、共识、综合评价、拟奖名单、审批、角色、奖项、证书、奖金台账"
            "的现值与最后的审计记录，列出每一处不一致。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        chain = verify_chain()
        problems = [] if chain.ok else [str(chain)]
        if chain.ok:
            self.stdout.write(self.style.SUCCESS(str(chain)))
        if options["state"]:
            state = verify_state()
            if state.ok:
                self.stdout.write(self.style.SUCCESS(str(state)))
            else:
                problems.append(str(state))
        self.stderr.write(f"用时 {time.perf_counter() - started:.2f} 秒。")
        if problems:
            raise CommandError("\n".join(problems))
