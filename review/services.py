"""The actions of 材料评审, 现场评审 and 综合评价 (A9.1, A10, A17.1, A18.1, A27.1, A28.1).

Each is a keyword-only verb that checks who may act and when, runs in one transaction and appends
its audit event there (STYLE.md). When is `review.boundaries` (one function per rule); the
scorecard's and the review phase's actions start with their workflow table's `require` (whose
windows are those rules) and move the state only through its `move` (`review.workflow`). The
arithmetic is `lib/scoring.py`; what an expert may open is `experts.selectors`. Application
states move through `intake.services.transition`: accepted -> material_review (open_phase) ->
site_review (organizations, open_phase) -> evaluated (evaluate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import applicant_users, notify
from audit.services import record
from experts import conflicts
from experts.models import Assignment, ReviewGroup
from experts.selectors import openable_applications
from intake.models import Application, Kind, State
from intake.services import transition_all
from lib import rubrics, scoring
from lib.errors import PermissionDenied, ServiceError, StateConflict
from lib.workdays import UnknownCalendarYear
from programs.models import Cycle, Stage
from programs.selectors import now, today, work_calendar
from programs.windows import day as _day

from . import analytics
from .boundaries import (
    consensus_refusal,
    cycle_closed,
    deadline,
    evaluate_refusal,
    feedback_refusal,
    report_refusal,
    rubric_refusal,
    schedule_refusal,
    site_record_refusal,
    stage_dates,
)
from .models import (
    REVIEW_STAGES,
    Consensus,
    ConsensusItem,
    Evaluation,
    Feedback,
    ItemScore,
    ReviewPhase,
    Rubric,
    RubricItem,
    Scorecard,
    ScoringReminder,
    SiteVisit,
)
from .selectors import OPENABLE_BY, phase_or_blank
from .workflow import CARD, PHASE, blank_card

TEXT_LIMIT = 4000
# Working days before a scoring deadline on which `remind_experts` tells the experts still due.
REMINDER_WORKDAYS = 3
# The state an application is in while a stage's scorecards are open.
# Set by `save_scorecard` on the card it returns: its points, read by `card_score`.
SAVED_POINTS = "_saved_points"
STAGE_STATE = {Stage.MATERIAL_REVIEW: State.MATERIAL_REVIEW, Stage.SITE_REVIEW: State.SITE_REVIEW}


def _require(actor: User, perm: str, obj: Any = None) -> None:
    if not actor.has_perm(perm, obj):
        raise PermissionDenied()


def _stage(stage: str) -> Stage:
    if stage not in {s.value for s in REVIEW_STAGES}:
        raise ServiceError("评审阶段应为材料评审或现场评审。", fields={"stage": ["无效"]})
    return Stage(stage)


def _text(value: str, label: str, errors: dict[str, list[str]], key: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_LIMIT:
        errors.setdefault(key, []).append(f"{label}不能超过{TEXT_LIMIT}字。")
    return value


def _refuse(refusal: ServiceError | None) -> None:
    if refusal is not None:
        raise refusal


# --- whom the review tells -------------------------------------------------------------------


def _stage_text(cycle: Cycle, stage: str) -> str:
    """ "材料评审（2026年6月1日至2026年7月10日）": a stage with its dates."""
    window = stage_dates(cycle, stage)
    label = Stage(stage).label
    return f"{label}（{_day(window.starts_on)}至{_day(window.ends_on)}）" if window else label


def _by_expert(assignments: Any) -> dict[User, list[Assignment]]:
    """Active assignments grouped by the expert's login (experts without one are not told)."""
    found: dict[User, list[Assignment]] = {}
    for a in assignments:
        if a.expert.user is not None:
            found.setdefault(a.expert.user, []).append(a)
    return found


def _names(assignments: list[Assignment]) -> str:
    return "、".join(a.group.application.applicant_name for a in assignments)


def _tell_scoring_open(cycle: Cycle, stage: Stage, applications: list[Application]) -> None:
    """Every member of the stage's groups whose application is now in the stage (those just
    moved, or still there when a closed phase opens again) hears that scoring is open and the
    stage's dates."""
    members = (
        Assignment.objects.filter(
            removed_at__isnull=True, group__stage=stage, group__application__cycle=cycle
        )
        .filter(
            Q(group__application__in=[a.pk for a in applications])
            | Q(group__application__state=STAGE_STATE[stage])
        )
        .select_related(
            "expert__user", "group__application__organization", "group__application__individual"
        )
        .order_by("group__application_id")
    )
    last = deadline(cycle, stage)
    until = f"，评分截止{_day(last)}" if last else ""
    for user, assignments in _by_expert(members).items():
        notify(
            users=[user],
            subject=f"{cycle.year}年度{stage.label}已开放评分",
            body=(
                f"{cycle.year}年度{cycle.program.name}{_stage_text(cycle, stage)}"
                f"已开放评分{until}。"
                f"请评审：{_names(assignments)}。请登录“我的评审”，签署工作守则并确认与申报人"
                "不存在利害关系后查阅材料、评分。"
            ),
            url=reverse("experts:mine"),
        )


