"""``manage.py archive_cycle <year>``: the year's archive (desk/archive.py), once it has closed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role, User
from desk import archive
from lib.errors import ServiceError
from programs.models import Cycle


def _clerk(username: str | None) -> User:
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not user.has_perm("programs.manage_cycle"):
            raise CommandError(f"账号 {username} 不存在、已停用或不是委员会办公室工作人员。")
        return user
    office = list(
        User.objects.filter(is_active=True, role_assignments__role=Role.OFFICE).distinct()[:2]
    )
    if len(office) != 1:
        raise CommandError("请用 --user 指定生成归档的委员会办公室工作人员账号（将记入审计日志）。")
    return office[0]


class Command(BaseCommand):
    help = (
        "生成一个已结束年度的年度归档：各版申报表（Word 与 JSON）、附件、形式审查决定、评审报告、"
        "拟授奖名单与审批文件、公示、异议与答复、证书、奖金台账和该年度的审计日志，附 SM3 清单"
        "（manifest.json）；清单的 SM3 记入审计事件。归档为 ZIP，"
        "加密存放于 archives/<奖项>/<年度>/。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int, help="年度，如 2025")
        parser.add_argument("--program", help="奖项代码（只有一个奖项时可省略）")
        parser.add_argument("--user", help="生成人（委员会办公室工作人员账号）")

    def handle(self, *args: Any, **options: Any) -> None:
        cycles = Cycle.objects.filter(year=options["year"]).select_related("program", "policy")
        if options["program"]:
            cycles = cycles.filter(program__slug=options["program"])
        found = list(cycles[:2])
        if not found:
            raise CommandError(f"没有{options['year']}年度的评审。")
        if len(found) > 1:
            raise CommandError("有多个奖项的同一年度，请用 --program 指定奖项代码。")
        cycle = found[0]
        actor = _clerk(options["user"])
        try:
            made = archive.create(actor=actor, cycle=cycle)
        except ServiceError as exc:
            raise CommandError(exc.display) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成{cycle.year}年度归档：{made.name}（{made.files} 个文件，"
                f"{made.size} 字节）。清单 SM3：{made.manifest_sm3}，"
                f"记入审计事件第 {made.event.seq} 号。"
            )
        )
