"""Queue background work and move a job through its states (issue 17; docs/decisions/0020).

    job = enqueue("mail.send", {"subject": ..., "body": ..., "to": [...]}, label="邮件：…")

`enqueue` writes the job's row in the caller's transaction and, once it commits, sends Celery
the message "run job <pk>" (`jobs.tasks.run_job`): the transactional outbox. A rolled-back
change queues nothing; a broker that is down or loses the message loses nothing, because the
row stays 排队中 and the beat's sweep (`requeue_due`) sends it again. Without a broker
(`make run`, tests) the task runs at once in this process, after the commit.

A worker claims a job with one conditional UPDATE (queued and due -> running), so a message
delivered twice runs the job once. A failed attempt waits BACKOFF before the next one; after
`max_attempts` the job is 失败 and stays on the Office's list (`/office/jobs/`), its payload
kept so that 重试 can send it again. A job done or cancelled has its payload erased: what
was sent is the mail server's record, not ours.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from audit import context as audit_context
from audit.services import record
from lib import tenancy
from lib.errors import ServiceError, StateConflict

from . import registry
from .models import Job

logger = logging.getLogger(__name__)

State = Job.State

# Waits before the 2nd, 3rd and 4th attempts: a mail server restarting (1 min), a short outage
# (5 min), a longer one (25 min); then the job fails and the Office sees it. A one-time code
# lasts 15 minutes (ONE_TIME_CODE_MINUTES): its handler refuses to send an expired one.
BACKOFF_SECONDS: tuple[int, ...] = (60, 300, 1500)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# A queued job whose message has not been taken after this long was lost (a broker restart
# without persistence, a web process killed between commit and send): the sweep sends it
# again. Long enough that a busy queue is not flooded with duplicates (they would be harmless:
# the claim runs a job once).
LOST_AFTER = dt.timedelta(minutes=5)
# A job running for longer than this belongs to a worker that died (the task's hard time limit
# is below it, jobs.tasks.TIME_LIMIT): the sweep puts it back in the queue.
STUCK_AFTER = dt.timedelta(minutes=30)
# Clocks of the web servers and the workers may differ by a few seconds.
CLOCK_SLACK = dt.timedelta(seconds=10)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DIGITS = re.compile(r"\d{6,}")


def backoff(attempt: int) -> dt.timedelta:
    """The wait after failed attempt number `attempt` (1-based)."""
    seconds = getattr(settings, "JOB_BACKOFF_SECONDS", None) or BACKOFF_SECONDS
    return dt.timedelta(seconds=seconds[min(attempt, len(seconds)) - 1])


def describe(exc: BaseException) -> str:
    """An error as the Office's list shows it: the kind and message, with addresses and long
    numbers (phones, codes) hidden — an SMTP refusal names the recipient."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = _EMAIL.sub("***@***", text)
    text = _DIGITS.sub(lambda m: "*" * len(m.group()), text)
    return text[:500]


@dataclass(frozen=True)
class Item:
    """One job to queue with `enqueue_many`."""

    kind: str
    payload: dict[str, Any]
    label: str
    ref: str = ""


def _new(
    kind: str,
    payload: dict[str, Any],
    *,
    label: str,
    requested_by: Any = None,
    ref: str = "",
    max_attempts: int | None = None,
) -> Job:
    job = Job(
        kind=kind,
        label=label[:200],
        ref=ref[:100],
        requested_by=requested_by if requested_by is not None and requested_by.pk else None,
        request_id=audit_context.reference(),  # the request queuing it (its events name it)
        program_pk=tenancy.known_id(),  # the program it was queued in (decision 0030)
        max_attempts=max_attempts or MAX_ATTEMPTS,
        next_attempt_at=timezone.now(),
    )
    job.payload = payload
    return job


def enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    label: str,
    requested_by: Any = None,
    ref: str = "",
    max_attempts: int | None = None,
) -> Job:
    """Queue one job of `kind` (a handler of jobs.registry) in the caller's transaction; its
    message goes to the workers when the transaction commits."""
    registry.get(kind)  # an unknown kind is a programming error: refuse it here, not later
    job = _new(
        kind,
        payload,
        label=label,
        requested_by=requested_by,
        ref=ref,
        max_attempts=max_attempts,
    )
    job.save()
    dispatch_on_commit([job.pk])
    return job


def enqueue_many(items: Sequence[Item], *, requested_by: Any = None) -> list[Job]:
    """Queue many jobs with one INSERT (a stage that notifies everyone), each sent on commit."""
    if not items:
        return []
    for item in items:
        registry.get(item.kind)
    jobs = Job.objects.bulk_create(
        [
            _new(i.kind, i.payload, label=i.label, requested_by=requested_by, ref=i.ref)
            for i in items
        ]
    )
    dispatch_on_commit([j.pk for j in jobs])
    return jobs


def dispatch_on_commit(pks: Iterable[int]) -> None:
    pks = list(pks)
    on_commit(lambda: dispatch(pks))


