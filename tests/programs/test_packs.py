"""The program pack (issue 18 part 2): a program from data, every field checked with a Chinese
message naming its key, rules the engine lacks refused, loading audited and never rewriting a
policy a published cycle uses, and dump/load giving back the same program."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import RecommendingUnit, User
from audit.models import AuditEvent
from lib import rubrics
from lib.errors import StateConflict
from programs import demo, packs
from programs.models import AwardProgram, Cycle, Policy
from programs.services import create_cycle, load_program
from review.services import ensure_rubric

pytestmark = pytest.mark.req("I18.2")

PACKS = Path(settings.BASE_DIR) / "data" / "programs"
RUGAO = PACKS / "rugao-2021.yaml"
SHILI = PACKS / "shili-demo.yaml"


def raw(path: Path = RUGAO) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))


def refused(data: Any) -> list[str]:
    with pytest.raises(packs.PackRefused) as caught:
        packs.parse(data)
    return caught.value.problems


def load(pack: packs.Pack, **kwargs: Any) -> list[str]:
    return load_program(pack=pack, source="test.yaml", sha256="0" * 64, **kwargs)


# --- the two packs ------------------------------------------------------------------------------


@pytest.mark.req("A5.2", "A10.1", "A20.1", "A21.1", "A24.1")
def test_rugao_pack_holds_the_2021_numbers_the_demo_had() -> None:
    """The pack says what the model's defaults (the demo's policy before packs) said."""
    pack = packs.parse(raw())
    defaults = {f.name: f.get_default() for f in Policy._meta.fields}
    assert {f: pack.numbers[f] for f in packs.POLICY_FIELDS} == {
        f: defaults[f] for f in packs.POLICY_FIELDS
    }
    assert pack.program["division_code"] == "320682"
    assert pack.effective_on == dt.date(2021, 6, 8)
    assert len(pack.rubrics["organization"]["items"]) == 23
    assert pack.rubrics["organization"]["total_points"] == 1000
    assert pack.units is not None
    assert len(pack.units) == 22
    assert {"bonus", "environmental-rating", "nomination-award"} <= set(pack.rules)
    assert "nomination-waits" not in pack.rules
    assert not pack.numbers["nomination_waits"]


def test_every_key_of_the_rugao_pack_cites_its_article_in_a_comment() -> None:
    """Each number's line carries its 第X条 (or says the Office's practice / the PIPL)."""
    text = RUGAO.read_text(encoding="utf-8")
    for section, keys in packs.NUMBERS.items():
        for key in keys:
            line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{key}:"))
            assert re.search(r"第.+条", line), (section, key, line)


@pytest.mark.req("A5.2", "A10.2", "A20.1", "A21.1", "A24.1")
def test_shili_pack_differs_from_rugao_on_every_number_it_can() -> None:
    rugao, shili = packs.parse(raw()), packs.parse(raw(SHILI))
    # Fixed for both: GB/T 19580 scores out of 1000; individuals have no site review (A10.3).
    same = {"total_points", "weight_material_individual"}
    for field in packs.POLICY_FIELDS:
        if field in same:
            assert rugao.numbers[field] == shili.numbers[field], field
        else:
            assert rugao.numbers[field] != shili.numbers[field], field
    assert (
        shili.numbers["quota_organization_award"],
        shili.numbers["quota_organization_nomination"],
        shili.numbers["quota_individual_award"],
    ) == (3, 3, 2)
    assert (
        shili.numbers["weight_material_organization"],
        shili.numbers["weight_site_organization"],
    ) == (
        40,
        60,
    )
    assert shili.numbers["notice_working_days"] == 7
    assert shili.numbers["bonus_organization_award"] == 300_000
    assert shili.numbers["reapply_gap_years"] == 4
    assert shili.units is not None
    assert rugao.units is not None
    assert not {u.name for u in shili.units} & {u.name for u in rugao.units}
    assert shili.program["slug"] != rugao.program["slug"]


# --- refusals -----------------------------------------------------------------------------------


def test_an_unknown_key_is_refused_naming_it() -> None:
    data = raw()
    data["quotas"]["organisation_award"] = 2  # a typo must not be ignored
    data["colour"] = "red"
    problems = refused(data)
    assert any(p.startswith("quotas.organisation_award：不是方案包的字段") for p in problems)
    assert any(p.startswith("colour：不是方案包的字段") for p in problems)


def test_a_rule_the_engine_lacks_is_refused_naming_the_rule() -> None:
    data = raw()
    data["rules"].append("industry-award-required")
    (problem,) = refused(data)
    assert "引擎尚未实现规则“industry-award-required”" in problem
    assert problem.startswith("rules：")


def test_leaving_out_a_rule_the_engine_always_applies_is_refused() -> None:
    """The engine would enforce a condition these Measures do not have: refused, not ignored."""
    data = raw()
    data["rules"].remove("environmental-rating")
    (problem,) = refused(data)
    assert "缺少“environmental-rating”" in problem
    assert "引擎对每个奖项都执行此规则" in problem


@pytest.mark.parametrize(
    ("section", "key", "value", "words"),
    [
        ("quotas", "organization_award", "两个", "应为整数"),
        ("quotas", "organization_award", -1, "应在0至"),
        ("quotas", "organization_award", True, "应为整数"),
        ("notice", "working_days", 0, "应在1至"),
        ("scoring", "consensus_spread_points", 101, "应在0至100之间"),
        ("scoring", "individual_material_weight", 90, "应在100至100之间"),
        ("eligibility", "environmental_rating", "blau", "应为green"),
    ],
)
def test_a_bad_number_is_refused_naming_its_key_and_article(
    section: str, key: str, value: Any, words: str
) -> None:
    data = raw()
    data[section][key] = value
    problems = refused(data)
    assert any(p.startswith(f"{section}.{key}") and words in p for p in problems), problems


def test_a_missing_number_is_refused_with_its_label_and_article() -> None:
    data = raw()
    del data["notice"]["working_days"]
    del data["program"]["division_code"]
    problems = refused(data)
    assert "notice.working_days（公示期（工作日），第二十条）：缺少" in problems
    assert "program.division_code：缺少（行政区划代码）" in problems


def test_weights_that_do_not_make_100_are_refused() -> None:
    data = raw()
    data["scoring"]["organization_material_weight"] = 40
    (problem,) = refused(data)
    assert "两项权重之和应为100" in problem
    assert "40 + 70" in problem


def test_a_bonus_without_the_bonus_rule_and_lines_without_score_lines_are_refused() -> None:
    data = raw()
    data["rules"].remove("bonus")
    data["scoring"]["award_min_score"] = 600
    problems = refused(data)
    assert any("rules 须列出“bonus”" in p for p in problems)
    assert any("rules 须列出“score-lines”" in p for p in problems)


@pytest.mark.req("A9.1", "A10.1")
def test_an_inline_rubric_must_add_up_and_have_unique_codes() -> None:
    data = raw()
    data["rubrics"]["individual"] = {
        "key": "ind",
        "name": "个人准则",
        "total_points": 1000,
        "categories": [{"code": "P", "name": "个人", "points": 1000}],
        "items": [
            {"code": "P1", "category": "P", "name": "甲", "points": 600, "type": "process"},
            {"code": "P1", "category": "P", "name": "乙", "points": 300, "type": "result"},
        ],
    }
    problems = refused(data)
    assert "rubrics.individual：条款编号重复：P1。" in problems


@pytest.mark.req("A9.1", "A10.1")
def test_a_rubric_whose_total_is_not_the_policys_is_refused() -> None:
    data = raw()
    data["scoring"]["total_points"] = 900
    problems = refused(data)
    assert any("评价准则总分1000分与办法规定的评审总分900分不符" in p for p in problems)


def test_a_rubric_file_outside_data_or_a_missing_key_is_refused() -> None:
    data = raw()
    data["rubrics"]["organization"] = {"file": "../config/settings.py", "key": "x"}
    data["rubrics"]["individual"] = {"file": "gbt19580.yaml", "key": "nope"}
    problems = refused(data)
    assert any("rubrics.organization：评价准则文件" in p and "data/" in p for p in problems)
    assert any("没有代码为“nope”的评价准则" in p for p in problems)


# --- loading ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_creates_the_program_audited_by_the_system_with_the_packs_digest() -> None:
    pack, sha256 = packs.read(RUGAO)
    lines = load_program(pack=pack, source="data/programs/rugao-2021.yaml", sha256=sha256)
    program = AwardProgram.objects.get(slug="rugao")
    policy = program.policies.get()
    assert lines[:2] == ["新建奖项：如皋市市长质量奖（rugao）", f"新增管理办法：{policy}"]
    assert {f: getattr(policy, f) for f in packs.POLICY_FIELDS} == pack.numbers
    assert policy.rules == list(pack.rules)
    assert policy.rubrics == pack.rubrics
    assert RecommendingUnit.objects.count() == 22
    events = AuditEvent.objects.filter(action__in=["programs.program.load", "programs.policy.load"])
    assert {e.action for e in events} == {"programs.program.load", "programs.policy.load"}
    for event in events:
        assert event.actor is None
        assert event.role == "system"
        assert event.reason == f"按方案包 data/programs/rugao-2021.yaml 载入（SHA-256 {sha256}）"
    after = events.get(action="programs.policy.load").after
    assert after is not None
    assert after["公示期（工作日）"] == 5
    assert AuditEvent.objects.filter(action="accounts.unit.add").count() == 22
    # Loading it again changes nothing and writes nothing.
    count = AuditEvent.objects.count()
    assert load_program(pack=pack, source="x", sha256=sha256) == []
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db
def test_a_dry_run_reports_the_changes_and_writes_nothing() -> None:
    pack = packs.parse(raw())
    lines = load(pack, dry_run=True)
    assert "新建奖项：如皋市市长质量奖（rugao）" in lines
    assert "新增推荐单位：如城街道" in lines
    assert not AwardProgram.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_changing_a_policy_no_published_cycle_uses_updates_it_with_before_and_after(
    program: AwardProgram, office: User
) -> None:
    create_cycle(actor=office, program=program, year=2026)  # a draft: nothing promised yet
    data = raw()
    data["notice"]["working_days"] = 6
    lines = load(packs.parse(data))
    assert lines == ["修改管理办法《如皋市市长质量奖管理办法》：公示期（工作日）"]
    assert program.policies.get().notice_working_days == 6
    event = AuditEvent.objects.filter(action="programs.policy.load").latest("seq")
    assert (event.before, event.after) == ({"公示期（工作日）": 5}, {"公示期（工作日）": 6})


@pytest.mark.django_db
def test_a_policy_a_published_cycle_uses_is_never_rewritten(
    program: AwardProgram, office: User
) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    data = raw()
    data["bonus"]["organization_award"] = 250000
    count = AuditEvent.objects.count()
    with pytest.raises(StateConflict, match="已用于2026年度") as caught:
        load(packs.parse(data))
    assert "新的文号和施行日期" in caught.value.message
    assert program.policies.get().bonus_organization_award == 200000
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db
def test_a_policy_from_before_packs_in_use_takes_its_implied_rules_and_rubrics(
    program: AwardProgram, office: User
) -> None:
    """A database seeded before packs (no rules, no rubric: the engine's and the file's) loads
    its pack although a published year uses the policy: nothing it decided changes."""
    Policy.objects.filter(program=program).update(rules=[], rubrics={})
    cycle = create_cycle(actor=office, program=program, year=2026)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    lines = load(packs.parse(raw()))
    assert lines == ["修改管理办法《如皋市市长质量奖管理办法》：适用规则、评价准则"]
    policy = program.policies.get()
    assert policy.rules == raw()["rules"]
    assert policy.rubrics["organization"]["key"] == "gbt19580-2012"
    data = raw()  # a real change is still refused
    Policy.objects.filter(program=program).update(rules=[], rubrics={})
    data["rules"].append("nomination-waits")
    with pytest.raises(
        StateConflict, match="其提名奖获奖组织同样须满重新申报间隔、适用规则不得改写"
    ):
        load(packs.parse(data))


@pytest.mark.django_db
def test_a_revision_with_a_new_document_number_is_a_new_version(
    program: AwardProgram, office: User
) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    data = raw()
    data["measures"] |= {"document_number": "皋政发〔2027〕1号", "effective_on": "2027-01-01"}
    data["bonus"]["organization_award"] = 250000
    (line,) = load(packs.parse(data))
    assert line.startswith("新增管理办法：如皋市市长质量奖管理办法（皋政发〔2027〕1号")
    cycle.refresh_from_db()
    assert cycle.policy.bonus_organization_award == 200000  # the published year keeps its own
    new = create_cycle(actor=office, program=program, year=2027)
    assert new.policy.bonus_organization_award == 250000


@pytest.mark.django_db
def test_two_versions_may_not_take_effect_the_same_day(program: AwardProgram) -> None:
    data = raw()
    data["measures"]["document_number"] = "另一文号"
    with pytest.raises(packs.PackRefused, match="两版办法不能同日施行"):
        load(packs.parse(data))


@pytest.mark.django_db
def test_each_program_loads_its_own_units(program: AwardProgram) -> None:
    """Decision 0030: a unit belongs to its program; a second program's pack brings its own
    units beside the first one's, a same-named unit included, and the first stays the default."""
    shili = packs.parse(raw(SHILI))
    own = list(RecommendingUnit.objects.filter(program=program).values_list("pk", "name"))
    load(shili)
    other = AwardProgram.objects.get(slug="shili")
    names = [u.name for u in shili.units or ()]
    assert sorted(
        RecommendingUnit.objects.filter(program=other).values_list("name", flat=True)
    ) == sorted(names)
    assert own  # Rugao's units are untouched by the second load
    assert list(RecommendingUnit.objects.filter(program=program).values_list("pk", "name")) == own
    assert AwardProgram.objects.get(is_default=True) == program
    assert not other.is_default


