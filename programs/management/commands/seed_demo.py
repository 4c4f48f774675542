from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any
from unicodedata import east_asian_width

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from accounts.passwords import seeding
from programs import demo
from programs.models import AwardProgram


class Command(BaseCommand):
    help = (
        "写入演示数据：如皋市市长质量奖、2021年办法、各角色演示账号；已完成的2025年度（获奖者、"
        "证书、奖金）和处于公示期的2026年度（申报、评审、拟奖名单）；第二个奖项示例市市长质量奖"
        "（办公室、申报组织、2026年度已受理的申报和与如皋共用专家库的材料评审专家组）"
        "和省级奖项江苏省省长质量奖（演示，省级管理员）；可重复运行。"
        "各应用的 demo.seed() 按 INSTALLED_APPS 的顺序调用（先 programs），"
        "其后各应用的 demo.seed_other_programs()（先 programs）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="数据库已有奖项时什么也不做")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError(
                "演示数据含公开的密码和动态口令密钥，只能在开发或演示环境载入："
                "请设置 DEMO=1 或 DEBUG=1（生产环境两者都不得设置）。"
            )
        if options["if_empty"] and AwardProgram.objects.exists():
            self.stdout.write("数据库已有数据，未写入演示数据。")
        else:
            # The demo's messages land in the demo users' inboxes; their e-mails go nowhere (the
            # addresses are made up, and a console backend would print hundreds of MIME bodies).
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                seeding(),  # the documented demo password is weak by design (README)
            ):
                for module in demo_modules():
                    module.seed()
                # The other programs last: the apps' demos build the default program's year;
                # then programs.demo loads the others, and later apps' demos add to their years.
                for module in demo_modules("seed_other_programs"):
                    module.seed_other_programs()
                demo.seed_two_factor()
            self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        secrets = dict(demo.seed_two_factor())
        self.stdout.write(f"地址：{settings.SITE_URL}/    演示账号的密码均为 {demo.DEMO_PASSWORD}")
        self.stdout.write(f"  {'账号':<14}{_pad('角色', 20)}动态口令密钥（工作人员登录的第二步）")
        for username, _, role, _ in demo.DEMO_USERS:
            secret = secrets.get(username, "（无需动态口令）")
            self.stdout.write(f"  {username:<16}{_pad(role.label, 20)}{secret}")
        names = dict(AwardProgram.objects.values_list("slug", "name"))
        for username, _, role, slug in demo.OTHER_PROGRAM_USERS:
            secret = secrets.get(username, "")
            where = names.get(slug, slug)
            self.stdout.write(f"  {username:<16}{_pad(role.label, 20)}{secret}  {where}")
        self.stdout.write(
            "另有各镇（街道）审核人 town_<拼音>、评审专家 expert01…expert29、"
            "申报组织 org01…org12 和 org2025_1…org2025_4；示例市市长质量奖（shili）的申报组织 "
            "shili_org01…shili_org03、审核人 shili_linjiang 等（见 README）。"
        )
        self.stdout.write(
            "动态口令：在验证器应用中手动添加“基于时间”的账户并填入密钥，"
            "或 oathtool --totp -b 密钥；其他工作人员账号的密钥为 "
            'base32(sha256("qa-demo-totp:" + 账号)[:20])。'
        )


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    used = sum(2 if east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 1)


def demo_modules(hook: str = "seed") -> list[Any]:
    """`<app>.demo` of every project app defining `hook`, programs first (the others build on
    its cycle). desk.demo defines only `seed_other_programs` (示例市's year, desk/demo.py)."""
    names = [c.name for c in apps.get_app_configs() if find_spec(f"{c.name}.demo") is not None]
    names.sort(key=lambda n: n != "programs")
    modules = [import_module(f"{n}.demo") for n in names]
    return [m for m in modules if hasattr(m, hook)]
