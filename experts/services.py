"""The expert pool, conflicts of interest and review groups: one function per action.

Preconditions and side effects are listed in each docstring; every change is audited in its
transaction. Which applications an expert may open is decided in `selectors.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import programs_of
from accounts.services import notify
from audit.services import record
from intake import workflow
from intake.models import IN_REVIEW, Application, Attachment
from lib import idcard, industries
from lib import phone as phones
from lib.errors import PermissionDenied, ServiceError, StateConflict
from lib.fields import EncryptedTextField, masked
from programs.models import Cycle, Policy, Stage
from programs.selectors import now, today
from programs.windows import closed

from . import conflicts, selectors
from .models import (
    Acknowledgement,
    Assignment,
    CodeOfConduct,
    Conflict,
    Draw,
    Employment,
    Expert,
    ExpertSanction,
    NoConflictConfirmation,
    RecusalRequest,
    ReviewGroup,
)

EXPERT_FIELDS = (
    "name",
    "phone",
    "title",
    "category",
    "industries",
    "practice_years",
    "training_certificate",
    "training_on",
    "evidence_policy",
    "evidence_practice",
    "evidence_training",
    "evidence_discipline",
    "max_load",
    "status",
)


def _require(actor: User, perm: str, obj: Any = None) -> None:
    if not actor.has_perm(perm, obj):
        raise PermissionDenied()


def closed_refusal(cycle: Cycle) -> StateConflict | None:
    """Why nothing of the year's groups may change: the year is closed (A11.1). Its groups,
    seats, leaders, supervisors, locks, code of conduct and conflicts are the record of its
    review, as `review.boundaries.cycle_closed` keeps the scores. Every group and conflict
    service raises it; the groups page and 我的评审 ask it to show the reason instead of the
    buttons."""
    reason = closed(cycle)
    if reason is None:
        return None
    return StateConflict(
        f"{reason}专家组、工作守则和利害关系记录只能查阅，不能再更改。",
        code="cycle_closed",
        article="A11.1",
    )


def grouping_refusal(cycle: Cycle, stage: str) -> StateConflict | None:
    """Why 优化分配 and 随机抽取 cannot run for the stage now: the year is closed, or no
    application is in review for it (its groups, if any, are the record of a stage passed). The
    groups page asks it to show the reason in place of the two buttons."""
    stage_ = _group_stage(stage)
    return closed_refusal(cycle) or (
        None if _applications_for_stage(cycle, stage_) else _nothing_to_group(cycle, stage_)
    )


def _nothing_to_group(cycle: Cycle, stage: Stage) -> StateConflict:
    return StateConflict(
        f"{cycle.year}年度没有处于评审中的申报，{stage.label}无需生成分配方案。",
        code="nothing_to_group",
        article="A17.1",
    )


def _refuse_closed(cycle: Cycle) -> None:
    if (refusal := closed_refusal(cycle)) is not None:
        raise refusal


def qualification_gaps(expert: Expert, policy: Policy) -> list[str]:
    """What keeps the expert out of a group: each unmet condition of article 8, or the status."""
    gaps = []
    if expert.status != Expert.Status.ACTIVE:
        gaps.append(f"专家状态为“{Expert.Status(expert.status).label}”")
    if not expert.evidence_policy.strip():
        gaps.append("第八条第一项：缺少熟悉方针政策和法律法规的依据")
    if (
        expert.practice_years < policy.min_expert_practice_years
        or not expert.evidence_practice.strip()
    ):
        gaps.append(f"第八条第二项：须有{policy.min_expert_practice_years}年以上实践经验及其依据")
    if not (expert.training_certificate.strip() or expert.evidence_training.strip()):
        gaps.append("第八条第三项：缺少接受《卓越绩效评价准则》学习教育的依据")
    if not expert.evidence_discipline.strip():
        gaps.append("第八条第四项：缺少履职守纪、公正严明的依据")
    return gaps


def _clean(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = [c for c in fields.get("industries", []) if c not in industries.divisions()]
    if unknown:
        errors["industries"] = [f"行业代码{'、'.join(unknown)}不是GB/T 4754-2017的大类"]
    if "category" in fields and fields["category"] not in Expert.Category.values:
        errors["category"] = ["请选择专家类别"]
    if fields.get("practice_years") is not None and not 0 <= int(fields["practice_years"]) <= 70:
        errors["practice_years"] = ["年限应在0至70之间"]
    return errors


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    """An expert's fields as an audit event keeps them: the encrypted ones masked (the audit
    trail is not encrypted, so it must never hold their plaintext)."""
    return {
        name: masked(value, kind=field.kind)
        if isinstance(field := Expert._meta.get_field(name), EncryptedTextField)
        else value
        for name, value in values.items()
    }


def save_expert(
    *,
    actor: User,
    expert: Expert | None = None,
    id_number: str = "",
    employments: Iterable[dict[str, Any]] | None = None,
    detect: bool = True,
    **fields: Any,
) -> Expert:
    """Add an expert to the pool or edit one (Office). The 身份证 is validated and unique; the
    employments, when given, replace the recorded ones.
    Side effects: the rows, an `experts.expert.add` / `.change` audit event (身份证 masked),
    then detection for the expert (`conflicts.detect`: the employments, the name and the
    身份证 against every application of an open year; a conflict found ends a current seat).
    `detect=False` only for `import_experts`, which detects once for the whole sheet."""
    _require(actor, "experts.manage_pool")
    unknown = set(fields) - set(EXPERT_FIELDS)
    if unknown:
        raise ServiceError(f"未知字段：{'、'.join(sorted(unknown))}")
    errors = _clean(fields)
    if expert is None:
        try:
            id_number = idcard.validate(id_number)
        except idcard.InvalidIDCard as exc:
            errors["id_number"] = [str(exc)]
        else:
            if selectors.expert_by_id_number(id_number) is not None:
                errors["id_number"] = ["该身份证号码已在专家库中"]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        before = None
        if expert is None:
            expert = Expert(id_number=id_number)
        else:
            expert = Expert.objects.select_for_update().get(pk=expert.pk)
            before = _audited({f: getattr(expert, f) for f in fields})
        for name, value in fields.items():
            setattr(expert, name, value)
        expert.full_clean(exclude=["user"])
        expert.save()
        if employments is not None:
            expert.employments.all().delete()
            Employment.objects.bulk_create(Employment(expert=expert, **e) for e in employments)
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.expert.change" if before else "experts.expert.add",
            obj=expert,
            before=before,
            after={
                **_audited({f: getattr(expert, f) for f in fields}),
                "id_number": idcard.mask(expert.id_number),
            },
        )
        if detect:
            conflicts.detect(experts=[expert], actor=actor, role=Role.OFFICE)
    return expert


def set_code_of_conduct(*, actor: User, cycle: Cycle, text: str) -> CodeOfConduct:
    """The Office sets the cycle's 工作守则 (A6.3). Once an expert has signed, the text is fixed:
    a later change would leave signatures of a text nobody shows any more."""
    _require(actor, "experts.manage_pool", cycle)
    _refuse_closed(cycle)
    if not text.strip():
        raise ServiceError("请填写工作守则。", fields={"text": ["必填"]})
    if Acknowledgement.objects.filter(cycle=cycle).exists():
        raise StateConflict("已有专家签署本年度工作守则，不能再修改。")
    with transaction.atomic():
        code, _ = CodeOfConduct.objects.update_or_create(
            cycle=cycle, defaults={"text": text.strip(), "set_by": actor, "set_at": now()}
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.code.set",
            obj=cycle,
            after={"length": len(code.text)},
        )
    return code


def acknowledge(*, actor: User, cycle: Cycle) -> Acknowledgement:
    """The expert acknowledges the code of conduct and signs the impartiality and
    confidentiality statement for the cycle (before seeing anything of it)."""
    expert = getattr(actor, "expert", None)
    if expert is None:
        raise PermissionDenied("只有评审专家需要签署工作守则。")
    _refuse_closed(cycle)
    code = CodeOfConduct.objects.filter(cycle=cycle).first()
    if code is None:
        raise StateConflict(f"委员会办公室尚未发布{cycle.year}年度评审专家工作守则。")
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(
                expert=expert, cycle=cycle, code_text=code.text, signed_at=now()
            )
            record(
                actor=actor,
                role=Role.EXPERT,
                action="experts.code.acknowledge",
                obj=expert,
                after={"cycle": cycle.year},
            )
    except IntegrityError as exc:
        raise StateConflict("您已签署本年度工作守则。") from exc
    return ack


def declare_conflict(
    *, actor: User, application: Application, expert: Expert, reason: str, note: str = ""
) -> Conflict:
    """Record an interest (A26.1): the expert declares it, or the Office records it. (The
    applicant names people through `request_recusal`: it never sees the pool.) The conflict is
    final: the expert is never assigned to the application and cannot open it; an existing
    assignment is removed. Side effects: the conflict, the removal, `experts.conflict.declare`."""
    if reason not in Conflict.Reason.values:
        raise ServiceError("请选择利害关系的类型。", fields={"reason": ["无效"]})
    if getattr(actor, "expert", None) == expert:
        role = Role.EXPERT
    elif actor.has_perm("experts.manage_pool"):
        role = Role.OFFICE
    else:
        raise PermissionDenied()
    _refuse_closed(application.cycle)
    with transaction.atomic():
        conflict, _ = conflicts.persist(
            application,
            expert,
            source=Conflict.Source.EXPERT,
            reason=reason,
            note=note.strip(),
            actor=actor,
            role=role,
            action="experts.conflict.declare",
        )
    return conflict


RECUSAL_REASONS = [(r.value, r.label) for r in Conflict.Reason if r != Conflict.Reason.SELF]


def request_recusal(
    *,
    actor: User,
    application: Application,
    name: str,
    reason: str,
    note: str,
    employer: str = "",
) -> RecusalRequest:
    """The applicant asks that a named person not review it (A26.1), before 材料评审 starts.
    Every pool expert of that name (working or having worked for `employer`, when given)
    becomes a conflict, now (detection runs for the application) and whenever an expert of that
    name joins the pool later; the reply is the same whether or not anyone matched, so the pool
    stays confidential. Side effects: the request, `experts.recusal.request`, then detection
    for the application (`conflicts.detect`: conflicts, removals, their events)."""
    workflow.require(application, "request_recusal", actor)  # who, which states, until when
    errors: dict[str, list[str]] = {}
    name, employer, note = name.strip(), employer.strip(), note.strip()
    if not name:
        errors["name"] = ["请填写要求回避的人员姓名。"]
    elif len(name) > 50:
        errors["name"] = ["姓名不能超过50字。"]
    if len(employer) > 200:
        errors["employer"] = ["工作单位不能超过200字。"]
    if reason not in dict(RECUSAL_REASONS):
        errors["reason"] = ["请选择回避原因。"]
    if not note:
        errors["note"] = ["请说明要求回避的理由。"]
    if errors:
        raise ServiceError("回避申请未提交：" + next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        request = RecusalRequest.objects.create(
            application=application,
            name=name,
            employer=employer,
            reason=reason,
            note=note,
            requested_by=actor,
            requested_at=now(),
        )
        record(
            actor=actor,
            role=_applicant_role(application),
            action="experts.recusal.request",
            obj=application,
            after={"name": name, "employer": employer, "reason": reason},
            reason=note,
        )
        conflicts.detect(applications=[application], actor=actor, role=_applicant_role(application))
    return request


def _applicant_role(application: Application) -> str:
    return Role.INDIVIDUAL if application.individual_id else Role.APPLICANT


def detect_conflicts(*, actor: User | None, cycle: Cycle) -> set[conflicts.Pair]:
    """Run detection (`conflicts.detect`) over every application of the cycle and the whole
    pool; return the conflicted (application, expert) pairs. Nobody needs to call it for the
    groups to be right (every operation runs detection itself): it is for an application that
    has just entered review and for the demo data. By the Office, or the system (`actor` None)."""
    if actor is not None:
        _require(actor, "experts.manage_pool", cycle)
    _refuse_closed(cycle)
    return conflicts.detect(
        applications=Application.objects.filter(cycle=cycle),
        actor=actor,
        role=Role.OFFICE,
    )


def current_conflicts(cycle: Cycle) -> set[conflicts.Pair]:
    """Detection by the system (no person's act: a page is being read) over the year's
    applications and the pool: the conflicted pairs as the records show them now. A closed
    year's are returned as recorded."""
    return conflicts.detect(applications=Application.objects.filter(cycle=cycle))


def current_conflicts_of(expert: Expert) -> set[conflicts.Pair]:
    """Detection by the system for one expert's current seats (their workspace is being read):
    a conflict the records show ends the seat before the list is shown."""
    seated = Application.objects.filter(
        review_groups__assignments__expert=expert,
        review_groups__assignments__removed_at__isnull=True,
    ).distinct()
    return conflicts.detect(applications=seated, experts=[expert])


def conflicted_pairs(cycle: Cycle) -> set[tuple[int, int]]:
    """The recorded conflicts of the cycle (application pk, expert pk), without detecting."""
    return set(
        Conflict.objects.filter(application__cycle=cycle).values_list("application_id", "expert_id")
    )


def _conflict_refusal(application: Application, expert: Expert, who: str) -> ServiceError:
    """Why the expert cannot come near the application: the recorded interest (A26.1)."""
    found = conflicts.reason_of(application, expert)
    why = (
        f"（{Conflict.Reason(found.reason).label}，{found.get_source_display()}）" if found else ""
    )
    return ServiceError(
        f"{who}与{application.applicant_name}存在利害关系{why}，应当回避（第二十六条）。",
        code="conflict",
        article="A26.1",
        status=409,
    )


def record_sanction(
    *,
    actor: User,
    expert: Expert,
    kind: str,
    decided_on: dt.date,
    decision_ref: str,
    reason: str,
    evidence: str = "",
) -> ExpertSanction:
    """The committee's sanction on a reviewer (A26.2): a warning, the removal of expert status
    (a removed expert is never assigned again: open assignments end, a closed year's stay as
    they were), or a referral. Recorded by the Office with the decision and its evidence."""
    _require(actor, "experts.manage_pool")
    if kind not in ExpertSanction.Kind.values:
        raise ServiceError("请选择处分类型。", fields={"kind": ["无效"]})
    if not reason.strip() or not decision_ref.strip():
        raise ServiceError(
            "请填写事由和委员会决定。", fields={"reason": ["必填"], "decision_ref": ["必填"]}
        )
    with transaction.atomic():
        sanction = ExpertSanction.objects.create(
            expert=expert,
            kind=kind,
            decided_on=decided_on,
            decision_ref=decision_ref.strip(),
            reason=reason.strip(),
            evidence=evidence.strip(),
            recorded_by=actor,
            recorded_at=now(),
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.sanction.record",
            obj=expert,
            after={"kind": kind, "decided_on": decided_on, "decision_ref": decision_ref},
            reason=reason.strip(),
        )
        if kind == ExpertSanction.Kind.REMOVAL:
            Expert.objects.filter(pk=expert.pk).update(status=Expert.Status.REMOVED)
            expert.status = Expert.Status.REMOVED
            # A closed year's groups stay as they reviewed (`closed_refusal`).
            seats = Assignment.objects.filter(expert=expert, removed_at__isnull=True).exclude(
                group__application__cycle__status=Cycle.Status.CLOSED
            )
            for assignment in seats.select_related("group"):
                Assignment.objects.filter(pk=assignment.pk).update(
                    removed_at=now(), removed_reason="撤销评审专家资格"
                )
                record(
                    actor=actor,
                    role=Role.OFFICE,
                    action="experts.assignment.remove",
                    obj=assignment.group,
                    before={"expert": expert.pk},
                    reason="撤销评审专家资格（第二十六条）",
                )
    return sanction


def confirm_no_conflict(*, actor: User, application: Application) -> NoConflictConfirmation:
    """The assigned expert confirms, for this application, that no interest exists (A26.1);
    only then are its materials shown. Detection runs first: when the records show an interest
    the expert is told, the seat ends and nothing is confirmed (the conflict stays recorded)."""
    from .selectors import assigned_applications

    expert = getattr(actor, "expert", None)
    if expert is None or not assigned_applications(actor).filter(pk=application.pk).exists():
        raise PermissionDenied()
    _refuse_closed(application.cycle)
    if conflicts.detect(
        applications=[application], experts=[expert], actor=actor, role=Role.EXPERT
    ):
        raise _conflict_refusal(application, expert, "您")
    with transaction.atomic():
        confirmation, created = NoConflictConfirmation.objects.get_or_create(
            expert=expert, application=application, defaults={"confirmed_at": now()}
        )
        if created:
            record(
                actor=actor, role=Role.EXPERT, action="experts.no_conflict.confirm", obj=application
            )
    return confirmation


def guard_materials(*, actor: User, application: Application) -> None:
    """Before the expert's eyes reach an application's materials (the 申报表, an attachment),
    detection runs for the two (A26.1): a conflict the records show is recorded, the seat ends
    and the opening is refused with the reason. Nothing else is checked here. The records are
    read first in two statements (`conflicts.may_conflict`); detection's full pass follows only
    when they may show an interest."""
    expert = getattr(actor, "expert", None)
    if expert is None:
        raise PermissionDenied()
    # Two statements when the records show nothing (every view); detection's full read only
    # when they may (issue 17 part 3).
    if conflicts.may_conflict(application, expert) and conflicts.detect(
        applications=[application], experts=[expert], actor=actor, role=Role.EXPERT
    ):
        raise _conflict_refusal(application, expert, "您")


def open_attachment(
    *, actor: User, application: Application, attachment_id: Any
) -> tuple[Attachment, bytes]:
    """An attachment of the version the expert reads, for an assigned expert who confirmed no
    conflict (A26.1) and whom detection, run first, finds free of one. Every download is audited
    (`experts.attachment.download`); anything else is refused as if it did not exist."""
    from .selectors import openable_applications

    guard_materials(actor=actor, application=application)
    if not openable_applications(actor).filter(pk=application.pk).exists():
        raise PermissionDenied()
    version = application.versions.order_by("-number").first()
    listed = {str(a["id"]) for a in version.attachments} if version else set()
    attachment = Attachment.objects.filter(application=application, public_id=attachment_id).first()
    if attachment is None or str(attachment.public_id) not in listed:
        raise ServiceError("附件不存在。", status=404)
    with transaction.atomic():
        record(
            actor=actor,
            role=Role.EXPERT,
            action="experts.attachment.download",
            obj=application,
            after={"attachment": attachment.public_id, "name": attachment.original_name},
        )
    with attachment.file.open("rb") as fh:
        return attachment, fh.read()


IMPORT_COLUMNS = {
    "姓名": "name",
    "身份证号码": "id_number",
    "手机号码": "phone",
    "职称": "title",
    "类别": "category",
    "熟悉行业": "industries",
    "实践年限": "practice_years",
    "培训证书": "training_certificate",
    "培训日期": "training_on",
    "工作单位": "employer",
    "政策法规依据": "evidence_policy",
    "实践经验依据": "evidence_practice",
    "培训依据": "evidence_training",
    "守纪依据": "evidence_discipline",
}
CATEGORY_BY_LABEL = {str(c.label): c.value for c in Expert.Category}


def import_experts(*, actor: User, data: bytes) -> list[Expert]:
    """Add experts from the Office's Excel sheet (one row each; headers as in IMPORT_COLUMNS).

    Every row is checked first and every bad row is reported with its number; if any row is bad
    nothing is imported, so a sheet is never half-imported. Each added expert is audited.
    """
    import io

    import openpyxl

    _require(actor, "experts.manage_pool")
    try:
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[
            0
        ]
        rows = list(sheet.iter_rows(values_only=True))
    except Exception as exc:  # any unreadable workbook is the user's file, not our crash
        raise ServiceError("无法读取该文件，请上传 Excel（.xlsx）表格。", code="bad_file") from exc
    if not rows:
        raise ServiceError("表格为空。", code="bad_file")
    header = [str(h or "").strip() for h in rows[0]]
    missing = [h for h in ("姓名", "身份证号码", "类别", "实践年限") if h not in header]
    if missing:
        raise ServiceError(f"缺少表头：{'、'.join(missing)}。", code="bad_file")
    parsed: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        cells = {
            IMPORT_COLUMNS[h]: v for h, v in zip(header, row, strict=False) if h in IMPORT_COLUMNS
        }
        if not any(v not in (None, "") for v in cells.values()):
            continue
        problems, fields = _import_row(cells)
        idno = fields.get("id_number", "")
        if idno in seen:
            problems.append("身份证号码与前面的行重复")
        seen.add(idno)
        if problems:
            errors.append(f"第{number}行：" + "；".join(problems))
        else:
            parsed.append(fields)
    if errors:
        raise ServiceError(
            f"有{len(errors)}行不符合要求，未导入任何专家。",
            code="bad_rows",
            fields={"rows": errors},
        )
    added = []
    with transaction.atomic():
        for fields in parsed:
            employer = fields.pop("employer", "")
            employments = [{"employer_name": employer}] if employer else []
            added.append(save_expert(actor=actor, employments=employments, detect=False, **fields))
        conflicts.detect(experts=added, actor=actor, role=Role.OFFICE)
    return added


def _import_row(cells: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    fields: dict[str, Any] = {k: ("" if v is None else v) for k, v in cells.items()}
    for key in (
        "name",
        "phone",
        "title",
        "training_certificate",
        "employer",
        "evidence_policy",
        "evidence_practice",
        "evidence_training",
        "evidence_discipline",
    ):
        fields[key] = str(fields.get(key, "")).strip()
    if not fields["name"]:
        problems.append("缺少姓名")
    if fields["phone"]:
        try:
            fields["phone"] = phones.validate_phone(fields["phone"])
        except phones.InvalidPhone as exc:
            problems.append(str(exc))
    try:
        fields["id_number"] = idcard.validate(str(fields.get("id_number", "")))
    except idcard.InvalidIDCard as exc:
        problems.append(str(exc))
    else:
        if selectors.expert_by_id_number(fields["id_number"]) is not None:
            problems.append("该身份证号码已在专家库中")
    label = str(fields.get("category", "")).strip()
    fields["category"] = CATEGORY_BY_LABEL.get(label, label)
    if fields["category"] not in Expert.Category.values:
        problems.append(f"类别“{label}”应为：{'、'.join(CATEGORY_BY_LABEL)}")
    codes = [
        c.strip().zfill(2)
        for c in str(fields.get("industries", "")).replace("，", ",").replace("、", ",").split(",")
        if c.strip()
    ]
    bad = [c for c in codes if c not in industries.divisions()]
    if bad:
        problems.append(f"行业代码{'、'.join(bad)}无效")
    fields["industries"] = codes
    try:
        fields["practice_years"] = int(fields.get("practice_years") or 0)
    except (TypeError, ValueError):
        problems.append("实践年限应为整数")
    when = fields.get("training_on")
    if isinstance(when, dt.datetime):
        fields["training_on"] = when.date()
    elif when in ("", None):
        fields["training_on"] = None
    elif not isinstance(when, dt.date):
        try:
            fields["training_on"] = dt.date.fromisoformat(str(when).strip())
        except ValueError:
            problems.append(f"培训日期“{when}”应为YYYY-MM-DD")
    return problems, fields


# --- review groups ---------------------------------------------------------------------------


def _tell_assigned(cycle: Cycle, stage: Stage, assigned: dict[Expert, list[Application]]) -> None:
    """Each newly assigned expert with a login hears which applications, which stage and the
    stage's dates, and what comes first: the code of conduct and the no-conflict confirmation
    (A6.3, A26.1)."""
    window = next((s for s in cycle.stages.all() if s.stage == stage), None)
    dates = (
        f"（{window.starts_on:%Y年%-m月%-d日}至{window.ends_on:%Y年%-m月%-d日}）" if window else ""
    )
    for expert, applications in assigned.items():
        if expert.user is None:
            continue
        names = "、".join(a.applicant_name for a in applications)
        notify(
            users=[expert.user],
            subject=f"评审任务：{cycle.year}年度{stage.label}",
            body=(
                f"您已被分配参加{cycle.year}年度{cycle.program.name}{stage.label}{dates}，"
                f"评审：{names}。请登录“我的评审”签署工作守则，逐项确认与申报人不存在利害关系后"
                "查阅申报材料；如存在利害关系，请如实申报回避（《办法》第二十六条）。"
            ),
            url=reverse("experts:mine"),
        )


def _group_stage(stage: str) -> Stage:
    if stage not in {Stage.MATERIAL_REVIEW, Stage.SITE_REVIEW}:
        raise ServiceError("专家组只用于材料评审和现场评审。", fields={"stage": ["无效"]})
    return Stage(stage)


def _applications_for_stage(cycle: Cycle, stage: Stage) -> list[Application]:
    """材料评审 for every accepted application; 现场评审 for organizations only (A10.3)."""
    qs = Application.objects.filter(cycle=cycle, state__in=IN_REVIEW).select_related(
        "organization", "individual"
    )
    if stage == Stage.SITE_REVIEW:
        qs = qs.filter(kind="organization")
    return list(qs.order_by("pk"))


def _industry(application: Application) -> str:
    org = application.organization or (
        application.individual.employer if application.individual else None
    )
    return org.industry_code if org else ""


def _employer(expert: Expert, on: dt.date) -> str:
    current = [e for e in expert.employments.all() if e.ends_on is None or e.ends_on >= on]
    return current[0].employer_name if current else f"expert:{expert.pk}"


def propose_groups(*, actor: User, cycle: Cycle, stage: str, reason: str = "") -> dict[str, Any]:
    """优化分配: propose every group of the stage (A17.1): the policy's group size per
    application, conflicts excluded, each expert under its load cap, never two experts of one
    employer in a group, an expert of the applicant's industry where the pool allows; the
    fairest assignment first (the worst-served application), then the best total
    (`lib.assignment.solve`). Locked assignments stay; others change as little as possible. Only
    qualified experts (article 8) take part. After a random draw of the stage, a proposal would
    replace drawn pairs that are not locked, so it needs a reason, as a second draw does.
    Side effects, in order: detection over the stage's applications and the pool
    (`conflicts.detect`, committed even when the proposal then fails), the groups and
    assignments, one `experts.groups.propose` event with the summary, and each newly assigned
    expert told the applications, the stage and its dates."""
    _require(actor, "experts.manage_pool", cycle)
    _refuse_closed(cycle)
    stage = _group_stage(stage)
    reason = reason.strip()
    drawn = Draw.objects.filter(cycle=cycle, stage=stage, completed_at__isnull=False).exists()
    if drawn and not reason:
        raise ServiceError(
            f"{cycle.year}年度{stage.label}已随机抽取专家，优化分配将替换未锁定的抽取结果，"
            "须说明理由；理由记录在案，供纪律监督查阅（第十七条）。",
            code="reason_required",
            article="A17.1",
            fields={"reason": ["抽取后优化分配须说明理由"]},
        )
    if len(reason) > 2000:
        raise ServiceError("理由不能超过2000字。", fields={"reason": ["过长"]})
    return _make_groups(actor=actor, cycle=cycle, stage=stage, draw=None, reason=reason)


def draw_groups(*, actor: User, cycle: Cycle, stage: str, reason: str = "") -> dict[str, Any]:
    """专家随机抽取 (A17.1): every open seat of the stage drawn uniformly among the qualified
    experts free of conflict, within the same hard rules as the proposal. The seed comes from
    the system's CSPRNG; nobody chooses it. Drawing again for a stage of a year that was drawn
    before needs a reason (refused without one), so every redraw is explained.
    Side effects, in order: the `Draw` row with the seed and `experts.draw.seed`, committed on
    their own before the draw is made (a draw cannot be tried and hidden); detection
    (`conflicts.detect`); the groups and assignments, the problem and pairs on the `Draw` and
    `experts.groups.draw` (or, when the locked pairs make a draw impossible, the failure on the
    `Draw` and `experts.draw.fail`); the newly assigned experts told."""
    import secrets

    _require(actor, "experts.manage_pool", cycle)
    _refuse_closed(cycle)
    stage = _group_stage(stage)
    reason = reason.strip()
    earlier = Draw.objects.filter(cycle=cycle, stage=stage).order_by("-drawn_at", "-pk").first()
    if earlier is not None and not reason:
        when = timezone.localtime(earlier.drawn_at)
        raise ServiceError(
            f"{cycle.year}年度{stage.label}已于{when:%Y-%m-%d %H:%M}"
            f"随机抽取过专家（种子{earlier.seed}），再次抽取须说明理由；每次抽取的时间、"
            "操作人、种子、理由和结果均记录在案，供纪律监督查阅（第十七条）。",
            code="reason_required",
            article="A17.1",
            fields={"reason": ["再次抽取须说明理由"]},
        )
    if len(reason) > 2000:
        raise ServiceError("理由不能超过2000字。", fields={"reason": ["过长"]})
    if not _applications_for_stage(cycle, stage):
        raise _nothing_to_group(cycle, stage)
    with transaction.atomic():
        draw = Draw.objects.create(
            cycle=cycle,
            stage=stage,
            seed=secrets.token_hex(16),
            reason=reason,
            drawn_by=actor,
            drawn_at=now(),
        )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.draw.seed",
            obj=cycle,
            after={
                "draw": draw.pk,
                "stage": stage.value,
                "seed": draw.seed,
                "again": bool(earlier),
            },
            reason=reason,
        )
    try:
        return _make_groups(actor=actor, cycle=cycle, stage=stage, draw=draw)
    except ServiceError as exc:
        with transaction.atomic():
            Draw.objects.filter(pk=draw.pk).update(failure=exc.message[:300])
            record(
                actor=actor,
                role=Role.OFFICE,
                action="experts.draw.fail",
                obj=cycle,
                after={"draw": draw.pk, "stage": stage.value, "seed": draw.seed},
                reason=exc.message,
            )
        raise


def _problem_json(problem: Any) -> dict[str, Any]:
    """The solver's problem as plain JSON, in its order (the draw's indices depend on it)."""
    return {
        "k": problem.k,
        "applications": [[a.id, a.industry] for a in problem.applications],
        "experts": [[e.id, e.employer, sorted(e.industries), e.capacity] for e in problem.experts],
        "conflicts": sorted([a, e] for a, e in problem.conflicts),
        "locked": sorted([a, e] for a, e in problem.locked),
        "previous": sorted([a, e] for a, e in problem.previous),
    }


def replay_draw(draw: Draw) -> list[list[str]]:
    """The pairs a draw gives when replayed from its recorded seed and problem: anyone can
    check that the groups were drawn, not chosen (the same pairs as `draw.pairs`)."""
    from lib import assignment as solver

    data = draw.problem
    problem = solver.Problem(
        applications=tuple(solver.Application(a, i) for a, i in data["applications"]),
        experts=tuple(
            solver.Expert(e, employer, frozenset(codes), capacity)
            for e, employer, codes, capacity in data["experts"]
        ),
        k=data["k"],
        conflicts=frozenset((a, e) for a, e in data["conflicts"]),
        locked=frozenset((a, e) for a, e in data["locked"]),
        previous=frozenset((a, e) for a, e in data["previous"]),
    )
    solution = solver.random_draw(problem, seed=int(draw.seed, 16))
    return sorted([p.application, p.expert] for p in solution.pairs)


def _make_groups(
    *, actor: User, cycle: Cycle, stage: Stage, draw: Draw | None, reason: str = ""
) -> dict[str, Any]:
    """The proposal (`draw` None) or the draw: detection, the solver, the rows, the event."""
    from lib import assignment as solver

    applications = _applications_for_stage(cycle, stage)
    if not applications:
        raise _nothing_to_group(cycle, stage)
    on = today()
    pool = [
        e
        for e in Expert.objects.prefetch_related("employments")
        if not qualification_gaps(e, cycle.policy)
    ]
    # A26.1: what the records show is a conflict before anyone is placed (and it ends any
    # current seat it touches, which is why the groups are read after it).
    conflicted = conflicts.detect(
        applications=applications, experts=pool, actor=actor, role=Role.OFFICE
    )
    groups = {
        g.application_id: g
        for g in ReviewGroup.objects.filter(application__in=applications, stage=stage)
    }
    active = list(
        Assignment.objects.filter(
            group__in=groups.values(), removed_at__isnull=True
        ).select_related("group")
    )
    locked = frozenset((str(a.group.application_id), str(a.expert_id)) for a in active if a.locked)
    previous = frozenset((str(a.group.application_id), str(a.expert_id)) for a in active)
    problem = solver.Problem(
        applications=tuple(solver.Application(str(a.pk), _industry(a)) for a in applications),
        experts=tuple(
            solver.Expert(str(e.pk), _employer(e, on), frozenset(e.industries), e.max_load)
            for e in pool
        ),
        k=cycle.policy.expert_group_size,
        conflicts=frozenset((str(a), str(e)) for a, e in conflicted),
        affinity={},
        locked=locked,
        previous=previous,
    )
    try:
        if draw is None:
            solution = solver.solve(problem)
        else:
            solution = solver.random_draw(problem, seed=int(draw.seed, 16))
    except solver.Infeasible as exc:
        raise ServiceError(str(exc), code="infeasible") from exc
    chosen = {(p.application, p.expert): p for p in solution.pairs}
    with transaction.atomic():
        missing = [a for a in applications if a.pk not in groups]
        # One INSERT for the new groups, not one per application.
        for group in ReviewGroup.objects.bulk_create(
            ReviewGroup(application=a, stage=stage) for a in missing
        ):
            groups[group.application_id] = group
        for a in active:
            if (str(a.group.application_id), str(a.expert_id)) not in chosen:
                Assignment.objects.filter(pk=a.pk).update(
                    removed_at=now(), removed_reason="重新抽取" if draw else "重新分配"
                )
        kept = {(str(a.group.application_id), str(a.expert_id)) for a in active}
        source = Assignment.Source.SOLVER if draw is None else Assignment.Source.RANDOM
        Assignment.objects.bulk_create(
            Assignment(
                group=groups[int(app_id)],
                expert_id=int(expert_id),
                source=source,
                reasons=list(pair.reasons) + ([f"随机抽取（种子{draw.seed}）"] if draw else []),
                assigned_at=now(),
            )
            for (app_id, expert_id), pair in chosen.items()
            if (app_id, expert_id) not in kept
        )
        pairs = sorted([a, e] for a, e in chosen)
        summary = {
            "stage": stage.value,
            "applications": len(applications),
            "experts": len(pool),
            "worst_affinity": solution.worst_affinity,
            "total_affinity": solution.total_affinity,
            "unfilled": solution.unfilled,
            "seed": draw.seed if draw else None,
            "draw": draw.pk if draw else None,
            "pairs": [f"{a}:{e}" for a, e in pairs],
        }
        if draw is not None:
            Draw.objects.filter(pk=draw.pk).update(
                problem=_problem_json(problem), pairs=pairs, completed_at=now()
            )
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.groups.draw" if draw else "experts.groups.propose",
            obj=cycle,
            after=summary,
            reason=draw.reason if draw else reason,
        )
        by_pk = {a.pk: a for a in applications}
        members = Expert.objects.filter(pk__in={int(e) for _, e in chosen}).select_related("user")
        expert_by_pk = {e.pk: e for e in members}
        assigned: dict[Expert, list[Application]] = {}
        for app_id, expert_id in sorted(chosen, key=lambda pair: int(pair[0])):
            if (app_id, expert_id) not in kept:
                assigned.setdefault(expert_by_pk[int(expert_id)], []).append(by_pk[int(app_id)])
        _tell_assigned(cycle, stage, assigned)
    return summary


