from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import time

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


@dataclass(frozen=True)
class TrailFilter:
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def trail(f: TrailFilter) -> QuerySet[AuditEvent]:
    """Events matching the filter, newest first; one query with the actor joined."""
    qs = AuditEvent.objects.select_related("actor").order_by("-seq")
    if f.actor:
        qs = qs.filter(actor_username__icontains=f.actor)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_id:
        qs = qs.filter(object_id=f.object_id)
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    tz = timezone.get_current_timezone()
    if f.date_from:
        qs = qs.filter(created_at__gte=dt.datetime.combine(f.date_from, time.min, tzinfo=tz))
    if f.date_to:
        qs = qs.filter(
            created_at__lt=dt.datetime.combine(
                f.date_to + dt.timedelta(days=1), time.min, tzinfo=tz
            )
        )
    return qs
