"""The review pages of the Office, the supervisors and the committee, one module per page: the
board of both review stages (`board`: phases, groups, cards, consensus, site visits, feedback,
the evaluation), the cycle's rubrics (`rubrics`), the ranking with the rater analytics and its
downloads (`ranking`), and one application's whole record (`record`). Their reads are
`selectors`.

Thin views (STYLE.md): they read, call `review.services` and render. The Office acts
(`review.manage`); supervisors read the same pages (`review.oversee`); the committee reads the
ranking (`review.view_results`)."""

from __future__ import annotations

from .board import board, evaluate, phase, schedule
from .ranking import RANKING_HEADERS, ranking, ranking_xlsx, report
from .record import record
from .rubrics import rubric

__all__ = [
    "RANKING_HEADERS",
    "board",
    "evaluate",
    "phase",
    "ranking",
    "ranking_xlsx",
    "record",
    "report",
    "rubric",
    "schedule",
]
