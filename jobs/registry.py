"""The handlers of background jobs, by kind (issue 17; docs/decisions/0020).

    from jobs.registry import handler

    @handler("mail.send")
    def send(job: Job) -> None: ...

A handler takes the `Job` (its `payload` decrypted) and returns nothing, or a `Result` (a file
to keep for download). It raises to fail the attempt: the job is tried again later (backoff)
up to its `max_attempts`; raise `Permanent` for a failure no retry can mend. Each app registers
the handlers of its own work in its `jobs.py`, found at start-up (jobs.apps: autodiscovered like
`tasks.py`), so this app never imports a higher layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Job


@dataclass(frozen=True)
class Result:
    """A file made by a job: kept with the job (encrypted at rest) under `name`."""

    name: str
    content: bytes


class Permanent(Exception):
    """The attempt failed for good (no address left, an invalid request): no retry."""


Handler = Callable[["Job"], "Result | None"]

HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise ValueError(f"a handler for job kind {kind!r} is registered twice")
        HANDLERS[kind] = func
        return func

    return register


def get(kind: str) -> Handler:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise Permanent(f"没有处理“{kind}”类任务的程序") from None


def kinds() -> list[str]:
    return sorted(HANDLERS)


__all__ = ["HANDLERS", "Permanent", "Result", "get", "handler", "kinds"]
