"""Each rule of articles 12-14 at its boundaries; "last 3 years" is the 3 years before the
cycle's application date (2026-03-02 for the 2026 cycle)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Individual, Organization
from intake import eligibility, schema
from lib import uscc
from programs.models import Cycle, Policy
from tests.intake.conftest import complete_form

REFERENCE = dt.date(2026, 3, 2)


def _org(**fields: Any) -> Organization:
    base: dict[str, Any] = {
        "uscc": "91320682MA1XYK1235",
        "name": "示例公司",
        "established_on": dt.date(2012, 5, 18),
        "chief_quality_officer": "张华",
        "is_industrial": True,
        "environmental_rating": "green",
    }
    base["uscc"] = base["uscc"][:17] + uscc.check_character(base["uscc"][:17])
    base.update(fields)
    if "uscc" in fields:
        base["uscc"] = fields["uscc"][:17] + uscc.check_character(fields["uscc"][:17])
    return Organization(**base)


def _findings(
    policy: Policy,
    org: Organization | None = None,
    person: Individual | None = None,
    area: str = "320682",
    **form: Any,
) -> dict[str, eligibility.Finding]:
    kind = "organization" if person is None else "individual"
    ctx = eligibility.Context(
        form=schema.parse(complete_form(kind, **form)),
        policy=policy,
        division_code=area,
        reference=REFERENCE,
        organization=org if person is None else None,
        individual=person,
    )
    return {f.rule: f for f in eligibility.evaluate(ctx)}


def _outcome(policy: Policy, rule: str, **kwargs: Any) -> str:
    return _findings(policy, **kwargs)[rule].outcome


@pytest.mark.req("A12.1")
def test_eligible_organization_passes_or_awaits_confirmation(policy: Policy) -> None:
    findings = _findings(policy, _org())
    assert {f.outcome for f in findings.values()} <= {"pass", "confirm"}
    assert [f.article for f in findings.values()][:3] == ["A12.1", "A12.1", "A12.1"]
    assert findings["a12_1_region"].outcome == "pass"


@pytest.mark.req("A12.1")
@pytest.mark.parametrize(
    ("established", "outcome"),
    [(dt.date(2021, 3, 2), "pass"), (dt.date(2021, 3, 3), "fail"), (dt.date(2021, 3, 1), "pass")],
)
def test_five_years_of_operation_boundary(
    policy: Policy, established: dt.date, outcome: str
) -> None:
    """Exactly 5 years before the application date qualifies; one day less does not."""
    finding = _findings(policy, _org(established_on=established))["a12_1_operation"]
    assert finding.outcome == outcome
    if outcome == "fail":
        assert "合法经营不满5年" in finding.message


@pytest.mark.req("A12.1")
def test_individual_business_is_not_an_independent_legal_person(policy: Policy) -> None:
    assert _outcome(policy, "a12_1_legal_person", org=_org(uscc="92320682MA1XYK123")) == "fail"


@pytest.mark.req("A12.1")
def test_registration_outside_rugao_needs_the_offices_confirmation(policy: Policy) -> None:
    finding = _findings(policy, _org(uscc="91320600MA1XYK123"))["a12_1_region"]
    assert finding.outcome == "confirm"
    assert finding.evidence == {"division_code": "320600"}


@pytest.mark.req("A12.1")
@pytest.mark.parametrize(
    ("registered", "area", "outcome"),
    [
        ("320682", "320600", "pass"),  # a 如皋 company in 南通's (prefecture) award
        ("320600", "320600", "pass"),  # registered by 南通's own authority
        ("320682", "320000", "pass"),  # in 江苏's (province) award
        ("320281", "320600", "confirm"),  # 江阴 (无锡) is not in 南通
        ("310115", "320000", "confirm"),  # 上海 is not in 江苏
        ("320600", "320682", "confirm"),  # 南通's authority: the Office checks it is in 如皋
    ],
)
def test_the_programs_region_is_matched_by_its_level(
    policy: Policy, registered: str, area: str, outcome: str
) -> None:
    """A program's region (decision 0030): a county-level award takes its own division, a
    prefecture's the first four digits, a province's the first two."""
    org = _org(uscc=f"91{registered}MA1XYK123")
    finding = _findings(policy, org, area=area)["a12_1_region"]
    assert finding.outcome == outcome
    assert finding.evidence == {"division_code": registered}
    assert area in finding.message


@pytest.mark.req("A12.2")
@pytest.mark.parametrize(("since", "outcome"), [("2024-03-02", "pass"), ("2024-03-03", "fail")])
def test_two_years_of_gbt19580_boundary(policy: Policy, since: str, outcome: str) -> None:
    assert _outcome(policy, "a12_2_practice", org=_org(), gbt19580_since=since) == outcome


@pytest.mark.req("A12.2")
def test_chief_quality_officer_post_is_required(policy: Policy) -> None:
    assert _outcome(policy, "a12_2_cqo", org=_org(chief_quality_officer="")) == "fail"
    assert _outcome(policy, "a12_2_leading", org=_org()) == "confirm"


@pytest.mark.req("A12.3")
@pytest.mark.parametrize(
    ("award_date", "outcome"),
    [("2023-03-02", "pass"), ("2023-03-01", "fail"), ("2026-03-02", "pass")],
)
def test_construction_firm_needs_luban_within_three_years(
    policy: Policy, award_date: str, outcome: str
) -> None:
    """3 years back from 2026-03-02 reaches 2023-03-02 inclusive; a day earlier is out."""
    awards = [{"name": "luban", "date": award_date, "project": "如皋市民中心"}]
    assert (
        _outcome(policy, "a12_3_construction", org=_org(is_construction=True), awards=awards)
        == outcome
    )


@pytest.mark.req("A12.3")
def test_construction_firm_without_an_award_fails_and_others_are_exempt(policy: Policy) -> None:
    other = [{"name": "other", "date": "2025-01-01", "project": "省优"}]
    finding = _findings(policy, _org(is_construction=True), awards=other)["a12_3_construction"]
    assert finding.outcome == "fail"
    assert "鲁班奖" in finding.message
    assert _outcome(policy, "a12_3_construction", org=_org(is_construction=False)) == "pass"


@pytest.mark.req("A12.4")
def test_performance_is_judged_by_the_office_on_the_figures(policy: Policy) -> None:
    finding = _findings(policy, _org())["a12_4_performance"]
    assert finding.outcome == "confirm"
    assert [f["year"] for f in finding.evidence["figures"]] == [2023, 2024, 2025]
    assert _outcome(policy, "a12_4_performance", org=_org(), figures=[]) == "fail"


@pytest.mark.req("A12.5")
@pytest.mark.parametrize(
    ("rating", "industrial", "outcome"),
    [
        ("green", True, "pass"),
        ("blue", True, "pass"),
        ("yellow", True, "fail"),
        ("none", True, "fail"),
        ("red", False, "pass"),
    ],
)
def test_industrial_firms_need_blue_or_better(
    policy: Policy, rating: str, industrial: bool, outcome: str
) -> None:
    org = _org(environmental_rating=rating, is_industrial=industrial)
    assert _outcome(policy, "a12_5_environment", org=org) == outcome


@pytest.mark.req("A12.5", "A13.1")
def test_declared_conditions_fail_when_denied(policy: Policy) -> None:
    form = complete_form()
    form["declarations"]["credit"] = {"holds": False, "note": "2024年合同纠纷"}
    form["declarations"]["policy"] = {"holds": None}
    findings = _findings(policy, _org(), declarations=form["declarations"])
    assert findings["a12_5_credit"].outcome == "fail"
    assert findings["a13_1_policy"].outcome == "fail"
    assert "未声明" in findings["a13_1_policy"].message


@pytest.mark.req("A13.2")
@pytest.mark.parametrize(
    ("check_date", "outcome"), [("2023-03-02", "fail"), ("2023-03-01", "pass")]
)
def test_failed_spot_check_within_three_years(
    policy: Policy, check_date: str, outcome: str
) -> None:
    checks = [{"date": check_date, "level": "provincial", "product": "减速机", "passed": False}]
    assert _outcome(policy, "a13_2_spot_checks", org=_org(), spot_checks=checks) == outcome


@pytest.mark.req("A13.3")
def test_construction_safety_thresholds(policy: Policy) -> None:
    general = {"date": "2025-06-01", "kind": "production_safety", "grade": "general"}
    builder = _org(is_construction=True)
    assert _outcome(policy, "a13_3_safety", org=builder, accidents=[general, general]) == "pass"
    assert (
        _outcome(policy, "a13_3_safety", org=builder, accidents=[general, general, general])
        == "fail"
    )
    larger = dict(general, grade="larger")
    assert _outcome(policy, "a13_3_safety", org=builder, accidents=[larger]) == "fail"


@pytest.mark.req("A13.3")
def test_other_organizations_fail_on_an_investigated_liability_accident(policy: Policy) -> None:
    pursued = {
        "date": "2025-06-01",
        "kind": "production_safety",
        "grade": "general",
        "liability": True,
        "investigated": True,
    }
    assert _outcome(policy, "a13_3_safety", org=_org(), accidents=[pursued]) == "fail"
    not_pursued = dict(pursued, investigated=False)
    assert _outcome(policy, "a13_3_safety", org=_org(), accidents=[not_pursued]) == "pass"
    tax = [{"date": "2024-01-10", "kind": "tax", "authority": "税务局"}]
    assert _outcome(policy, "a13_3_safety", org=_org(), violations=tax) == "fail"


@pytest.mark.req("A13.4")
def test_fraud_in_a_quality_award_fails(policy: Policy) -> None:
    form = complete_form()
    form["declarations"]["no_fraud"] = {"holds": False, "note": "2024年省质量奖材料不实"}
    assert _outcome(policy, "a13_4_fraud", org=_org(), declarations=form["declarations"]) == "fail"


@pytest.mark.req("A13.5")
@pytest.mark.parametrize(("when", "outcome"), [("2025-12-31", "fail"), ("2022-12-31", "pass")])
def test_other_serious_violations_within_three_years(
    policy: Policy, when: str, outcome: str
) -> None:
    violations = [{"date": when, "kind": "other_serious", "authority": "市市场监管局"}]
    assert _outcome(policy, "a13_5_violations", org=_org(), violations=violations) == outcome


@pytest.mark.req("A14.1")
@pytest.mark.parametrize(("years", "outcome"), [(5, "pass"), (4, "fail")])
def test_individual_needs_five_years_of_quality_work(
    policy: Policy, years: int, outcome: str
) -> None:
    person = Individual(name="李娜", quality_work_years=years, position="cqo")
    assert _outcome(policy, "a14_1_years", person=person) == outcome


@pytest.mark.req("A14.1")
def test_individuals_employer_with_a_major_accident_fails(policy: Policy) -> None:
    person = Individual(name="李娜", quality_work_years=10, position="cqo")
    major = [{"date": "2025-01-01", "kind": "environment", "grade": "major"}]
    assert _outcome(policy, "a14_5_employer", person=person, accidents=major) == "fail"
    findings = _findings(policy, person=person)
    assert set(findings) == {
        "a14_1_years",
        "a14_2_innovation",
        "a14_3_culture",
        "a14_4_integrity",
        "a14_5_employer",
    }


def test_rules_are_data_with_their_article() -> None:
    articles = {r.article for r in eligibility.RULES}
    assert {
        "A12.1",
        "A12.2",
        "A12.3",
        "A12.4",
        "A12.5",
        "A13.1",
        "A13.2",
        "A13.3",
        "A13.4",
        "A13.5",
        "A14.1",
    } <= articles
    assert len({r.key for r in eligibility.RULES}) == len(eligibility.RULES)


def test_reference_date_is_the_first_day_of_the_application_stage(cycle: Cycle) -> None:
    assert eligibility.reference_date(cycle) == REFERENCE


def test_leap_day_lookback() -> None:
    assert eligibility.years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)


def _standing(policy: Policy, **ctx: Any) -> dict[str, eligibility.Finding]:
    context = eligibility.Context(
        form=schema.parse(complete_form()),
        policy=policy,
        division_code="320682",
        reference=REFERENCE,
        organization=_org(),
        **ctx,
    )
    return {f.rule: f for f in eligibility.evaluate(context)}


@pytest.mark.req("A24.1")
@pytest.mark.parametrize(
    ("announced", "outcome"), [(dt.date(2023, 3, 2), "pass"), (dt.date(2023, 3, 3), "fail")]
)
def test_a_winner_reapplies_after_three_full_years(
    policy: Policy, announced: dt.date, outcome: str
) -> None:
    award = eligibility.HeldAward(2022, "award", announced)
    finding = _standing(policy, awards=[award])["a24_reapply"]
    assert finding.outcome == outcome
    if outcome == "pass":
        assert "不占用名额、不颁发奖金" in finding.message
    else:
        assert "未满3年" in finding.message


@pytest.mark.req("A29.1")
@pytest.mark.parametrize(
    ("ends", "outcome"), [(dt.date(2026, 3, 2), "fail"), (dt.date(2026, 3, 1), "pass")]
)
def test_a_ban_refuses_until_it_ends(policy: Policy, ends: dt.date, outcome: str) -> None:
    ban = eligibility.ActiveBan(dt.date(2023, 3, 2), ends, "2022年申报材料造假")
    finding = _standing(policy, bans=[ban])["a29_ban"]
    assert finding.outcome == outcome
    if outcome == "fail":
        assert finding.article == "A29.1"
        assert "第二十九条" in finding.message


@pytest.mark.req("A12.1", "A12.5", "A24.1", "A14.1")
def test_the_conditions_are_titled_in_the_programs_own_numbers(policy: Policy) -> None:
    """What the pages show beside each finding (and the articles a refusal may cite) says the
    cycle's Measures' numbers, not Rugao's 2021 ones (issue 18: another city may differ)."""
    from intake.forms import article_choices

    titles = {r.key: r.titled(policy) for r in eligibility.RULES}
    assert titles["a12_1_operation"] == "合法经营5年以上"
    assert titles["a12_5_environment"] == "工业企业环保信用等级蓝色及以上"
    policy.min_operation_years = 3
    policy.min_gbt19580_years = 1
    policy.lookback_years = 4
    policy.reapply_gap_years = 4
    policy.min_individual_work_years = 8
    policy.min_environmental_rating = Organization.EnvironmentalRating.GREEN
    titles = {r.key: r.titled(policy) for r in eligibility.RULES}
    assert titles["a12_1_operation"] == "合法经营3年以上"
    assert titles["a12_2_practice"] == "推行GB/T 19580 1年以上"
    assert titles["a12_4_performance"] == "近4年经营业绩优秀"
    assert titles["a12_5_environment"] == "工业企业环保信用等级绿色及以上"
    assert titles["a24_reapply"] == "获奖满4年方可重新申报"
    assert titles["a14_1_years"] == "在本市从事质量工作8年以上"
    assert not any("{" in t for t in titles.values())
    labels = dict(article_choices("organization", policy))
    assert "合法经营3年以上" in labels["A12.1"]
    assert "近4年" in labels["A13.2"]
