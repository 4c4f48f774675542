"""The Celery tasks of the jobs app (issue 17; docs/decisions/0020): run one job, and the
beat's sweep that sends again what was lost."""

from __future__ import annotations

from celery import shared_task

from . import services

# Below jobs.services.STUCK_AFTER (30 min): a job still running after that belongs to a dead
# worker. A certificate or an export takes seconds to minutes.
SOFT_TIME_LIMIT = 20 * 60
TIME_LIMIT = 25 * 60


@shared_task(
    name="jobs.run_job", ignore_result=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT
)
def run_job(job_id: int) -> str:
    """Run job `job_id` if it is still queued and due (a second delivery does nothing)."""
    return services.run(job_id)


@shared_task(name="jobs.requeue_due", ignore_result=True)
def requeue_due() -> dict[str, int]:
    """Every minute (CELERY_BEAT_SCHEDULE): lost messages and dead workers' jobs, queued again."""
    return services.requeue_due()


@shared_task(name="jobs.prune", ignore_result=True)
def prune() -> dict[str, int]:
    """Daily (CELERY_BEAT_SCHEDULE): the jobs' retention (`services.prune`)."""
    return services.prune()
