"""Reading the jobs for the Office's list (issue 17; desk/jobs_views.py): a page at a time,
newest first, in the order of an index (keyset on the id: page 1 and a late page cost the
same), and the counts of the states someone must look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from lib import tenancy

from . import registry
from .models import Job

PAGE_SIZE = 50
# The states counted on the page's filter: few rows each (the done and cancelled ones grow
# without bound and are not counted).
COUNTED = (Job.State.QUEUED, Job.State.RUNNING, Job.State.FAILED)


@dataclass
class Page:
    rows: list[Job] = field(default_factory=list)
    first: bool = True  # no newer rows
    after: int | None = None  # the cursor of the next (older) page
    before: int | None = None  # the cursor of the previous (newer) page


def listed(viewer: Any, *, every_program: bool = False) -> QuerySet[Job]:
    """The jobs the list shows `viewer`: all but other people's jobs of a private kind
    (`registry.PRIVATE`: exports); those of the current program only (decision 0030: the jobs
    queued in it, and for the default program those queued outside any program) unless
    `every_program` (the system administrator, whose role is the deployment's)."""
    jobs = Job.objects.all()
    if not every_program:
        program = tenancy.current()
        mine = Q(program_pk=program.pk) if program is not None else Q(pk__in=[])
        if program is not None and program.is_default:
            mine |= Q(program_pk__isnull=True)
        jobs = jobs.filter(mine)
    if registry.PRIVATE:
        theirs = Q(kind__in=sorted(registry.PRIVATE)) & ~Q(requested_by_id=viewer.pk)
        jobs = jobs.exclude(theirs)
    return jobs


def page(
    *,
    viewer: Any,
    every_program: bool = False,
    state: str = "",
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """Jobs newest first (one query, size + 1 rows); `after` / `before` a job id the page
    starts after or ends before. The payload is never read (it is not shown, and decrypting
    it costs): only the columns the list shows."""
    jobs = listed(viewer, every_program=every_program).select_related("requested_by")
    jobs = jobs.defer("payload_text")
    if state:
        jobs = jobs.filter(state=state)
    if before is not None and after is None:
        rows = list(jobs.filter(pk__gt=before).order_by("pk")[: size + 1])
        newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows=rows,
            first=not newer,
            after=rows[-1].pk if rows else None,
            before=rows[0].pk if rows and newer else None,
        )
    if after is not None:
        jobs = jobs.filter(pk__lt=after)
    rows = list(jobs.order_by("-pk")[: size + 1])
    older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows=rows,
        first=after is None,
        after=rows[-1].pk if rows and older else None,
        before=rows[0].pk if rows and after is not None else None,
    )


def counts(viewer: Any, *, every_program: bool = False) -> dict[str, int]:
    """How many jobs are queued, running and failed (one GROUP BY over those states)."""
    found = dict(
        listed(viewer, every_program=every_program)
        .filter(state__in=COUNTED)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {s.value: found.get(s.value, 0) for s in COUNTED}
