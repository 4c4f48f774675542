"""The current award program, typed (decision 0030; the variable is `lib.tenancy`'s).

`current_program()` is the program the request, job or command acts in; `using_program` sets
it for a block. The middleware (`programs.middleware`) sets it for every request.
"""

from __future__ import annotations

from django.http import Http404

from lib import tenancy
from lib.tenancy import program_id_of, using_program

from .models import AwardProgram

__all__ = ["current_program", "program_id_of", "programs_for", "using_program"]


def current_program() -> AwardProgram:
    """The program being acted in; 404 when the deployment holds no program at all."""
    program = tenancy.current()
    if program is None:
        raise Http404("尚未设立任何奖项。")
    return program  # type: ignore[no-any-return]


def current_program_or_none() -> AwardProgram | None:
    return tenancy.current()  # type: ignore[no-any-return]


def programs_for(user: object) -> list[AwardProgram]:
    """The programs a user works in: those of the program-scoped roles it holds (a unit's
    reviewer: the unit's). Empty for applicants, experts and administrators, who are the
    deployment's and act in whichever program they visit."""
    from accounts.selectors import held_program_ids

    ids = held_program_ids(user)
    if not ids:
        return []
    return list(AwardProgram.objects.filter(pk__in=ids).order_by("-is_default", "pk"))
