"""The Office keeps the list of recommending units of article 7."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import RecommendingUnit, User
from accounts.services import save_recommending_unit
from audit.models import AuditEvent
from lib.errors import PermissionDenied
from tests.conftest import client_for


def test_seed_holds_rugaos_towns_and_subdistricts(program: object) -> None:
    territorial = RecommendingUnit.objects.filter(kind__in=["town", "subdistrict"])
    assert territorial.count() == 14
    assert str(RecommendingUnit.objects.get(name="城北街道")) == "城北街道（如皋经济技术开发区）"


def test_office_adds_an_association_and_renames_it(office: User) -> None:
    client = client_for(office)
    response = client.post(
        reverse("accounts:unit_add"),
        {"name": "市质量协会二", "kind": "association", "active": "on"},
    )
    assert response.status_code == 302
    unit = RecommendingUnit.objects.get(name="市质量协会二")
    client.post(
        reverse("accounts:unit_change", args=[unit.pk]),
        {"name": "市标准化协会", "kind": "association"},
    )
    unit.refresh_from_db()
    assert (unit.name, unit.active) == ("市标准化协会", False)
    change = AuditEvent.objects.get(action="accounts.unit.change")
    assert change.before == {
        "name": "市质量协会二",
        "kind": "association",
        "also_known_as": "",
        "active": True,
    }
    assert change.after == {
        "name": "市标准化协会",
        "kind": "association",
        "also_known_as": "",
        "active": False,
    }


def test_duplicate_names_are_refused(office: User) -> None:
    response = client_for(office).post(
        reverse("accounts:unit_add"), {"name": "白蒲镇", "kind": "town", "active": "on"}
    )
    assert response.status_code == 400
    assert "已存在" in response.content.decode()
    assert RecommendingUnit.objects.filter(name="白蒲镇").count() == 1


def test_only_the_office_edits_units(personas: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied):
        save_recommending_unit(actor=personas["recommender"], unit=None, name="新镇", kind="town")
    assert not RecommendingUnit.objects.filter(name="新镇").exists()
