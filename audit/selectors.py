"""Reading the trail: the filter of the trail page and the Excel export, and the events as people
read them (labels from `audit.catalogue`, details from `audit.details`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from lib.masking import mask

from . import catalogue
from .details import Described, describe, verbose_name
from .models import AuditEvent

# Who acted: the roles of the accounts app (looked up, not imported: audit sits below it),
# plus the actors that are not roles.
OTHER_ACTORS = {"system": "系统", "self": "本人", "anonymous": "匿名访问者", "public": "公众"}


def role_labels() -> dict[str, str]:
    field = apps.get_model("accounts", "RoleAssignment")._meta.get_field("role")
    return {str(k): str(v) for k, v in field.choices or []} | OTHER_ACTORS


@dataclass(frozen=True)
class TrailFilter:
    category: str = ""
    action: str = ""
    person: str = ""
    role: str = ""
    object_type: str = ""
    object: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def trail(f: TrailFilter) -> QuerySet[AuditEvent]:
    """Events matching the filter, newest first; one query with the actor joined."""
    qs = AuditEvent.objects.select_related("actor").order_by("-seq")
    if f.category:
        qs = qs.filter(action__in=[a.code for a in catalogue.ACTIONS.values()
                                   if a.category == f.category])  # fmt: skip
    if f.action:
        qs = qs.filter(action=f.action)
    if f.person:
        qs = qs.filter(
            Q(actor_username__icontains=f.person) | Q(actor__full_name__icontains=f.person)
        )
    if f.role:
        qs = qs.filter(role=f.role)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object:
        qs = qs.filter(Q(object_repr__icontains=f.object) | Q(object_id=f.object))
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


def object_types() -> list[tuple[str, str]]:
    """The object types present in the trail, by their Chinese names (one query)."""
    codes = AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()
    named = [(c, verbose_name(c)) for c in codes if c]
    return sorted(named, key=lambda pair: pair[1])


@dataclass(frozen=True)
class Row:
    """One event as the page and the export show it: every text already masked."""

    event: AuditEvent
    label: str
    category: str
    citation: str
    actor: str
    role: str
    object_type: str
    object: str
    details: Described
    reason: str


def _actor_name(e: AuditEvent) -> str:
    """The person's name (their account name when they have none)."""
    name = str(getattr(e.actor, "full_name", "") or "") if e.actor is not None else ""
    if name:
        return name
    return e.actor_username


def rows(events: Iterable[AuditEvent]) -> list[Row]:
    """The events of one page (or one chunk of the export), readable: one query per kind of
    name the details mention (audit.details), none per event."""
    events = list(events)
    described = describe(events)
    roles = role_labels()
    out = []
    for e in events:
        action = catalogue.get(e.action)
        out.append(
            Row(
                event=e,
                label=action.label if action else e.action,
                category=action.category if action else "",
                citation=action.citation if action else "",
                actor=mask(_actor_name(e)),
                role=roles.get(e.role, e.role),
                object_type=verbose_name(e.object_type) if e.object_type else "",
                object=mask(e.object_repr),
                details=described[e.pk],
                reason=mask(e.reason),
            )
        )
    return out


def rows_in_chunks(qs: QuerySet[AuditEvent], size: int = 2000) -> Iterator[Row]:
    """Every event of `qs` readable, a chunk at a time (the export of the whole trail)."""
    chunk: list[AuditEvent] = []
    for e in qs.iterator(chunk_size=size):
        chunk.append(e)
        if len(chunk) == size:
            yield from rows(chunk)
            chunk = []
    if chunk:
        yield from rows(chunk)
