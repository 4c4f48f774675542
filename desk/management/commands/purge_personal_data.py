from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from desk.retention import candidates, purge


class Command(BaseCommand):
    help = (
        "删除保存期限届满的个人信息（个人信息保护法第四十七条）：未获奖的个人申报人、申报组织"
        "联系人，以及已处理异议的异议人，在其年度结束满《办法》设置的保存期限"
        "（personal_data_retention_years）后，姓名、身份证号码、电话、邮箱等被删除或替换为"
        "“已删除”，账户停用；获奖者的信息不删除。默认只列出将处理的对象，加 --apply 才执行。"
        "由定时任务每年运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="执行删除（默认只列出）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        subjects = list(candidates(today))
        if not subjects:
            self.stdout.write("没有保存期限届满的个人信息。")
            return
        for subject in subjects:
            since = (
                f"年度于 {subject.closed_on.isoformat()} 结束"
                if subject.closed_on
                else "注册后未申报"
            )
            line = f"{subject.label}：{since}，保存期限 {subject.years} 年已满"
            if options["apply"]:
                erased = purge(subject, today=today)
                self.stdout.write(f"{line}，已删除：{'、'.join(erased)}。")
            else:
                self.stdout.write(f"{line}，将删除其个人信息。")
        if options["apply"]:
            self.stdout.write(
                self.style.SUCCESS(f"已处理 {len(subjects)} 个对象，每个对象均已记入审计日志。")
            )
        else:
            self.stdout.write(
                f"共 {len(subjects)} 个对象。以上为预览，未做任何修改；加 --apply 执行。"
            )
