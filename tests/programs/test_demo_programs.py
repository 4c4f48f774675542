"""The demo's other programs (issue 18): 示例市市长质量奖 beside Rugao with its own Office,
units, applicants and published 2026 call, and 江苏 (a province-level program from
data/programs/jiangsu-demo.yaml) with its provincial administrator; Rugao stays the default."""

from __future__ import annotations

import pytest

from accounts.models import Organization, RecommendingUnit, Role, RoleAssignment, User
from desk import province
from lib import uscc
from programs import demo, packs
from programs.models import AwardProgram, Cycle, CycleStage, Stage


def test_the_province_pack_reads_and_holds_no_units() -> None:
    pack, _ = packs.read(demo.JIANGSU_PACK)
    assert pack.slug == "jiangsu"
    assert pack.program["division_code"] == "320000"
    assert pack.units is None  # a province's applications come recommended by its cities


def test_other_programs_are_seeded_beside_rugao_idempotently(program: AwardProgram) -> None:
    demo.seed_other_programs()
    demo.seed_other_programs()  # a second run changes nothing and refuses nothing

    programs = {p.slug: p for p in AwardProgram.objects.all()}
    assert set(programs) == {"rugao", "shili", "jiangsu"}
    assert [p.slug for p in AwardProgram.objects.filter(is_default=True)] == ["rugao"]
    shili, jiangsu = programs["shili"], programs["jiangsu"]

    held = set(
        RoleAssignment.objects.filter(
            user__username__in=["shili_office", "province_admin"]
        ).values_list("user__username", "role", "program__slug")
    )
    assert held == {
        ("shili_office", Role.OFFICE, "shili"),
        ("province_admin", Role.PROVINCE, "jiangsu"),
    }

    # 示例市's own units, its three applicants registered in its division.
    assert RecommendingUnit.objects.filter(program=shili).count() == 6
    orgs = Organization.objects.filter(recommending_unit__program=shili)
    assert orgs.count() == 3
    assert all(uscc.registered_within(o.uscc, shili.division_code) for o in orgs)
    for username, *_ in demo.SHILI_ORGANIZATIONS:
        assert User.objects.get(username=username).role_assignments.get().role == Role.APPLICANT

    # Its 2026 call is out, with its Measures' seven working days of notice.
    cycle = Cycle.objects.get(program=shili, year=demo.DEMO_YEAR)
    assert cycle.status == Cycle.Status.PUBLISHED
    assert cycle.policy.document_number == "示政规〔2025〕3号"
    notice = CycleStage.objects.get(cycle=cycle, stage=Stage.NOTICE)
    assert (notice.starts_on, notice.ends_on) == demo.SHILI_STAGES[Stage.NOTICE]

    # The province's region holds both cities; the province has no year of its own.
    assert {p.slug for p in province.programs_within(jiangsu)} == {"jiangsu", "rugao", "shili"}
    assert not Cycle.objects.filter(program=jiangsu).exists()


@pytest.mark.parametrize("username", ["shili_office", "province_admin"])
def test_the_other_programs_staff_sign_in_with_a_demo_secret(
    program: AwardProgram, username: str
) -> None:
    from accounts.two_factor import demo_secret

    demo.seed_other_programs()
    assert (username, demo_secret(username)) in demo.seed_two_factor()


def test_each_program_dumps_its_own_units(program: AwardProgram) -> None:
    demo.seed_other_programs()
    for slug, path in [("rugao", demo.RUGAO_PACK), ("shili", demo.SHILI_PACK)]:
        pack, _ = packs.read(path)
        dumped = packs.program_pack(slug)
        assert dumped is not None
        assert [u["name"] for u in dumped["units"]] == [u.name for u in pack.units or ()]
        assert packs.parse(dumped) == pack  # load(dump(x)) == x beside another program
    jiangsu = packs.program_pack("jiangsu")
    assert jiangsu is not None
    assert "units" not in jiangsu
