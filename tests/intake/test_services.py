"""The application's life through the services: who may do what, when, and what is recorded."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from accounts.models import Individual, Organization, RecommendingUnit, Role, User
from accounts.registration import register_organization
from audit.models import AuditEvent
from intake import services
from intake.models import Application, ApplicationVersion, EligibilityResult, State
from lib import uscc
from lib.errors import PermissionDenied, ServiceError, StateConflict
from programs.models import Cycle
from tests.intake.conftest import CST, complete_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def submitted(draft: Application, personas: dict[str, User]) -> Application:
    services.submit_application(actor=personas["applicant"], application=draft)
    return draft


@pytest.fixture
def recommended(submitted: Application, personas: dict[str, User]) -> Application:
    services.recommend_application(
        actor=personas["recommender"], application=submitted, opinion="同意推荐。"
    )
    return submitted


def _confirmations(application: Application) -> list[str]:
    return list(
        application.eligibility.filter(version=application.version, outcome="confirm").values_list(
            "rule", flat=True
        )
    )


@pytest.mark.req("A2.1")
def test_both_kinds_of_applicant_apply(
    open_cycle: Cycle, org: Organization, person: Individual, personas: dict[str, User]
) -> None:
    a = services.start_application(actor=personas["applicant"], cycle=open_cycle, organization=org)
    b = services.start_application(actor=person.user, cycle=open_cycle, individual=person)
    assert (a.kind, b.kind) == ("organization", "individual")
    assert b.recommending_unit.name == "如城街道"


def test_one_application_per_applicant_per_cycle(
    draft: Application, org: Organization, personas: dict[str, User]
) -> None:
    with pytest.raises(StateConflict, match="已有申报"):
        services.start_application(actor=personas["applicant"], cycle=draft.cycle, organization=org)
    assert Application.objects.count() == 1


def test_nobody_applies_in_anothers_name(
    open_cycle: Cycle, org: Organization, personas: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        services.start_application(actor=personas["office"], cycle=open_cycle, organization=org)


@pytest.mark.req("A15.2")
@pytest.mark.parametrize(
    ("moment", "word"),
    [
        (dt.datetime(2026, 5, 1, 0, 5, tzinfo=CST), "已于2026年4月30日结束"),
        (dt.datetime(2026, 3, 1, 23, 55, tzinfo=CST), "将于2026年3月2日开始"),
    ],
)
def test_submission_outside_the_window_is_refused_with_the_dates(
    draft: Application, personas: dict[str, User], time_machine, moment: dt.datetime, word: str
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(moment, tick=False)
    with pytest.raises(ServiceError) as exc:
        services.submit_application(actor=personas["applicant"], application=draft)
    assert exc.value.article == "A15.2"
    assert "2026年3月2日至2026年4月30日" in exc.value.message
    assert word in exc.value.message
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert not ApplicationVersion.objects.exists()


@pytest.mark.req("A15.2")
def test_last_day_of_the_window_still_accepts(
    draft: Application, personas: dict[str, User], time_machine
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(dt.datetime(2026, 4, 30, 23, 59, tzinfo=CST), tick=False)
    services.submit_application(actor=personas["applicant"], application=draft)
    assert Application.objects.get().state == State.SUBMITTED


@pytest.mark.req("A15.2")
def test_incomplete_form_is_refused_listing_what_is_missing(
    open_cycle: Cycle, org: Organization, personas: dict[str, User]
) -> None:
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    form = complete_form()
    del form["self_evaluation"]["4.7.7"]
    services.save_draft(actor=personas["applicant"], application=application, data=form)
    with pytest.raises(ServiceError, match="尚未填写完整") as exc:
        services.submit_application(actor=personas["applicant"], application=application)
    assert exc.value.fields["missing"] == ["自我评价 4.7.7 领导方面的结果"]


def test_a_bad_percentage_is_kept_as_typed_and_the_rest_saved(
    draft: Application, personas: dict[str, User]
) -> None:
    form = complete_form()
    form["self_evaluation"]["4.1.2"]["percent"] = 62
    form["self_evaluation"]["4.1.2"]["text"] = "新的说明"
    saved = services.save_draft(actor=personas["applicant"], application=draft, data=form)
    assert saved.draft_errors == {"self_evaluation.4.1.2.percent": ["自评得分率须为5的倍数"]}
    stored = Application.objects.get()
    # The refused percentage is not in the valid part; its own text beside it is.
    assert stored.data["self_evaluation"]["4.1.2"] == {"text": "新的说明", "percent": None}
    assert stored.draft_typed["self_evaluation"]["4.1.2"]["percent"] == 62
    assert stored.draft_errors == saved.draft_errors


@pytest.mark.req("A15.2", "A3.1")
def test_submit_freezes_a_version_evaluates_rules_and_notifies_the_town(
    draft: Application, personas: dict[str, User]
) -> None:
    version = services.submit_application(actor=personas["applicant"], application=draft)
    assert (version.number, draft.state, draft.version) == (1, State.SUBMITTED, 1)
    assert version.data == draft.data
    outcomes = dict(
        EligibilityResult.objects.filter(application=draft, version=1).values_list(
            "rule", "outcome"
        )
    )
    assert outcomes["a12_1_operation"] == "pass"
    assert outcomes["a12_2_leading"] == "confirm"
    event = AuditEvent.objects.get(action="intake.application.submit")
    assert (event.actor, event.role, event.before, (event.after or {})["state"]) == (
        personas["applicant"],
        "applicant",
        {"state": "draft"},
        "submitted",
    )
    assert [m.to for m in mail.outbox] == [[personas["recommender"].email]] or personas[
        "recommender"
    ].email == ""
    assert personas["recommender"].notifications.filter(subject__startswith="待推荐").exists()


def test_double_submit_submits_once(draft: Application, personas: dict[str, User]) -> None:
    stale = Application.objects.get(pk=draft.pk)
    services.submit_application(actor=personas["applicant"], application=draft)
    with pytest.raises(StateConflict, match="已提交"):
        services.submit_application(actor=personas["applicant"], application=stale)
    assert ApplicationVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="intake.application.submit").count() == 1


@pytest.mark.req("A7.1", "A15.3")
def test_only_the_applicants_town_recommends(
    submitted: Application, personas: dict[str, User], make_user
) -> None:  # type: ignore[no-untyped-def]
    other_town = make_user(Role.RECOMMENDER, unit=RecommendingUnit.objects.get(name="白蒲镇"))
    with pytest.raises(PermissionDenied):
        services.recommend_application(actor=other_town, application=submitted, opinion="同意")
    with pytest.raises(PermissionDenied):
        services.recommend_application(
            actor=personas["office"], application=submitted, opinion="同意"
        )
    rec = services.recommend_application(
        actor=personas["recommender"],
        application=submitted,
        opinion="该企业质量管理水平领先，同意推荐。",
    )
    assert (rec.unit.name, submitted.state) == ("如城街道", State.RECOMMENDED)
    assert (
        AuditEvent.objects.get(action="intake.application.recommend").reason
        == "该企业质量管理水平领先，同意推荐。"
    )


@pytest.mark.req("A15.3")
def test_recommendation_after_the_deadline_is_refused(
    submitted: Application, personas: dict[str, User], time_machine
) -> None:  # type: ignore[no-untyped-def]
    """Recommendations are due the day before 资格审查 starts (2026-05-05)."""
    time_machine.move_to(dt.datetime(2026, 5, 6, 9, 0, tzinfo=CST), tick=False)
    with pytest.raises(ServiceError, match="2026年5月5日") as exc:
        services.recommend_application(
            actor=personas["recommender"], application=submitted, opinion="同意"
        )
    assert exc.value.article == "A15.3"


@pytest.mark.req("A15.3")
def test_returned_application_is_resubmitted_as_a_new_version(
    submitted: Application, personas: dict[str, User]
) -> None:
    services.return_application(
        actor=personas["recommender"], application=submitted, reason="请补充2025年纳税证明。"
    )
    assert submitted.state == State.RETURNED
    form = complete_form(summary="已补充纳税证明。")
    services.save_draft(actor=personas["applicant"], application=submitted, data=form)
    services.submit_application(actor=personas["applicant"], application=submitted)
    versions = list(
        ApplicationVersion.objects.filter(application=submitted).values_list(
            "number", "data__summary"
        )
    )
    assert versions == [(1, complete_form()["summary"]), (2, "已补充纳税证明。")]
    assert personas["applicant"].notifications.filter(subject__startswith="退回修改").exists()


def test_return_needs_a_reason(submitted: Application, personas: dict[str, User]) -> None:
    with pytest.raises(ServiceError, match="退回理由"):
        services.return_application(
            actor=personas["recommender"], application=submitted, reason=" "
        )
    assert Application.objects.get().state == State.SUBMITTED


@pytest.mark.req("A16.1")
def test_office_accepts_after_confirming_what_only_it_can_judge(
    recommended: Application, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    to_qualification()
    with pytest.raises(ServiceError, match="未确认") as exc:
        services.decide_qualification(
            actor=personas["office"], application=recommended, accept=True, reason=""
        )
    assert set(exc.value.fields["confirmed"]) == set(_confirmations(recommended))
    decision = services.decide_qualification(
        actor=personas["office"],
        application=recommended,
        accept=True,
        reason="材料齐全，符合条件。",
        confirmed=_confirmations(recommended),
    )
    assert (decision.outcome, recommended.state) == ("accepted", State.ACCEPTED)
    assert personas["applicant"].notifications.filter(subject__startswith="已受理").exists()


@pytest.mark.req("A16.1", "A12.5")
def test_a_hard_failure_blocks_acceptance_and_refusal_cites_the_article(
    open_cycle: Cycle,
    org: Organization,
    personas: dict[str, User],
    to_qualification: Callable[[], None],
) -> None:
    Organization.objects.filter(pk=org.pk).update(environmental_rating="yellow")
    org.refresh_from_db()
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    services.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    services.submit_application(actor=personas["applicant"], application=application)
    services.recommend_application(
        actor=personas["recommender"], application=application, opinion="同意推荐"
    )
    to_qualification()
    with pytest.raises(ServiceError, match="不能受理") as exc:
        services.decide_qualification(
            actor=personas["office"],
            application=application,
            accept=True,
            reason="",
            confirmed=_confirmations(application),
        )
    assert exc.value.article == "A12.5"
    with pytest.raises(ServiceError, match="依据的条款"):
        services.decide_qualification(
            actor=personas["office"],
            application=application,
            accept=False,
            reason="环保信用等级为黄色",
        )
    services.decide_qualification(
        actor=personas["office"],
        application=application,
        accept=False,
        reason="工业企业环保信用等级为黄色，未达到蓝色及以上。",
        articles=["A12.5"],
    )
    assert application.state == State.NOT_ACCEPTED
    note = personas["applicant"].notifications.get(subject__startswith="不予受理")
    assert "第十二条第（五）项" in note.body  # cited as the Measures number themselves
    assert "黄色" in note.body


@pytest.mark.req("A16.1")
def test_a_decision_changes_only_by_an_audited_correction(
    recommended: Application, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    to_qualification()
    first = services.decide_qualification(
        actor=personas["office"],
        application=recommended,
        accept=False,
        reason="材料不规范",
        articles=["A16.1"],
    )
    with pytest.raises(StateConflict):
        services.decide_qualification(
            actor=personas["office"],
            application=recommended,
            accept=False,
            reason="再次",
            articles=["A16.1"],
        )
    with pytest.raises(ServiceError, match="理由"):
        services.correct_decision(actor=personas["office"], decision=first, reason="")
    with pytest.raises(ServiceError, match="未确认"):
        services.correct_decision(actor=personas["office"], decision=first, reason="予以受理")
    second = services.correct_decision(
        actor=personas["office"],
        decision=first,
        reason="经复核材料规范，予以受理。",
        confirmed=_confirmations(recommended),
    )
    assert (second.corrects, recommended.state) == (first, State.ACCEPTED)
    with pytest.raises(StateConflict, match="已被更正"):
        services.correct_decision(actor=personas["office"], decision=first, reason="再次")
    assert (
        AuditEvent.objects.get(action="intake.decision.correct").reason
        == "经复核材料规范，予以受理。"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two concurrent clerks need a server database"
)
def test_two_clerks_deciding_at_once_one_wins(
    personas: dict[str, User],
    open_cycle: Cycle,
    org: Organization,
    to_qualification: Callable[[], None],
) -> None:
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    services.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    services.submit_application(actor=personas["applicant"], application=application)
    services.recommend_application(
        actor=personas["recommender"], application=application, opinion="同意"
    )
    to_qualification()
    results: list[str] = []
    barrier = threading.Barrier(2)

    def clerk(accept: bool) -> None:
        mine = Application.objects.get(pk=application.pk)
        barrier.wait()
        try:
            services.decide_qualification(
                actor=personas["office"],
                application=mine,
                accept=accept,
                reason="决定",
                articles=["A16.1"],
                confirmed=_confirmations(mine),
            )
            results.append("won")
        except StateConflict as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(flag,)) for flag in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1
    (loser,) = [r for r in results if r != "won"]
    assert "可能已被他人处理" in loser
    assert application.decisions.count() == 1


def test_withdraw(draft: Application, personas: dict[str, User]) -> None:
    services.withdraw_application(
        actor=personas["applicant"], application=draft, reason="今年不参评"
    )
    assert draft.state == State.WITHDRAWN
    with pytest.raises(StateConflict):
        services.submit_application(actor=personas["applicant"], application=draft)


def test_attachment_type_is_read_from_the_content(
    draft: Application, personas: dict[str, User]
) -> None:
    applicant = personas["applicant"]
    with pytest.raises(ServiceError, match="可执行程序"):
        services.add_attachment(
            actor=applicant,
            application=draft,
            section="general",
            name="营业执照.pdf",
            data=b"MZ\x90\x00" + b"\x00" * 64,
        )
    with pytest.raises(ServiceError, match="空文件"):
        services.add_attachment(
            actor=applicant, application=draft, section="general", name="a.pdf", data=b""
        )
    attachment = services.add_attachment(
        actor=applicant, application=draft, section="A12.3", name="鲁班奖证书.pdf", data=PDF
    )
    assert (attachment.kind, attachment.size) == ("pdf", len(PDF))
    assert attachment.file.name.endswith(str(attachment.public_id))
    assert "鲁班" not in attachment.file.name


def test_downloads_are_checked_and_audited(
    draft: Application, personas: dict[str, User], make_user
) -> None:  # type: ignore[no-untyped-def]
    attachment = services.add_attachment(
        actor=personas["applicant"], application=draft, section="general", name="a.pdf", data=PDF
    )
    services.submit_application(actor=personas["applicant"], application=draft)
    assert services.open_attachment(actor=personas["recommender"], attachment=attachment) == PDF
    event = AuditEvent.objects.get(action="intake.attachment.download")
    assert (event.actor, event.role) == (personas["recommender"], "recommender")
    stranger = make_user(Role.RECOMMENDER, unit=RecommendingUnit.objects.get(name="白蒲镇"))
    with pytest.raises(PermissionDenied):
        services.open_attachment(actor=stranger, attachment=attachment)
    version = ApplicationVersion.objects.get()
    assert version.attachments[0]["sha256"] == attachment.sha256


@pytest.mark.req("A2.1")
def test_registration_validates_the_code_and_refuses_duplicates(program: object) -> None:
    unit = RecommendingUnit.objects.get(name="白蒲镇")
    common: dict[str, Any] = {
        "name": "白蒲示例食品有限公司",
        "recommending_unit": unit,
        "contact_name": "赵六",
        "password": "Lantern#2026x",
    }
    with pytest.raises(ServiceError, match="校验位错误") as exc:
        register_organization(uscc_code="91320682MA1XYK1230", username="baipu", **common)
    assert "uscc" in exc.value.fields
    org, user = (
        register_organization(uscc_code="91320682MA1XYK123" + "5", username="baipu", **common)
        if False
        else (None, None)
    )

    code = "91320682MA1BPF001"
    code += uscc.check_character(code)
    org, user = register_organization(uscc_code=code.lower(), username="baipu", **common)
    assert org.uscc == code
    assert user.has_perm(
        "intake.edit_application", Application(organization=org, kind="organization")
    )
    with pytest.raises(ServiceError, match="已注册"):
        register_organization(uscc_code=code, username="baipu2", **common)
    assert Organization.objects.filter(uscc=code).count() == 1
    assert not User.objects.filter(username="baipu2").exists()


def test_individual_id_number_never_enters_the_audit_in_full(person: Individual) -> None:
    event = AuditEvent.objects.get(action="accounts.individual.register")
    assert (event.after or {})["id_number"] == "320682********0026"
    assert person.id_number not in str(event.after)


def test_only_the_office_sees_a_full_id_number_and_each_view_is_audited(
    person: Individual, personas: dict[str, User]
) -> None:
    from accounts.services import reveal_id_number

    with pytest.raises(PermissionDenied):
        reveal_id_number(actor=personas["recommender"], individual=person)
    assert (
        reveal_id_number(actor=personas["office"], individual=person, reason="核对身份")
        == "320682198503150026"
    )
    event = AuditEvent.objects.get(action="accounts.individual.reveal_id")
    assert (event.actor, event.reason) == (personas["office"], "核对身份")


def test_draft_errors_are_in_chinese(draft: Application, personas: dict[str, User]) -> None:
    form = complete_form(employees=-3, gbt19580_since="2019-13-40")
    form["figures"][0]["revenue"] = "很多"
    saved = services.save_draft(actor=personas["applicant"], application=draft, data=form)
    assert saved.draft_errors == {
        "employees": ["不能小于0"],
        "figures.0.revenue": ["请填写数字"],
        "gbt19580_since": ["请填写有效的日期（年-月-日）"],
    }


@pytest.mark.req("A15.2")
def test_one_bad_number_keeps_nothing_else_from_saving_and_blocks_submission(
    draft: Application, personas: dict[str, User]
) -> None:
    """Issue 16: 从业人数 −5 kept as typed with its reason; the long 自我评价 saved; submitting
    refused naming the field; put right, the draft is whole again and submits."""
    long_text = "我们推行卓越绩效模式，" * 400  # 4,400 characters
    form = complete_form(employees=-5)
    form["self_evaluation"]["4.1.2"]["text"] = long_text
    form["spot_checks"] = [{"level": "city", "product": "阀门"}]  # a record without its date
    applicant = personas["applicant"]
    services.save_draft(actor=applicant, application=draft, data=form)
    stored = Application.objects.get()
    assert stored.data["self_evaluation"]["4.1.2"]["text"] == long_text
    assert stored.data["employees"] is None  # refused: not in what the rules read
    assert stored.data["spot_checks"] == []
    assert stored.draft_typed["employees"] == -5
    assert stored.draft_typed["spot_checks"] == [{"level": "city", "product": "阀门"}]
    assert stored.draft_errors == {
        "employees": ["不能小于0"],
        "spot_checks.0.date": ["必填"],
        "spot_checks.0.passed": ["必填"],
    }
    with pytest.raises(ServiceError) as exc:
        services.submit_application(actor=applicant, application=stored)
    assert exc.value.code == "invalid_fields"
    assert exc.value.message.startswith(
        "申报表有3处填写错误，改正后才能提交：从业人数（不能小于0）"
    )
    assert "产品质量监督抽查第1行 · 抽查日期（必填）" in exc.value.message
    assert exc.value.fields == stored.draft_errors
    assert Application.objects.get().state == State.DRAFT

    form = complete_form(employees=5)
    form["self_evaluation"]["4.1.2"]["text"] = long_text
    services.save_draft(actor=applicant, application=stored, data=form)
    fixed = Application.objects.get()
    assert (fixed.draft_typed, fixed.draft_errors, fixed.data["employees"]) == ({}, {}, 5)
    services.submit_application(actor=applicant, application=fixed)
    assert Application.objects.get().state == State.SUBMITTED


def test_a_list_over_its_limit_keeps_its_first_rows(
    draft: Application, personas: dict[str, User]
) -> None:
    row = {"date": "2024-06-01", "level": "city", "passed": True}
    form = complete_form(spot_checks=[row] * 101)
    saved = services.save_draft(actor=personas["applicant"], application=draft, data=form)
    assert saved.draft_errors == {"spot_checks": ["最多填写100行"]}
    assert len(Application.objects.get().data["spot_checks"]) == 100


@pytest.mark.req("A16.1")
def test_correction_cannot_turn_a_hard_failure_into_an_acceptance(
    open_cycle: Cycle,
    org: Organization,
    personas: dict[str, User],
    to_qualification: Callable[[], None],
) -> None:
    Organization.objects.filter(pk=org.pk).update(environmental_rating="red")
    org.refresh_from_db()
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    services.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    services.submit_application(actor=personas["applicant"], application=application)
    services.recommend_application(
        actor=personas["recommender"], application=application, opinion="同意"
    )
    to_qualification()
    refusal = services.decide_qualification(
        actor=personas["office"],
        application=application,
        accept=False,
        reason="红色",
        articles=["A12.5"],
    )
    with pytest.raises(ServiceError, match="不能受理") as exc:
        services.correct_decision(
            actor=personas["office"],
            decision=refusal,
            reason="通融",
            confirmed=_confirmations(application),
        )
    assert exc.value.article == "A12.5"
    assert Application.objects.get(pk=application.pk).state == State.NOT_ACCEPTED


def test_refusals_cite_only_articles_of_the_rules(
    recommended: Application, personas: dict[str, User], to_qualification: Callable[[], None]
) -> None:
    to_qualification()
    with pytest.raises(ServiceError, match=r"A99\.9"):
        services.decide_qualification(
            actor=personas["office"],
            application=recommended,
            accept=False,
            reason="x",
            articles=["A99.9"],
        )
    assert Application.objects.get(pk=recommended.pk).state == State.RECOMMENDED


@pytest.mark.req("A16.1")
def test_the_offices_return_is_kept_with_its_reason(
    recommended: Application, personas: dict[str, User]
) -> None:
    services.return_application(
        actor=personas["office"], application=recommended, reason="请补充营业执照副本。"
    )
    decision = recommended.decisions.get()
    assert (decision.outcome, decision.reason) == ("returned", "请补充营业执照副本。")
    with pytest.raises(StateConflict, match="无需更正"):
        services.correct_decision(actor=personas["office"], decision=decision, reason="x")


def test_submit_freezes_what_is_stored_not_a_stale_object(
    draft: Application, personas: dict[str, User]
) -> None:
    stale = Application.objects.get(pk=draft.pk)
    services.save_draft(
        actor=personas["applicant"], application=draft, data=complete_form(summary="最新简介")
    )
    services.submit_application(actor=personas["applicant"], application=stale)
    assert ApplicationVersion.objects.get().data["summary"] == "最新简介"


@pytest.mark.req("A29.1", "A24.1")
def test_recorded_ban_and_award_reach_the_eligibility_report(
    open_cycle: Cycle, org: Organization, personas: dict[str, User]
) -> None:
    from intake.standing import record_ban, record_prior_award

    with pytest.raises(PermissionDenied):
        record_ban(
            actor=personas["recommender"],
            organization=org,
            starts_on=dt.date(2025, 1, 1),
            reason="x",
            decision_ref="y",
        )
    ban = record_ban(
        actor=personas["office"],
        organization=org,
        starts_on=dt.date(2025, 1, 10),
        reason="2024年申报材料弄虚作假",
        decision_ref="如皋市质量发展委员会2025年第1次会议",
    )
    assert ban.ends_on == dt.date(2028, 1, 9)
    record_prior_award(
        actor=personas["office"],
        organization=org,
        year=2022,
        level="award",
        announced_on=dt.date(2023, 1, 16),
        document_number="皋政发〔2023〕5号",
    )
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    services.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    findings = {f.rule: f for f in services.check_eligibility(application)}
    assert findings["a29_ban"].outcome == "fail"
    assert (
        findings["a24_reapply"].outcome == "pass"
    )  # announced 2023-01-16: 3 full years by 2026-03-02
    assert AuditEvent.objects.filter(
        action="intake.ban.add", reason="2024年申报材料弄虚作假"
    ).exists()


@pytest.mark.req("A5.3")
def test_an_individual_applicants_role_is_recorded(program: object) -> None:
    from accounts.registration import register_individual

    unit = RecommendingUnit.objects.get(name="如城街道")
    common: dict[str, Any] = {
        "name": "周琳",
        "id_number": "320682198002020020",
        "recommending_unit": unit,
        "quality_work_years": 9,
        "employer_name": "如皋示例机械有限公司",
        "username": "zhoulin",
        "password": "Lantern#2026z",
    }
    with pytest.raises(ServiceError, match="请选择身份"):
        register_individual(position="volunteer", **common)
    person, _ = register_individual(position=Individual.Position.ENTREPRENEUR, **common)
    assert person.get_position_display() == "企业家"
    assert {str(p.label) for p in Individual.Position} == {
        "企业家",
        "首席质量官",
        "其他在质量方面做出突出贡献的个人",
    }
