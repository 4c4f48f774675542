"""Changes to a registration are kept and shown (issue 14): every change of an organization's
registration is a `RegistrationChange` with the fields before and after, written with its audit
event; the Office reads those made after a submission on the application page
(申报后登记信息变更), the organization's contacts on their page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory
from django.urls import reverse

from accounts.admin import OrganizationAdmin
from accounts.models import Individual, Organization, RegistrationChange, User
from accounts.services import update_individual, update_organization
from audit.models import AuditEvent
from intake import services as intake
from intake.models import Application
from lib.errors import PermissionDenied, ServiceError
from programs.models import Cycle
from tests.conftest import client_for
from tests.intake.conftest import CST, complete_form, in_window, open_cycle, org, person

__all__ = ["in_window", "open_cycle", "org", "person"]  # the intake fixtures, used here

SUBMITTED_AT = dt.datetime(2026, 3, 10, 10, tzinfo=CST)  # the intake fixtures' window


@pytest.fixture
def submitted(open_cycle: Cycle, org: Organization, personas: dict[str, User]) -> Application:
    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    intake.submit_application(actor=personas["applicant"], application=application)
    return application


@pytest.mark.req("A3.1", "A15.2")
def test_a_change_is_kept_with_its_audit_event(
    org: Organization, personas: dict[str, User]
) -> None:
    old = org.name
    update_organization(
        actor=personas["applicant"],
        organization=org,
        name="如皋更名机械有限公司",
        legal_representative="赵新",
        registered_address=org.registered_address,  # unchanged: not part of the change
    )
    change = RegistrationChange.objects.get(organization=org)
    assert change.before == {"name": old, "legal_representative": org.legal_representative}
    assert change.after == {"name": "如皋更名机械有限公司", "legal_representative": "赵新"}
    assert (change.changed_by, change.changed_as) == (personas["applicant"], "applicant")
    event = AuditEvent.objects.filter(action="accounts.organization.update").latest("seq")
    assert (event.before, event.after) == (change.before, change.after)
    # Saving the same values again changes nothing and keeps nothing.
    update_organization(actor=personas["applicant"], organization=org, name="如皋更名机械有限公司")
    assert RegistrationChange.objects.filter(organization=org).count() == 1


@pytest.mark.req("A16.1", "A3.1")
def test_the_office_sees_changes_made_after_the_submission(
    submitted: Application, org: Organization, personas: dict[str, User], time_machine: Any
) -> None:
    submitted_name = org.name
    time_machine.move_to(SUBMITTED_AT + dt.timedelta(days=3), tick=False)
    update_organization(actor=personas["applicant"], organization=org, name="如皋更名机械有限公司")
    url = reverse("intake:detail", args=[submitted.public_id])
    html = client_for(personas["office"]).get(url).content.decode()
    assert "申报后登记信息变更" in html
    section = html[html.index("申报后登记信息变更") :]
    assert "2026-03-13" in section
    assert "组织名称" in section
    assert submitted_name in section
    assert "如皋更名机械有限公司" in section
    # The page names the application as submitted, with the name now beside it.
    assert f"{submitted_name}（现名称：如皋更名机械有限公司）" in html
    # The applicant's own page does not carry the Office's section.
    own = client_for(personas["applicant"]).get(url).content.decode()
    assert "申报后登记信息变更" not in own


@pytest.mark.req("A16.1")
def test_changes_before_the_submission_are_not_after_it(
    open_cycle: Cycle, org: Organization, personas: dict[str, User], time_machine: Any
) -> None:
    update_organization(actor=personas["applicant"], organization=org, legal_representative="钱旧")
    time_machine.move_to(SUBMITTED_AT + dt.timedelta(hours=1), tick=False)
    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    intake.submit_application(actor=personas["applicant"], application=application)
    url = reverse("intake:detail", args=[application.public_id])
    assert "申报后登记信息变更" not in client_for(personas["office"]).get(url).content.decode()
    # The organization's page keeps the whole history for its contacts.
    page = client_for(personas["applicant"]).get(reverse("accounts:organization")).content.decode()
    assert "登记信息变更记录" in page
    assert "钱旧" in page


@pytest.mark.req("A3.1")
def test_a_change_by_the_system_administrator_joins_the_history(
    org: Organization, personas: dict[str, User]
) -> None:
    """A new 统一社会信用代码 entered in the admin (the contact cannot change it) is kept too."""
    old = org.uscc
    request = RequestFactory().post("/admin/")
    request.user = personas["sysadmin"]
    org.uscc = "91320682MA1NEW0009"
    OrganizationAdmin(Organization, admin_site).save_model(request, org, form=None, change=True)
    change = RegistrationChange.objects.get(organization=org)
    assert (change.before, change.after) == ({"uscc": old}, {"uscc": "91320682MA1NEW0009"})
    assert change.changed_as == "sysadmin"
    assert AuditEvent.objects.filter(action="admin.organization.change").exists()


@pytest.mark.req("A14.1", "A3.1")
def test_a_person_changes_their_own_registration_and_it_is_kept(
    person: Individual, personas: dict[str, User]
) -> None:
    update_individual(
        actor=person.user, individual=person, name="李娜", employer_name="江苏新单位有限公司"
    )
    change = RegistrationChange.objects.get(individual=person)
    assert (change.before, change.after) == (
        {"employer_name": "如皋示例机械有限公司"},
        {"employer_name": "江苏新单位有限公司"},
    )
    event = AuditEvent.objects.filter(action="accounts.individual.update").latest("seq")
    assert (event.before, event.after) == (change.before, change.after)
    # Someone else may not; nor may the number or the unit be changed this way.
    with pytest.raises(PermissionDenied):
        update_individual(actor=personas["office"], individual=person, name="王某")
    with pytest.raises(ServiceError, match="不能修改"):
        update_individual(actor=person.user, individual=person, id_number="320682198503150034")
    person.refresh_from_db()
    assert (person.name, person.employer_name) == ("李娜", "江苏新单位有限公司")
    assert RegistrationChange.objects.filter(individual=person).count() == 1
