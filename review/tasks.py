"""Background work of the review (issue 17), run by the Celery workers (config/celery.py);
eagerly in the process that queues it where no broker is configured (tests, `make run`)."""

from __future__ import annotations

from celery import shared_task

from programs.models import Cycle

from . import analytics


@shared_task(name="review.refresh_analytics")
def refresh_analytics(cycle_id: int) -> None:
    """Compute and store the cycle's rater analytics (`review.analytics.refresh`) unless they
    are fresh already; queued by the services that change them and by the first view that finds
    them stale. A cycle deleted meanwhile is nothing to do."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is not None:
        analytics.refresh(cycle)
