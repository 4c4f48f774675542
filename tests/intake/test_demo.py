"""The demo shows every intake state, built through the services (issue 3, item 9)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command

from audit.services import verify_chain
from intake.models import Application, EligibilityResult


@pytest.mark.django_db
def test_seed_demo_puts_applications_in_every_intake_state() -> None:
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    # Rugao's 2026 (2025 is the completed past year; 示例市's 2026 has its own demo).
    current = Application.objects.filter(cycle__year=2026, cycle__program__is_default=True)
    states = Counter(current.values_list("state", flat=True))
    assert set(states) == {
        "draft",
        "submitted",
        "returned",
        "recommended",
        "in_notice",  # accepted, reviewed (review/demo.py), listed and published (decision)
        "not_accepted",
        "withdrawn",
    }
    assert sum(states.values()) == 16
    assert current.filter(kind="individual").count() == 3
    failed = dict(
        EligibilityResult.objects.filter(outcome="fail").values_list(
            "application__organization__name", "article"
        )
    )
    assert failed["如皋城南新材料有限公司"] == "A12.1"  # refused: not 5 years old
    assert failed["如皋东陈建设工程有限公司"] == "A12.3"  # a builder without 鲁班奖
    assert failed["如皋丁堰化工有限公司"] == "A12.5"  # industrial, rated yellow
    assert failed["如皋搬经农业发展有限公司"] in {"A13.4", "A29.1"}  # fraud, and banned for it
    assert (
        Application.objects.get(organization__name="如皋城南新材料有限公司").state == "not_accepted"
    )
    # The review (review/demo.py): every accepted application scored, agreed and ranked.
    from review.models import Evaluation, Feedback, SiteVisit

    evaluations = list(
        Evaluation.objects.filter(application__cycle__year=2026).order_by(
            "application__kind", "rank"
        )
    )
    assert [(e.application.kind, e.rank) for e in evaluations] == [
        ("individual", 1),
        ("organization", 1),
        ("organization", 2),
        ("organization", 3),
    ]
    visits = SiteVisit.objects.filter(group__application__cycle__year=2026)
    assert visits.filter(reported_at__isnull=False).count() == 3
    assert Feedback.objects.filter(application__cycle__year=2026).count() == 6
    # The decision (decision/demo.py): the list approved and in its notice, one objection open.
    from decision.models import Objection, Proposal

    proposal = Proposal.objects.get(cycle__year=2026)
    assert (proposal.state, proposal.notice_ends_on) == ("in_notice", dt.date(2026, 12, 1))
    assert proposal.entries.count() == 4
    assert Objection.objects.get(proposal=proposal).outcome == "open"
    # The completed 2025 cycle (decision/demo.py): new applicants, announced, with certificates
    # that verify and the first-time organization winners' bonuses paid.
    from decision.models import BonusEntry
    from decision.services import verify
    from intake.models import AwardRecord

    past = Proposal.objects.get(cycle__year=2025)
    assert (past.state, past.announcement_number) == ("announced", "皋政发〔2025〕116号")
    assert past.objections.get().outcome == "dismissed"
    awards = list(AwardRecord.objects.filter(year=2025).select_related("certificate"))
    assert sorted(a.level for a in awards) == ["award", "award", "award", "nomination"]
    validity = []
    for award in awards:
        shown = verify(award.certificate.number.lower())  # as a visitor might type it
        assert shown is not None
        assert shown["year"] == 2025
        validity.append(shown["valid"])
    assert sorted(validity) == [False, True, True, True]  # one revoked (supervision/demo.py)
    paid = BonusEntry.objects.filter(award__year=2025, kind="payment")
    assert sorted(paid.values_list("amount", flat=True)) == [100000, 200000, 200000]
    assert all(e.voucher for e in paid)
    assert Counter(
        Application.objects.filter(cycle__year=2025).values_list("state", flat=True)
    ) == {
        "awarded": 3,
        "revoked": 1,
        "not_awarded": 1,
    }
    # Supervision (supervision/demo.py): a late report, a revocation after a case the winner
    # failed to report, a fraud ban with a public credit entry.
    from supervision.models import Case, Sanction

    assert Case.objects.get(source="winner").late is True
    revocation = Case.objects.get(source="media")
    assert (revocation.failed_to_report, revocation.outcome) == (True, "revocation")
    assert BonusEntry.objects.filter(kind="recovery", award=revocation.award).exists()
    assert set(Sanction.objects.values_list("kind", flat=True)) == {"warning", "credit", "ban"}
    # A24.1: no 2025 winner applies again in 2026.
    assert not current.filter(organization__award_records__year=2025).exists()
    assert not current.filter(individual__award_records__year=2025).exists()
    assert verify_chain().ok
