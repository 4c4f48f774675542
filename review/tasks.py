"""Background work of the review (issue 17), run by the Celery workers (config/celery.py);
eagerly in the process that queues it where no broker is configured (tests, `make run`)."""

from __future__ import annotations

import logging

from celery import shared_task

from programs.models import Cycle

from . import analytics

logger = logging.getLogger(__name__)


@shared_task(name="review.refresh_analytics")
def refresh_analytics(cycle_id: int) -> None:
    """Compute and store the cycle's rater analytics (`review.analytics.refresh`) unless they
    are fresh already; queued by the services that change them and by the first view that finds
    them stale. A cycle deleted meanwhile is nothing to do."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is not None:
        analytics.refresh(cycle)


@shared_task(name="review.remind_experts", ignore_result=True)
def remind_experts() -> int:
    """Daily (CELERY_BEAT_SCHEDULE; was cron): remind the experts whose scorecards are due
    within REMINDER_WORKDAYS working days (A17.1); each card once per deadline, so a second
    run sends nothing. Returns how many experts were told."""
    from . import services

    told, unknown = services.send_scoring_reminders()
    for line in unknown:
        logger.warning("%s", line)
    return told
