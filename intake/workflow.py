"""The application's workflow as one table: what may happen to an application, by whom, when.

Each `Action` names the states it starts from, the state it leads to (None for an act that keeps
the state, such as asking for an expert's recusal), the permission (a django-rules predicate
asked with the application), the window of the cycle in which it is allowed (from the cycle's
stage dates), the article of the Measures it carries out, and who is told when it happens.

Three functions use the table, and nothing else decides these questions:

- `allowed_actions(application, user, on)`: what this person may do now, and for what their role
  could do but the calendar forbids, why ("资格审查已于2026年5月29日结束"). Pages, the API
  (`GET /api/v1/applications/{id}/actions`) and the workbench ask it.
- `require(application, action, user, on)`: the services' check; it raises what
  `allowed_actions` would have shown, so a page never offers what the service refuses.
- `transition` / `transition_all`: the only code that assigns `Application.state`: a conditional
  UPDATE (a double click or a second clerk gets a clear conflict), a `StateChange` row for the
  办件进度 timeline, and the table's notifications, in the caller's transaction (the caller
  writes its audit event in the same transaction).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet

from accounts.models import Role, RoleAssignment, User
from lib import workflow as lib
from lib.workflow import Action, Option, refusals
from programs import windows
from programs.models import Cycle, CycleStage, Stage
from programs.selectors import now, today
from programs.windows import stage_dates

from .models import Application, Kind, State, StateChange

__all__ = ["Action", "Option", "refusals", "stage_dates"]


class Party(enum.StrEnum):
    """Who hears of a transition (accounts.services.notify_each: inbox and e-mail)."""

    APPLICANT = "applicant"
    UNIT = "unit"
    OFFICE = "office"


PARTY_LABELS = {
    Party.APPLICANT: "申报人",
    Party.UNIT: "推荐单位审核人",
    Party.OFFICE: "委员会办公室",
}


@dataclass(frozen=True)
class Notice:
    """One message of a transition: to whom, its subject and body (str.format with the
    application's facts: name, year, reason, unit, version, deadline)."""

    party: Party
    subject: str
    body: str


def recommendation_deadline(cycle: Cycle) -> dt.date | None:
    """A15.3: recommendations reach the Office before 资格审查 starts: the day before it (the
    end of 申报推荐 when the cycle has no 资格审查 dates)."""
    qualification = stage_dates(cycle, Stage.QUALIFICATION)
    if qualification is not None:
        return qualification[0] - dt.timedelta(days=1)
    application = stage_dates(cycle, Stage.APPLICATION)
    return application[1] if application else None


def _recommendation_window(application: Application, on: dt.date) -> str | None:
    cycle = application.cycle
    if reason := windows.closed(cycle):
        return reason
    due = recommendation_deadline(cycle)
    if due is None:
        return f"{cycle.year}年度尚未发布申报推荐的时间安排。"
    if on > due:
        return f"推荐截止日期为{windows.day(due)}，已过期。"
    return None


# The last day on which each waiting state can still be worked on; past it the application is
# 逾期 (overdue): no one's to-do any more, and the Office closes it (`lapse`).
DUE_BY: dict[State, Callable[[Cycle], dt.date | None]] = {
    State.DRAFT: lambda c: (stage_dates(c, Stage.APPLICATION) or (None, None))[1],
    State.RETURNED: lambda c: (stage_dates(c, Stage.APPLICATION) or (None, None))[1],
    State.SUBMITTED: recommendation_deadline,
    State.RECOMMENDED: lambda c: (stage_dates(c, Stage.QUALIFICATION) or (None, None))[1],
}


def due_date(application: Application) -> dt.date | None:
    """The day by which the application's current step must be done, or None (no deadline)."""
    rule = DUE_BY.get(State(application.state))
    return rule(application.cycle) if rule else None


def is_overdue(application: Application, on: dt.date | None = None) -> bool:
    due = due_date(application)
    return due is not None and (on or today()) > due


def _cycles(stage: Stage, **dates: dt.date) -> QuerySet[CycleStage, Any]:
    """The cycles whose `stage` has these dates: an uncorrelated subquery, computed once (a
    correlated EXISTS per application cost PostgreSQL 0.47 s at 10,000 applications)."""
    return CycleStage.objects.filter(stage=stage, **dates).values("cycle_id")


def _late(state: State, on: dt.date) -> Q:
    """The cycles in which an application waiting in `state` is past its step's deadline on
    `on` (`DUE_BY` as a query), or no cycle for a state without a deadline."""
    application_over = Q(cycle_id__in=_cycles(Stage.APPLICATION, ends_on__lt=on))
    if state in (State.DRAFT, State.RETURNED):
        return application_over
    if state == State.SUBMITTED:
        return Q(cycle_id__in=_cycles(Stage.QUALIFICATION, starts_on__lte=on)) | (
            ~Q(cycle_id__in=_cycles(Stage.QUALIFICATION)) & application_over
        )
    if state == State.RECOMMENDED:
        return Q(cycle_id__in=_cycles(Stage.QUALIFICATION, ends_on__lt=on))
    return Q(pk__in=[])


def overdue_q(on: dt.date) -> Q:
    """`is_overdue` as a query (the same deadlines as `DUE_BY`; a test holds the two equal):
    lists and the workbench count without loading the applications."""
    return (
        (Q(state__in=[State.DRAFT, State.RETURNED]) & _late(State.DRAFT, on))
        | (Q(state=State.SUBMITTED) & _late(State.SUBMITTED, on))
        | (Q(state=State.RECOMMENDED) & _late(State.RECOMMENDED, on))
    )


def in_time_q(state: State, on: dt.date) -> Q:
    """The applications waiting in `state` whose step is not overdue on `on`: somebody's to-do
    (`Q(state=state) & ~overdue_q(on)` with only that state's deadline, one or three subqueries
    for the ORM to build where the whole rule has five; issue 17 part 3)."""
    return Q(state=state) & ~_late(state, on)


def _overdue(application: Application, on: dt.date) -> str | None:
    due = due_date(application)
    if due is None or on <= due:
        return "该申报尚未逾期，不能按逾期办结。" + (
            f"（办理期限：{windows.day(due)}）" if due else ""
        )
    return None


S = State
_LIVE = frozenset(
    {
        S.SUBMITTED,
        S.RETURNED,
        S.RECOMMENDED,
        S.ACCEPTED,
        S.MATERIAL_REVIEW,
        S.SITE_REVIEW,
        S.EVALUATED,
        S.PROPOSED,
        S.IN_NOTICE,
    }
)
_RESULT = "{year}年度市长质量奖申报"

ACTIONS: tuple[Action, ...] = (
    # --- 申报推荐 (A15) ---
    Action(
        "edit", "填写申报表", frozenset({S.DRAFT, S.RETURNED}), None,
        "intake.edit_application", Role.APPLICANT, "A15.2",
        windows.until_end_of(Stage.APPLICATION), "申报推荐阶段结束前",
    ),
    Action(
        "submit", "提交申报", frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED,
        "intake.edit_application", Role.APPLICANT, "A15.2",
        windows.within(Stage.APPLICATION), "申报推荐阶段内",
        (Notice(Party.UNIT, "待推荐：{name}提交了{year}年度市长质量奖申报",
                "{name}已提交申报（第{version}版），请于{deadline}前审核并签署推荐意见或退回修改。"),),
    ),
    Action(
        "withdraw", "撤回申报", frozenset({S.DRAFT}) | _LIVE, S.WITHDRAWN,
        "intake.edit_application", Role.APPLICANT, "A3.1",
        windows.open_cycle(), "年度结束前",
        (Notice(Party.UNIT, "已撤回：{name}的申报",
                "{name}已撤回{year}年度市长质量奖申报。{reason}"),),
    ),
    Action(
        "recommend", "签署推荐意见", frozenset({S.SUBMITTED}), S.RECOMMENDED,
        "intake.recommend_application", Role.RECOMMENDER, "A15.3",
        _recommendation_window, "资格审查开始前一日止",
        (Notice(Party.APPLICANT, "已推荐：{name}的申报", "{unit}已签署推荐意见：{reason}"),
         Notice(Party.OFFICE, "已推荐：{name}的申报",
                "{unit}已签署推荐意见，请进行资格审查：{reason}")),
    ),
    # A return is useful only while the applicant can submit again: inside 申报推荐.
    Action(
        "return", "退回修改", frozenset({S.SUBMITTED}), S.RETURNED,
        "intake.recommend_application", Role.RECOMMENDER, "A15.3",
        windows.within(Stage.APPLICATION), "申报推荐阶段内（退回后申报人须能重新提交）",
        (Notice(Party.APPLICANT, "退回修改：" + _RESULT,
                "您的申报被{unit}退回修改，理由：{reason}。请于{deadline}前修改后重新提交。"),),
    ),
    # --- 资格审查 (A16) ---
    Action(
        "office_return", "退回补正", frozenset({S.RECOMMENDED}), S.RETURNED,
        "intake.decide_application", Role.OFFICE, "A16.1",
        windows.within(Stage.APPLICATION), "申报推荐阶段内（退回后申报人须能重新提交）",
        (Notice(Party.APPLICANT, "退回修改：" + _RESULT,
                "您的申报被委员会办公室退回补正，理由：{reason}。请于{deadline}前修改后重新提交。"),),
    ),
    Action(
        "accept", "受理", frozenset({S.RECOMMENDED}), S.ACCEPTED,
        "intake.decide_application", Role.OFFICE, "A16.1",
        windows.within(Stage.QUALIFICATION), "资格审查阶段内",
        (Notice(Party.APPLICANT, "已受理：" + _RESULT,
                "您的{year}年度市长质量奖申报已受理，材料评审开始时将另行通知。{reason}"),
         Notice(Party.UNIT, "已受理：{name}的申报", "贵单位推荐的{name}的申报已受理。")),
    ),
    Action(
        "not_accept", "不予受理", frozenset({S.RECOMMENDED}), S.NOT_ACCEPTED,
        "intake.decide_application", Role.OFFICE, "A16.1",
        windows.within(Stage.QUALIFICATION), "资格审查阶段内",
        (Notice(Party.APPLICANT, "不予受理：" + _RESULT,
                "您的{year}年度市长质量奖申报不予受理。理由：{reason}（依据：{articles}）。"),
         Notice(Party.UNIT, "不予受理：{name}的申报",
                "贵单位推荐的{name}的申报不予受理。理由：{reason}（依据：{articles}）。")),
    ),
    Action(
        "correct_to_accepted", "更正为受理", frozenset({S.NOT_ACCEPTED}), S.ACCEPTED,
        "intake.decide_application", Role.OFFICE, "A16.1",
        windows.before(Stage.MATERIAL_REVIEW), "材料评审开始前",
        (Notice(Party.APPLICANT, "已受理：" + _RESULT,
                "委员会办公室更正了资格审查决定：您的{year}年度市长质量奖申报已受理。更正理由：{reason}"),
         Notice(Party.UNIT, "已受理：{name}的申报", "{name}的申报经更正已受理。")),
    ),
    Action(
        "correct_to_not_accepted", "更正为不予受理", frozenset({S.ACCEPTED}), S.NOT_ACCEPTED,
        "intake.decide_application", Role.OFFICE, "A16.1",
        windows.before(Stage.MATERIAL_REVIEW), "材料评审开始前",
        (Notice(Party.APPLICANT, "不予受理：" + _RESULT,
                "委员会办公室更正了资格审查决定：您的{year}年度市长质量奖申报不予受理。"
                "理由：{reason}（依据：{articles}）。"),
         Notice(Party.UNIT, "不予受理：{name}的申报", "{name}的申报经更正不予受理。")),
    ),
    Action(
        "lapse", "按逾期未受理办结", frozenset({S.SUBMITTED, S.RETURNED, S.RECOMMENDED}), S.LAPSED,
        "intake.decide_application", Role.OFFICE, "A15.2",
        _overdue, "该步骤的办理期限过后",
        (Notice(Party.APPLICANT, "逾期未受理：" + _RESULT,
                "您的{year}年度市长质量奖申报未在办理期限内完成{step}，按逾期未受理办结。{reason}"),
         Notice(Party.UNIT, "逾期未受理：{name}的申报",
                "{name}的申报未在办理期限内完成{step}，按逾期未受理办结。")),
        quiet=True,
    ),
    # A26.1: the applicant names people who should not review it, before the review starts.
    Action(
        "request_recusal", "申请专家回避",
        frozenset({S.SUBMITTED, S.RETURNED, S.RECOMMENDED, S.ACCEPTED}), None,
        "intake.edit_application", Role.APPLICANT, "A26.1",
        windows.before(Stage.MATERIAL_REVIEW), "材料评审开始前",
    ),
    # --- 材料评审, 现场评审, 综合评价 (review.services, for all accepted applications) ---
    Action(
        "start_material_review", "开始材料评审", frozenset({S.ACCEPTED}), S.MATERIAL_REVIEW,
        "review.manage", Role.OFFICE, "A17.1", windows.open_cycle(), "材料评审开放评分时",
        (Notice(Party.APPLICANT, "材料评审开始：" + _RESULT,
                "您的申报已进入材料评审，专家组将依据评价准则评审申报材料。"),),
        batch=True,
    ),
    Action(
        "start_site_review", "开始现场评审", frozenset({S.MATERIAL_REVIEW}), S.SITE_REVIEW,
        "review.manage", Role.OFFICE, "A17.1", windows.open_cycle(), "现场评审开放评分时",
        (Notice(Party.APPLICANT, "现场评审：" + _RESULT,
                "您的申报已进入现场评审，现场评审的日期另行通知。"),),
        batch=True,
    ),
    Action(
        "evaluate", "综合评价", frozenset({S.MATERIAL_REVIEW, S.SITE_REVIEW}), S.EVALUATED,
        "review.manage", Role.OFFICE, "A18.1", windows.open_cycle(), "综合评价时",
        (Notice(Party.APPLICANT, "综合评价完成：" + _RESULT,
                "您的申报已完成综合评价，评审反馈报告可在申报页面下载。结果将经委员会审定后公示。"),),
        batch=True,
    ),
    # --- 审定, 公示, 批准 (decision.services) ---
    Action(
        "propose", "列入拟奖建议名单", frozenset({S.EVALUATED}), S.PROPOSED,
        "decision.manage", Role.OFFICE, "A19.1", windows.open_cycle(), "委员会审定时",
        (Notice(Party.APPLICANT, "拟奖：" + _RESULT,
                "您的申报经委员会审定列入拟奖建议名单，报市政府批准后公示。"),),
        batch=True,
    ),
    Action(
        "notice", "公示", frozenset({S.PROPOSED}), S.IN_NOTICE,
        "decision.manage", Role.OFFICE, "A20.1", windows.open_cycle(), "公示开始时",
        (Notice(Party.APPLICANT, "公示：" + _RESULT, "拟奖名单已公示，您的申报在公示名单中。"),
         Notice(Party.UNIT, "公示：{name}", "贵单位推荐的{name}已列入拟奖公示名单。")),
        batch=True,
    ),
    Action(
        "award", "获奖", frozenset({S.IN_NOTICE}), S.AWARDED,
        "decision.manage", Role.OFFICE, "A20.2", windows.open_cycle(), "公告时",
        (Notice(Party.APPLICANT, "获奖：" + _RESULT,
                "祝贺！市政府已公告{year}年度市长质量奖获奖名单，您名列其中。"
                "证书可在“我的获奖”中下载；获奖后请履行《办法》第二十三条的报告义务。"),
         Notice(Party.UNIT, "获奖：{name}",
                "贵单位推荐的{name}在{year}年度市长质量奖评审中获奖。")),
        batch=True,
    ),
    Action(
        "not_award", "未获奖", frozenset({S.EVALUATED, S.PROPOSED, S.IN_NOTICE}), S.NOT_AWARDED,
        "decision.manage", Role.OFFICE, "A20.2", windows.open_cycle(), "公告时，或异议成立时",
        (Notice(Party.APPLICANT, "未获奖：" + _RESULT,
                "{year}年度市长质量奖评审已结束，您的申报未获奖。评审反馈报告可在申报页面下载。"),
         Notice(Party.UNIT, "未获奖：{name}", "贵单位推荐的{name}未获{year}年度市长质量奖。")),
        batch=True,
    ),
    # --- after the award and for fraud (supervision.services) ---
    Action(
        "revoke", "撤销称号", frozenset({S.AWARDED}), S.REVOKED,
        "supervision.manage", Role.OFFICE, "A23.2", lib.anytime, "获奖后任何时候（委员会决定）",
        (Notice(Party.APPLICANT, "撤销称号：" + _RESULT,
                "经质量发展委员会决定，撤销您{year}年度市长质量奖称号。{reason}"),
         Notice(Party.UNIT, "撤销称号：{name}", "{name}的{year}年度市长质量奖称号已被撤销。")),
        batch=True,
    ),
    Action(
        "disqualify", "撤销申报资格", _LIVE, S.DISQUALIFIED,
        "supervision.manage", Role.OFFICE, "A29.1", lib.anytime, "查实弄虚作假时",
        (Notice(Party.APPLICANT, "撤销申报资格：" + _RESULT,
                "经查实存在弄虚作假行为，撤销您{year}年度市长质量奖申报资格。{reason}"),
         Notice(Party.UNIT, "撤销申报资格：{name}", "{name}的{year}年度申报资格已被撤销。")),
        batch=True,
    ),
)  # fmt: skip


def _applies(action: Action, application: Any) -> bool:
    if action.name == "start_site_review":
        return bool(application.kind == Kind.ORGANIZATION)  # A10.3: individuals skip 现场评审
    return True


TABLE: lib.Table[Application] = lib.Table(
    Application,
    "state",
    dict(State.choices),
    ACTIONS,
    noun="该申报",
    applies=_applies,
    clock=today,
)

# What each waiting state asks of someone, for the overdue message (`lapse`).
STEP = {
    S.DRAFT: "提交",
    S.SUBMITTED: "推荐",
    S.RETURNED: "修改并重新提交",
    S.RECOMMENDED: "资格审查",
}


def allowed_actions(
    application: Application, user: Any, on: dt.date | None = None
) -> dict[str, Option]:
    """What `user` may do on `application` on day `on` (today by default), and why not."""
    return TABLE.allowed_actions(application, user, on)


def require(application: Application, name: str, user: Any, on: dt.date | None = None) -> Action:
    """The services' check (permission, state, window), from the same rows."""
    return TABLE.require(application, name, user, on)


# --- moving ----------------------------------------------------------------------------------


def transition(application: Application, name: str, /, *, notes: dict[str, str] | None = None,
               **fields: Any) -> State:  # fmt: skip
    """Move the application by action `name` with a conditional UPDATE (when another person or
    a double click moved it first, nothing is written and the caller is told), record the
    `StateChange` and send the table's notices. Returns the state it left. The caller has
    checked permission and window (`require`) and writes its audit event in the same
    transaction. `notes` fills the notices' {reason}, {articles}, ... placeholders."""
    before = State(TABLE.move(application, name, **fields))
    StateChange.objects.create(
        application=application,
        action=name,
        from_state=before,
        to_state=application.state,
        at=now(),
    )
    _send(TABLE[name], [(application, before)], notes or {})
    return before


def transition_all(
    applications: list[Application], name: str, *, notes: dict[str, str] | None = None
) -> None:
    """`transition` for many applications in one conditional UPDATE: all move, or none does
    and the caller is told (one of them was moved by someone else meanwhile)."""
    if not applications:
        return
    moved = list(zip(applications, map(State, TABLE.move_all(applications, name)), strict=True))
    at = now()
    StateChange.objects.bulk_create(
        StateChange(application=a, action=name, from_state=before, to_state=a.state, at=at)
        for a, before in moved
    )
    _send(TABLE[name], moved, notes or {})


def _offices(applications: list[Application]) -> dict[int, list[User]]:
    """The Office of each application's program, by cycle (one query): a clerk of another
    program is told nothing of it (decision 0030)."""
    from accounts.models import RoleAssignment

    found: dict[int, list[User]] = {}
    rows = (
        RoleAssignment.objects.filter(
            role=Role.OFFICE,
            user__is_active=True,
            program__cycles__in={a.cycle_id for a in applications},
        )
        .annotate(cycle_pk=F("program__cycles"))
        .select_related("user")
        .order_by("user_id")
    )
    for row in rows:
        users = found.setdefault(row.cycle_pk, [])
        if row.user not in users:
            users.append(row.user)
    return found


def _send(action: Action, moved: list[tuple[Application, State]], notes: dict[str, str]) -> None:
    """The action's notices for each moved application, in one inbox insert (three queries
    whatever the number of applications: contacts, unit reviewers, the Office)."""
    from accounts.services import notify_each

    if not action.notices or not moved:
        return
    if action.name == "withdraw":  # a draft was never seen by the unit
        moved = [(a, before) for a, before in moved if before != State.DRAFT]
    applications = [a for a, _ in moved]
    parties = {n.party for n in action.notices}
    contacts = _contacts(applications) if Party.APPLICANT in parties else {}
    reviewers = _unit_reviewers(applications) if Party.UNIT in parties else {}
    office = _offices(applications) if Party.OFFICE in parties else {}
    messages = []
    for application, before in moved:
        facts = _facts(application, before, notes)
        for notice in action.notices:
            users = {
                Party.APPLICANT: contacts.get(application.pk, []),
                Party.UNIT: reviewers.get(application.recommending_unit_id, []),
                Party.OFFICE: office.get(application.cycle_id, []),
            }[notice.party]
            url = (
                f"/applications/{application.public_id}/"
                if notice.party != Party.APPLICANT or application.state != State.AWARDED
                else "/supervision/my-award/"
            )
            messages.append(
                (
                    users,
                    notice.subject.format(**facts),
                    " ".join(notice.body.format(**facts).split()),
                    url,
                )
            )
    notify_each(messages)


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _facts(application: Application, before: State, notes: dict[str, str]) -> _Facts:
    cycle = application.cycle
    due = DUE_BY.get(State(application.state))
    deadline = due(cycle) if due else None
    facts = _Facts(
        name=application.applicant_name,
        year=str(cycle.year),
        unit=str(application.recommending_unit) if application.recommending_unit_id else "",
        version=str(application.version),
        deadline=windows.day(deadline) if deadline else "规定期限",
        step=STEP.get(before, ""),
    )
    facts.update(notes)
    reason = facts.get("reason", "").strip()
    if reason and not reason.endswith(("。", "！", "？", "）")):
        reason += "。"
    facts["reason"] = reason
    return facts


def _contacts(applications: Iterable[Application]) -> dict[int, list[User]]:
    """Who speaks for each application: its organization's contacts, or the person (one query
    for the organizations; the individuals come with the application)."""
    result: dict[int, list[User]] = {}
    by_org: dict[int, list[int]] = {}
    for a in applications:
        if a.individual_id is not None:
            result[a.pk] = [a.individual.user]  # type: ignore[union-attr]
        elif a.organization_id is not None:
            by_org.setdefault(a.organization_id, []).append(a.pk)
    if by_org:
        rows = RoleAssignment.objects.filter(
            role=Role.APPLICANT, organization_id__in=by_org
        ).select_related("user")
        for row in rows:
            for pk in by_org[row.organization_id]:  # type: ignore[index]
                result.setdefault(pk, []).append(row.user)
    return result


def _unit_reviewers(applications: Iterable[Application]) -> dict[int, list[User]]:
    units = {a.recommending_unit_id for a in applications}
    result: dict[int, list[User]] = {}
    rows = RoleAssignment.objects.filter(
        role=Role.RECOMMENDER, recommending_unit_id__in=units
    ).select_related("user")
    for row in rows:
        result.setdefault(row.recommending_unit_id, []).append(row.user)  # type: ignore[arg-type]
    return result


# --- documentation ---------------------------------------------------------------------------

_WHO: dict[str, str] = {
    Role.APPLICANT: "申报人",
    Role.RECOMMENDER: "推荐单位审核人",
    Role.OFFICE: "委员会办公室",
}


def markdown() -> str:
    """The table and the notification matrix as docs/workflow.md shows them (generated: a test
    holds the document equal to this)."""

    def told(action: Action) -> str:
        return "、".join(PARTY_LABELS[n.party] for n in action.notices) or "—"

    lines = [TABLE.markdown(_WHO, told), "| 通知对象 | 操作与消息标题 |", "|---|---|"]
    for party in Party:
        rows = [
            f"{a.label}：“{n.subject.format_map(_Sample())}”"
            for a in ACTIONS
            for n in a.notices
            if n.party == party
        ]
        lines.append(f"| {PARTY_LABELS[party]} | {'；'.join(rows)} |")
    return "\n".join(lines) + "\n"


class _Sample(dict[str, str]):
    """Placeholders as the document shows them: {name} -> 〈申报人〉."""

    def __missing__(self, key: str) -> str:
        return {"name": "〈申报人〉", "year": "〈年度〉"}.get(key, f"〈{key}〉")
