from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _default_program() -> Any:
    from .models import AwardProgram

    return AwardProgram.objects.filter(is_default=True).first()


def _load(program_id: int) -> Any:
    from .models import AwardProgram

    return AwardProgram.objects.get(pk=program_id)


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "奖项、政策与年度"

    def ready(self) -> None:
        from lib import tenancy

        tenancy.set_resolvers(default=_default_program, load=_load)
