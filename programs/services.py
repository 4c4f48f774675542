"""Actions on programs, cycles and the work calendar: one function per thing the Office does."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import yaml
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from audit.services import record
from lib import rubrics
from lib.certificates import BadSeal, check_seal
from lib.errors import PermissionDenied, ServiceError, StateConflict
from lib.files import PNG, RejectedFile, check_upload
from lib.workdays import ArrangementDay, UnknownCalendarYear

from . import packs
from .models import (
    Announcement,
    AwardProgram,
    Cycle,
    CycleStage,
    HolidayArrangement,
    HolidayDay,
    Policy,
    Seal,
    Stage,
)
from .selectors import now, work_calendar
from .workflow import TABLE

StageDates = Mapping[Stage, tuple[dt.date, dt.date]]


def _require(actor: User, perm: str, obj: Any = None) -> None:
    """The permission, in the program of `obj` when given (a program, a cycle: decision 0030),
    else in the current program."""
    if not actor.has_perm(perm, obj):
        raise PermissionDenied()


def latest_policy(program: AwardProgram, *, on: dt.date) -> Policy:
    policy = program.policies.filter(effective_on__lte=on).order_by("-effective_on").first()
    if policy is None:
        raise ServiceError(f"{program}在{on}尚无施行的管理办法，请先录入。", code="no_policy")
    return policy


def create_cycle(
    *,
    actor: User,
    program: AwardProgram,
    year: int,
    policy: Policy | None = None,
    work_plan: str = "",
) -> Cycle:
    """Open the year's cycle (A5.1: one per program and year) in status draft.

    Preconditions: the actor is Office staff; no cycle exists for that year; a policy is in force
    on 1 January of the year unless one is given. Side effects: the cycle and a
    `programs.cycle.create` audit event.
    """
    _require(actor, "programs.manage_cycle", program)
    if not 2000 <= year <= 2100:
        raise ServiceError("年度应在2000至2100之间。", fields={"year": ["年度无效"]})
    policy = policy or latest_policy(program, on=dt.date(year, 1, 1))
    if policy.program_id != program.pk:
        raise ServiceError("所选管理办法不属于该奖项。", fields={"policy": ["不属于该奖项"]})
    if Cycle.objects.filter(program=program, year=year).exists():
        raise StateConflict(
            f"{program.name}{year}年度已存在：每年评定一次（《办法》第五条）。", article="A5.1"
        )
    try:
        with transaction.atomic():
            cycle = Cycle(program=program, year=year, policy=policy, work_plan=work_plan)
            cycle.full_clean(validate_constraints=False)
            cycle.save()
            record(
                actor=actor,
                role=Role.OFFICE,
                action="programs.cycle.create",
                obj=cycle,
                after={"year": year, "policy": policy.document_number, "status": cycle.status},
            )
    except IntegrityError as exc:  # a second clerk created it between the check and the insert
        raise StateConflict(
            f"{program.name}{year}年度已存在：每年评定一次（《办法》第五条）。", article="A5.1"
        ) from exc
    return cycle


def _stage_errors(cycle: Cycle, dates: StageDates) -> tuple[dict[str, list[str]], str]:
    """Every problem with a cycle's dates, per stage field (all reported at once), and the
    requirement refused: A11.1 (stages and their order) unless only the notice's length is."""
    errors: dict[str, list[str]] = {}
    missing = [s for s in Stage.ordered() if s not in dates]
    for stage in missing:
        errors.setdefault(stage.value, []).append(
            f"缺少“{stage.label}”阶段的日期：评审须按第十一条的程序进行，不得跳过。"
        )
    previous: tuple[Stage, dt.date] | None = None
    for stage in Stage.ordered():
        if stage not in dates:
            continue
        start, end = dates[stage]
        if end < start:
            errors.setdefault(stage.value, []).append(f"“{stage.label}”的结束日期早于开始日期。")
        if previous and start <= previous[1]:
            errors.setdefault(stage.value, []).append(
                f"“{stage.label}”应在“{previous[0].label}”结束（{previous[1]:%Y-%m-%d}）之后开始。"
            )
        previous = (stage, end)
    if Stage.APPLICATION in dates and dates[Stage.APPLICATION][0].year != cycle.year:
        errors.setdefault(Stage.APPLICATION.value, []).append(
            f"申报推荐应在{cycle.year}年内开始（第十五条：每年年初公布本年度申报日期）。"
        )
    article = "A11.1"
    if Stage.NOTICE in dates and not errors.get(Stage.NOTICE.value):
        article = "A11.1" if errors else "A20.1"
        start, end = dates[Stage.NOTICE]
        needed = cycle.policy.notice_working_days
        try:
            days = work_calendar().count_workdays(start, end)
        except UnknownCalendarYear as exc:
            errors.setdefault(Stage.NOTICE.value, []).append(str(exc))
        else:
            if days < needed:
                errors.setdefault(Stage.NOTICE.value, []).append(
                    f"公示期{start:%Y-%m-%d}至{end:%Y-%m-%d}仅含{days}个工作日，"
                    f"《办法》第二十条规定公示时间不少于{needed}个工作日。"
                )
    return errors, article