def _tell_site_visit(group: ReviewGroup, visit: SiteVisit, *, moved: bool) -> None:
    """The organization's contacts and the group's supervisor hear the visit's dates and place
    (A27.1: the supervisor oversees the visit; A28.1: the organization rates the group after)."""
    application = group.application
    cycle = application.cycle
    when = f"{_day(visit.starts_on)}至{_day(visit.ends_on)}"
    if visit.starts_on == visit.ends_on:
        when = _day(visit.starts_on)
    verb = "调整为" if moved else "安排在"
    notify(
        users=applicant_users(organization=application.organization),
        subject=f"现场评审{'改期' if moved else '安排'}：{_day(visit.starts_on)}",
        body=(
            f"委员会办公室已将贵单位{cycle.year}年度{cycle.program.name}现场评审{verb}{when}，"
            f"地点：{visit.place}。请做好接待和资料准备。现场评审结束后，请在系统中对专家组的"
            "工作质量和廉洁自律情况作出评价（《办法》第二十八条）。"
        ),
        url=f"/applications/{application.public_id}/",
    )
    if group.supervisor is not None:
        notify(
            users=[group.supervisor],
            subject=f"现场评审监督{'改期' if moved else '安排'}：{application.applicant_name}",
            body=(
                f"您是{application.applicant_name}{cycle.year}年度现场评审的评审监督员。现场评审"
                f"{verb}{when}，地点：{visit.place}。请到场监督，并在专家组填写现场评审记录后"
                "提交监督报告（《办法》第二十七条）。"
            ),
            url=reverse("review:site", args=[application.public_id]),
        )


# --- rubrics (A9.1) ----------------------------------------------------------------------------


def ensure_rubric(*, actor: User, cycle: Cycle, kind: str) -> Rubric:
    """The cycle's rubric for a kind, copied the first time (audited as `review.rubric.create`)
    from the rubric its policy holds (the program's pack, issue 18), or `data/gbt19580.yaml`
    for a policy that holds none. Later changes to the pack or the file never touch a cycle's
    copy."""
    _require(actor, "review.manage", cycle)
    existing = Rubric.objects.filter(cycle=cycle, applies_to=kind).first()
    if existing is not None:
        return existing
    source = rubrics.rubric_in(cycle.policy.rubrics, kind)
    with transaction.atomic():
        rubric = Rubric.objects.create(
            cycle=cycle,
            applies_to=kind,
            key=source.key,
            name=source.name,
            total_points=source.total_points,
            categories=[
                {"code": c.code, "name": c.name, "points": c.points} for c in source.categories
            ],
        )
        RubricItem.objects.bulk_create(
            RubricItem(
                rubric=rubric,
                position=n,
                code=i.code,
                category=i.category,
                name=i.name,
                points=i.points,
                type=i.type,
            )
            for n, i in enumerate(source.items)
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="review.rubric.create",
            obj=rubric,
            after={"key": rubric.key, "items": len(source.items)},
        )
    return rubric


def rubric_errors(
    total_points: int, categories: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]]
) -> list[str]:
    """What is wrong with a rubric: items must sum to the total and to their category's points,
    codes be unique, points positive, types process or result."""
    errors = []
    codes = [str(i.get("code", "")).strip() for i in items]
    if any(not c for c in codes):
        errors.append("每个条款都应有编号。")
    if len(set(codes)) != len(codes):
        errors.append("条款编号重复。")
    category_codes = {str(c.get("code")) for c in categories}
    for i in items:
        points = i.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            errors.append(f"条款{i.get('code')}的分值应为正整数。")
        if i.get("type") not in RubricItem.Type.values:
            errors.append(f"条款{i.get('code')}的类型应为过程或结果。")
        if str(i.get("category")) not in category_codes:
            errors.append(f"条款{i.get('code')}所属类目{i.get('category')}不存在。")
    if errors:
        return errors
    total = sum(int(i["points"]) for i in items)
    if total != total_points:
        errors.append(f"各条款分值之和为{total}分，与总分{total_points}分不符。")
    for c in categories:
        in_category = sum(int(i["points"]) for i in items if str(i["category"]) == str(c["code"]))
        if in_category != int(c["points"]):
            errors.append(
                f"类目{c['code']}{c.get('name', '')}的条款分值之和为{in_category}分，"
                f"与该类目{c['points']}分不符。"
            )
    return errors


def save_rubric(
    *,
    actor: User,
    cycle: Cycle,
    kind: str,
    categories: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
) -> Rubric:
    """Replace a cycle's rubric (A9.1) until review starts, never after; a rubric whose items do
    not add up is refused with each reason. Side effects: version + 1, `review.rubric.change`."""
    _require(actor, "review.manage", cycle)
    if kind not in Kind.values:
        raise ServiceError("适用类别无效。", fields={"kind": ["无效"]})
    _refuse(cycle_closed(cycle))
    rubric = ensure_rubric(actor=actor, cycle=cycle, kind=kind)
    errors = rubric_errors(rubric.total_points, categories, items)
    if errors:
        raise ServiceError("评价准则未保存：" + errors[0], fields={"items": errors})
    with transaction.atomic():
        locked = Rubric.objects.select_for_update().get(pk=rubric.pk)
        _refuse(rubric_refusal(cycle))
        before = {"version": locked.version, "items": locked.items.count()}
        locked.items.all().delete()
        RubricItem.objects.bulk_create(
            RubricItem(
                rubric=locked,
                position=n,
                code=str(i["code"]).strip(),
                category=str(i["category"]),
                name=str(i.get("name", "")).strip()[:100],
                points=int(i["points"]),
                type=str(i["type"]),
            )
            for n, i in enumerate(items)
        )
        locked.categories = [
            {"code": str(c["code"]), "name": str(c.get("name", "")), "points": int(c["points"])}
            for c in categories
        ]
        locked.version = F("version") + 1
        locked.save(update_fields=["categories", "version", "updated_at"])
        locked.refresh_from_db()
        record(
            actor=actor,
            role=Role.OFFICE,
            action="review.rubric.change",
            obj=locked,
            before=before,
            after={"version": locked.version, "items": len(items)},
        )
    return locked


# --- phases ------------------------------------------------------------------------------------