# --- the rubric reaches the cycle (A9.1) --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.req("A9.1")
def test_a_cycles_rubric_is_copied_from_its_policys_pack(
    program: AwardProgram, office: User
) -> None:
    data = raw()
    data["measures"] |= {"document_number": "变体", "effective_on": "2025-01-01"}
    data["rubrics"]["individual"] = {
        "key": "ind-variant",
        "name": "个人评价准则（变体）",
        "total_points": 1000,
        "categories": [{"code": "P", "name": "个人评价", "points": 1000}],
        "items": [
            {"code": "P1", "category": "P", "name": "创新", "points": 400, "type": "process"},
            {"code": "P2", "category": "P", "name": "贡献", "points": 600, "type": "result"},
        ],
    }
    load(packs.parse(data))
    cycle = create_cycle(actor=office, program=program, year=2026)
    assert cycle.policy.document_number == "变体"
    rubric = ensure_rubric(actor=office, cycle=cycle, kind="individual")
    assert (rubric.key, rubric.total_points) == ("ind-variant", 1000)
    assert [(i.code, i.points, i.type) for i in rubric.items.all()] == [
        ("P1", 400, "process"),
        ("P2", 600, "result"),
    ]
    organization = ensure_rubric(actor=office, cycle=cycle, kind="organization")
    assert organization.items.count() == 23


