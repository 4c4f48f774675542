"""The topology benchmark's data generator keeps the rules it claims (benchmarks/generate.py,
issue 17 part 5), on a small size: valid codes, every application submitted once, full
scorecards, confirmed consensus, the evaluation of the service, drafts ready for the rush."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.db.models import Count

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import generate
from lib import uscc

TODAY = dt.date(2026, 12, 5)


@pytest.fixture
def data(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The demo accounts' passwords: a fast hash here (the generator's rules are the point).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return generate(
        applications=50, evaluated=10, scoring=4, rush=6, experts=20, office_users=3, today=TODAY
    )


def test_generated_data_follows_the_rules(data):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organization, RecommendingUnit, Role, RoleAssignment
    from audit.services import verify_chain
    from intake.models import Application, ApplicationVersion
    from programs.models import Cycle
    from review.models import Consensus, Evaluation, ItemScore, Scorecard

    cycle = Cycle.objects.get(year=2026)
    apps = Application.objects.filter(cycle=cycle)
    assert apps.count() == 50
    # Valid Rugao codes, one organization per application, towns as recommending units.
    for org in Organization.objects.filter(applications__cycle=cycle):
        assert uscc.validate(org.uscc) == org.uscc
        assert org.uscc[2:8] == "320682"
        assert org.recommending_unit.is_territorial
    assert not apps.exclude(
        recommending_unit__kind__in=[
            RecommendingUnit.Kind.TOWN,
            RecommendingUnit.Kind.SUBDISTRICT,
            RecommendingUnit.Kind.DISTRICT,
        ]
    ).exists()
    # Every application was submitted exactly once (one version) and has a contact.
    versions = dict(
        ApplicationVersion.objects.filter(application__cycle=cycle)
        .values("application")
        .annotate(n=Count("pk"))
        .values_list("application", "n")
    )
    assert set(versions.values()) == {1}
    assert len(versions) == 50
    assert (
        RoleAssignment.objects.filter(
            role=Role.APPLICANT, organization__applications__cycle=cycle
        ).count()
        == 50
    )
    # The reviewed: 10 evaluated by the service (ranked 1..10), 4 in site review now.
    assert data.by_state["evaluated"] == 10
    assert data.by_state["site_review"] == 4
    ranks = sorted(
        Evaluation.objects.filter(application__cycle=cycle).values_list("rank", flat=True)
    )
    assert ranks[0] == 1
    assert len(ranks) == 10
    # Full cards: 23 items each on submitted cards; a group of policy.expert_group_size.
    size = cycle.policy.expert_group_size
    assert Scorecard.objects.count() == (10 * 2 + 4 * 2) * size
    full = (
        Scorecard.objects.filter(state="submitted")
        .annotate(n=Count("scores"))
        .values_list("n", flat=True)
        .distinct()
    )
    assert list(full) == [23]
    assert ItemScore.objects.filter(percent__isnull=True).count() == 0
    assert Consensus.objects.filter(final=True).count() == 10 * 2 + 4
    # Today is in site review (the autosave's window) and the phase is open.
    site = cycle.stages.get(stage="site_review")
    assert site.starts_on <= TODAY <= site.ends_on
    assert cycle.review_phases.get(stage="site_review").state == "open"
    # Staff devices with the demo rule's keys; the rush's drafts in the next year's cycle.
    assert TOTPDevice.objects.filter(user__username="bx0001", confirmed=True).exists()
    rush = Application.objects.filter(cycle__year=2027, state="draft")
    assert rush.count() == 6
    assert not rush.exclude(draft_errors={}).exists()
    # The services' part is on the audit chain, which verifies.
    assert verify_chain().ok
