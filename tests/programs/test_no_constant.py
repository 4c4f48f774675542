"""No number of the Measures is a constant in code (issue 18, Done when): a pack with every
number changed loads, and each changed number, alone, changes what the rule reading it does.

`PROBES` maps every field a pack sets to a probe: a call of the code that applies the rule,
returning what a person would see (a date, an amount, a refusal, a cap). The pure probes run on
the loaded policies; the rules that read the policy inside a database-bound service (the
evaluation's weights, the consensus flag, the group size) have their own tests below, driven
through the services with the cycle's policy changed. A new field on `Policy` without a probe
fails `test_every_number_of_a_pack_has_a_probe`."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from django.conf import settings

from accounts.models import Individual, Organization, User
from decision.services import notice_end, quota_errors
from desk.retention import _expired
from experts import services as experts
from experts.models import Expert
from intake import standing
from intake.eligibility import RULES_BY_KEY, Context, HeldAward
from intake.models import Application
from intake.schema import Accident, ApplicationForm, SpotCheck
from lib import rubrics
from programs import packs
from programs.models import AwardProgram, Cycle, Policy
from programs.services import load_program
from review import selectors as review_selectors
from review import services as review
from supervision.services import report_due
from tests.experts.test_groups import accepted, pool
from tests.experts.test_pool import QUALIFIED
from tests.review.conftest import (
    World,
    agree,
    in_window,
    open_cycle,
    org,
    person,
    through_evaluation,
    world,
)

__all__ = ["accepted", "in_window", "open_cycle", "org", "person", "pool", "world"]

pytestmark = pytest.mark.req("I18.2")

RUGAO = Path(settings.BASE_DIR) / "data" / "programs" / "rugao-2021.yaml"
REFERENCE = dt.date(2026, 3, 2)  # the 2026 cycle's application date


def _doubled(rubric: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": rubric["key"] + "-x2",
        "name": rubric["name"] + "（2000分）",
        "total_points": rubric["total_points"] * 2,
        "categories": [c | {"points": c["points"] * 2} for c in rubric["categories"]],
        "items": [i | {"points": i["points"] * 2} for i in rubric["items"]],
    }


def changed_pack() -> packs.Pack:
    """Rugao's pack with every number changed (a revision of the Measures: new 文号)."""
    data = yaml.safe_load(RUGAO.read_text(encoding="utf-8"))
    del data["units"]
    data["measures"] |= {"document_number": "皋政发〔2026〕99号", "effective_on": "2025-01-01"}
    data["rules"] += ["score-lines", "nomination-waits"]
    data["quotas"] = {"organization_award": 3, "organization_nomination": 3, "individual_award": 2}
    data["scoring"] = {
        "total_points": 2000,
        "organization_material_weight": 40,
        "organization_site_weight": 60,
        "individual_material_weight": 100,  # the only value the database allows (A10.3)
        "consensus_spread_points": 15,
        "award_min_score": 600,
        "nomination_min_score": 500,
    }
    data["notice"] = {"working_days": 7}
    data["bonus"] = {
        "organization_award": 300000,
        "organization_nomination": 150000,
        "individual_award": 50000,
    }
    data["eligibility"] = {
        "operation_years": 8,
        "gbt19580_years": 4,
        "lookback_years": 4,
        "construction_general_accidents": 3,
        "environmental_rating": "green",
        "individual_work_years": 8,
    }
    data["experts"] = {"practice_years": 15, "group_size": 4}
    data["reporting"] = {"duty_years": 4, "deadline_days": 20}
    data["reapplication"] = {"gap_years": 4}
    data["fraud"] = {"ban_years": 5, "credit_list_years": 6}
    data["personal_data"] = {"retention_years": 5}
    data["rubrics"] = {
        kind: _doubled(rubrics.file_rubric("gbt19580.yaml", ref["key"]))
        for kind, ref in data["rubrics"].items()
    }
    return packs.parse(data)


# --- the probes -----------------------------------------------------------------------------------


def _app(kind: str = "organization", score: str | None = None) -> Any:
    evaluation = SimpleNamespace(final_score=Decimal(score)) if score else None
    return SimpleNamespace(kind=kind, applicant_name="甲", evaluation=evaluation)


def _cap(kind: str, level: str) -> Callable[[Policy], int]:
    """How many winners of a level the decision accepts before refusing (A5.2)."""

    def probe(policy: Policy) -> int:
        return next(
            n for n in range(20) if quota_errors(policy, [(_app(kind), level, False)] * (n + 1))
        )

    return probe


def _rule(key: str, **context: Any) -> Callable[[Policy], str]:
    """The outcome of an eligibility rule (pass / fail) for a fixed applicant."""

    def probe(policy: Policy) -> str:
        form = context.get("form", ApplicationForm())
        ctx = Context(
            form=form,
            policy=policy,
            division_code="320682",
            reference=REFERENCE,
            organization=context.get("organization"),
            individual=context.get("individual"),
        )
        return RULES_BY_KEY[key].check(ctx)[0]

    return probe