def set_cycle_dates(*, actor: User, cycle: Cycle, dates: StageDates, reason: str = "") -> Cycle:
    """Set the dates of every stage of article 11 for a cycle.

    Preconditions: Office staff; the cycle is not closed; all eight stages given, each ending on
    or after its start, each starting after the previous one ends; the notice holds at least the
    policy's working days (A20.1) by the work calendar. Changing the dates of a published cycle
    needs a reason, since applicants rely on them. Permission and state are the workflow
    table's (`programs.workflow`, action `set_dates`). Side effects: the stage rows and a
    `programs.cycle.set_dates` audit event with the old and new dates.
    """
    TABLE.require(cycle, "set_dates", actor)
    if cycle.status == Cycle.Status.PUBLISHED and not reason.strip():
        raise ServiceError(
            "申报通知已发布，修改日期须填写理由。", fields={"reason": ["请填写修改理由"]}
        )
    errors, article = _stage_errors(cycle, dates)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(first, code="invalid_dates", article=article, fields=errors)
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.status != cycle.status:  # another clerk published or closed it meanwhile
            raise StateConflict(f"{cycle}的状态已被他人更改，请刷新后重试。")
        before = {s.stage: [s.starts_on, s.ends_on] for s in locked.stages.all()}
        for stage, (start, end) in dates.items():
            CycleStage.objects.update_or_create(
                cycle=locked, stage=stage, defaults={"starts_on": start, "ends_on": end}
            )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="programs.cycle.set_dates",
            obj=locked,
            before=before or None,
            after={stage.value: [start, end] for stage, (start, end) in dates.items()},
            reason=reason,
        )
    return cycle


def _cn_date(day: dt.date) -> str:
    """2026年3月2日: official documents do not pad months and days."""
    return f"{day.year}年{day.month}月{day.day}日"


def _call_text(cycle: Cycle) -> str:
    lines = [
        f"根据《{cycle.policy.title}》，现将{cycle.year}年度{cycle.program.name}申报评审工作安排公布如下。",
        "",
    ]
    for s in sorted(cycle.stages.all(), key=lambda s: s.order):
        lines.append(f"{Stage(s.stage).label}：{_cn_date(s.starts_on)}至{_cn_date(s.ends_on)}")
    lines += [
        "",
        "符合条件的组织和个人根据自愿原则，提交《申报表》、自我评价报告和证明性材料，"
        "经所在镇（区、街道）政府（管委会、办事处）办公室或其他推荐单位审核并签署推荐意见后，"
        "在规定时限内报委员会办公室。评审不收取任何费用。",
    ]
    if cycle.work_plan.strip():
        lines += ["", cycle.work_plan.strip()]
    lines += ["", cycle.program.office_name]
    return "\n".join(lines)