def _in_scope(cycle: Cycle, stage: Stage) -> list[Application]:
    """The applications a stage opens for: 材料评审 every accepted one, 现场评审 organizations
    whose material review is agreed."""
    if stage == Stage.MATERIAL_REVIEW:
        return list(Application.objects.filter(cycle=cycle, state=State.ACCEPTED))
    return list(
        Application.objects.filter(
            cycle=cycle, state=State.MATERIAL_REVIEW, kind=Kind.ORGANIZATION
        ).filter(review_groups__stage=Stage.MATERIAL_REVIEW, review_groups__consensus__final=True)
    )


def open_phase(
    *, actor: User, cycle: Cycle, stage: str, others_visible: bool = True
) -> ReviewPhase:
    """Open a review stage for scoring (A17.1): `PHASE.require(phase, "open")`, i.e. the Office,
    a phase not open, inside the stage's dates of a year not closed (A11.1); every application
    in scope must have a group with a leader (and, on site, a supervisor and a scheduled visit).
    The applications move to 材料评审中 / 现场评审中; the rubrics are fixed from now on. Side
    effects: the phase's state -> open (its first `opened_at` kept), `review.phase.open`, one
    transition per application, and every member of the stage's groups told that scoring is
    open and until when. Detection (`experts.conflicts.detect`) runs first and keeps what it
    finds even when the opening is then refused."""
    stage_ = _stage(stage)
    before = phase_or_blank(cycle, stage_)
    PHASE.require(before, "open", actor)
    applications = _in_scope(cycle, stage_)
    # A26.1: the records as they now stand (an employment entered, a registration changed since
    # the groups were formed) end any conflicted seat before scoring opens; a group left short is
    # then named below, and the Office refills it.
    conflicts.detect(applications=applications, actor=actor, role=Role.OFFICE)
    groups = {
        g.application_id: g
        for g in ReviewGroup.objects.filter(application__in=applications, stage=stage_)
        .select_related("site_visit")
        .prefetch_related("assignments")
    }
    missing = []
    for application in applications:
        group = groups.get(application.pk)
        if group is None or not [a for a in group.assignments.all() if a.removed_at is None]:
            missing.append(f"{application.applicant_name}：尚未组成专家组")
        elif group.leader_id is None:
            missing.append(f"{application.applicant_name}：尚未确定组长")
        elif stage_ == Stage.SITE_REVIEW and group.supervisor_id is None:
            missing.append(f"{application.applicant_name}：尚未委派评审监督员")
        elif stage_ == Stage.SITE_REVIEW and not hasattr(group, "site_visit"):
            missing.append(f"{application.applicant_name}：尚未安排现场评审")
    if missing:
        raise ServiceError(
            f"{len(missing)}项申报尚不具备评审条件：" + "；".join(missing[:5]),
            fields={"applications": missing},
        )
    # Opening for nobody is a mistake; reopening a closed phase (an extension) is not.
    if not applications and before.opened_at is None:
        raise StateConflict(
            f"没有可进入{stage_.label}的申报"
            + (
                "（已受理的申报）。"
                if stage_ == Stage.MATERIAL_REVIEW
                else "（材料评审共识已确认的组织）。"
            )
        )
    with transaction.atomic():
        phase, _ = ReviewPhase.objects.get_or_create(cycle=cycle, stage=stage_)
        for kind in Kind.values:
            ensure_rubric(actor=actor, cycle=cycle, kind=kind)
        # A second click, or another clerk meanwhile: told, nothing opened twice.
        PHASE.move(
            phase,
            "open",
            others_visible=others_visible,
            opened_at=phase.opened_at or now(),
            closed_at=None,
        )
        action = "start_material_review" if stage_ == Stage.MATERIAL_REVIEW else "start_site_review"
        transition_all(applications, action)
        _tell_scoring_open(cycle, stage_, applications)
        record(
            actor=actor,
            role=Role.OFFICE,
            action="review.phase.open",
            obj=phase,
            after={
                "stage": stage_.value,
                "applications": len(applications),
                "others_visible": others_visible,
            },
        )
    return phase


def close_phase(*, actor: User, cycle: Cycle, stage: str) -> ReviewPhase:
    """Close scoring of a stage (`PHASE.require(phase, "close")`: the Office, an open phase, a
    year not closed; also after the stage's last day); drafts stay drafts. Side effects: the
    phase's state -> closed, `review.phase.close`."""
    stage_ = _stage(stage)
    phase = phase_or_blank(cycle, stage_)
    PHASE.require(phase, "close", actor)
    with transaction.atomic():
        PHASE.move(phase, "close", closed_at=now())
        record(actor=actor, role=Role.OFFICE, action="review.phase.close", obj=phase)
    return phase


# --- scorecards (A17.1) ------------------------------------------------------------------------


def _own_assignment(actor: User, assignment: Assignment) -> None:
    """The acting expert holds this assignment, still active, and may open the application
    (signed the code, confirmed no conflict, not conflicted): otherwise it does not exist."""
    expert = getattr(actor, "expert", None)
    if (
        expert is None
        or assignment.expert_id != expert.pk
        or assignment.removed_at is not None
        # Found by `selectors.assignment_for` for this actor: checked there, in this request.
        or (
            getattr(assignment, OPENABLE_BY, None) != actor.pk
            and not openable_applications(actor).filter(pk=assignment.group.application_id).exists()
        )
    ):
        raise ServiceError("评分表不存在。", status=404)


