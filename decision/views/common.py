"""What the decision pages share: the permissions, the cycle and list they act on, the board's
address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse

from accounts.rules import is_supervisor
from decision import selectors
from decision.models import Proposal
from programs.models import Cycle

MANAGE = "decision.manage"
VIEW = "decision.view"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REWINNER_NOTE = "不占名额，不发奖金（《办法》第二十四条）"


def may_oversee(user: Any) -> bool:
    """The Office and the supervisors read objections with the objector's details (A27.1)."""
    return bool(user.has_perm(MANAGE) or is_supervisor(user))


def cycle_or_404(cycle_id: int) -> Cycle:
    found = selectors.cycle(cycle_id)
    if found is None:
        raise Http404
    return found


def proposal_or_404(cycle: Cycle) -> Proposal:
    found = selectors.proposal_of(cycle)
    if found is None:
        raise Http404
    return found


def board_url(cycle: Cycle | int, anchor: str = "") -> str:
    pk = cycle.pk if isinstance(cycle, Cycle) else cycle
    url = reverse("decision:board") + "?" + urlencode({"cycle": pk})
    return f"{url}#{anchor}" if anchor else url
