"""Names frozen where they become public record (issue 14): the 公示 entry keeps the name the
application was submitted with, the award and the certificate the name it was decided with; a
later rename shows beside them as 现名称 and an issued certificate prints the same text for good.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse

from accounts.models import Individual, Organization, Role, User
from accounts.services import update_organization
from audit.models import AuditEvent
from decision import services
from decision.models import Certificate, Entry
from intake.models import Application, ApplicationVersion, AwardRecord
from intake.services import applicant_snapshot
from tests.conftest import client_for
from tests.decision.conftest import ANNOUNCE_DAY, Decided, announced, default_list, in_notice

OLD = "如皋决策测试0号有限公司"
NEW = "江苏更名后集团有限公司"


def _contact(make_user: Any, application: Application) -> User:
    return make_user(Role.APPLICANT, organization=application.organization)  # type: ignore[no-any-return]


def _rename(make_user: Any, application: Application, name: str) -> None:
    """The organization's contact renames it through the service the page calls."""
    org = application.organization
    assert org is not None
    update_organization(actor=_contact(make_user, application), organization=org, name=name)


def _submitted(application: Application) -> ApplicationVersion:
    """A submitted version holding the registration as it stands (what `submit_application`
    freezes)."""
    Application.objects.filter(pk=application.pk).update(version=1)
    application.version = 1
    return ApplicationVersion.objects.create(
        application=application,
        number=1,
        data={},
        applicant=applicant_snapshot(application),
        submitted_at=dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC),
        submitted_by=application.created_by,
    )


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


# --- the notice (A20.1) -----------------------------------------------------------------------


