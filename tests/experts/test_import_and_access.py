"""Importing the pool from Excel, sanctions (A26.2), and what an expert may open (A26.1)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from accounts.models import Organization, User
from audit.models import AuditEvent
from experts import selectors, services
from experts.models import Assignment, Expert, ReviewGroup
from intake.models import Application
from lib.errors import PermissionDenied, ServiceError
from programs.models import Cycle
from tests.experts.test_pool import QUALIFIED
from tests.intake.conftest import complete_form

HEADER = [
    "姓名",
    "身份证号码",
    "手机号码",
    "职称",
    "类别",
    "熟悉行业",
    "实践年限",
    "培训证书",
    "培训日期",
    "工作单位",
    "政策法规依据",
    "实践经验依据",
    "培训依据",
    "守纪依据",
]


def _sheet(*rows: list[Any]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(name: str, idno: str, **over: Any) -> list[Any]:
    values = {
        "类别": "行业质量专家",
        "熟悉行业": "34、35",
        "实践年限": 10,
        "培训日期": dt.date(2021, 5, 1),
        "工作单位": "南通大学",
        "政策法规依据": "有",
        "实践经验依据": "有",
        "培训依据": "有",
        "守纪依据": "有",
    }
    values |= over
    return [
        name,
        idno,
        "13800000000",
        "教授",
        values["类别"],
        values["熟悉行业"],
        values["实践年限"],
        "证书",
        values["培训日期"],
        values["工作单位"],
        values["政策法规依据"],
        values["实践经验依据"],
        values["培训依据"],
        values["守纪依据"],
    ]


@pytest.mark.req("A8.1")
def test_import_adds_every_good_row(office: User) -> None:
    added = services.import_experts(
        actor=office,
        data=_sheet(_row("钱学", "320682197501010017"), _row("孙文", "320682198002020020")),
    )
    assert [e.name for e in added] == ["钱学", "孙文"]
    assert Expert.objects.get(name="孙文").industries == ["34", "35"]
    assert Expert.objects.get(name="钱学").employments.get().employer_name == "南通大学"
    assert AuditEvent.objects.filter(action="experts.expert.add").count() == 2


def test_a_bad_row_is_reported_and_nothing_is_half_imported(office: User) -> None:
    data = _sheet(
        _row("钱学", "320682197501010017"),
        _row(
            "", "320682197501010016", 类别="院士", 熟悉行业="99", 实践年限="多年", 培训日期="去年"
        ),
        _row("重复", "320682197501010017"),
    )
    with pytest.raises(ServiceError, match="未导入任何专家") as exc:
        services.import_experts(actor=office, data=data)
    rows = exc.value.fields["rows"]
    assert rows[0].startswith("第3行：缺少姓名；身份证号码校验位错误")
    assert "类别“院士”" in rows[0]
    assert "行业代码99无效" in rows[0]
    assert "实践年限应为整数" in rows[0]
    assert "培训日期" in rows[0]
    assert rows[1] == "第4行：身份证号码与前面的行重复"
    assert not Expert.objects.exists()


def test_a_file_that_is_not_a_workbook_is_refused(office: User) -> None:
    with pytest.raises(ServiceError, match="无法读取"):
        services.import_experts(actor=office, data=b"name,id\n")


@pytest.fixture
def expert(office: User, personas: dict[str, User]) -> Expert:
    expert = services.save_expert(actor=office, id_number="320682197501010017", **QUALIFIED)
    Expert.objects.filter(pk=expert.pk).update(user=personas["expert"])
    personas["expert"].refresh_from_db()
    return Expert.objects.get(pk=expert.pk)


@pytest.fixture
def assigned(
    open_cycle: Cycle, org: Organization, personas: dict[str, User], expert: Expert, office: User
) -> Application:
    from intake import services as intake

    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    intake.submit_application(actor=personas["applicant"], application=application)
    group = ReviewGroup.objects.create(application=application, stage="material_review")
    Assignment.objects.create(
        group=group,
        expert=expert,
        source="manual",
        assigned_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    return application


@pytest.mark.req("A26.1", "A6.3")
def test_an_expert_sees_an_assignment_only_after_signing_and_opens_it_after_confirming(
    assigned: Application, expert: Expert, office: User, personas: dict[str, User]
) -> None:
    user = personas["expert"]
    assert list(selectors.assigned_applications(user)) == []  # the code not yet signed
    services.set_code_of_conduct(actor=office, cycle=assigned.cycle, text="工作守则")
    services.acknowledge(actor=user, cycle=assigned.cycle)
    assert list(selectors.assigned_applications(user)) == [assigned]
    assert list(selectors.openable_applications(user)) == []
    services.confirm_no_conflict(actor=user, application=assigned)
    assert list(selectors.openable_applications(user)) == [assigned]
    services.declare_conflict(
        actor=user, application=assigned, expert=expert, reason="relative", note="表兄任副总经理"
    )
    assert list(selectors.openable_applications(user)) == []
    assert list(selectors.assigned_applications(personas["supervisor"])) == []


def test_an_expert_cannot_confirm_an_application_not_assigned(
    assigned: Application, personas: dict[str, User], make_user: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.confirm_no_conflict(actor=personas["office"], application=assigned)


@pytest.mark.req("A26.2")
def test_removal_of_expert_status_ends_assignments_and_is_recorded(
    assigned: Application, expert: Expert, office: User, policy: Any
) -> None:
    with pytest.raises(ServiceError, match="事由"):
        services.record_sanction(
            actor=office,
            expert=expert,
            kind="removal",
            decided_on=dt.date(2026, 6, 1),
            decision_ref="",
            reason="",
        )
    services.record_sanction(
        actor=office,
        expert=expert,
        kind="removal",
        decided_on=dt.date(2026, 6, 1),
        decision_ref="委员会2026年第2次会议",
        reason="评审期间收受申报单位礼品",
        evidence="监督员报告",
    )
    expert.refresh_from_db()
    assert expert.status == "removed"
    assert services.qualification_gaps(expert, policy) == ["专家状态为“已撤销专家资格”"]
    assert Assignment.objects.get().removed_reason == "撤销评审专家资格"
    assert AuditEvent.objects.filter(
        action="experts.sanction.record", reason="评审期间收受申报单位礼品"
    ).exists()