def set_locked(*, actor: User, assignment: Assignment, locked: bool) -> None:
    """The Office fixes (or frees) one pair: re-proposing keeps a locked pair."""
    _require(actor, "experts.manage_pool", assignment.group.application.cycle)
    _refuse_closed(assignment.group.application.cycle)
    with transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk, removed_at__isnull=True).update(locked=locked)
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.assignment.lock" if locked else "experts.assignment.unlock",
            obj=assignment.group,
            after={"expert": assignment.expert_id},
        )


def open_group(*, actor: User, application: Application, stage: str) -> ReviewGroup:
    """An empty group for an application, for the Office to fill by hand (idempotent)."""
    _require(actor, "experts.manage_pool", application.cycle)
    _refuse_closed(application.cycle)
    stage = _group_stage(stage)
    if application not in _applications_for_stage(application.cycle, stage):
        raise StateConflict("该申报不在本阶段的评审范围内。")
    with transaction.atomic():
        group, created = ReviewGroup.objects.get_or_create(application=application, stage=stage)
        if created:
            record(actor=actor, role=Role.OFFICE, action="experts.group.open", obj=group)
    return group


def assign_manually(*, actor: User, group: ReviewGroup, expert: Expert, reason: str) -> Assignment:
    """The Office puts an expert in a group by hand (locked), within the same hard rules.
    Side effects: the assignment, `experts.assignment.add`, the expert told the application,
    the stage and its dates."""
    _require(actor, "experts.manage_pool", group.application.cycle)
    _refuse_closed(group.application.cycle)
    gaps = qualification_gaps(expert, group.application.cycle.policy)
    if gaps:
        raise ServiceError(
            "该专家不能进入专家组：" + "；".join(gaps), code="unqualified", article="A8.1"
        )
    if conflicts.detect(
        applications=[group.application], experts=[expert], actor=actor, role=Role.OFFICE
    ):
        raise _conflict_refusal(group.application, expert, "该专家")
    members = Assignment.objects.filter(group=group, removed_at__isnull=True).select_related(
        "expert"
    )
    employer = _employer(expert, today())
    if any(_employer(m.expert, today()) == employer for m in members):
        raise ServiceError(
            f"专家组内已有{employer}的专家，同一单位不得有两名专家。", code="same_employer"
        )
    load = Assignment.objects.filter(
        expert=expert,
        removed_at__isnull=True,
        group__application__cycle=group.application.cycle,
        group__stage=group.stage,
    ).count()
    if load >= expert.max_load:
        raise ServiceError(f"{expert}本阶段已分配{load}件，达到上限。", code="load")
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                group=group,
                expert=expert,
                source=Assignment.Source.MANUAL,
                locked=True,
                reasons=["人工调整"],
                assigned_at=now(),
            )
            record(
                actor=actor,
                role=Role.OFFICE,
                action="experts.assignment.add",
                obj=group,
                after={"expert": expert.pk},
                reason=reason,
            )
            cycle = group.application.cycle
            _tell_assigned(cycle, Stage(group.stage), {expert: [group.application]})
    except IntegrityError as exc:
        raise StateConflict("该专家已在此专家组中。") from exc
    return assignment


