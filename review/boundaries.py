"""What may change in the review, and when (A11.1, A17.1): one function per rule, returning the
refusal or None.

The scorecard's and the review phase's rules are the windows of their workflow tables
(`review.workflow`): `allowed_actions` shows the rule's words where the button would be and
`require` refuses with them (`outside_window`, the action's article). The other objects' rules
(consensus, site visit, report, feedback, rubrics, evaluation) are raised by their services as
they are, and their pages call the same function to show the reason instead of the form.
"""

from __future__ import annotations

import datetime as dt

from intake.models import Application, State
from lib.errors import StateConflict
from programs.models import Cycle, CycleStage, Stage
from programs.selectors import today
from programs.windows import day

from .models import ReviewPhase, SiteVisit


def cycle_closed(cycle: Cycle) -> StateConflict | None:
    """A closed year (已结束: the government has announced its results) is the record of its
    review: nothing of it changes any more, whatever its phases and dates say."""
    if cycle.status != Cycle.Status.CLOSED:
        return None
    return StateConflict(
        f"{cycle.year}年度评价工作已结束，评审记录只能查阅，不能再更改。",
        code="cycle_closed",
        article="A11.1",
    )


def stage_dates(cycle: Cycle, stage: str) -> CycleStage | None:
    """The stage's dates in the cycle's calendar, both days inclusive (uses a prefetch of
    `cycle.stages` when there is one)."""
    return next((s for s in cycle.stages.all() if s.stage == stage), None)


def deadline(cycle: Cycle, stage: str) -> dt.date | None:
    """The last day of a review stage in the cycle's calendar (scorecards close after it)."""
    found = stage_dates(cycle, stage)
    return found.ends_on if found else None


def phase_in(cycle: Cycle, stage: str) -> ReviewPhase | None:
    """The cycle's phase of a stage, None while never opened (uses a prefetch of
    `cycle.review_phases` when there is one, as `stage_dates` does)."""
    return next((p for p in cycle.review_phases.all() if p.stage == stage), None)


def _no_dates(cycle: Cycle, label: str) -> StateConflict:
    return StateConflict(f"{cycle.year}年度尚未设定{label}的日期。", article="A11.1")


def open_phase_refusal(
    cycle: Cycle, stage: str, *, on: dt.date | None = None
) -> StateConflict | None:
    """Why the Office may not open scoring of a stage now: the year is closed, or today is
    outside the stage's dates (A11.1: each stage in its turn). An extension past the last day
    is a change of the year's dates (`set_cycle_dates`, with a reason), not a re-opening."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    label = Stage(stage).label
    window = stage_dates(cycle, stage)
    on = on or today()
    if window is None:
        return _no_dates(cycle, label)
    if on < window.starts_on:
        return StateConflict(
            f"{label}自{day(window.starts_on)}开始，届时方可开放评分。", article="A11.1"
        )
    if on > window.ends_on:
        return StateConflict(
            f"{label}已于{day(window.ends_on)}结束；如需延长，"
            f"请先在年度管理中修改{label}的日期并说明理由。",
            article="A11.1",
        )
    return None


def scoring_refusal(
    cycle: Cycle, stage: str, phase: ReviewPhase | None, *, on: dt.date | None = None
) -> StateConflict | None:
    """Why a scorecard of the stage may not be saved, submitted or returned now: the year is
    closed, the Office has not opened (or has closed) the stage's scoring, or today is outside
    the stage's dates (A11.1, A17.1): a card returned after the deadline could never be
    submitted again."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    label = Stage(stage).label
    if phase is None or phase.state == ReviewPhase.State.NOT_OPENED:
        return StateConflict(f"{label}尚未开放评分，请等待委员会办公室通知。")
    if phase.state == ReviewPhase.State.CLOSED:
        return StateConflict(f"{label}评分已关闭。")
    window = stage_dates(cycle, stage)
    on = on or today()
    if window is None:
        return _no_dates(cycle, label)
    if on < window.starts_on:
        return StateConflict(
            f"{label}自{day(window.starts_on)}开始，届时方可评分。", article="A11.1"
        )
    if on > window.ends_on:
        return StateConflict(f"{label}评分已于{day(window.ends_on)}截止。", article="A11.1")
    return None


def consensus_refusal(
    cycle: Cycle, stage: str, *, on: dt.date | None = None
) -> StateConflict | None:
    """Why the leader may not record the group's consensus now: the year is closed or today is
    outside the stage's dates (the consensus is the stage's score, A11.1, A17.1)."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    label = Stage(stage).label
    window = stage_dates(cycle, stage)
    on = on or today()
    if window is None:
        return _no_dates(cycle, label)
    if on < window.starts_on:
        return StateConflict(
            f"{label}自{day(window.starts_on)}开始，届时方可记录共识。", article="A11.1"
        )
    if on > window.ends_on:
        return StateConflict(
            f"{label}已于{day(window.ends_on)}结束，专家组共识不能再记录或修改。", article="A11.1"
        )
    return None


def schedule_refusal(cycle: Cycle, visit: SiteVisit | None) -> StateConflict | None:
    """Why the Office may not schedule (or move) a site visit: the year is closed, or the visit
    is already recorded."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    if visit is not None and visit.recorded_at is not None:
        return StateConflict("现场评审已记录，不能再改期。")
    return None


def site_record_refusal(
    cycle: Cycle, visit: SiteVisit, *, on: dt.date | None = None
) -> StateConflict | None:
    """Why the leader may not write the site-visit record now: the year is closed, the visit has
    not started, or the supervisor has reported on the record (A27.1: it stays as they read it)."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    if (on or today()) < visit.starts_on:
        return StateConflict(f"现场评审于{visit.starts_on:%Y-%m-%d}开始，届时方可填写记录。")
    if visit.reported_at is not None:
        return StateConflict("评审监督员已就本次现场评审提交报告，现场评审记录不能再修改。")
    return None


def report_refusal(cycle: Cycle) -> StateConflict | None:
    """Why the supervisor may not file (or amend) the report: the year is closed."""
    return cycle_closed(cycle)


def feedback_refusal(cycle: Cycle, visit: SiteVisit | None) -> StateConflict | None:
    """Why two-way feedback may not be given: the year is closed, or the site visit is not yet
    recorded (A28.1: feedback follows the visit)."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    if visit is None or visit.recorded_at is None:
        return StateConflict("现场评审结束并记录后方可评价。", article="A28.1")
    return None


def review_started(cycle: Cycle) -> bool:
    """Once a phase has opened the rubric is what the experts score against: it is fixed."""
    return ReviewPhase.objects.filter(cycle=cycle, opened_at__isnull=False).exists()


def rubric_refusal(cycle: Cycle) -> StateConflict | None:
    """Why the Office may not change the cycle's rubrics: the year is closed, or a phase has
    opened and the experts score against them (A9.1)."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    if review_started(cycle):
        return StateConflict("评审已开始，本年度评价准则不能再修改。", article="A9.1")
    return None


DECIDED = (State.PROPOSED, State.IN_NOTICE, State.AWARDED, State.NOT_AWARDED, State.REVOKED)


def evaluate_refusal(cycle: Cycle) -> StateConflict | None:
    """Why the Office may not (re)compute the evaluation: the year is closed, or the committee
    has decided on the list (A19.1). What each application still lacks is listed by `evaluate`."""
    if (closed := cycle_closed(cycle)) is not None:
        return closed
    if Application.objects.filter(cycle=cycle, state__in=DECIDED).exists():
        return StateConflict(
            "拟奖名单已经委员会审定，综合评价结果不能再重新计算。", article="A19.1"
        )
    return None