def publish_call(*, actor: User, cycle: Cycle) -> Announcement:
    """Publish the cycle's call (A15.1): its window and work plan, as a public announcement.

    Preconditions (the workflow table's `publish`): Office staff; the cycle is a draft with
    the dates of every stage; then, as input, those dates still pass the rules (the calendar
    may have changed since they were set). Side effects, in order: status draft -> published
    (`TABLE.move`, conditional, so a double click publishes once), the public announcement, a
    `programs.cycle.publish` audit event.
    """
    TABLE.require(cycle, "publish", actor)
    stages = {Stage(s.stage): (s.starts_on, s.ends_on) for s in cycle.stages.all()}
    errors, _ = _stage_errors(cycle, stages)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(f"发布前请先完善日期：{first}", code="invalid_dates", fields=errors)
    with transaction.atomic():
        published = now()  # the demo clock when set (decision 0008)
        TABLE.move(cycle, "publish", published_at=published)
        announcement = Announcement.objects.create(
            program=cycle.program,
            cycle=cycle,
            kind=Announcement.Kind.CALL,
            title=f"关于开展{cycle.year}年度{cycle.program.name}申报工作的通知",
            body=_call_text(cycle),
            published_at=published,
            published_by=actor,
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="programs.cycle.publish",
            obj=cycle,
            before={"status": Cycle.Status.DRAFT},
            after={"status": Cycle.Status.PUBLISHED, "announcement": announcement.public_id},
        )
    return announcement


def close_cycle(*, actor: User, cycle: Cycle) -> None:
    """The year's evaluation has ended: the government's announcement is recorded (A20.2), so
    `decision.services.announce` calls this in its transaction. The cycle reads 已结束; its pages
    stay readable, and what follows an award (reports, revocation) goes on. The table's `close`
    (a batch action: no page offers it). Side effect: a `programs.cycle.close` audit event."""
    TABLE.require(cycle, "close", actor)
    with transaction.atomic():
        TABLE.move(cycle, "close")
        record(
            actor=actor,
            role=Role.OFFICE,
            action="programs.cycle.close",
            obj=cycle,
            before={"status": Cycle.Status.PUBLISHED},
            after={"status": Cycle.Status.CLOSED},
        )


def enter_holiday_arrangement(
    *, actor: User, year: int, notice_ref: str, days: Sequence[ArrangementDay]
) -> HolidayArrangement:
    """Enter (or replace) a year's official holiday arrangement from the State Council notice.

    Preconditions: Office staff; a notice reference; at least one day, every day inside `year`,
    no date twice. Side effects: the arrangement replaces any earlier one for the year (the
    old days are kept in the audit event), `programs.calendar.enter` audit event.
    """
    _require(actor, "programs.manage_calendar")
    fields: dict[str, list[str]] = {}
    if not notice_ref.strip():
        fields["notice_ref"] = ["请填写所依据的国务院办公厅通知（文号或标题）。"]
    if not days:
        fields["days"] = ["至少录入一天的放假或调休上班安排。"]
    outside = [d.day for d in days if d.day.year != year]
    if outside:
        fields["days"] = [f"{d:%Y-%m-%d}不在{year}年内。" for d in outside]
    seen: set[dt.date] = set()
    for d in days:
        if d.day in seen:
            fields.setdefault("days", []).append(f"{d.day:%Y-%m-%d}重复录入。")
        seen.add(d.day)
    if fields:
        raise ServiceError(next(iter(fields.values()))[0], fields=fields)
    with transaction.atomic():
        old = HolidayArrangement.objects.filter(year=year).first()
        before = None
        if old is not None:
            before = {
                "notice_ref": old.notice_ref,
                "days": [[d.day, d.is_workday, d.name] for d in old.days.all()],
            }
            old.delete()
        arrangement = HolidayArrangement.objects.create(
            year=year, notice_ref=notice_ref.strip(), entered_by=actor, entered_at=timezone.now()
        )
        HolidayDay.objects.bulk_create(
            HolidayDay(arrangement=arrangement, day=d.day, is_workday=d.is_workday, name=d.name)
            for d in sorted(days, key=lambda d: d.day)
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="programs.calendar.enter",
            obj=arrangement,
            before=before,
            after={
                "notice_ref": arrangement.notice_ref,
                "days": [[d.day, d.is_workday, d.name] for d in days],
            },
        )
    return arrangement