def _org(**fields: Any) -> Organization:
    return Organization(uscc="91320682MA1XYK123X", established_on=dt.date(2019, 1, 1), **fields)


AWARDED = dt.date(2021, 12, 20)


def _retained(policy: Policy) -> dt.date | None:
    """A non-winner's data, its cycle closed on 2022-01-01: erased on 2026-06-01, or not."""
    application = SimpleNamespace(cycle_id=1, cycle=SimpleNamespace(policy=policy))
    return _expired([application], dt.date(2026, 6, 1), {1: dt.date(2022, 1, 1)})  # type: ignore[list-item]


def _expert_gaps(policy: Policy) -> list[str]:
    expert = Expert(**(QUALIFIED | {"industries": ["34"]}), status=Expert.Status.ACTIVE)
    return experts.qualification_gaps(expert, policy)


PROBES: dict[str, Callable[[Policy], Any]] = {
    "quota_organization_award": _cap("organization", "award"),
    "quota_organization_nomination": _cap("organization", "nomination"),
    "quota_individual_award": _cap("individual", "award"),
    # The rubric a cycle copies (review.services.ensure_rubric) adds up to the policy's total.
    "total_points": lambda p: rubrics.rubric_in(p.rubrics, "organization").total_points,
    "min_score_award": lambda p: quota_errors(p, [(_app(score="550"), "award", False)]),
    "min_score_nomination": lambda p: quota_errors(p, [(_app(score="450"), "nomination", False)]),
    "notice_working_days": lambda p: notice_end(dt.date(2026, 11, 25), p),
    "bonus_organization_award": lambda p: standing.bonus_due(
        p, kind="organization", level="award", earlier_levels=[]
    ),
    "bonus_organization_nomination": lambda p: standing.bonus_due(
        p, kind="organization", level="nomination", earlier_levels=[]
    ),
    "bonus_individual_award": lambda p: standing.bonus_due(
        p, kind="individual", level="award", earlier_levels=[]
    ),
    "min_operation_years": _rule("a12_1_operation", organization=_org()),  # 7 years
    "min_gbt19580_years": _rule(
        "a12_2_practice",
        organization=_org(),
        form=ApplicationForm(gbt19580_since=dt.date(2023, 1, 1)),
    ),
    "lookback_years": _rule(
        "a13_2_spot_checks",
        organization=_org(),
        form=ApplicationForm(
            spot_checks=[SpotCheck(date=dt.date(2022, 9, 1), level="city", passed=False)]
        ),
    ),
    "max_construction_general_accidents": _rule(
        "a13_3_safety",
        organization=_org(is_construction=True),
        form=ApplicationForm(
            accidents=[
                Accident(date=dt.date(2025, m, 1), kind="production_safety", grade="general")
                for m in (1, 2, 3)
            ]
        ),
    ),
    "min_environmental_rating": _rule(
        "a12_5_environment", organization=_org(is_industrial=True, environmental_rating="blue")
    ),
    "min_individual_work_years": _rule("a14_1_years", individual=Individual(quality_work_years=6)),
    "min_expert_practice_years": _expert_gaps,  # the expert has 12 years
    "report_duty_years": lambda p: standing.duty_ends(AWARDED, p),
    "report_deadline_days": lambda p: report_due(dt.date(2026, 5, 1), p),
    "reapply_gap_years": lambda p: standing.reapply_from(HeldAward(2021, "award", AWARDED), p),
    "nomination_waits": lambda p: standing.reapply_from(HeldAward(2021, "nomination", AWARDED), p),
    "fraud_ban_years": lambda p: standing.ban_ends(dt.date(2025, 1, 10), p),
    "credit_list_years": lambda p: standing.credit_list_ends(dt.date(2025, 1, 10), p),
    "personal_data_retention_years": _retained,
}
# Probed by the database-bound tests below, through the services that read them.
IN_SERVICES = {
    "weight_material_organization": "test_the_evaluation_weighs_by_the_cycles_policy",
    "weight_site_organization": "test_the_evaluation_weighs_by_the_cycles_policy",
    "consensus_spread_points": "test_the_consensus_flag_follows_the_cycles_policy",
    "expert_group_size": "test_the_proposed_group_size_follows_the_cycles_policy",
}
# The one number a pack cannot change: individuals have no site review (A10.3), a constraint.
FIXED = {"weight_material_individual"}


def test_every_number_of_a_pack_has_a_probe() -> None:
    assert set(PROBES) | set(IN_SERVICES) | FIXED == set(packs.POLICY_FIELDS)
    assert not set(PROBES) & set(IN_SERVICES)


