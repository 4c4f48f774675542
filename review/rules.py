"""Who may run, oversee and read the review, and who acts on a scorecard (django-rules
predicates, STYLE.md 4). Experts and group leaders act on their own assignments; what they may
open at all is `experts.selectors` (assigned, signed, confirmed, not conflicted), checked by
`review.selectors` and the services before these."""

from __future__ import annotations

from typing import Any

import rules

from accounts.rules import is_committee, is_office, is_supervisor


def _expert_id(user: Any) -> int | None:
    expert = getattr(user, "expert", None) if getattr(user, "is_authenticated", False) else None
    return expert.pk if expert is not None else None


@rules.predicate
def is_card_expert(user: Any, card: Any) -> bool:
    """The expert whose card it is, still a member of the group (A17.1)."""
    if card is None:
        return False
    assignment = card.assignment
    expert_id = _expert_id(user)
    return (
        expert_id is not None
        and assignment.expert_id == expert_id
        and assignment.removed_at is None
    )


@rules.predicate
def is_card_leader(user: Any, card: Any) -> bool:
    """The leader of the card's group: the one who returns a member's card (A17.1)."""
    if card is None:
        return False
    expert_id = _expert_id(user)
    return expert_id is not None and card.assignment.group.leader_id == expert_id


# The Office runs the review: rubrics, phases, site-visit schedules, the evaluation (A6.2).
rules.add_perm("review.manage", is_office)
# Every score, consensus, site record and feedback, read-only (A27.1, A28.1).
rules.add_perm("review.oversee", is_office | is_supervisor)
# The ranking, the report and the rater analytics (A18.1, A19.1): the committee decides on them.
rules.add_perm("review.view_results", is_office | is_supervisor | is_committee)
# A scorecard: its expert saves and submits it; the group's leader returns it.
rules.add_perm("review.score", is_card_expert)
rules.add_perm("review.return_card", is_card_leader)
