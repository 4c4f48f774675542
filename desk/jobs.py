"""The desk's background jobs (issue 17 part 1; docs/decisions/0024): the annual archive, made
by a worker rather than in the clerk's request (tens of seconds for a year of materials), and
the exports made in the background (desk/exports.py, whose handler is registered here too:
jobs.apps imports each app's `jobs` module).

    job, queued = queue_archive(actor=clerk, cycle=cycle)

One archive job per cycle at a time: a second click while one is queued or running gets that
one back (`queued` False) and queues nothing. The job calls `archive.create` with the clerk who
asked as the actor (the payload keeps the user's id): its `desk.archive.create` event names
that clerk in the Office's role, as when it was made in the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.models import User
from jobs.models import Job
from jobs.registry import Permanent, handler
from jobs.services import enqueue
from lib.errors import ServiceError
from programs.models import Cycle

from . import archive, exports

ARCHIVE = "desk.archive"
BUSY = (Job.State.QUEUED, Job.State.RUNNING)

__all__ = ["ARCHIVE", "archive_jobs", "archive_ref", "exports", "queue_archive"]


def archive_ref(cycle: Cycle | int) -> str:
    return f"{ARCHIVE}:{cycle if isinstance(cycle, int) else cycle.pk}"


def queue_archive(*, actor: User, cycle: Cycle) -> tuple[Job, bool]:
    """Queue the making of `cycle`'s archive for `actor`, unless one is queued or running.

    Preconditions as `archive.create` (Office staff, the year closed), checked now so that the
    clerk is told at once; checked again by the job. Returns the job and whether it is new."""
    if not actor.has_perm("programs.manage_cycle"):
        raise ServiceError("只有委员会办公室可以生成年度归档。", code="forbidden", status=403)
    problem = archive.refusal(cycle)
    if problem:
        raise ServiceError(problem, code="cycle_open", article="A20.2", status=409)
    ref = archive_ref(cycle)
    with transaction.atomic():
        # Two clicks (two clerks) at once: the second waits here and finds the first's job.
        Cycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").first()
        busy = Job.objects.filter(ref=ref, state__in=BUSY).order_by("-created_at", "-pk").first()
        if busy is not None:
            return busy, False
        job = enqueue(
            ARCHIVE,
            {"cycle": cycle.pk, "user": actor.pk},
            label=f"{cycle.year}年度归档",
            ref=ref,
            requested_by=actor,
        )
    return job, True


def archive_jobs(cycles: Iterable[Cycle]) -> dict[int, Job]:
    """Each cycle's latest archive job still of interest (queued, running or failed), in one
    query for the whole page."""
    refs = {archive_ref(c): c.pk for c in cycles}
    found: dict[int, Job] = {}
    if not refs:
        return found
    rows = Job.objects.filter(ref__in=list(refs), state__in=[*BUSY, Job.State.FAILED]).order_by(
        "-created_at", "-pk"
    )
    for job in rows.only("pk", "ref", "state", "created_at", "started_at", "last_error"):
        found.setdefault(refs[job.ref], job)
    return found


@handler(ARCHIVE)
def make_archive(job: Job) -> None:
    payload = job.payload
    actor = User.objects.filter(pk=int(payload.get("user") or 0), is_active=True).first()
    cycle = (
        Cycle.objects.select_related("program", "policy")
        .filter(pk=int(payload.get("cycle") or 0))
        .first()
    )
    if actor is None or cycle is None:
        raise Permanent("发起归档的用户或评审年度已不存在")
    try:
        archive.create(actor=actor, cycle=cycle)
    except ServiceError as exc:  # the role revoked or the year reopened meanwhile
        raise Permanent(exc.display) from exc
