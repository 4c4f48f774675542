"""An organization's contacts keep its registration and add colleagues; submitted versions keep
the facts they were judged on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Organization, Role, RoleAssignment, User
from accounts.services import add_contact, update_organization
from audit.models import AuditEvent
from intake import services
from intake.models import ApplicationVersion
from lib.errors import PermissionDenied, ServiceError
from programs.models import Cycle
from tests.conftest import client_for
from tests.intake.conftest import complete_form


def test_contact_updates_the_registration_audited(
    org: Organization, personas: dict[str, User]
) -> None:
    response = client_for(personas["applicant"]).post(
        reverse("accounts:organization"),
        {
            "name": org.name,
            "industry_code": "34",
            "registered_address": "如皋市如城街道新址9号",
            "established_on": "2012-05-18",
            "legal_representative": "王建国",
            "environmental_rating": "blue",
            "chief_quality_officer": "张华",
            "is_industrial": "on",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.registered_address, org.environmental_rating) == ("如皋市如城街道新址9号", "blue")
    event = AuditEvent.objects.get(action="accounts.organization.update")
    assert event.before == {
        "registered_address": "如皋市如城街道示例路1号",
        "environmental_rating": "green",
    }


def test_nobody_else_edits_an_organization(org: Organization, personas: dict[str, User]) -> None:
    for persona in ("office", "recommender", "individual"):
        with pytest.raises(PermissionDenied):
            update_organization(actor=personas[persona], organization=org, name="改名")
    with pytest.raises(ServiceError, match="不能修改"):
        update_organization(
            actor=personas["applicant"], organization=org, uscc="91320682000000000X"
        )
    assert client_for(personas["office"]).get(reverse("accounts:organization")).status_code == 404


def test_contact_adds_a_colleague(org: Organization, personas: dict[str, User]) -> None:
    colleague = add_contact(
        actor=personas["applicant"],
        organization=org,
        username="wangli",
        password="Lantern#2026w",
        full_name="王丽",
    )
    assert RoleAssignment.objects.get(user=colleague).organization == org
    assert colleague.has_perm("accounts.edit_organization", org)
    assert AuditEvent.objects.filter(action="accounts.organization.add_contact", reason="").exists()
    assert Role.APPLICANT in {
        Role(r) for r in colleague.role_assignments.values_list("role", flat=True)
    }


def test_submitted_version_keeps_the_facts_it_was_judged_on(
    open_cycle: Cycle, org: Organization, personas: dict[str, User]
) -> None:
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    services.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    services.submit_application(actor=personas["applicant"], application=application)
    update_organization(
        actor=personas["applicant"], organization=org, environmental_rating="yellow"
    )
    version = ApplicationVersion.objects.get()
    assert version.applicant["environmental_rating"] == "green"
    assert version.applicant["uscc"] == org.uscc