def _seal_facts(seal: Seal) -> dict[str, object]:
    return {"sha256": seal.sha256, "size": len(seal.image)}


# What must follow a change of the seal, added at start-up by the apps above this one, which
# it may not import (decision/jobs.py: the program's kept certificates drawn again). Called in
# the seal service's transaction, after its audit event: what they queue commits or rolls back
# with the change. A plain list, called by name here, rather than a signal nobody sees called.
SEAL_FOLLOWERS: list[Callable[[AwardProgram], object]] = []


def _seal_changed(program: AwardProgram) -> None:
    for follow in SEAL_FOLLOWERS:
        follow(program)


def upload_seal(*, actor: User, program: AwardProgram, name: str, data: bytes) -> Seal:
    """Set (or replace) the office's 电子印章, printed on every certificate from now on.

    Preconditions: Office staff; a PNG (content checked, lib/files.py; virus scanner when
    configured) of at most SEAL_MAX_KB, of a seal's size and shape, with a transparent
    background (`lib.certificates.seal_problem`). Side effects: the seal replaces any earlier
    one, `programs.seal.upload` audit event with the digests of the old and new images, then
    `SEAL_FOLLOWERS` (the kept certificates queued to be drawn again).
    """
    _require(actor, "programs.manage_cycle", program)
    try:
        kind = check_upload(name, data, max_bytes=settings.SEAL_MAX_BYTES)
    except RejectedFile as exc:
        raise ServiceError(str(exc), fields={"image": [str(exc)]}) from exc
    try:
        if kind is not PNG:
            raise BadSeal(f"“{name}”是{kind.label}：印章图片须为背景透明的PNG图片。")
        width, height = check_seal(data)
    except BadSeal as exc:
        raise ServiceError(str(exc), fields={"image": [str(exc)]}) from exc
    with transaction.atomic():
        old = Seal.objects.select_for_update().filter(program=program).first()
        before = _seal_facts(old) if old else None
        seal, _ = Seal.objects.update_or_create(
            program=program,
            defaults={
                "image": data,
                "width": width,
                "height": height,
                "sha256": hashlib.sha256(data).hexdigest(),
                "uploaded_by": actor,
                "uploaded_at": timezone.now(),
            },
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="programs.seal.upload",
            obj=program,
            before=before,
            after={**_seal_facts(seal), "name": name[:200]},
        )
        _seal_changed(program)
    return seal


def remove_seal(*, actor: User, program: AwardProgram, reason: str) -> None:
    """Take the seal off: certificates print without one from now on (as before any upload).

    Preconditions: Office staff; a seal to remove; a reason. Side effects: the seal is deleted,
    `programs.seal.remove` audit event with its digest and the reason, then `SEAL_FOLLOWERS`.
    """
    _require(actor, "programs.manage_cycle", program)
    if not reason.strip():
        raise ServiceError("请填写撤下印章的原因。", fields={"reason": ["请填写原因。"]})
    with transaction.atomic():
        seal = Seal.objects.select_for_update().filter(program=program).first()
        if seal is None:
            raise StateConflict("尚未上传电子印章。")
        before = _seal_facts(seal)
        seal.delete()
        record(
            actor=actor,
            role=Role.OFFICE,
            action="programs.seal.remove",
            obj=program,
            before=before,
            reason=reason.strip(),
        )
        _seal_changed(program)


# --- a program from its pack (issue 18 part 2) --------------------------------------------------


class _DryRun(Exception):
    """Raised at the end of a dry run: rolls back everything `load_program` wrote."""


class _By(NamedTuple):
    """Who a load's audit events name: the system (the command) or an Office clerk (the page)."""

    actor: User | None
    role: str