@pytest.mark.django_db
def test_a_policy_from_before_packs_falls_back_to_the_rubric_file(
    program: AwardProgram, office: User
) -> None:
    Policy.objects.filter(program=program).update(rubrics={})
    cycle = create_cycle(actor=office, program=program, year=2026)
    rubric = ensure_rubric(actor=office, cycle=cycle, kind="organization")
    assert rubric.key == rubrics.rubric_for("organization").key == "gbt19580-2012"


# --- the demo and dump ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_seeds_rugao_from_its_pack(program: AwardProgram) -> None:
    pack, sha256 = demo.rugao_pack()
    policy = program.policies.get()
    assert policy.rules == list(pack.rules)
    assert {f: getattr(policy, f) for f in packs.POLICY_FIELDS} == pack.numbers
    assert sorted(RecommendingUnit.objects.values_list("name", flat=True)) == sorted(
        u.name for u in pack.units or ()
    )
    event = AuditEvent.objects.get(action="programs.policy.load")
    assert sha256 in event.reason
    assert "data/programs/rugao-2021.yaml" in event.reason


@pytest.mark.django_db
@pytest.mark.parametrize("path", [RUGAO, SHILI], ids=["rugao", "shili"])
def test_dump_then_load_gives_back_the_same_program(path: Path) -> None:
    pack, _ = packs.read(path)
    load(pack)
    text = packs.dump(packs.program_pack(pack.slug) or {})
    again = packs.parse(yaml.safe_load(text))
    assert again == pack
    assert load(again) == []  # nothing to change: load(dump(x)) == x
    if path == RUGAO:  # a referenced rubric is dumped as its reference
        assert "file: gbt19580.yaml" in text