def _clean_scores(
    rubric: Rubric, scores: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[int, dict[str, Any]], dict[str, list[str]]]:
    items = {i.code: i for i in rubric.items.all()}
    cleaned: dict[int, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    for code, entry in scores.items():
        item = items.get(code)
        if item is None:
            errors.setdefault(code, []).append(f"准则中没有条款{code}。")
            continue
        percent = entry.get("percent")
        if percent in ("", None):
            percent = None
        else:
            try:
                percent = scoring.check_percent(
                    int(percent) if isinstance(percent, str) else percent
                )
            except ValueError as exc:
                errors.setdefault(code, []).append(f"{code}：{exc}")
                percent = None
        cleaned[item.pk] = {
            "percent": percent,
            "strengths": _text(entry.get("strengths", ""), f"{code}优势", errors, code),
            "opportunities": _text(entry.get("opportunities", ""), f"{code}改进机会", errors, code),
        }
    return cleaned, errors


def save_scorecard(
    *,
    actor: User,
    assignment: Assignment,
    scores: Mapping[str, Mapping[str, Any]],
    summary: str = "",
    revision: int,
    rubric: Rubric | None = None,
) -> Scorecard:
    """Save the expert's draft (autosave), `CARD.require(card, "save")`: their own draft
    (created by the first save), while the stage's scoring is open, inside its dates, in a
    year not closed. Percentages in steps of 5, strengths and opportunities per item.
    `revision` is the one the expert's page was showing: if another window saved since, nothing
    is written and the expert is told (their input stays on their page). `rubric`, the cycle's
    for the applicant's kind with its items, when the caller has it loaded already. Side effect:
    `review.scorecard.save`.

    Saved every few seconds while an expert types (htmx): the assignment as given serves the
    card's windows and its name in the audit event, the rubric is read once, nothing is read
    again after the update (issue 17: was 33 statements)."""
    _own_assignment(actor, assignment)
    group = assignment.group
    application = group.application
    card = Scorecard.objects.filter(assignment=assignment).first()
    if card is not None:
        card.assignment = assignment  # with its group, application, dates and phases loaded
    CARD.require(card or blank_card(assignment), "save", actor)
    if (
        rubric is None
        or rubric.cycle_id != application.cycle_id
        or rubric.applies_to != application.kind
    ):
        rubric = Rubric.objects.prefetch_related("items").get(
            cycle=application.cycle_id, applies_to=application.kind
        )
    cleaned, errors = _clean_scores(rubric, scores)
    errors_summary: dict[str, list[str]] = {}
    summary = _text(summary, "总体评价", errors_summary, "summary")
    errors |= errors_summary
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(f"评分未保存：{first}", fields=errors)
    with transaction.atomic():
        if card is None:
            card, _ = Scorecard.objects.get_or_create(
                assignment=assignment, defaults={"rubric": rubric}
            )
            card.assignment = assignment
        # Optimistic concurrency: the draft as the page showed it, still a draft.
        saved_at = now()
        updated = Scorecard.objects.filter(
            pk=card.pk, revision=revision, state=Scorecard.State.DRAFT
        ).update(revision=F("revision") + 1, summary=summary, saved_at=saved_at)
        if not updated:
            card.refresh_from_db()
            CARD.require(card, "save", actor)  # submitted meanwhile: the table says so
            raise StateConflict(
                f"该评分表已在其他窗口保存（{card.saved_at:%H:%M:%S}），本次未保存。"
                "请复制您刚填写的内容，刷新页面后再保存。",
                code="stale",
            )
        # What the UPDATE wrote (it matched revision `revision` of a draft).
        card.revision, card.summary, card.saved_at = revision + 1, summary, saved_at
        card.state = Scorecard.State.DRAFT
        existing = {s.item_id: s for s in card.scores.all()}
        new, changed = [], []
        for item_id, values in cleaned.items():
            score = existing.get(item_id)
            if score is None:
                new.append(ItemScore(scorecard=card, item_id=item_id, **values))
            elif any(getattr(score, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(score, k, v)
                changed.append(score)
        if new:
            ItemScore.objects.bulk_create(new)
        if changed:
            _update_scores(changed)
        record(
            actor=actor,
            role=Role.EXPERT,
            action="review.scorecard.save",
            obj=card,
            after={"revision": card.revision, "items": len(cleaned)},
        )
    # The card's points from what is saved now, without reading the scores again.
    points = {i.pk: i.points for i in rubric.items.all()}
    setattr(
        card,
        SAVED_POINTS,
        scoring.stage_score(
            (points[s.item_id], s.percent)
            for s in [*existing.values(), *new]
            if s.percent is not None and s.item_id in points
        ),
    )
    return card


def _update_scores(changed: Sequence[ItemScore]) -> None:
    """Write the changed item scores of a card in one `UPDATE … FROM (VALUES …)`: Django's
    `bulk_update` builds a CASE per field and row, about 30 ms of Python for a whole card on
    every autosave (issue 17 part R). Same statement on SQLite (3.33+) and PostgreSQL; the
    casts type the VALUES columns where every row's percent is empty."""
    q = connection.ops.quote_name
    table = q(ItemScore._meta.db_table)
    values = ", ".join(["(CAST(%s AS integer), CAST(%s AS integer), %s, %s)"] * len(changed))
    # Only quoted names and placeholders are put into the text; the values are parameters.
    sql = (
        f"UPDATE {table} SET {q('percent')} = v.column2, {q('strengths')} = v.column3, "  # noqa: S608
        f"{q('opportunities')} = v.column4 FROM (VALUES {values}) AS v "
        f"WHERE {table}.{q('id')} = v.column1"
    )
    params = [x for s in changed for x in (s.pk, s.percent, s.strengths, s.opportunities)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def missing_for_submission(card: Scorecard) -> list[str]:
    """What a card lacks before it can be submitted: a percentage for every item and, for each
    item, written strengths or opportunities for improvement."""
    scores = {s.item_id: s for s in card.scores.all()}
    missing = []
    for item in card.rubric.items.all():
        score = scores.get(item.pk)
        if score is None or score.percent is None:
            missing.append(f"{item.code} {item.name}：未评分")
        elif not (score.strengths or score.opportunities):
            missing.append(f"{item.code} {item.name}：未填写优势或改进机会")
    return missing


def submit_scorecard(*, actor: User, scorecard: Scorecard) -> Scorecard:
    """Submit and lock the card once complete (`CARD.require(card, "submit")`: their own draft,
    the same window as saving). Side effects: state -> submitted, `review.scorecard.submit`, the
    cycle's rater analytics recomputed once committed (`analytics.changed`)."""
    _own_assignment(actor, scorecard.assignment)
    CARD.require(scorecard, "submit", actor)
    missing = missing_for_submission(scorecard)
    if missing:
        raise ServiceError(
            f"评分表尚不完整（{len(missing)}项）：" + "；".join(missing[:3]),
            fields={"items": missing},
        )
    with transaction.atomic():
        CARD.move(scorecard, "submit", submitted_at=now(), revision=F("revision") + 1)
        scorecard.refresh_from_db()
        record(
            actor=actor,
            role=Role.EXPERT,
            action="review.scorecard.submit",
            obj=scorecard,
            after=card_values(scorecard),
        )
        analytics.changed(scorecard.assignment.group.application.cycle_id)
    return scorecard


def card_values(card: Scorecard) -> dict[str, Any]:
    """What the submit event carries and `audit_verify --state` compares: the percentage per
    item code and the card's points."""
    scores = card.scores.select_related("item").order_by("item__position")
    return {
        "items": {s.item.code: s.percent for s in scores},
        "score": str(card_score(card)),
    }


def card_score(card: Scorecard) -> Decimal:
    """The points of a card's scored items (unscored items count nothing); as `save_scorecard`
    computed them when the card comes from it."""
    if (points := getattr(card, SAVED_POINTS, None)) is not None:
        return points  # type: ignore[no-any-return]
    return scoring.stage_score(
        (s.item.points, s.percent)
        for s in card.scores.select_related("item")
        if s.percent is not None
    )


def is_leader(actor: User, group: ReviewGroup) -> bool:
    expert = getattr(actor, "expert", None)
    return expert is not None and group.leader_id == expert.pk


def reopen_scorecard(*, actor: User, scorecard: Scorecard, reason: str) -> Scorecard:
    """The group leader returns a member's submitted card for correction, with a reason
    (`CARD.require(card, "return")`: the group's leader, a submitted card, while the member can
    still score: a card returned after the deadline could never be submitted again; before the
    consensus is confirmed). Side effects: state -> draft, `review.scorecard.reopen`, the member
    told why, the rater analytics recomputed once committed."""
    group = scorecard.assignment.group
    CARD.require(scorecard, "return", actor)
    reason = reason.strip()
    if not reason:
        raise ServiceError("请填写退回理由。", fields={"reason": ["必填"]})
    with transaction.atomic():
        CARD.move(
            scorecard,
            "return",
            submitted_at=None,
            revision=F("revision") + 1,
            returned_reason=reason,
            returned_at=now(),
        )
        scorecard.refresh_from_db()
        record(
            actor=actor,
            role=Role.EXPERT,
            action="review.scorecard.reopen",
            obj=scorecard,
            reason=reason,
        )
        analytics.changed(group.application.cycle_id)
        _tell_returned(scorecard, group, reason)
    return scorecard


def _tell_returned(scorecard: Scorecard, group: ReviewGroup, reason: str) -> None:
    """The member whose card the leader returned hears why, and until when to resubmit."""
    member = scorecard.assignment.expert
    if member.user is None:
        return
    application = group.application
    label = Stage(group.stage).label
    last = deadline(application.cycle, group.stage)
    until = f"请修改后于{_day(last)}前重新提交。" if last else "请修改后重新提交。"
    notify(
        users=[member.user],
        subject=f"评分表被退回：{application.applicant_name}{label}",
        body=(
            f"专家组组长{group.leader}退回了您对{application.applicant_name}的{label}评分表，"
            f"理由：{reason}。{until}"
        ),
        url=reverse("review:card", args=[application.public_id, group.stage]),
    )


# --- consensus ---------------------------------------------------------------------------------


def save_consensus(
    *,
    actor: User,
    group: ReviewGroup,
    items: Mapping[str, Mapping[str, Any]],
    comment: str = "",
    final: bool = False,
    revision: int,
) -> Consensus:
    """The leader records the group's agreed percentage per item after discussion, once every
    member's card is submitted; `final` confirms it (then every item needs a percentage) and
    fixes the stage score; only inside the stage's dates of a year not closed
    (`consensus_refusal`). `revision` is the one the leader's page showed (0 before the first
    save): if another window saved since, nothing is written (409 `stale`). Side effects: the
    revision advances; `review.consensus.save` or `review.consensus.confirm` on the consensus,
    carrying its revision, items (percent per item code) and score; once confirmed, the rater
    analytics recomputed when committed."""
    if not is_leader(actor, group):
        raise PermissionDenied("只有专家组组长可以记录共识。")
    if not openable_applications(actor).filter(pk=group.application_id).exists():
        raise ServiceError("专家组不存在。", status=404)
    _refuse(consensus_refusal(group.application.cycle, group.stage))
    active = group.assignments.filter(removed_at__isnull=True)
    pending = active.exclude(scorecard__state=Scorecard.State.SUBMITTED)
    if pending.exists():
        names = "、".join(a.expert.name for a in pending.select_related("expert"))
        raise StateConflict(f"尚有专家未提交评分表：{names}。")
    rubric = Rubric.objects.get(cycle=group.application.cycle, applies_to=group.application.kind)
    cleaned, errors = _clean_scores(rubric, items)
    comment_errors: dict[str, list[str]] = {}
    comment = _text(comment, "综合意见", comment_errors, "comment")
    errors |= comment_errors
    if final:
        for item in rubric.items.all():
            if cleaned.get(item.pk, {}).get("percent") is None:
                errors.setdefault(item.code, []).append(f"{item.code}：未给出共识比例")
    if errors:
        raise ServiceError("共识未保存：" + next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        # The row lock makes a second save wait, then read the first one's revision.
        consensus = Consensus.objects.select_for_update().filter(group=group).first()
        if consensus is not None and consensus.final:
            raise StateConflict("专家组共识已确认，不能再修改。")
        if (consensus.revision if consensus is not None else 0) != revision:
            raise _stale_consensus(consensus)
        if consensus is None:
            try:
                with transaction.atomic():
                    consensus = Consensus.objects.create(
                        group=group, recorded_by=actor, recorded_at=now()
                    )
            except IntegrityError:  # a first save from another window won the race
                raise _stale_consensus(None) from None
        existing = {c.item_id: c for c in consensus.items.all()}
        for item_id, values in cleaned.items():
            if values["percent"] is None:
                existing.pop(item_id, None)
                ConsensusItem.objects.filter(consensus=consensus, item_id=item_id).delete()
                continue
            row = existing.get(item_id)
            if row is None:
                ConsensusItem.objects.create(consensus=consensus, item_id=item_id, **values)
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.save()
        consensus.comment = comment
        consensus.final = final
        consensus.recorded_by = actor
        consensus.recorded_at = now()
        consensus.score = consensus_score(consensus) if final else None
        consensus.revision = revision + 1
        consensus.save()
        record(
            actor=actor,
            role=Role.EXPERT,
            action="review.consensus.confirm" if final else "review.consensus.save",
            obj=consensus,
            after=consensus_values(consensus),
        )
        if final:  # only a confirmed consensus enters the rater figures
            analytics.changed(group.application.cycle_id)
    return consensus


def _stale_consensus(consensus: Consensus | None) -> StateConflict:
    at = f"（{timezone.localtime(consensus.recorded_at):%H:%M:%S}）" if consensus else ""
    return StateConflict(
        f"专家组共识已在其他窗口保存{at}，本次未保存，已保存的内容未被覆盖。"
        "请复制您刚填写的内容，刷新页面后再保存。",
        code="stale",
    )


def consensus_values(consensus: Consensus) -> dict[str, Any]:
    """What the consensus event carries and `audit_verify --state` compares: the revision, the
    agreed percentage per item code and the stage score (None until confirmed)."""
    items = consensus.items.select_related("item").order_by("item__position")
    return {
        "revision": consensus.revision,
        "items": {c.item.code: c.percent for c in items},
        "score": str(consensus.score) if consensus.score is not None else None,
    }


def consensus_score(consensus: Consensus) -> Decimal:
    """The stage score: the sum of the consensus item points (uses `items__item` when
    prefetched)."""
    return scoring.stage_score((c.item.points, c.percent) for c in consensus.items.all())


# --- site visits, the supervisor's report, feedback (A17.1, A27.1, A28.1) ----------------------


def schedule_site_visit(
    *, actor: User, group: ReviewGroup, starts_on: dt.date, ends_on: dt.date, place: str
) -> SiteVisit:
    """The Office schedules (or moves) the on-site review of an organization inside the 现场评审
    dates, until the visit is recorded, never in a closed year (`schedule_refusal`). Side
    effects: `review.site_visit.schedule`; the organization's contacts and the group's
    supervisor told the dates and the place."""
    _require(actor, "review.manage", group.application.cycle)
    if group.stage != Stage.SITE_REVIEW:
        raise ServiceError("只有现场评审专家组需要安排现场评审。")
    cycle = group.application.cycle
    _refuse(cycle_closed(cycle))
    place = place.strip()
    errors: dict[str, list[str]] = {}
    if not place:
        errors["place"] = ["请填写现场评审地点。"]
    if ends_on < starts_on:
        errors["ends_on"] = ["结束日期不能早于开始日期。"]
    window = stage_dates(cycle, Stage.SITE_REVIEW)
    if window and not (window.starts_on <= starts_on and ends_on <= window.ends_on):
        errors["starts_on"] = [
            f"现场评审应安排在{window.starts_on:%Y-%m-%d}至{window.ends_on:%Y-%m-%d}之间。"
        ]
    if errors:
        raise ServiceError("现场评审未安排：" + next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        visit, created = SiteVisit.objects.select_for_update().get_or_create(
            group=group,
            defaults={
                "starts_on": starts_on,
                "ends_on": ends_on,
                "place": place[:200],
                "scheduled_by": actor,
            },
        )
        if not created:
            _refuse(schedule_refusal(cycle, visit))
            visit.starts_on, visit.ends_on, visit.place = starts_on, ends_on, place[:200]
            visit.save(update_fields=["starts_on", "ends_on", "place"])
        record(
            actor=actor,
            role=Role.OFFICE,
            action="review.site_visit.schedule",
            obj=group,
            after={"starts_on": starts_on, "ends_on": ends_on, "place": place},
        )
        _tell_site_visit(group, visit, moved=not created)
    return visit


SITE_RECORD_FIELDS = {
    "items_verified": "核实的条款",
    "interviews": "访谈情况",
    "evidence_seen": "查阅的证据",
    "issues_found": "发现的问题",
}


def record_site_visit(*, actor: User, visit: SiteVisit, **fields: str) -> SiteVisit:
    """The group leader records what the site visit verified (items, interviews, evidence,
    issues), on or after its first day and until the group's supervisor reports on it, never in
    a closed year (`site_record_refusal`). Side effect: `review.site_visit.record`."""
    group = visit.group
    if not is_leader(actor, group):
        raise PermissionDenied("只有专家组组长可以填写现场评审记录。")
    _refuse(site_record_refusal(group.application.cycle, visit))
    errors: dict[str, list[str]] = {}
    values = {
        key: _text(fields.get(key, ""), label, errors, key)
        for key, label in SITE_RECORD_FIELDS.items()
    }
    if not values["items_verified"]:
        errors.setdefault("items_verified", []).append("请填写核实的条款。")
    if errors:
        raise ServiceError("现场评审记录未保存：" + next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        for key, value in values.items():
            setattr(visit, key, value)
        visit.recorded_by = actor
        visit.recorded_at = now()
        visit.save()
        record(actor=actor, role=Role.EXPERT, action="review.site_visit.record", obj=group)
    return visit


def file_supervisor_report(
    *, actor: User, visit: SiteVisit, group_conduct: str, applicant_conduct: str
) -> SiteVisit:
    """The group's 评审监督员 reports on the group's and the applicant's conduct (A27.1), not in
    a closed year (`report_refusal`). Side effect: `review.site_visit.report`."""
    if visit.group.supervisor_id != actor.pk:
        raise PermissionDenied("只有该组的评审监督员可以提交监督报告。")
    _refuse(report_refusal(visit.group.application.cycle))
    errors: dict[str, list[str]] = {}
    group_conduct = _text(group_conduct, "专家组工作纪律情况", errors, "group_conduct")
    applicant_conduct = _text(applicant_conduct, "申报单位情况", errors, "applicant_conduct")
    if not group_conduct:
        errors.setdefault("group_conduct", []).append("请填写专家组工作纪律情况。")
    if not applicant_conduct:
        errors.setdefault("applicant_conduct", []).append("请填写申报单位配合及廉洁情况。")
    if errors:
        raise ServiceError("监督报告未提交：" + next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        visit.group_conduct, visit.applicant_conduct = group_conduct, applicant_conduct
        visit.reported_by, visit.reported_at = actor, now()
        visit.save()
        record(
            actor=actor, role=Role.SUPERVISOR, action="review.site_visit.report", obj=visit.group
        )
    return visit


def _rating(value: Any, label: str, errors: dict[str, list[str]], key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        errors.setdefault(key, []).append(f"{label}应为1至5分。")
        return 0
    return value


def give_feedback(
    *,
    actor: User,
    application: Application,
    direction: str,
    comments: str = "",
    work_quality: int | None = None,
    integrity: int | None = None,
    discipline: int | None = None,
) -> Feedback:
    """Two-way feedback after the site visit (A28.1), once per direction: the organization rates
    the group's work quality and integrity; the group's leader rates the organization's
    discipline; after the visit's record, never in a closed year (`feedback_refusal`). Side
    effect: `review.feedback.give` (scores not copied into the audit)."""
    group = application.review_groups.filter(stage=Stage.SITE_REVIEW).first()
    visit = SiteVisit.objects.filter(group=group).first() if group else None
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if direction == Feedback.Direction.OF_GROUP:
        if not actor.has_perm("intake.edit_application", application):
            raise PermissionDenied()
        role = Role.APPLICANT
        values["work_quality"] = _rating(work_quality, "工作质量", errors, "work_quality")
        values["integrity"] = _rating(integrity, "廉洁自律", errors, "integrity")
    elif direction == Feedback.Direction.OF_APPLICANT:
        if group is None or not is_leader(actor, group):
            raise PermissionDenied("由现场评审专家组组长代表专家组评价申报单位。")
        role = Role.EXPERT
        values["discipline"] = _rating(discipline, "遵守纪律", errors, "discipline")
    else:
        raise ServiceError("评价方向无效。", fields={"direction": ["无效"]})
    _refuse(feedback_refusal(application.cycle, visit))
    comments = _text(comments, "意见", errors, "comments")
    if errors:
        raise ServiceError("评价未提交：" + next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        feedback, created = Feedback.objects.get_or_create(
            application=application,
            direction=direction,
            defaults=values | {"comments": comments, "given_by": actor, "given_at": now()},
        )
        if not created:
            raise StateConflict("已提交过评价，不能重复提交。")
        record(
            actor=actor,
            role=role,
            action="review.feedback.give",
            obj=application,
            after={"direction": direction},
        )
    return feedback


# --- comprehensive evaluation (A10.2, A10.3, A18.1) --------------------------------------------


def _category_points(consensus: Consensus, rubric: Rubric) -> dict[str, Decimal]:
    points: dict[str, Decimal] = {c["code"]: Decimal(0) for c in rubric.categories}
    for c in consensus.items.all():
        points[c.item.category] = points.get(c.item.category, Decimal(0)) + scoring.item_points(
            c.item.points, c.percent
        )
    return points


def evaluate(*, actor: User, cycle: Cycle) -> list[Evaluation]:
    """Compute every application's final score and rank within its kind (A10.2, A10.3):
    organizations 0.3 material + 0.7 on-site, individuals material alone (weights from the
    policy), rounded once (lib/scoring.py); ties are flagged, never broken. Every application in
    review needs its groups' confirmed consensus. Repeatable until the decision stage. Side
    effects: the Evaluation rows, transitions to 已完成综合评价, `review.evaluate`, the rater
    analytics recomputed once committed."""
    _require(actor, "review.manage", cycle)
    _refuse(evaluate_refusal(cycle))
    policy = cycle.policy
    applications = list(
        Application.objects.filter(
            cycle=cycle, state__in=[State.MATERIAL_REVIEW, State.SITE_REVIEW, State.EVALUATED]
        ).select_related("organization", "individual")
    )
    if not applications:
        raise StateConflict("本年度没有处于评审阶段的申报。")
    consensus = {
        (c.group.application_id, c.group.stage): c
        for c in Consensus.objects.filter(group__application__in=applications, final=True)
        .select_related("group")
        .prefetch_related("items__item")
    }
    rubric_by_kind = {r.applies_to: r for r in Rubric.objects.filter(cycle=cycle)}
    missing = []
    computed: dict[int, dict[str, Any]] = {}
    for a in applications:
        material = consensus.get((a.pk, Stage.MATERIAL_REVIEW.value))
        site = consensus.get((a.pk, Stage.SITE_REVIEW.value))
        if material is None:
            missing.append(f"{a.applicant_name}：材料评审共识未确认")
            continue
        rubric = rubric_by_kind[a.kind]
        if a.kind == Kind.ORGANIZATION:
            if site is None:
                missing.append(f"{a.applicant_name}：现场评审共识未确认")
                continue
            weights = [
                (material, policy.weight_material_organization),
                (site, policy.weight_site_organization),
            ]
        else:
            weights = [(material, policy.weight_material_individual)]
        stage_scores = [(consensus_score(c), w) for c, w in weights]
        category = {code: Decimal(0) for code in (c["code"] for c in rubric.categories)}
        for c, w in weights:
            for code, pts in _category_points(c, rubric).items():
                category[code] += pts * w / 100
        computed[a.pk] = {
            "material_score": stage_scores[0][0],
            "site_score": stage_scores[1][0] if len(stage_scores) > 1 else None,
            "material_weight": weights[0][1],
            "site_weight": weights[1][1] if len(weights) > 1 else 0,
            "final_score": scoring.final_score(stage_scores),
            "category_percents": {
                c["code"]: float(
                    (category[c["code"]] * 100 / c["points"]).quantize(scoring.FINAL_PLACES)
                )
                for c in rubric.categories
            },
        }
    if missing:
        raise ServiceError(
            f"{len(missing)}项申报尚不能综合评价：" + "；".join(missing[:5]),
            fields={"applications": missing},
        )
    results = []
    at = now()
    for kind in Kind.values:
        ranked = scoring.rank(
            {a.pk: computed[a.pk]["final_score"] for a in applications if a.kind == kind}
        )
        results += [
            Evaluation(
                application_id=r.key,
                rank=r.rank,
                tied=r.tied,
                evaluated_by=actor,
                evaluated_at=at,
                **computed[r.key],
            )
            for r in ranked
        ]
    with transaction.atomic():
        # Recomputed as a whole: the previous evaluation of these applications is replaced.
        Evaluation.objects.filter(application__in=applications).delete()
        Evaluation.objects.bulk_create(results)
        transition_all([a for a in applications if a.state != State.EVALUATED], "evaluate")
        record(
            actor=actor,
            role=Role.OFFICE,
            action="review.evaluate",
            obj=cycle,
            after={
                "evaluated": len(results),
                "ties": sum(1 for e in results if e.tied),
                # Each application's result, by its id (what `audit_verify --state` compares).
                "results": {str(e.application_id): evaluation_values(e) for e in results},
            },
        )
        analytics.changed(cycle.pk)
    return results


def evaluation_values(evaluation: Evaluation) -> dict[str, Any]:
    """An application's 综合评价 as its event carries it."""
    return {
        "material_score": str(evaluation.material_score),
        "site_score": str(evaluation.site_score) if evaluation.site_score is not None else None,
        "final_score": str(evaluation.final_score),
        "rank": evaluation.rank,
        "tied": evaluation.tied,
    }


# --- reminders before a scoring deadline (A11.1, A17.1) ------------------------------------------


def send_scoring_reminders(on: dt.date | None = None) -> tuple[int, list[str]]:
    """Remind each expert whose cards of an open stage are not yet submitted once
    `REMINDER_WORKDAYS` working days or fewer remain after `on` before the stage's last day
    (working days from `programs.selectors.work_calendar`). Each card is reminded once per
    deadline (`ScoringReminder`), so running it again, or daily from cron (`remind_experts`),
    sends nothing twice. Closed years are skipped. Returns how many experts were told and the
    stages left out because the calendar does not know their year."""
    on = on or today()
    calendar = work_calendar()
    phases = (
        ReviewPhase.objects.filter(state=ReviewPhase.State.OPEN)
        .exclude(cycle__status=Cycle.Status.CLOSED)
        .select_related("cycle")
        .prefetch_related("cycle__stages")
    )
    told, unknown = 0, []
    for phase in phases:
        cycle, stage = phase.cycle, Stage(phase.stage)
        last = deadline(cycle, stage)
        if last is None or on > last:
            continue
        try:
            left = calendar.count_workdays(on + dt.timedelta(days=1), last)
        except UnknownCalendarYear as exc:
            unknown.append(f"{cycle.year}年度{stage.label}：{exc}")
            continue
        if left > REMINDER_WORKDAYS:
            continue
        due = (
            Assignment.objects.filter(
                removed_at__isnull=True,
                group__stage=stage,
                group__application__cycle=cycle,
                group__application__state=STAGE_STATE[stage],
            )
            .exclude(scorecard__state=Scorecard.State.SUBMITTED)
            .exclude(pk__in=ScoringReminder.objects.filter(deadline=last).values("assignment_id"))
            .select_related(
                "expert__user",
                "group__application__organization",
                "group__application__individual",
            )
            .order_by("group__application_id")
        )
        for user, assignments in _by_expert(due).items():
            try:
                with transaction.atomic():
                    # The rows first: a second run racing this one fails here and sends nothing.
                    ScoringReminder.objects.bulk_create(
                        ScoringReminder(assignment=a, deadline=last, sent_at=now())
                        for a in assignments
                    )
                    notify(
                        users=[user],
                        subject=f"评分截止提醒：{stage.label}{_day(last)}截止",
                        body=(
                            f"{cycle.year}年度{cycle.program.name}{stage.label}评分将于{_day(last)}"
                            f"（含当日）截止。您尚未提交以下申报的评分表：{_names(assignments)}。"
                            "请按时完成并提交；截止后评分表不能再保存或提交。"
                        ),
                        url=reverse("experts:mine"),
                    )
            except IntegrityError:
                continue
            told += 1
    return told, unknown
