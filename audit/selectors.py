"""Reading the trail: the filter of the trail page and the Excel export, and the events as people
read them (labels from `audit.catalogue`, details from `audit.details`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.urls import reverse
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
    request_id: str = ""  # 参考编号: every event of one request (or of the jobs it queued)
    # One program's events (a program's supervisors); None: every program's (the audit
    # administrator). Set from the reader (`audit.views.trail_filter`), never from the form.
    program_id: int | None = None
    # With the events of no program (the default program's: commands, visitors, and every event
    # older than the column).
    older: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def trail(f: TrailFilter) -> QuerySet[AuditEvent]:
    """Events matching the filter, newest first; one query with the actor joined."""
    qs = AuditEvent.objects.select_related("actor").order_by("-seq")
    if f.program_id is not None:
        mine = Q(program_pk=f.program_id)
        qs = qs.filter(mine | Q(program_pk__isnull=True) if f.older else mine)
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
    if f.request_id:
        # As printed (Crockford capitals) or as typed in lower case; a proxy's id as it came.
        wanted = f.request_id.strip()
        qs = qs.filter(request_id__in=sorted({wanted, wanted.upper()}))
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
    link: str = ""


@dataclass(frozen=True)
class ObjectPage:
    """Where an object of a type has its page, and who may open it (a link is shown only to a
    reader holding `perm`: a page never shows a link its reader cannot open)."""

    url_name: str
    perm: str
    key: str  # the field the URL takes


# The supervisors' workspace shows a cycle and an expert; the other objects have no page that
# both readers of the trail may open.
OBJECT_PAGES: dict[str, ObjectPage] = {
    "programs.cycle": ObjectPage("supervision:cycle", "supervision.view", "pk"),
    "experts.expert": ObjectPage("supervision:expert", "supervision.view", "public_id"),
}


def _links(events: list[AuditEvent], reader: Any) -> dict[int, str]:
    """The page of each event's object the reader may open: one query per object type whose
    page is addressed by another key than the primary key."""
    if reader is None:
        return {}
    out: dict[int, str] = {}
    for object_type, page in OBJECT_PAGES.items():
        mine = [e for e in events if e.object_type == object_type and e.object_id.isdigit()]
        if not mine or not reader.has_perm(page.perm):
            continue
        pks = {int(e.object_id) for e in mine}
        if page.key == "pk":
            keys = {pk: pk for pk in pks}
        else:
            model = apps.get_model(object_type)
            keys = dict(model._default_manager.filter(pk__in=pks).values_list("pk", page.key))
        for e in mine:
            if int(e.object_id) in keys:
                out[e.pk] = reverse(page.url_name, args=[keys[int(e.object_id)]])
    return out


def _actor_name(e: AuditEvent) -> str:
    """The person's name (their account name when they have none)."""
    name = str(getattr(e.actor, "full_name", "") or "") if e.actor is not None else ""
    if name:
        return name
    return e.actor_username


def rows(events: Iterable[AuditEvent], reader: Any = None) -> list[Row]:
    """The events of one page (or one chunk of the export), readable: one query per kind of
    name the details mention (audit.details), none per event; with `reader`, the link to each
    object's page that reader may open."""
    events = list(events)
    described = describe(events)
    links = _links(events, reader)
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
                link=links.get(e.pk, ""),
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