@pytest.mark.django_db
def test_an_inline_rubric_is_dumped_inline(program: AwardProgram) -> None:
    data = raw()
    rubric = rubrics.file_rubric("gbt19580.yaml", "individual-a14-default")
    data["rubrics"]["individual"] = {
        k: rubric[k] for k in ("key", "name", "total_points", "categories", "items")
    }
    data["measures"] |= {"document_number": "内联", "effective_on": "2024-01-01"}
    pack = packs.parse(data)
    load(pack)
    dumped = packs.program_pack("rugao")
    assert dumped is not None
    assert dumped["rubrics"]["individual"]["items"][0]["code"] == "P1"
    assert packs.parse(dumped) == pack


@pytest.mark.django_db
def test_load_program_command_refuses_with_every_problem_and_writes_nothing(
    tmp_path: Path,
) -> None:
    data = raw()
    data["rules"].append("province-recommendation")
    data["notice"]["working_days"] = "五"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_program", str(bad))
    message = str(caught.value)
    assert "未作任何修改" in message
    assert "province-recommendation" in message
    assert "notice.working_days" in message
    assert not AwardProgram.objects.exists()


@pytest.mark.django_db
def test_load_and_dump_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_program", str(RUGAO), "--dry-run")
    assert "试运行" in capsys.readouterr().out
    assert not AwardProgram.objects.exists()
    call_command("load_program", str(RUGAO))
    assert "已载入如皋市市长质量奖" in capsys.readouterr().out
    out = tmp_path / "rugao.yaml"
    call_command("dump_program", "rugao", "-o", str(out))
    call_command("load_program", str(out))
    assert "与方案包一致，无需修改" in capsys.readouterr().out
    with pytest.raises(CommandError, match="没有代码为“nowhere”的奖项"):
        call_command("dump_program", "nowhere")


@pytest.mark.django_db
def test_reloading_an_unchanged_pack_reads_four_times_and_writes_nothing(
    program: AwardProgram, django_assert_num_queries: Any
) -> None:
    """The program, the policy by 文号, a policy the same day, the program's units (and the
    savepoint pair of the transaction inside the test's): whatever the number of units."""
    pack, sha256 = demo.rugao_pack()
    with django_assert_num_queries(6):
        assert load_program(pack=pack, source="x", sha256=sha256) == []