@pytest.mark.req("A20.1", "A3.1")
def test_the_notice_entry_keeps_the_submitted_name(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    first = decided.organizations[0]
    _submitted(first)
    # Renamed after submitting, before the list is drafted: the list is of what was submitted.
    _rename(make_user, first, "如皋中途更名有限公司")
    proposal = services.save_proposal(
        actor=decided.office, cycle=decided.cycle, entries=default_list(decided)
    )
    entry = proposal.entries.get(application=first)
    assert (entry.recorded_name, entry.recorded_uscc) == (OLD, first.organization.uscc)  # type: ignore[union-attr]
    saved = AuditEvent.objects.filter(action="decision.proposal.save").latest("seq")
    assert {"application": first.pk, "name": OLD} in [
        {"application": e["application"], "name": e["name"]} for e in (saved.after or {})["entries"]
    ]
    # An individual's entry keeps the name and the employer, never the ID number.
    person = proposal.entries.get(application=decided.individuals[0])
    assert (person.recorded_name, person.recorded_employer, person.recorded_uscc) == (
        "周明",
        "如皋某公司",
        "",
    )


@pytest.mark.req("A20.1", "A20.2")
def test_a_rename_during_the_notice_does_not_change_the_notice(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    first = decided.organizations[0]
    _submitted(first)
    in_notice(decided, time_machine)
    url = reverse("decision:public_notice", args=[2026])
    _rename(make_user, first, NEW)
    html = Client().get(url).content.decode()
    assert f'<span class="qa-notice-name">{OLD}</span>' in html
    assert f"现名称：{NEW}" in html  # beside it, never in its place
    assert f'<span class="qa-notice-name">{NEW}' not in html
    # The objection form names the entry as the notice does; so does the public API.
    assert (
        f"{OLD}（市长质量奖）"
        in Client().get(reverse("decision:object_to", args=[2026])).content.decode()
    )
    api = Client().get("/api/v1/notices/2026").json()
    assert OLD in {e["name"] for e in api["entries"]}
    assert NEW not in {e["name"] for e in api["entries"]}
    # The Office's board shows the entry as listed, with the name now beside it.
    board = client_for(decided.office).get(reverse("decision:board") + f"?cycle={decided.cycle.pk}")
    assert OLD in board.content.decode()
    assert f"现名称：{NEW}" in board.content.decode()


# --- winners, verification, certificate (A20.2, A21.1, A25.1) ---------------------------------


@pytest.mark.req("A20.2", "A25.1")
def test_the_winners_list_keeps_the_name_of_the_decision(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    awards = announced(decided, time_machine)
    award = next(a for a in awards if a.application_id == decided.organizations[0].pk)
    assert (award.recorded_name, award.certificate.recorded_name) == (OLD, OLD)
    _rename(make_user, decided.organizations[0], NEW)
    html = Client().get(reverse("decision:winners")).content.decode()
    assert OLD in html
    assert f"现名称：{NEW}" in html
    assert html.index(OLD) < html.index(f"现名称：{NEW}")
    # An individual's employer moving on changes nothing either.
    person = decided.individuals[0].individual
    assert person is not None
    Individual.objects.filter(pk=person.pk).update(employer_name="别家公司")
    html = Client().get(reverse("decision:winners")).content.decode()
    assert "周明（如皋某公司）" in html
    assert "别家公司" not in html
    # The Office's ledger and its record of awards held name the award as decided.
    for page in ("decision:ledger", "intake:standing"):
        html = client_for(decided.office).get(reverse(page)).content.decode()
        assert OLD in html, page
        assert f"现名称：{NEW}" in html, page


@pytest.mark.req("A25.1")
def test_the_verification_page_shows_the_certificate_as_issued(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    announced(decided, time_machine)
    certificate = Certificate.objects.get(award__application=decided.organizations[0])
    _rename(make_user, decided.organizations[0], NEW)
    url = reverse("decision:verified", args=[certificate.number])
    html = Client().get(url).content.decode()
    assert f'<dd class="col-sm-9">{OLD}<br>' in html
    assert f"现名称：{NEW}（证书按获奖时的名称颁发，不因更名而改变）" in html
    api = Client().get(f"/api/v1/certificates/{certificate.number}").json()
    assert (api["holder"], api["renamed_to"]) == (OLD, NEW)
    # Not renamed: no 现名称 at all.
    other = Certificate.objects.get(award__application=decided.organizations[1])
    html = Client().get(reverse("decision:verified", args=[other.number])).content.decode()
    assert "现名称" not in html
    assert Client().get(f"/api/v1/certificates/{other.number}").json()["renamed_to"] == ""


@pytest.mark.req("A21.1", "A25.1")
def test_an_issued_certificate_prints_the_same_text_after_a_rename(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    announced(decided, time_machine)
    first = decided.organizations[0]
    org = first.organization
    assert org is not None
    certificate = Certificate.objects.get(award__application=first)
    url = reverse("decision:certificate_pdf", args=[certificate.number])
    office = client_for(decided.office)
    before = _pdf_text(office.get(url).content)
    for printed in (OLD, f"统一社会信用代码：{org.uscc}", certificate.number, "2026年12月10日"):
        assert printed in before
    # Renamed, and the registration's code changed by the system administrator (a merger).
    _rename(make_user, first, NEW)
    Organization.objects.filter(pk=org.pk).update(uscc="91320682MA1NEW0009")
    time_machine.move_to(dt.datetime(2027, 6, 1, 9, tzinfo=dt.UTC), tick=False)
    office = client_for(decided.office)  # a new session, months later
    response = office.get(url)
    assert response.status_code == 200
    after = _pdf_text(response.content)
    assert after == before
    assert NEW not in after
    assert "MA1NEW" not in after
    # The individual's certificate names the employer of the decision.
    person_cert = Certificate.objects.get(award__application=decided.individuals[0])
    text = _pdf_text(
        office.get(reverse("decision:certificate_pdf", args=[person_cert.number])).content
    )
    assert "周明" in text
    assert "工作单位：如皋某公司" in text
    assert "320682198001010015" not in text


@pytest.mark.req("A20.2", "A21.1")
def test_the_award_copies_the_entry_not_the_registration(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    """Renamed between the committee's list and the announcement: the award, the certificate and
    the announcement's winners carry the name the list was approved with."""
    proposal = in_notice(decided, time_machine)
    _rename(make_user, decided.organizations[0], NEW)
    assert proposal.entries.get(application=decided.organizations[0]).recorded_name == OLD
    awards = announced_after_notice(decided, proposal, time_machine)
    award = next(a for a in awards if a.application_id == decided.organizations[0].pk)
    assert (award.holder_name, award.renamed_to) == (OLD, NEW)
    assert Certificate.objects.get(award=award).holder_name == OLD
    assert str(award).startswith(OLD)


def announced_after_notice(d: Decided, proposal: Any, time_machine: Any) -> list[AwardRecord]:
    time_machine.move_to(ANNOUNCE_DAY, tick=False)
    services.close_notice(actor=d.office, proposal=proposal)
    return services.announce(
        actor=d.office,
        proposal=proposal,
        announced_on=ANNOUNCE_DAY.date(),
        document_number="皋政发〔2026〕120号",
    )


# --- the backfill of existing rows -----------------------------------------------------------


@pytest.mark.req("A3.1")
def test_the_backfill_fills_existing_rows_from_the_submission(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    """Rows made before the fields existed: the data migrations give them the submitted name
    (or the registration's where nothing was submitted), the certificate its award's."""
    first = decided.organizations[0]
    _submitted(first)
    announced(decided, time_machine)
    _rename(make_user, first, NEW)
    blank = {"recorded_name": "", "recorded_uscc": "", "recorded_employer": ""}
    Entry.objects.update(**blank)
    AwardRecord.objects.update(**blank)
    Certificate.objects.update(**blank)
    intake = importlib.import_module("intake.migrations.0008_recorded_holder")
    decision = importlib.import_module("decision.migrations.0003_recorded_holder")
    intake.backfill(django_apps, None)
    decision.backfill(django_apps, None)
    org = first.organization
    assert org is not None
    rows: list[Any] = [
        Entry.objects.get(application=first),
        AwardRecord.objects.get(application=first),
        Certificate.objects.get(award__application=first),
    ]
    for row in rows:
        assert (row.recorded_name, row.recorded_uscc) == (OLD, org.uscc), row
    # No submitted version: the registration's name (o[1] was never renamed).
    second = AwardRecord.objects.get(application=decided.organizations[1])
    assert second.recorded_name == "如皋决策测试1号有限公司"
    person = AwardRecord.objects.get(application=decided.individuals[0])
    assert (person.recorded_name, person.recorded_employer, person.recorded_uscc) == (
        "周明",
        "如皋某公司",
        "",
    )


@pytest.mark.req("A23.2", "A25.1")
def test_a_revocation_announces_the_title_as_awarded(
    decided: Decided, make_user: Any, time_machine: Any
) -> None:
    """The revocation's public announcement names the award as it was given, the name now
    beside it (`supervision.services.revoke_award`, inside the caller's transaction)."""
    from django.db import transaction

    from programs.models import Announcement
    from supervision.services import revoke_award

    awards = announced(decided, time_machine)
    award = next(a for a in awards if a.application_id == decided.organizations[0].pk)
    _rename(make_user, decided.organizations[0], NEW)
    with transaction.atomic():
        revoke_award(
            actor=decided.office,
            award=award,
            on=dt.date(2026, 12, 20),
            reason="发生重大质量事故",
            article="A23.2",
        )
    title = Announcement.objects.latest("published_at").title
    assert title == f"关于撤销{OLD}（现名称：{NEW}）2026年度市长质量奖称号的公告"
