"""The award program a request, a job or a command acts in (issue 18, decision 0030).

Every request acts in one current program (the tenant): `programs.middleware` sets it from the
URL prefix of the public site, the session's choice on the workbench, or the caller's only
program; a job or command sets it with `using_program`. The variable lives here, below every
app, so that accounts' predicates (which import nothing of programs) and the audit trail can read
it; `programs.context` is the typed face the apps use.

Outside a request and without `using_program` the current program is the deployment's default
program (`AwardProgram.is_default`, one row, a partial unique constraint), through the resolver
that programs registers when the apps are ready: a command or a test that names no program
works in the default one, as the whole system did before programs were tenants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Q


class Lazy:
    """The current program of a request, found when first asked: its id first (from the
    session and the caller's roles, already read, so a permission check costs no statement),
    the row only when a page needs it."""

    def __init__(self, find_id: Callable[[], int | None], load: Callable[[int], Any]) -> None:
        self._find_id, self._load = find_id, load
        self._id: int | None = None
        self._program: Any = None
        self._found = False

    def id(self) -> int | None:
        if not self._found:
            self._id, self._found = self._find_id(), True
        return self._id

    def program(self) -> Any:
        if self._program is None:
            program_id = self.id()
            self._program = None if program_id is None else self._load(program_id)
        return self._program


_current: ContextVar[Any] = ContextVar("qa_current_program", default=None)
_default: list[Callable[[], Any]] = []
_loader: list[Callable[[int], Any]] = []


def set_resolvers(*, default: Callable[[], Any], load: Callable[[int], Any]) -> None:
    """Called once by programs' AppConfig.ready: how to find the default program, and a
    program by its id."""
    _default[:] = [default]
    _loader[:] = [load]


def by_id(program_id: int | None) -> Lazy:
    """The program of this id, read when first needed (a job acting in the program it was
    queued in); None: the default program."""
    return Lazy(lambda: program_id, _loader[0])


def known_id() -> int | None:
    """The current program's id when the caller named one (a request of a program's staff, a
    public page under its prefix, a job, `using_program`), without reading the database for
    the default: None means the default program. What a queued job records."""
    value = _current.get()
    if isinstance(value, Lazy):
        return value.id()
    return None if value is None else int(value.pk)


def current() -> Any:
    """The current program (an AwardProgram), else the default one, else None (no program yet)."""
    value = _current.get()
    if isinstance(value, Lazy):
        value = value.program()
    if value is None and _default:
        value = _default[0]()
    return value


def current_id() -> int | None:
    value = _current.get()
    if isinstance(value, Lazy):
        found = value.id()
        if found is not None:
            return found
        value = None
    if value is None:
        value = current()
    return None if value is None else int(value.pk)


@contextmanager
def using_program(program: Any) -> Iterator[None]:
    """Act in `program` (an AwardProgram, or a `Lazy` for a request) for the block."""
    token = _current.set(program)
    try:
        yield
    finally:
        _current.reset(token)


def switch(program: Any) -> None:
    """Inside `using_program`: act in `program` for the rest of the block (a public page whose
    URL names its program; the enclosing block's end restores what was before)."""
    _current.set(program)


def current_q(field: str = "program") -> Q:
    """A filter on `field` (a foreign key to the program) for the current program, without
    reading the database: by the id the caller named, else by the default flag (a join)."""
    known = known_id()
    if known is not None:
        return Q(**{f"{field}_id": known})
    return Q(**{f"{field}__is_default": True})


def program_id_of(obj: Any) -> int | None:
    """The program an object belongs to, or None when it belongs to none (a person, an
    organization, a token) or when it is not a model. Each tenant model says how in one
    property, `tenant_program_id` (the program's own row is its own tenant)."""
    if obj is None:
        return None
    meta = getattr(obj, "_meta", None)
    if meta is not None and meta.label == "programs.AwardProgram":
        return int(obj.pk)
    value = getattr(obj, "tenant_program_id", None)
    return None if value is None else int(value)
