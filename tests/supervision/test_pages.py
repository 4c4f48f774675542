"""The supervision pages: the Office's cases and sanctions (supervisors read them), the winner's
own page with its duty to report, and the public credit list (A13.4, A23.1, A23.2, A24.1, A29.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role, User
from decision.models import Certificate
from intake.models import AwardRecord, State
from supervision import services
from supervision.models import Case, Sanction
from tests.conftest import client_for
from tests.decision.conftest import CST, Decided, announced

CONFIRMED = dt.date(2026, 12, 12)


def _at(time_machine: Any, day: dt.date) -> None:
    time_machine.move_to(dt.datetime(day.year, day.month, day.day, 10, tzinfo=CST), tick=False)


def _award(decided: Decided, time_machine: Any, n: int = 0) -> AwardRecord:
    if not AwardRecord.objects.exists():
        announced(decided, time_machine)
    return AwardRecord.objects.get(application=decided.organizations[n])


def _contact(make_user: Any, award: AwardRecord, name: str = "winner_contact") -> User:
    user: User = make_user(Role.APPLICANT, username=name, organization=award.organization)
    return user


def _case(decided: Decided, award: AwardRecord, **over: Any) -> Case:
    return services.open_case(
        actor=decided.office,
        award=award,
        source=over.pop("source", "spot_check"),
        what_happened=over.pop("what_happened", "监督抽查产品不合格。"),
        confirmed_on=over.pop("confirmed_on", CONFIRMED),
    )


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.req("A23.2", "A27.1", "A29.1")
def test_each_page_answers_its_users_and_refuses_others(
    decided: Decided, time_machine: Any, personas: dict[str, User | None]
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = _case(decided, award)
    case_url = reverse("supervision:case", args=[case.public_id])
    expected = {
        reverse("supervision:cases"): {"office": 200, "supervisor": 200, "applicant": 403},
        reverse("supervision:case_new"): {"office": 200, "supervisor": 403, "applicant": 403},
        case_url: {"office": 200, "supervisor": 200, "applicant": 403},
        reverse("supervision:sanctions"): {"office": 200, "supervisor": 200, "applicant": 403},
        reverse("supervision:my_award"): {"office": 404, "supervisor": 404, "applicant": 404},
        reverse("supervision:credit_list"): {"office": 200, "supervisor": 200, "applicant": 200},
    }
    for url, codes in expected.items():
        for who, code in codes.items():
            assert client_for(personas[who]).get(url).status_code == code, (url, who)
        anon = client_for(None).get(url)
        assert anon.status_code == (200 if "credit" in url else 302), url
    assert client_for(personas["outsider"]).get(case_url).status_code == 403
    missing = reverse("supervision:case", args=["00000000-0000-0000-0000-000000000000"])
    assert client_for(decided.office).get(missing).status_code == 404


@pytest.mark.req("A23.2", "A27.1", "A29.1")
def test_supervisors_read_but_every_post_is_403(
    decided: Decided, time_machine: Any, personas: dict[str, User | None]
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = _case(decided, award)
    supervisor = client_for(personas["supervisor"])
    page = supervisor.get(reverse("supervision:case", args=[case.public_id]))
    assert "只读" in page.content.decode()
    assert "报委员会</button>" not in page.content.decode()
    posts = [
        (reverse("supervision:case_new"), {"award": award.pk, "source": "media"}),
        (reverse("supervision:case_report", args=[case.public_id]), {"findings": "属实"}),
        (
            reverse("supervision:case_decide", args=[case.public_id]),
            {"outcome": "warning", "decided_on": "2027-02-01", "decision_ref": "x"},
        ),
        (reverse("supervision:sanctions"), {"application": award.application_id}),
    ]
    for url, data in posts:
        assert supervisor.post(url, data).status_code == 403, url
    case.refresh_from_db()
    assert (case.state, case.findings) == (Case.State.OPEN, "")
    assert not Sanction.objects.exists()


# --- the winner's page (A23.1, A24.1) ----------------------------------------------------------


@pytest.mark.req("A23.1", "A24.1", "A25.1")
def test_the_winner_sees_its_awards_duty_and_when_it_may_apply_again(
    decided: Decided, time_machine: Any, make_user: Any, personas: dict[str, User | None]
) -> None:
    award = _award(decided, time_machine)
    contact = _contact(make_user, award)
    page = client_for(contact).get(reverse("supervision:my_award"))
    assert page.status_code == 200
    html = page.content.decode()
    number = Certificate.objects.get(award=award).number
    assert number in html
    assert reverse("decision:verified", args=[number]) in html
    assert "2026年度市长质量奖" in html
    assert "至2029年12月9日" in html  # three years from the announcement on 2026-12-10
    assert "30日内" in html
    assert "第二十三条" in html
    # A24.1: announced 2026-12-10; three full years have passed by 2029-12-10, after the
    # application dates of 2029 (spring): the 2030 cycle is the first.
    assert "自2030年度起可再次申报；再次获奖不占名额、不发奖金（《办法》第二十四条）" in html
    other = AwardRecord.objects.get(application=decided.organizations[1])
    assert other.organization is not None
    assert other.organization.name not in html
    # The individual winner sees its own award, without the organization's re-application line.
    person = decided.individuals[0].individual
    assert person is not None
    assert person.user is not None
    own = client_for(person.user).get(reverse("supervision:my_award")).content.decode()
    assert person.name in own
    assert "可再次申报" not in own
    # An applicant of an organization without an award does not learn the page exists.
    assert client_for(personas["applicant"]).get(reverse("supervision:my_award")).status_code == 404


@pytest.mark.req("A23.1")
@pytest.mark.parametrize(
    ("reported", "late"), [(dt.date(2027, 1, 11), False), (dt.date(2027, 1, 12), True)]
)
def test_a_winner_reports_through_its_page_on_time_or_late(
    decided: Decided, time_machine: Any, make_user: Any, reported: dt.date, late: bool
) -> None:
    award = _award(decided, time_machine)
    contact = _contact(make_user, award)
    _at(time_machine, reported)  # sign in after the clock moves: sessions expire when idle
    client = client_for(contact)
    response = client.post(
        reverse("supervision:my_award"),
        {
            "award": award.pk,
            "what_happened": "2026年12月产品监督抽查不合格。",
            "confirmed_on": CONFIRMED.isoformat(),
            "evidence": "抽查结果通知书",
        },
        follow=True,
    )
    html = response.content.decode()
    case = Case.objects.get(award=award)
    assert (case.source, case.report_due_on, case.late) == ("winner", dt.date(2027, 1, 11), late)
    assert "2027年1月11日" in html
    assert ('text-bg-warning">逾期报告' in html) is late
    assert ("已超过报告期限" in html) is late
    assert ("按期提交" in html) is not late


@pytest.mark.req("A23.1")
def test_a_refused_report_keeps_the_input_and_other_awards_are_404(
    decided: Decided, time_machine: Any, make_user: Any
) -> None:
    award = _award(decided, time_machine)
    client = client_for(_contact(make_user, award))
    response = client.post(
        reverse("supervision:my_award"),
        {"award": award.pk, "what_happened": "将来的事", "confirmed_on": "2027-05-01"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "确认日期不能晚于今天" in html
    assert "将来的事" in html
    assert not Case.objects.exists()
    other = AwardRecord.objects.get(application=decided.organizations[1])
    stranger = client.post(
        reverse("supervision:my_award"),
        {"award": other.pk, "what_happened": "x", "confirmed_on": "2026-12-10"},
    )
    assert stranger.status_code == 404


# --- the Office's cases (A23.1, A23.2, A25.1) --------------------------------------------------


@pytest.mark.req("A23.1", "A23.2", "A25.1")
def test_the_office_opens_reports_and_revokes_through_the_pages(
    decided: Decided, time_machine: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    client = client_for(decided.office)
    form = client.get(reverse("supervision:case_new")).content.decode()
    assert str(award.organization) in form
    response = client.post(
        reverse("supervision:case_new"),
        {
            "award": award.pk,
            "source": "spot_check",
            "what_happened": "监督抽查发现产品不合格，企业未报告。",
            "confirmed_on": CONFIRMED.isoformat(),
            "evidence": "抽查报告",
        },
        follow=True,
    )
    case = Case.objects.get(award=award)
    assert case.failed_to_report is True
    html = response.content.decode()
    assert "未按规定报告" in html
    assert "获奖者未在期限内书面报告" in html
    assert "2027-01-11" in html
    listing = client.get(reverse("supervision:cases")).content.decode()
    assert "未按规定报告" in listing
    assert reverse("supervision:case", args=[case.public_id]) in listing

    client.post(
        reverse("supervision:case_report", args=[case.public_id]),
        {"findings": "经核查情况属实。"},
    )
    case.refresh_from_db()
    assert case.state == Case.State.REPORTED
    page = client.get(reverse("supervision:case", args=[case.public_id])).content.decode()
    assert "data-confirm" in page
    assert "撤销证书、追回已发奖金、公开发布撤销公告" in page

    _at(time_machine, dt.date(2027, 3, 1))
    client = client_for(decided.office)
    done = client.post(
        reverse("supervision:case_decide", args=[case.public_id]),
        {"outcome": "revocation", "decided_on": "2027-03-01", "decision_ref": "皋政发〔2027〕12号"},
        follow=True,
    )
    assert "证书已撤销" in done.content.decode()
    award.refresh_from_db()
    assert award.revoked_on == dt.date(2027, 3, 1)
    number = Certificate.objects.get(award=award).number
    verified = client_for(None).get(reverse("decision:verified", args=[number]))
    assert "已撤销" in verified.content.decode()
    # A second decision is refused on the page, not with a crash.
    again = client.post(
        reverse("supervision:case_decide", args=[case.public_id]),
        {"outcome": "warning", "decided_on": "2027-03-01", "decision_ref": "x"},
        follow=True,
    )
    assert "当前状态为“已决定”，不能记录委员会决定" in again.content.decode()
    case.refresh_from_db()
    assert case.outcome == Case.Outcome.REVOCATION


@pytest.mark.req("A23.2")
def test_a_refused_case_keeps_the_input(decided: Decided, time_machine: Any) -> None:
    award = _award(decided, time_machine)
    response = client_for(decided.office).post(
        reverse("supervision:case_new"),
        {"award": award.pk, "source": "", "what_happened": "媒体报道的质量事故"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "媒体报道的质量事故" in html
    assert "is-invalid" in html
    assert not Case.objects.exists()


def test_the_cases_list_filters_and_keeps_its_query_count(
    decided: Decided, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    _case(decided, award)
    client = client_for(decided.office)
    client.get(reverse("supervision:cases"))
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("supervision:cases"))
    for other in AwardRecord.objects.exclude(pk=award.pk)[:3]:
        case = _case(decided, other)
        services.report_to_committee(actor=decided.office, case=case, findings="属实")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("supervision:cases"))
    assert page.content.decode().count('data-label="来源"') == 4
    reported = client.get(reverse("supervision:cases"), {"state": "reported"}).content.decode()
    assert reported.count('data-label="来源"') == 3


# --- fraud sanctions and the credit list (A29.1, A13.4) ----------------------------------------


@pytest.mark.req("A29.1", "A13.4")
def test_sanctions_through_the_page_and_the_public_credit_list(
    decided: Decided, time_machine: Any
) -> None:
    _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 4, 1))
    application = decided.organizations[2]
    client = client_for(decided.office)
    form = client.get(reverse("supervision:sanctions")).content.decode()
    assert application.applicant_name in form
    refused = client.post(
        reverse("supervision:sanctions"),
        {
            "application": application.pk,
            "reason": "伪造检测报告",
            "decided_on": "2027-04-01",
            "decision_ref": "委员会2027年第1次会议",
        },
    )
    assert refused.status_code == 400
    assert "请选择处理方式" in refused.content.decode()
    assert "伪造检测报告" in refused.content.decode()  # the input is kept
    done = client.post(
        reverse("supervision:sanctions"),
        {
            "application": application.pk,
            "kinds": ["award_revoked", "credit", "ban"],
            "reason": "申报材料中的检测报告系伪造。",
            "decided_on": "2027-04-01",
            "decision_ref": "委员会2027年第1次会议",
        },
        follow=True,
    )
    html = done.content.decode()
    assert Sanction.objects.filter(application=application).count() == 3
    assert "纳入信用管理并公开" in html
    assert "第二十九条" in html
    assert "2030-03-31" in html  # public for three years, to the ban's last day (A29.1)
    application.refresh_from_db()
    assert application.state == State.REVOKED
    public = client_for(None).get(reverse("supervision:credit_list"))
    text = public.content.decode()
    assert public.status_code == 200
    assert application.applicant_name in text
    assert "申报材料中的检测报告系伪造" in text
    assert "2030-03-31" in text
    organization = application.organization
    assert organization is not None
    assert organization.uscc not in text  # nothing personal or identifying beyond the name
    # Twice the same sanction is refused on the page.
    again = client.post(
        reverse("supervision:sanctions"),
        {
            "application": application.pk,
            "kinds": ["warning", "credit"],
            "reason": "重复",
            "decided_on": "2027-04-01",
            "decision_ref": "x",
        },
    )
    assert again.status_code == 400
    assert "已记录过" in again.content.decode()


def test_the_sanctions_list_keeps_its_query_count(
    decided: Decided, time_machine: Any, django_assert_max_num_queries: Any
) -> None:
    _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 4, 1))

    def sanction(n: int) -> None:
        services.sanction_fraud(
            actor=decided.office,
            application=decided.organizations[n],
            kinds=["warning", "credit"],
            reason="伪造材料",
            decided_on=dt.date(2027, 4, 1),
            decision_ref="委员会决定",
        )

    sanction(0)
    client = client_for(decided.office)
    client.get(reverse("supervision:sanctions"))
    with django_assert_max_num_queries(25) as one:
        client.get(reverse("supervision:sanctions"))
    for n in range(1, 4):
        sanction(n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("supervision:sanctions"))
    assert page.content.decode().count('data-label="处理"') == 8
    with django_assert_max_num_queries(len(one.captured_queries)):
        public = client_for(None).get(reverse("supervision:credit_list"))
    assert public.content.decode().count('data-label="名称"') == 4


@pytest.mark.req("A23.1")
def test_the_winners_application_links_to_its_award_page(
    decided: Decided, time_machine: Any, make_user: Any
) -> None:
    award = _award(decided, time_machine)
    application = award.application
    assert application is not None
    contact = _contact(make_user, award)
    url = reverse("intake:detail", args=[application.public_id])
    own = client_for(contact).get(url).content.decode()
    assert reverse("supervision:my_award") in own
    office = client_for(decided.office).get(url).content.decode()
    assert reverse("supervision:my_award") not in office


def test_the_case_actions_take_only_posts_and_only_from_the_office(
    decided: Decided, time_machine: Any, personas: dict[str, User | None]
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = _case(decided, award)
    for name in ("supervision:case_report", "supervision:case_decide"):
        url = reverse(name, args=[case.public_id])
        assert client_for(decided.office).get(url).status_code == 405
        assert client_for(personas["supervisor"]).get(url).status_code == 403
        assert client_for(None).get(url).status_code == 302


@pytest.mark.req("A23.1", "A23.2")
def test_the_offices_workbench_counts_the_cases_to_investigate(
    decided: Decided, time_machine: Any, make_user: Any, personas: dict[str, User]
) -> None:
    """A winner's written report reaches the Office's workbench, linked to the open cases
    (before, nothing told the Office; found by the whole-year scenario)."""
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 1, 20))
    services.report_violation(
        actor=_contact(make_user, award),
        award=award,
        what_happened="产品监督抽查不合格。",
        confirmed_on=CONFIRMED,
    )
    office = client_for(decided.office)
    dashboard = reverse("accounts:dashboard")
    todo = ("待核查的违规案件", 1, reverse("supervision:cases") + "?state=open")
    assert todo in office.get(dashboard).context["todos"]
    cases = office.get(todo[2]).content.decode()
    assert award.organization is not None
    assert award.organization.name in cases
    services.report_to_committee(actor=decided.office, case=Case.objects.get(), findings="属实。")
    assert ("待核查的违规案件", 0, todo[2]) in office.get(dashboard).context["todos"]
    supervisor = client_for(personas["supervisor"]).get(dashboard).context["todos"]
    assert not [t for t in supervisor if t[0] == "待核查的违规案件"]


@pytest.mark.req("A21.1", "A25.1")
def test_the_winner_downloads_its_certificate_from_its_award_page(
    decided: Decided, time_machine: Any, make_user: Any
) -> None:
    """The certificate's PDF is the winner's too (decision.views.certificate_pdf), but no page
    of the winner linked it (found by the whole-year scenario); once revoked, no link."""
    award = _award(decided, time_machine)
    client = client_for(_contact(make_user, award))
    number = Certificate.objects.get(award=award).number
    pdf = reverse("decision:certificate_pdf", args=[number])
    assert pdf in client.get(reverse("supervision:my_award")).content.decode()
    download = client.get(pdf)
    assert download.status_code == 200
    assert b"".join(download).startswith(b"%PDF")
    AwardRecord.objects.filter(pk=award.pk).update(revoked_on=dt.date(2027, 2, 5))
    assert pdf not in client.get(reverse("supervision:my_award")).content.decode()