@pytest.fixture
def policies(program: AwardProgram) -> tuple[Policy, Policy]:
    """Rugao's 2021 policy and the revision with every number changed, both loaded by packs."""
    lines = load_program(pack=changed_pack(), source="changed.yaml", sha256="0" * 64)
    assert lines == ["新增管理办法：如皋市市长质量奖管理办法（皋政发〔2026〕99号，2025-01-01施行）"]
    rugao = program.policies.get(document_number="如皋市人民政府2021年6月8日印发")
    changed = program.policies.get(document_number="皋政发〔2026〕99号")
    return rugao, changed


@pytest.mark.django_db
@pytest.mark.req("A5.2", "A8.1", "A10.1", "A12.1", "A12.2", "A12.5", "A13.2", "A14.1")
@pytest.mark.req("A19.1", "A20.1", "A21.1", "A23.1", "A24.1", "A29.1")
@pytest.mark.parametrize("field", sorted(PROBES))
def test_each_changed_number_alone_changes_its_rule(
    field: str, policies: tuple[Policy, Policy]
) -> None:
    rugao, changed = policies
    assert getattr(rugao, field) != getattr(changed, field)
    alone = copy.copy(rugao)  # Rugao's policy with only this number changed
    setattr(alone, field, getattr(changed, field))
    if field == "total_points":  # the rubric comes with its total (the pack checks they agree)
        alone.rubrics = changed.rubrics
    probe = PROBES[field]
    assert probe(alone) != probe(rugao), field
    assert probe(changed) != probe(rugao), field  # and so with every number changed


@pytest.mark.django_db
@pytest.mark.req("A13.2")
def test_the_eligibility_messages_say_the_policys_lookback(
    policies: tuple[Policy, Policy],
) -> None:
    """What the applicant and the Office read is true of the policy: 近4年, not 近3年."""

    def message(policy: Policy) -> str:
        ctx = Context(
            form=ApplicationForm(),
            policy=policy,
            division_code="320682",
            reference=REFERENCE,
            organization=_org(),
        )
        return RULES_BY_KEY["a13_2_spot_checks"].check(ctx)[1]

    rugao, changed = policies
    assert message(rugao).startswith("近3年无产品质量抽查不合格记录")
    assert message(changed).startswith("近4年无产品质量抽查不合格记录")


# --- the rules read inside services -------------------------------------------------------------


def _use(cycle: Cycle, policy: Policy) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(policy=policy)
    cycle.policy = policy


@pytest.mark.django_db
@pytest.mark.req("A10.2")
def test_the_evaluation_weighs_by_the_cycles_policy(
    world: World, policies: tuple[Policy, Policy], time_machine: Any
) -> None:
    _, changed = policies
    _use(world.cycle, changed)
    evaluations = {e.application_id: e for e in through_evaluation(world, time_machine)}
    e = evaluations[world.organization.pk]
    assert (e.material_weight, e.site_weight) == (40, 60)
    # Material consensus 60%, site 65% of a 2000-point rubric: 1200 and 1300 points.
    assert (e.material_score, e.site_score) == (Decimal(1200), Decimal(1300))
    assert e.final_score == Decimal("1260.00")  # 40/60; Rugao's 30/70 gives 1270


@pytest.mark.django_db
@pytest.mark.req("A17.1")
def test_the_consensus_flag_follows_the_cycles_policy(
    world: World, policies: tuple[Policy, Policy]
) -> None:
    _, changed = policies
    review.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    agree(world, world.organization, (50, 60, 70))  # every item 20 points apart

    def flagged() -> int:
        application = Application.objects.select_related("cycle__policy").get(
            pk=world.organization.pk
        )
        group = world.group(world.organization)
        return review_selectors.matrix(group, application).flagged

    assert flagged() == 0  # Rugao: more than 30 points apart is flagged
    _use(world.cycle, changed)
    assert flagged() == 23  # 15 points


@pytest.mark.django_db
@pytest.mark.req("A17.1")
def test_the_proposed_group_size_follows_the_cycles_policy(
    accepted: Application, pool: list[Expert], office: User, policies: tuple[Policy, Policy]
) -> None:
    """Four experts, two of one employer: at most three can sit together. Rugao's group of 5
    leaves two seats unfilled; the changed policy's group of 4 leaves one."""
    rugao, changed = policies
    Policy.objects.filter(pk=rugao.pk).update(expert_group_size=5)  # the pack's (`pool` set 2)
    Policy.objects.filter(pk=changed.pk).update(min_expert_practice_years=5)  # keep the pool
    cycle = accepted.cycle
    _use(cycle, Policy.objects.get(pk=rugao.pk))
    first = experts.propose_groups(actor=office, cycle=cycle, stage="material_review")
    _use(cycle, Policy.objects.get(pk=changed.pk))
    second = experts.propose_groups(actor=office, cycle=cycle, stage="material_review")
    assert first["unfilled"] == {str(accepted.pk): 2}
    assert second["unfilled"] == {str(accepted.pk): 1}
