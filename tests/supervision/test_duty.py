"""The winner's duty to report, read on the day (A23.1); the committee's outcomes the case can
take (A23.2); and a case that cannot be told from an unknown id by whoever may not act on it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role, User
from intake.models import AwardRecord
from lib.errors import StateConflict
from supervision import selectors, services
from supervision.models import Case
from tests.conftest import api_call, api_client, client_for
from tests.decision.conftest import Decided
from tests.supervision.test_pages import _at, _award, _contact

CONFIRMED = dt.date(2027, 1, 20)  # due 2027-02-19 (30 days)


def _open(decided: Decided, award: AwardRecord) -> Case:
    return services.open_case(
        actor=decided.office,
        award=award,
        source="complaint",
        what_happened="投诉产品质量事故。",
        confirmed_on=CONFIRMED,
    )


@pytest.mark.req("A23.1")
def test_a_case_opened_before_the_deadline_turns_unreported_the_day_after_it(
    decided: Decided, time_machine: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = _open(decided, award)
    assert case.report_due_on == dt.date(2027, 2, 19)
    page_url = reverse("supervision:case", args=[case.public_id])

    def seen() -> tuple[str, bool, bool, bool]:
        duty = selectors.report_duty(Case.objects.get(pk=case.pk))
        office = client_for(decided.office)  # sessions and tokens expire across the days
        page = office.get(page_url).content.decode()
        listing = office.get(reverse("supervision:cases")).content.decode()
        (row,) = api_call(api_client("p_office"), "get", "/cases").json()
        assert (row["report_duty"], row["failed_to_report"]) == (duty.state, duty.failed)
        return duty.state, "未按规定报告" in page, "未按规定报告" in listing, row["late"]

    assert seen() == ("due", False, False, False)
    _at(time_machine, dt.date(2027, 2, 19))  # the last day: still on time
    assert seen() == ("due", False, False, False)
    _at(time_machine, dt.date(2027, 2, 20))  # the day after: nobody writes anything
    assert seen() == ("failed", True, True, False)
    assert Case.objects.get(pk=case.pk).failed_to_report is True
    # Read as of an earlier day, the same case was not yet failed.
    assert selectors.report_duty(case, on=dt.date(2027, 2, 19)).state == "due"


@pytest.mark.req("A23.1")
def test_a_late_report_by_the_winner_answers_the_offices_case_as_late(
    decided: Decided, time_machine: Any, make_user: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = _open(decided, award)
    winner = _contact(make_user, award)
    _at(time_machine, dt.date(2027, 2, 25))
    assert selectors.report_duty(case).state == "failed"
    services.report_violation(
        actor=winner, award=award, what_happened="产品质量事故", confirmed_on=CONFIRMED
    )
    duty = selectors.report_duty(case)
    assert (duty.state, duty.reported_on) == ("late", dt.date(2027, 2, 25))
    duties = selectors.report_duties(Case.objects.all())
    assert sorted(d.state for d in duties.values()) == ["late", "late"]


@pytest.mark.req("A23.2")
def test_revocation_is_not_offered_for_a_revoked_title_and_the_service_refuses_it(
    decided: Decided, time_machine: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    first, second = _open(decided, award), _open(decided, award)
    for case in (first, second):
        services.report_to_committee(actor=decided.office, case=case, findings="属实")
    office = client_for(decided.office)
    url = reverse("supervision:case", args=[second.public_id])
    assert 'value="revocation"' in office.get(url).content.decode()
    services.decide_case(
        actor=decided.office,
        case=first,
        outcome="revocation",
        decided_on=dt.date(2027, 2, 1),
        decision_ref="皋政发〔2027〕1号",
    )
    page = office.get(url).content.decode()
    assert 'value="revocation"' not in page
    assert 'value="warning"' in page
    assert "称号已于2027年2月1日撤销，不能再次撤销" in page
    second.refresh_from_db()
    second.award.refresh_from_db()
    assert set(services.outcome_refusals(second)) == {"revocation"}
    with pytest.raises(StateConflict, match="已于2027年2月1日撤销"):
        services.decide_case(
            actor=decided.office,
            case=second,
            outcome="revocation",
            decided_on=dt.date(2027, 2, 1),
            decision_ref="x",
        )
    posted = office.post(
        reverse("supervision:case_decide", args=[second.public_id]),
        {"outcome": "revocation", "decided_on": "2027-02-01", "decision_ref": "x"},
    )
    assert posted.status_code == 400
    second.refresh_from_db()
    assert second.state == Case.State.REPORTED
    done = services.decide_case(
        actor=decided.office,
        case=second,
        outcome="warning",
        decided_on=dt.date(2027, 2, 1),
        decision_ref="委员会2027年第1次会议",
    )
    assert done.state == Case.State.DECIDED


@pytest.mark.req("A23.2")
def test_who_may_not_act_on_cases_cannot_tell_an_existing_case_from_an_unknown_id(
    decided: Decided, time_machine: Any, personas: dict[str, User | None], make_user: Any
) -> None:
    award = _award(decided, time_machine)
    _at(time_machine, dt.date(2027, 2, 1))
    case = _open(decided, award)
    make_user(Role.APPLICANT, username="api_winner", organization=award.organization)
    findings = {"findings": "属实"}
    decision = {"outcome": "warning", "decided_on": "2027-02-01", "decision_ref": "x"}
    for username in ("outsider", "p_supervisor", "api_winner"):
        api = api_client(username)
        for action, body in (("report", findings), ("decide", decision)):
            codes = {
                api_call(api, "post", f"/cases/{case_id}/{action}", body).status_code
                for case_id in (case.public_id, uuid.uuid4())
            }
            assert codes == {403}, (username, action, codes)
    for who in ("outsider", "supervisor", "applicant"):
        client = client_for(personas[who])
        for name, body in (("case_report", findings), ("case_decide", decision)):
            codes = {
                client.post(reverse(f"supervision:{name}", args=[case_id]), body).status_code
                for case_id in (case.public_id, uuid.uuid4())
            }
            assert codes == {403}, (who, name, codes)
    case.refresh_from_db()
    assert case.state == Case.State.OPEN
    # The Office itself still tells an unknown id (404) from a case it may act on.
    office = api_client("p_office")
    assert api_call(office, "post", f"/cases/{uuid.uuid4()}/report", findings).status_code == 404