def _display(value: object) -> object:
    """A value of a pack as the audit trail shows it (rubrics summarized, not 23 items)."""
    kinds = value.values() if isinstance(value, dict) else ()
    if kinds and all(isinstance(v, dict) and "items" in v for v in kinds):
        assert isinstance(value, dict)
        return {packs.KIND_LABELS.get(k, k): _rubric_line(r) for k, r in value.items()}
    return value


def _rubric_line(rubric: Mapping[str, Any]) -> str:
    return f"{rubric['key']}（{len(rubric['items'])}项，{rubric['total_points']}分）"


def _changes(
    obj: AwardProgram | Policy, values: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """(before, after) of the fields `values` changes, keyed by the fields' Chinese names (the
    audit trail shows keys as written: these read without a table of their own)."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            label = packs.label(type(obj), name)
            before[label], after[label] = _display(old), _display(value)
    return before, after


def _load_units(
    program: AwardProgram, units: Sequence[packs.Unit], reason: str, by: _By
) -> list[str]:
    from accounts.models import RecommendingUnit
    from accounts.services import UNIT_FIELDS

    lines = []
    # The program's own units (decision 0030): another program's 城南街道 is another unit.
    existing = {
        u.name: u for u in RecommendingUnit.objects.select_for_update().filter(program=program)
    }
    for entry in units:
        unit = existing.get(entry.name)
        if unit is not None and (unit.kind, unit.also_known_as) == (entry.kind, entry.also):
            continue
        before = None
        if unit is None:
            unit = RecommendingUnit(program=program, name=entry.name)
            lines.append(f"新增推荐单位：{entry.name}")
        else:
            before = {f: getattr(unit, f) for f in UNIT_FIELDS}
            lines.append(f"修改推荐单位：{entry.name}")
        unit.kind, unit.also_known_as = entry.kind, entry.also
        unit.full_clean()
        unit.save()
        record(
            actor=by.actor,
            role=by.role,
            action="accounts.unit.change" if before else "accounts.unit.add",
            obj=unit,
            before=before,
            after={f: getattr(unit, f) for f in UNIT_FIELDS},  # as accounts' own unit events
            reason=reason,
        )
    named = {u.name for u in units}
    for name in sorted(set(existing) - named):
        lines.append(f"推荐单位“{name}”不在方案包中：保留（推荐单位从不删除，可在页面上停用）")
    return lines


def load_program(
    *,
    pack: packs.Pack,
    source: str,
    sha256: str,
    with_units: bool = True,
    dry_run: bool = False,
    actor: User | None = None,
    note: str = "",
) -> list[str]:
    """Create or update a program, its Measures (a `Policy`) and, when it is the only program,
    the recommending units from a checked pack (`manage.py load_program`). Returns what changed,
    one Chinese line each (nothing when the database already holds the pack).

    Preconditions: the units are the program's own (decision 0030; `with_units` off loads the
    program and its Measures alone). The first program loaded is the default. A policy is
    found by its 文号:
    a new 文号 is a new version (the cycles opened before keep theirs); numbers of a policy that
    a cycle already published under are never rewritten (refused: a revision needs a new 文号
    and 施行日期); two policies of a program may not take effect the same day. Side effects, in
    one transaction, by the system (no person: the pack is the authority), each with the reason
    naming the pack file and its SHA-256: `programs.program.load` (the program's names),
    `programs.policy.load` (the policy's changed fields), `accounts.unit.add`/`change`. A dry
    run checks and reports the same, then rolls everything back. From the Office's page
    (`actor` given, who needs `programs.manage_policy`) the events name the clerk, role Office,
    and the reason adds the clerk's `note`.
    """
    if actor is not None:
        _require(actor, "programs.manage_policy")
    reason = f"按方案包 {source} 载入（SHA-256 {sha256}）" + (f"：{note}" if note else "")
    by = _By(actor, Role.OFFICE if actor is not None else "system")
    lines: list[str] = []
    try:
        with transaction.atomic():
            program = AwardProgram.objects.select_for_update().filter(slug=pack.slug).first()
            if program is None:
                program = AwardProgram(**pack.program)
                # The first program of a deployment is its default (decision 0030).
                program.is_default = not AwardProgram.objects.filter(is_default=True).exists()
                program.full_clean()
                program.save()
                after: dict[str, object] = {
                    packs.label(AwardProgram, f): v for f, v in pack.program.items()
                }
                record(
                    actor=by.actor,
                    role=by.role,
                    action="programs.program.load",
                    obj=program,
                    after=after,
                    reason=reason,
                )
                lines.append(f"新建奖项：{program.name}（{program.slug}）")
            else:
                before, after = _changes(program, pack.program)
                if after:
                    for f, v in pack.program.items():
                        setattr(program, f, v)
                    program.full_clean()
                    program.save(update_fields=list(pack.program))
                    record(
                        actor=by.actor,
                        role=by.role,
                        action="programs.program.load",
                        obj=program,
                        before=before,
                        after=after,
                        reason=reason,
                    )
                    lines.append(f"修改奖项：{'、'.join(after)}")
            lines += _load_policy(program, pack, reason, by)
            if pack.units is not None and with_units:
                lines += _load_units(program, pack.units, reason, by)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    except IntegrityError as exc:  # another load of the same pack in between
        raise StateConflict("同一奖项正被另一进程载入，请稍后重试。") from exc
    return lines


def _load_policy(program: AwardProgram, pack: packs.Pack, reason: str, by: _By) -> list[str]:
    values: dict[str, object] = {
        "title": pack.title,
        "effective_on": pack.effective_on,
        **pack.numbers,
        "rules": list(pack.rules),
        "rubrics": pack.rubrics,
    }
    policy = program.policies.filter(document_number=pack.document_number).first()
    same_day = program.policies.filter(effective_on=pack.effective_on).exclude(
        document_number=pack.document_number
    )
    clash = same_day.first()
    if clash is not None:
        raise packs.PackRefused(
            [
                f"measures.effective_on：{program.name}已有同日施行的《{clash.title}》"
                f"（{clash.document_number}），两版办法不能同日施行"
            ]
        )
    if policy is None:
        policy = Policy(program=program, document_number=pack.document_number, **values)
        policy.full_clean()
        policy.save()
        record(
            actor=by.actor,
            role=by.role,
            action="programs.policy.load",
            obj=policy,
            after={
                packs.label(Policy, "document_number"): policy.document_number,
                **{packs.label(Policy, f): _display(v) for f, v in values.items()},
            },
            reason=reason,
        )
        return [f"新增管理办法：{policy}"]
    before, after = _changes(policy, values)
    if not after:
        return []
    # A policy entered before packs holds no rules and no rubric: the engine's rules and the
    # rubric file applied to it. Writing down exactly those changes nothing it decided.
    changed = [
        label
        for label in after
        if not (
            label == packs.label(Policy, "rules")
            and not policy.rules
            and set(pack.rules) == set(packs.rules_of(policy))
        )
        and not (
            label == packs.label(Policy, "rubrics")
            and not policy.rubrics
            and pack.rubrics == packs.default_rubrics()
        )
    ]
    used = (
        Cycle.objects.filter(policy=policy)
        .exclude(status=Cycle.Status.DRAFT)
        .order_by("year")
        .values_list("year", flat=True)
    )
    if used and changed:
        years = "、".join(f"{y}年度" for y in used)
        raise StateConflict(
            f"《{policy.title}》（{policy.document_number}）已用于{years}（已发布申报通知），"
            f"其{'、'.join(changed)}不得改写：已发布的年度仍按原办法。修订办法请以新的文号和"
            "施行日期另行载入（新版本），此后新建的年度按新版本。",
            code="policy_in_use",
        )
    for f, v in values.items():
        setattr(policy, f, v)
    policy.full_clean()
    policy.save(update_fields=list(values))
    record(
        actor=by.actor,
        role=by.role,
        action="programs.policy.load",
        obj=policy,
        before=before,
        after=after,
        reason=reason,
    )
    return [f"修改管理办法《{policy.title}》：{'、'.join(after)}"]


# --- the pack from the Office's page (issue 18 part 2: 设置 › 办法与参数) -------------------------

PACK_MAX_BYTES = 256 * 1024  # the Rugao pack with its 22 units is ~8 KB


def read_pack_upload(*, data: bytes, name: str, program: AwardProgram) -> tuple[packs.Pack, str]:
    """A pack uploaded on the page, checked by `packs.parse` (the command's validator) and for
    this program: PackRefused, in Chinese, for a file too big, not UTF-8 YAML, not a pack, any
    problem `parse` finds, or a pack of another program. Returns it with its SHA-256."""
    if len(data) > PACK_MAX_BYTES:
        raise packs.PackRefused([f"{name}：文件超过{PACK_MAX_BYTES // 1024} KB，不是方案包"])
    try:
        raw = yaml.load(data.decode("utf-8"), Loader=rubrics.SAFE_LOADER)  # noqa: S506 - safe
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise packs.PackRefused([f"{name}：不是有效的 UTF-8 YAML 文件，无法读取"]) from exc
    if not isinstance(raw, dict):
        # A text file is valid YAML (one string): say what it is, not 30 missing keys.
        raise packs.PackRefused(
            [f"{name}：不是方案包（方案包是以 format、program、measures 等开头的 YAML 映射）"]
        )
    pack = packs.parse(raw)
    if pack.slug != program.slug:
        raise packs.PackRefused(
            [
                f"program.slug：方案包属于“{pack.slug}”，本页面管理的是{program.name}"
                f"（{program.slug}），不能在此载入其他奖项的方案包"
            ]
        )
    return pack, hashlib.sha256(data).hexdigest()


def changes_digest(lines: Sequence[str]) -> str:
    """What a preview showed, as the confirmation carries it back."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def preview_pack(
    *, actor: User, program: AwardProgram, data: bytes, name: str, with_units: bool
) -> tuple[packs.Pack, str, list[str]]:
    """The dry run of an uploaded pack: `load_program` with `dry_run` (nothing written), for a
    clerk with `programs.manage_policy`. Returns the pack, its SHA-256 and the change lines;
    PackRefused or StateConflict as `load_program` refuses."""
    _require(actor, "programs.manage_policy")
    pack, sha256 = read_pack_upload(data=data, name=name, program=program)
    lines = load_program(
        pack=pack, source=name, sha256=sha256, with_units=with_units, dry_run=True, actor=actor
    )
    return pack, sha256, lines


def confirm_pack(
    *,
    actor: User,
    program: AwardProgram,
    data: bytes,
    name: str,
    with_units: bool,
    previewed: str,
    reason: str,
) -> list[str]:
    """Load an uploaded pack for real, as its preview showed it.

    Preconditions: the clerk has `programs.manage_policy`; a reason; the pack passes every check
    of `load_program`; and the changes are exactly those previewed (`previewed`, their
    `changes_digest`): when another clerk loaded the same pack in between, this one finds
    nothing (or something else) to change and is refused (StateConflict), so two confirmations
    of one preview never both apply. Side effects: those of `load_program`, in one transaction,
    the events naming the clerk and the reason.
    """
    _require(actor, "programs.manage_policy")
    if not reason.strip():
        raise ServiceError("请填写载入理由。", fields={"reason": ["请填写载入理由"]})
    pack, sha256 = read_pack_upload(data=data, name=name, program=program)
    with transaction.atomic():
        # load_program locks the program row first: a second confirmation waits here, then
        # sees the first one's policy and finds other changes than it previewed.
        lines = load_program(
            pack=pack,
            source=name,
            sha256=sha256,
            with_units=with_units,
            actor=actor,
            note=reason.strip(),
        )
        if not lines or changes_digest(lines) != previewed:
            raise StateConflict(
                "预览之后数据已有变化（可能另一位工作人员刚刚载入了方案包），本次未作任何修改。"
                "请重新上传方案包，核对新的预览后再确认。",
                code="pack_changed",
            )
    return lines