def on_commit(func: Callable[[], None]) -> None:
    """`transaction.on_commit`; the tests replace it (tests/conftest.py `_jobs_on_commit`) so
    that a test's own wrapping transaction counts as none, as in production."""
    transaction.on_commit(func)


def dispatch(pks: Iterable[int], *, countdown: float | None = None) -> None:
    """Send "run job <pk>" for each job. A broker that refuses is logged: the row stays queued
    and the sweep sends it again (`requeue_due`)."""
    from .tasks import run_job

    for pk in pks:
        try:
            run_job.apply_async((pk,), countdown=countdown)
        except Exception:  # the broker is down: the outbox row is the message
            logger.warning(
                "job %s not sent to the broker; the sweep will send it", pk, exc_info=True
            )


# --- running ------------------------------------------------------------------------------


def claim(job_id: int) -> Job | None:
    """Take a queued, due job for this worker (one UPDATE: a second delivery finds nothing)."""
    now = timezone.now()
    taken = Job.objects.filter(
        pk=job_id, state=State.QUEUED, next_attempt_at__lte=now + CLOCK_SLACK
    ).update(
        state=State.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        # While running, the time after which the sweep considers the worker dead.
        next_attempt_at=now + STUCK_AFTER,
    )
    if not taken:
        return None
    return Job.objects.get(pk=job_id)


def _finish(job: Job, **fields: Any) -> bool:
    """Write the outcome of `job`'s attempt unless the sweep took the job back meanwhile."""
    return bool(
        Job.objects.filter(pk=job.pk, state=State.RUNNING, started_at=job.started_at).update(
            **fields
        )
    )


def run(job_id: int) -> str:
    """Claim and run one job; returns what happened ("done", "retry", "failed", "skipped")."""
    job = claim(job_id)
    if job is None:
        return "skipped"
    try:
        with (
            audit_context.working_for(job.request_id),
            tenancy.using_program(tenancy.by_id(job.program_pk)),
        ):
            result = registry.get(job.kind)(job)
    except Exception as exc:
        return _failed(job, exc)
    fields: dict[str, Any] = {
        "state": State.DONE,
        "finished_at": timezone.now(),
        "next_attempt_at": None,
        "last_error": "",
    }
    if job.kind not in registry.KEEP_PAYLOAD:
        fields["payload_text"] = ""
    if result is not None:
        job.result.save(result.name, ContentFile(result.content), save=False)
        fields |= {
            "result": job.result.name,
            "result_name": result.name,
            "result_basis": result.basis[:100],
        }
    _finish(job, **fields)
    return "done"


def _failed(job: Job, exc: Exception) -> str:
    error = describe(exc)
    now = timezone.now()
    if isinstance(exc, registry.Permanent) or job.attempts >= job.max_attempts:
        logger.error("job %s (%s) failed for good: %s", job.pk, job.kind, error)
        _finish(
            job,
            state=State.FAILED,
            finished_at=now,
            next_attempt_at=None,
            last_error=error,
        )
        return "failed"
    wait = backoff(job.attempts)
    logger.warning("job %s (%s) attempt %s failed: %s", job.pk, job.kind, job.attempts, error)
    if _finish(job, state=State.QUEUED, next_attempt_at=now + wait, last_error=error):
        dispatch([job.pk], countdown=wait.total_seconds())
    return "retry"


def requeue_due() -> dict[str, int]:
    """The beat's sweep (every minute): send again the queued jobs whose message was lost or
    whose retry is due and unsent, and put back the jobs of workers that died."""
    now = timezone.now()
    back: list[int] = []
    failed = 0
    for job in Job.objects.filter(state=State.RUNNING, next_attempt_at__lt=now).only(
        "pk", "attempts", "max_attempts", "started_at"
    ):
        last = job.attempts >= job.max_attempts
        fields: dict[str, Any] = {
            "state": State.FAILED if last else State.QUEUED,
            "last_error": "执行中断（处理该任务的进程可能已退出）"
            + ("，已达最多尝试次数" if last else "，已重新排队"),
            "next_attempt_at": None if last else now,
        }
        if last:
            fields["finished_at"] = now
        if _finish(job, **fields):
            if last:
                failed += 1
            else:
                back.append(job.pk)
    # Queued and due for longer than LOST_AFTER: its message is gone (or a queue is that
    # long; a duplicate message is harmless). Marked as sent now, so it waits LOST_AFTER again.
    lost = list(
        Job.objects.filter(state=State.QUEUED, next_attempt_at__lt=now - LOST_AFTER)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    if lost:
        Job.objects.filter(pk__in=lost, state=State.QUEUED).update(next_attempt_at=now)
    dispatch(lost + back)
    return {"requeued": len(lost), "stuck": len(back) + failed, "failed": failed}


# --- the Office's actions (audited) ---------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写原因。", fields={"reason": ["请填写原因。"]})
    return reason[:500]


def retry(*, actor: Any, role: str, job: Job, reason: str) -> Job:
    """Queue a failed job again, its attempts counted afresh (`jobs.job.retry`)."""
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, state=State.FAILED).update(
            state=State.QUEUED,
            attempts=0,
            next_attempt_at=now,
            finished_at=None,
            started_at=None,
        )
        if not moved:
            raise StateConflict("只有失败的任务可以重试（该任务的状态已改变，请刷新页面）。")
        record(
            actor=actor,
            role=role,
            action="jobs.job.retry",
            obj=job,
            before={"state": job.state, "attempts": job.attempts},
            after={"state": State.QUEUED.value, "kind": job.kind},
            reason=reason,
        )
        dispatch_on_commit([job.pk])
    job.refresh_from_db()
    return job


