"""Personal data purge (issue 15 part 7; 个人信息保护法 第四十七条): applicants who won nothing,
their contacts and decided objections' objectors lose their personal data once their cycle has
been closed longer than the Policy's `personal_data_retention_years`; winners and anyone within
the period keep theirs; a dry run changes nothing; each subject is audited."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Individual, Organization, RecommendingUnit, Role, User
from audit.models import AuditEvent
from audit.services import verify_chain
from decision.models import Objection, Proposal
from intake.models import Application, ApplicationVersion, AwardRecord
from programs.models import AwardProgram, Cycle, CycleStage, Policy, Stage

pytestmark = [pytest.mark.req("A3.1"), pytest.mark.django_db]


def _closed_cycle(program: AwardProgram, policy: Policy, year: int) -> Cycle:
    cycle = Cycle.objects.create(
        program=program, year=year, policy=policy, status=Cycle.Status.CLOSED
    )
    CycleStage.objects.create(
        cycle=cycle,
        stage=Stage.APPROVAL,
        starts_on=dt.date(year, 12, 1),
        ends_on=dt.date(year, 12, 31),
    )
    return cycle


@pytest.fixture
def world(
    program: AwardProgram,
    policy: Policy,
    organization: Organization,
    make_user: Callable[..., User],
    time_machine: Any,
) -> dict[str, Any]:
    time_machine.move_to(
        dt.datetime(2026, 12, 5, 10, tzinfo=timezone.get_current_timezone()), tick=False
    )
    old, recent = _closed_cycle(program, policy, 2021), _closed_cycle(program, policy, 2025)
    unit = RecommendingUnit.objects.get(name="如城街道")
    people = {}
    for key, name, idno in (
        ("loser", "王小明", "320682199001011234"),
        ("winner", "李获奖", "320682198502022345"),
        ("recent", "张近年", "32068219800303345X"),
    ):
        user = make_user(Role.INDIVIDUAL, username=f"u_{key}")
        user.full_name, user.email, user.phone = name, f"{key}@example.cn", "13800001111"
        user.save()
        people[key] = Individual.objects.create(
            user=user,
            name=name,
            id_number=idno,
            employer_name="如皋市某公司",
            recommending_unit=unit,
            position=Individual.Position.OTHER,
            quality_work_years=8,
        )
    applications = {}
    for key, cycles in (("loser", [old]), ("winner", [old]), ("recent", [old, recent])):
        for cycle in cycles:
            person = people[key]
            applications[key, cycle.year] = application = Application.objects.create(
                cycle=cycle,
                kind="individual",
                individual=person,
                recommending_unit=unit,
                created_by=person.user,
                state="rejected",
                data={"contact_name": person.name, "contact_phone": "13800001111"},
            )
            ApplicationVersion.objects.create(
                application=application,
                number=1,
                data={"contact_name": person.name, "contact_phone": "13800001111"},
                applicant={"name": person.name, "id_number": person.id_number[:4] + "****"},
                submitted_at=timezone.now(),
                submitted_by=person.user,
            )
    AwardRecord.objects.create(
        individual=people["winner"],
        application=applications["winner", 2021],
        year=2021,
        level=AwardRecord.Level.AWARD,
        announced_on=dt.date(2022, 1, 10),
        document_number="皋政发〔2022〕1号",
        created_by=people["winner"].user,
    )
    contact = make_user(Role.APPLICANT, username="org_contact", organization=organization)
    contact.full_name, contact.email, contact.phone = "陈联系", "chen@example.cn", "13900002222"
    contact.save()
    Application.objects.create(
        cycle=old,
        kind="organization",
        organization=organization,
        recommending_unit=organization.recommending_unit,
        created_by=contact,
        data={"contact_name": "陈联系", "contact_phone": "13900002222"},
    )
    proposal = Proposal.objects.create(cycle=old)
    objections = {
        outcome: Objection.objects.create(
            proposal=proposal,
            receipt=f"YY2021{n:03d}",
            name=name,
            identity="市民",
            contact="13700003333",
            content="对拟奖名单有异议",
            filed_at=timezone.now(),
            outcome=outcome,
        )
        for n, (outcome, name) in enumerate(
            ((Objection.Outcome.DISMISSED, "赵异议"), (Objection.Outcome.OPEN, "钱未决")), 1
        )
    }
    return {"people": people, "contact": contact, "objections": objections, "org": organization}


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_and_changes_nothing(world: dict[str, Any]) -> None:
    events = AuditEvent.objects.count()
    output = _run()
    assert (
        "个人申报人 王**：年度于 2021-12-31 结束，保存期限 3 年已满，将删除其个人信息。" in output
    )
    assert "申报组织联系人 陈**" in output
    assert "异议人 赵**（回执 YY2021001）" in output
    assert "李获奖"[:1] + "**" not in output  # the winner
    assert "张**" not in output  # applied again in 2025: within the period
    assert "钱**" not in output  # objection still open
    assert "共 3 个对象。以上为预览，未做任何修改；加 --apply 执行。" in output
    assert AuditEvent.objects.count() == events
    assert Individual.objects.get(pk=world["people"]["loser"].pk).name == "王小明"


def test_apply_erases_personal_fields_keeps_records_and_audits(world: dict[str, Any]) -> None:
    applications = Application.objects.count()
    output = _run("--apply")
    assert "已处理 3 个对象，每个对象均已记入审计日志。" in output

    loser = Individual.objects.select_related("user").get(pk=world["people"]["loser"].pk)
    assert loser.name == "已删除"
    assert "199001011234" not in loser.id_number
    assert loser.id_number.startswith("已删除")
    user = loser.user
    assert (user.full_name, user.email, user.phone) == ("已删除", "", "")
    assert user.username == f"deleted-{user.pk}"
    assert not user.is_active
    assert not user.has_usable_password()
    application = Application.objects.get(individual=loser)
    assert application.data["contact_name"] == "已删除"
    assert application.data["contact_phone"] == "已删除"
    version = ApplicationVersion.objects.get(application=application)
    assert version.applicant["name"] == "已删除"
    assert version.data["contact_name"] == "已删除"

    contact = User.objects.get(pk=world["contact"].pk)
    assert (contact.full_name, contact.email, contact.phone, contact.is_active) == (
        "已删除",
        "",
        "",
        False,
    )
    assert Organization.objects.get(pk=world["org"].pk).name == world["org"].name  # not personal
    org_app = Application.objects.get(organization=world["org"])
    assert org_app.data["contact_name"] == "已删除"

    dismissed = Objection.objects.get(pk=world["objections"]["dismissed"].pk)
    assert (dismissed.name, dismissed.identity, dismissed.contact) == ("已删除",) * 3
    assert dismissed.content == "对拟奖名单有异议"  # the objection itself is kept

    # Never a winner, never anyone within the period or an open objection.
    assert Individual.objects.get(pk=world["people"]["winner"].pk).name == "李获奖"
    assert Individual.objects.get(pk=world["people"]["recent"].pk).name == "张近年"
    assert Objection.objects.get(pk=world["objections"]["open"].pk).name == "钱未决"
    assert Application.objects.count() == applications

    events = list(AuditEvent.objects.filter(action="accounts.personal_data.purge"))
    assert len(events) == 3
    assert {e.reason for e in events} == {"保存期限届满（个人信息保护法第四十七条）"}
    person_event = next(e for e in events if e.object_type == "accounts.individual")
    assert person_event.object_repr == "已删除"  # the event names nobody
    assert person_event.after is not None
    assert person_event.after["retention_years"] == 3
    assert person_event.after["cycle_closed_on"] == "2021-12-31"
    assert "身份证号码" in person_event.after["erased"]
    assert not any("王小明" in str(e.after) or "王小明" in e.object_repr for e in events)
    assert verify_chain().ok
    # A second run finds nothing left.
    assert _run() == "没有保存期限届满的个人信息。\n"


def test_a_longer_policy_period_keeps_everyone(world: dict[str, Any], policy: Policy) -> None:
    policy.personal_data_retention_years = 10
    policy.save(update_fields=["personal_data_retention_years"])
    assert _run("--apply") == "没有保存期限届满的个人信息。\n"
    assert Individual.objects.get(pk=world["people"]["loser"].pk).name == "王小明"


def test_the_policy_field_has_its_chinese_name(policy: Policy) -> None:
    field = Policy._meta.get_field("personal_data_retention_years")
    assert field.verbose_name == "未获奖申报人个人信息保存期限（年）"
    assert policy.personal_data_retention_years == 3
