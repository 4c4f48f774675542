"""Background work of the audit trail (issue 17), on the beat's schedule
(config/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="audit.anchor_if_due", ignore_result=True)
def anchor_if_due() -> str:
    """Hourly: the daily checkpoint of the chain (audit.anchors.write_if_due), also on a day
    with no audited write (the write-triggered check needs one). Does nothing while
    AUDIT_ANCHOR_AUTO is off, nor when the newest checkpoint is younger than a day."""
    from . import anchors

    cp = anchors.write_if_due()
    return cp.label if cp is not None else ""
