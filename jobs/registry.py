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
    # What it was made from (kept as Job.result_basis): a reader compares it with the present.
    basis: str = ""


class Permanent(Exception):
    """The attempt failed for good (no address left, an invalid request): no retry."""


Handler = Callable[["Job"], "Result | None"]

HANDLERS: dict[str, Handler] = {}
# Kinds whose payload is kept once done (an export's filter, shown on 我的导出 and asked again):
# it holds nothing secret; the retention deletes it with the job (jobs.services.prune).
KEEP_PAYLOAD: set[str] = set()
# Kinds whose result is a kept document rather than a passing file (a certificate's PDF, read
# by every download): the retention keeps the newest finished job of each ref however old.
KEEP_RESULT: set[str] = set()
# Kinds whose result is a file for its requester that expires after JOB_RESULT_DAYS (an export).
EXPIRE_RESULT: set[str] = set()
# Kinds seen by their requester alone, not on the Office's list (an export: that a supervisor
# exported the audit trail is not the supervised Office's to know, nor to cancel).
PRIVATE: set[str] = set()


def handler(
    kind: str,
    *,
    keep_payload: bool = False,
    keep_result: bool = False,
    expire_result: bool = False,
    private: bool = False,
) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not func:
            raise ValueError(f"a handler for job kind {kind!r} is registered twice")
        HANDLERS[kind] = func
        for wanted, kinds_ in (
            (keep_payload, KEEP_PAYLOAD),
            (keep_result, KEEP_RESULT),
            (expire_result, EXPIRE_RESULT),
            (private, PRIVATE),
        ):
            if wanted:
                kinds_.add(kind)
        return func

    return register


def get(kind: str) -> Handler:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise Permanent(f"没有处理“{kind}”类任务的程序") from None


def kinds() -> list[str]:
    return sorted(HANDLERS)


__all__ = [
    "EXPIRE_RESULT",
    "HANDLERS",
    "KEEP_PAYLOAD",
    "KEEP_RESULT",
    "PRIVATE",
    "Permanent",
    "Result",
    "get",
    "handler",
    "kinds",
]
