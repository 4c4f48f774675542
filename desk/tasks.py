"""Background work of the desk (issue 17), on the beat's schedule (config/settings.py
CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="desk.purge_personal_data", ignore_result=True)
def purge_personal_data() -> int:
    """Monthly: erase the personal data whose retention period ended (desk.retention; 个人信息
    保护法第四十七条), as `manage.py purge_personal_data --apply` does, each subject in its
    own transaction and audited. Returns how many subjects were purged."""
    from . import retention

    today = timezone.localdate()
    count = 0
    for subject in list(retention.candidates(today)):
        retention.purge(subject, today=today)
        count += 1
    return count
