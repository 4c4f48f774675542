"""The colour of every state: each value of each workflow enum has one *tone*, here and nowhere
else. The label is not here: it lives only on the model's `TextChoices`.

A tone is one of a few meanings, each one CSS rule `.state-<tone>` in static/app/app.css:
neutral (not started, a draft), attention (someone must act, or a warning), progress (under
way), success, danger (refused, revoked, failed), closed (ended, nothing more happens) and
special (拟奖 and 公示: the public part of the decision).

Enums are named by their dotted path (`intake.models.State`, `supervision.models.Case.Outcome`),
so this module imports none of our apps; the template tag finds the enum of a model field from
the field's choices (`programs/templatetags/states.py`), so every field declared with the same
enum shows the same colours. `tests/test_states.py` fails when a value of any State, Status or
Outcome enum of the models has no tone here.
"""

from __future__ import annotations

from typing import Final, Literal

Tone = Literal["neutral", "attention", "progress", "success", "danger", "closed", "special"]

TONES: Final[tuple[Tone, ...]] = (
    "neutral",
    "attention",
    "progress",
    "success",
    "danger",
    "closed",
    "special",
)

# What a value missing from the table shows: still readable, never white on white.
FALLBACK: Final[Tone] = "neutral"

# enum_name(enum) -> value -> tone.
STATE_TONES: Final[dict[str, dict[str, Tone]]] = {
    # The application's life.
    "intake.models.State": {
        "draft": "neutral",
        "submitted": "attention",  # the recommending unit's move
        "returned": "attention",  # the applicant's move
        "recommended": "attention",  # the Office's move (资格审查)
        "accepted": "progress",
        "not_accepted": "danger",
        "lapsed": "closed",
        "material_review": "progress",
        "site_review": "progress",
        "evaluated": "progress",
        "proposed": "special",
        "in_notice": "special",
        "awarded": "success",
        "not_awarded": "closed",
        "revoked": "danger",
        "withdrawn": "closed",
        "disqualified": "danger",
    },
    "intake.models.EligibilityResult.Outcome": {
        "pass": "success",
        "fail": "danger",
        "confirm": "attention",
    },
    "intake.models.Recommendation.Outcome": {
        "recommended": "success",
        "returned": "attention",
    },
    "intake.models.QualificationDecision.Outcome": {
        "accepted": "success",
        "not_accepted": "danger",
        "returned": "attention",
    },
    "programs.models.Cycle.Status": {
        "draft": "neutral",
        "published": "progress",
        "closed": "closed",
    },
    "experts.models.Expert.Status": {
        "active": "success",
        "suspended": "attention",
        "removed": "danger",
    },
    "review.models.Scorecard.State": {
        "draft": "neutral",
        "submitted": "success",
    },
    "review.models.ReviewPhase.State": {
        "not_opened": "neutral",
        "open": "progress",
        "closed": "closed",
    },
    "decision.models.Proposal.State": {
        "draft": "neutral",
        "committee_approved": "progress",
        "government_approved": "progress",
        "in_notice": "special",
        "notice_closed": "progress",
        "announced": "success",
    },
    "decision.models.Objection.Outcome": {
        "open": "attention",
        "upheld": "danger",  # the list changes: an entry is withdrawn
        "dismissed": "closed",
    },
    "supervision.models.Case.State": {
        "open": "attention",
        "reported": "progress",
        "decided": "closed",
    },
    "supervision.models.Case.Outcome": {
        "no_action": "closed",
        "warning": "attention",
        "revocation": "danger",
    },
    # A background job (issue 17): failed is the Office's to look at (重试).
    "jobs.models.Job.State": {
        "queued": "neutral",
        "running": "progress",
        "done": "success",
        "failed": "danger",
        "cancelled": "closed",
    },
}


def enum_name(enum: type) -> str:
    """The key of an enum class in STATE_TONES: "supervision.models.Case.Outcome"."""
    return f"{enum.__module__}.{enum.__qualname__}"


def tone(enum: str, value: str) -> Tone:
    """The tone of `value` of the enum named `enum`; FALLBACK for what the table lacks."""
    return STATE_TONES.get(enum, {}).get(value, FALLBACK)