def cancel(*, actor: Any, role: str, job: Job, reason: str) -> Job:
    """Cancel a job still waiting in the queue; its payload is erased (`jobs.job.cancel`)."""
    reason = _reason(reason)
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, state=State.QUEUED).update(
            state=State.CANCELLED,
            finished_at=timezone.now(),
            next_attempt_at=None,
            payload_text="",
        )
        if not moved:
            raise StateConflict("只有排队中的任务可以取消（该任务的状态已改变，请刷新页面）。")
        record(
            actor=actor,
            role=role,
            action="jobs.job.cancel",
            obj=job,
            before={"state": job.state, "attempts": job.attempts},
            after={"state": State.CANCELLED.value, "kind": job.kind},
            reason=reason,
        )
    job.refresh_from_db()
    return job


# --- retention (the beat, daily; docs/decisions/0027) ---------------------------------------------

PRUNE_CHUNK = 500


def prune() -> dict[str, int]:
    """Delete finished jobs past `JOB_KEEP_DAYS` with their files, and expire the files of
    exports past `JOB_RESULT_DAYS`; one `jobs.job.prune` event with the counts.

    - done and cancelled jobs whose end is older than JOB_KEEP_DAYS: the row (its payload, if
      kept) and its result file. Not the newest job of each ref of a kind whose result is a
      kept document (`registry.KEEP_RESULT`: a certificate's PDF, read by every download);
    - done exports (`registry.EXPIRE_RESULT`) older than JOB_RESULT_DAYS: the file only; the
      row stays, so 我的导出 shows 已过期 until the row itself goes;
    - failed jobs stay, payload and all, until the Office retries or cancels them.

    The rows change in one transaction with the event; the files are deleted after it commits
    (a crash in between leaves an unreferenced encrypted file, never a row without its file)."""
    now = timezone.now()
    keep_before = now - dt.timedelta(days=settings.JOB_KEEP_DAYS)
    expire_before = now - dt.timedelta(days=settings.JOB_RESULT_DAYS)
    newer = Job.objects.filter(kind=OuterRef("kind"), ref=OuterRef("ref"), pk__gt=OuterRef("pk"))
    old = Job.objects.filter(
        state__in=(State.DONE, State.CANCELLED), finished_at__lt=keep_before
    ).exclude(Q(kind__in=registry.KEEP_RESULT) & ~Exists(newer))
    expiring = Job.objects.filter(
        kind__in=registry.EXPIRE_RESULT, state=State.DONE, finished_at__lt=expire_before
    ).exclude(result="")
    files: list[str] = []
    deleted = expired = 0
    with transaction.atomic():
        for chunk in _chunks(old.values_list("pk", "result")):
            files += [name for _, name in chunk if name]
            deleted += Job.objects.filter(pk__in=[pk for pk, _ in chunk]).delete()[0]
        for chunk in _chunks(expiring.values_list("pk", "result")):
            files += [name for _, name in chunk if name]
            expired += Job.objects.filter(pk__in=[pk for pk, _ in chunk]).update(result="")
        counts = {
            "jobs_deleted": deleted,
            "exports_expired": expired,
            "files": len(files),
            "failed_kept": Job.objects.filter(state=State.FAILED).count(),
            "keep_days": settings.JOB_KEEP_DAYS,
            "result_days": settings.JOB_RESULT_DAYS,
        }
        record(actor=None, role="system", action="jobs.job.prune", after=counts)
        on_commit(lambda: _delete_files(files))
    return counts


def _chunks(rows: Any) -> Iterable[list[Any]]:
    # Read first, then delete: a cursor still reading the table it deletes from is not safe
    # on SQLite. (pk, file name) pairs: a few MB for a hundred thousand jobs.
    found = list(rows)
    for start in range(0, len(found), PRUNE_CHUNK):
        yield found[start : start + PRUNE_CHUNK]


def _delete_files(names: Iterable[str]) -> None:
    storage = Job._meta.get_field("result").storage  # type: ignore[attr-defined]
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # already gone, or the disk refuses: the row is gone either way
            logger.warning("job result %s not deleted", name, exc_info=True)


def latest(ref: str) -> Job | None:
    """The newest job queued about `ref` (e.g. "decision.objection:<receipt>")."""
    return Job.objects.filter(ref=ref).order_by("-created_at", "-pk").first()


__all__ = [
    "BACKOFF_SECONDS",
    "Item",
    "backoff",
    "cancel",
    "claim",
    "describe",
    "dispatch",
    "enqueue",
    "enqueue_many",
    "latest",
    "prune",
    "requeue_due",
    "retry",
    "run",
]