def set_leader(
    *, actor: User, group: ReviewGroup, expert: Expert, supervisor: User | None = None
) -> ReviewGroup:
    """Name the group leader (a member free of conflict: detection runs first) and, for
    现场评审, the supervisor (A27.1)."""
    _require(actor, "experts.manage_pool", group.application.cycle)
    _refuse_closed(group.application.cycle)
    if conflicts.detect(
        applications=[group.application], experts=[expert], actor=actor, role=Role.OFFICE
    ):
        raise _conflict_refusal(group.application, expert, "该专家")
    if not Assignment.objects.filter(group=group, expert=expert, removed_at__isnull=True).exists():
        raise ServiceError("组长须是本专家组成员。", fields={"leader": ["不是成员"]})
    program_id = group.application.tenant_program_id
    if supervisor is not None and program_id not in programs_of(supervisor).get(
        Role.SUPERVISOR, frozenset()
    ):  # a supervisor of the group's own program (decision 0030)
        raise ServiceError("请选择评审监督员。", fields={"supervisor": ["不是评审监督员"]})
    with transaction.atomic():
        ReviewGroup.objects.filter(pk=group.pk).update(leader=expert, supervisor=supervisor)
        group.leader, group.supervisor = expert, supervisor
        record(
            actor=actor,
            role=Role.OFFICE,
            action="experts.group.set_leader",
            obj=group,
            after={"leader": expert.pk, "supervisor": supervisor.pk if supervisor else None},
        )
    return group
