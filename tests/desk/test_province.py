"""各地奖项概况 (issue 18, decision 0030): the programs within a province's region, per year, in
counts and dates only; the experts shared between them by name."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, RecommendingUnit, User
from desk import province
from experts.models import Assignment, Expert, ReviewGroup
from intake.models import Application, AwardRecord, Kind, QualificationDecision, State
from lib import uscc
from programs.models import AwardProgram, Cycle, CycleStage, Policy, Stage

CST = dt.timezone(dt.timedelta(hours=8))
_serial = itertools.count(1)


def _program(slug: str, name: str, code: str) -> AwardProgram:
    program = AwardProgram.objects.create(
        slug=slug,
        name=name,
        government=name.replace("质量奖", "人民政府"),
        committee_name="质量发展委员会",
        office_name="质量发展委员会办公室",
        division_code=code,
    )
    Policy.objects.create(
        program=program,
        title=f"{name}管理办法",
        document_number=f"{slug}〔2025〕1号",
        effective_on=dt.date(2025, 1, 1),
    )
    return program


def _cycle(
    program: AwardProgram, year: int, status: str = Cycle.Status.PUBLISHED, stages: bool = True
) -> Cycle:
    cycle = Cycle.objects.create(
        program=program, year=year, policy=program.policies.get(), status=status
    )
    if stages:
        CycleStage.objects.create(
            cycle=cycle,
            stage=Stage.APPLICATION,
            starts_on=dt.date(year, 3, 2),
            ends_on=dt.date(year, 4, 30),
        )
        CycleStage.objects.create(
            cycle=cycle,
            stage=Stage.NOTICE,
            starts_on=dt.date(year, 11, 25),
            ends_on=dt.date(year, 12, 1),
        )
    return cycle


def _organization(code: str, name: str) -> Organization:
    body = f"91{code}MA1PRW{next(_serial):03d}"
    return Organization.objects.create(
        uscc=body + uscc.check_character(body),
        name=name,
        registered_address="示例路1号",
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        industry_code="34",
        established_on=dt.date(2012, 5, 18),
        legal_representative="法人",
    )


def _application(
    cycle: Cycle, owner: User, *, name: str, state: str, version: int = 1
) -> Application:
    return Application.objects.create(
        cycle=cycle,
        kind=Kind.ORGANIZATION,
        organization=_organization(cycle.program.division_code, name),
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        state=state,
        version=version,
        created_by=owner,
        data={"summary": f"{name}的申报材料"},
    )


def _decide(application: Application, owner: User, outcome: str) -> QualificationDecision:
    return QualificationDecision.objects.create(
        application=application,
        version=1,
        outcome=outcome,
        reason="审查意见",
        decided_by=owner,
        decided_at=dt.datetime(application.cycle.year, 5, 20, 10, tzinfo=CST),
    )


def _award(application: Application, owner: User, level: str, revoked: bool = False) -> None:
    AwardRecord.objects.create(
        organization=application.organization,
        application=application,
        recorded_name=application.applicant_name,
        year=application.cycle.year,
        level=level,
        announced_on=dt.date(application.cycle.year, 12, 10),
        document_number="政发〔2026〕1号",
        revoked_on=dt.date(application.cycle.year, 12, 20) if revoked else None,
        created_by=owner,
    )


def _expert(name: str) -> Expert:
    return Expert.objects.create(
        name=name,
        id_number=f"3206821975010{next(_serial):04d}"[:17] + "X",
        category=Expert.Category.INDUSTRY,
        practice_years=10,
    )


def _serve(expert: Expert, application: Application, *, removed: bool = False) -> None:
    group, _ = ReviewGroup.objects.get_or_create(
        application=application, stage=Stage.MATERIAL_REVIEW
    )
    Assignment.objects.create(
        group=group,
        expert=expert,
        source=Assignment.Source.MANUAL,
        assigned_at=dt.datetime(2026, 6, 1, 9, tzinfo=CST),
        removed_at=dt.datetime(2026, 6, 2, 9, tzinfo=CST) if removed else None,
    )


@pytest.fixture
def region(program: AwardProgram, office: User) -> dict[str, Any]:
    """江苏 (320000) holding 如皋 (320682, the `program` fixture) and 南通 (320600), with 浙江
    (330000) and 杭州 (330100) outside it; 2025 and 2026 for 如皋, 2026 for 南通."""
    jiangsu = _program("jiangsu", "江苏省质量奖", "320000")
    nantong = _program("nantong", "南通市市长质量奖", "320600")
    zhejiang = _program("zhejiang", "浙江省质量奖", "330000")
    hangzhou = _program("hangzhou", "杭州市市长质量奖", "330100")
    rugao_2026 = _cycle(program, 2026)
    rugao_2025 = _cycle(program, 2025, Cycle.Status.CLOSED)
    nantong_2026 = _cycle(nantong, 2026)
    _cycle(nantong, 2027, Cycle.Status.DRAFT)
    hangzhou_2026 = _cycle(hangzhou, 2026)
    return {
        "jiangsu": jiangsu,
        "nantong": nantong,
        "zhejiang": zhejiang,
        "hangzhou": hangzhou,
        "rugao_2026": rugao_2026,
        "rugao_2025": rugao_2025,
        "nantong_2026": nantong_2026,
        "hangzhou_2026": hangzhou_2026,
    }


def _row(data: province.Overview, cycle: Cycle) -> province.ProgramYear:
    (row,) = [r for r in data.rows if r.cycle.pk == cycle.pk]
    return row


def test_programs_within_a_region_follow_the_division_prefix(
    program: AwardProgram, region: dict[str, Any]
) -> None:
    slugs = lambda p: {x.slug for x in province.programs_within(p)}  # noqa: E731
    assert slugs(region["jiangsu"]) == {"jiangsu", "rugao", "nantong"}
    assert slugs(region["nantong"]) == {"nantong", "rugao"}
    assert slugs(region["zhejiang"]) == {"zhejiang", "hangzhou"}
    assert slugs(program) == {"rugao"}


def test_overview_counts_submitted_accepted_and_awards_per_year(
    region: dict[str, Any], office: User
) -> None:
    cycle = region["rugao_2026"]
    _application(cycle, office, name="草稿甲", state=State.DRAFT, version=0)
    submitted = _application(cycle, office, name="已提交乙", state=State.SUBMITTED)
    accepted = _application(cycle, office, name="受理丙", state=State.AWARDED)
    _decide(accepted, office, QualificationDecision.Outcome.ACCEPTED)
    nominated = _application(cycle, office, name="受理丁", state=State.AWARDED)
    _decide(nominated, office, QualificationDecision.Outcome.ACCEPTED)
    revoked = _application(cycle, office, name="受理戊", state=State.REVOKED)
    _decide(revoked, office, QualificationDecision.Outcome.ACCEPTED)
    corrected = _application(cycle, office, name="更正己", state=State.NOT_ACCEPTED)
    first = _decide(corrected, office, QualificationDecision.Outcome.ACCEPTED)
    second = _decide(corrected, office, QualificationDecision.Outcome.NOT_ACCEPTED)
    QualificationDecision.objects.filter(pk=second.pk).update(corrects=first)
    _award(accepted, office, AwardRecord.Level.AWARD)
    _award(nominated, office, AwardRecord.Level.NOMINATION)
    _award(revoked, office, AwardRecord.Level.AWARD, revoked=True)
    # Another program's year counts apart.
    other = _application(region["nantong_2026"], office, name="南通甲", state=State.ACCEPTED)
    _decide(other, office, QualificationDecision.Outcome.ACCEPTED)
    assert submitted.version == 1

    data = province.overview(region=region["jiangsu"])

    row = _row(data, cycle)
    assert (row.submitted, row.accepted) == (5, 3)
    assert row.awards == [1, 1, 0]
    assert row.revoked == 1
    assert [(label, n) for label, n in row.labelled_awards] == [
        ("组织·质量奖", 1),
        ("组织·提名奖", 1),
        ("个人·质量奖", 0),
    ]
    nantong = _row(data, region["nantong_2026"])
    assert (nantong.submitted, nantong.accepted, nantong.awards) == (1, 1, [0, 0, 0])
    assert [r.cycle.year for r in data.rows] == [2026, 2026, 2025]


def test_overview_shows_the_region_only_and_never_a_draft_year(region: dict[str, Any]) -> None:
    data = province.overview(region=region["jiangsu"])
    shown = {(r.program.slug, r.cycle.year) for r in data.rows}
    assert shown == {("rugao", 2026), ("rugao", 2025), ("nantong", 2026)}
    assert data.years == [2026, 2025]
    outside = province.overview(region=region["zhejiang"])
    assert {(r.program.slug, r.cycle.year) for r in outside.rows} == {("hangzhou", 2026)}


def test_overview_filters_by_year(region: dict[str, Any]) -> None:
    data = province.overview(region=region["jiangsu"], year=2025)
    assert [(r.program.slug, r.cycle.year) for r in data.rows] == [("rugao", 2025)]
    assert data.years == [2026, 2025]  # the filter still offers every year


def test_overview_lists_the_stage_dates_in_the_order_of_article_11(region: dict[str, Any]) -> None:
    row = _row(province.overview(region=region["jiangsu"]), region["rugao_2026"])
    assert row.stages == [
        ("申报推荐", dt.date(2026, 3, 2), dt.date(2026, 4, 30)),
        ("公示", dt.date(2026, 11, 25), dt.date(2026, 12, 1)),
    ]
    cells = dict(row.stage_cells)
    assert list(cells) == [stage.label for stage in Stage.ordered()]
    assert cells["申报推荐"] == "03-02至04-30"
    assert cells["资格审查"] == "未设置"
    # A date outside the cycle's year is written in full.
    CycleStage.objects.filter(cycle=region["rugao_2026"], stage=Stage.NOTICE).update(
        ends_on=dt.date(2027, 1, 8)
    )
    row = _row(province.overview(region=region["jiangsu"]), region["rugao_2026"])
    assert dict(row.stage_cells)["公示"] == "11-25至2027-01-08"


def test_shared_experts_serve_two_programs_of_the_region(
    region: dict[str, Any], office: User
) -> None:
    rugao = _application(region["rugao_2026"], office, name="如皋甲", state=State.MATERIAL_REVIEW)
    rugao_old = _application(region["rugao_2025"], office, name="如皋乙", state=State.AWARDED)
    nantong = _application(
        region["nantong_2026"], office, name="南通甲", state=State.MATERIAL_REVIEW
    )
    hangzhou = _application(
        region["hangzhou_2026"], office, name="杭州甲", state=State.MATERIAL_REVIEW
    )
    both = _expert("周共享")
    _serve(both, rugao)
    _serve(both, nantong)
    two_years = _expert("吴两年")  # two years of one program: not shared
    _serve(two_years, rugao)
    _serve(two_years, rugao_old)
    removed = _expert("郑移出")  # taken out of the 南通 group: not shared
    _serve(removed, rugao)
    _serve(removed, nantong, removed=True)
    across = _expert("王跨省")  # 如皋 and 杭州: 杭州 lies outside 江苏
    _serve(across, rugao)
    _serve(across, hangzhou)

    data = province.overview(region=region["jiangsu"])

    assert [(e.name, e.programs) for e in data.shared] == [
        ("周共享", ["南通市市长质量奖", "如皋市市长质量奖"])
    ]
    assert _row(data, region["rugao_2026"]).shared_experts == 1
    assert _row(data, region["nantong_2026"]).shared_experts == 1
    assert _row(data, region["rugao_2025"]).shared_experts == 0
    assert province.overview(region=region["zhejiang"]).shared == []


def test_overview_reads_in_a_constant_number_of_statements(
    region: dict[str, Any], office: User
) -> None:
    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            province.overview(region=region["jiangsu"])
        return len(captured)

    few = statements()
    for n in range(4):
        extra = _program(f"city{n}", f"示例{n}市市长质量奖", f"3207{n:02d}")
        cycle = _cycle(extra, 2026)
        application = _application(cycle, office, name=f"组织{n}", state=State.AWARDED)
        _decide(application, office, QualificationDecision.Outcome.ACCEPTED)
        _award(application, office, AwardRecord.Level.AWARD)
        _serve(_expert(f"专家{n}"), application)
    assert statements() == few == 6


def test_export_rows_hold_counts_and_dates_only(region: dict[str, Any], office: User) -> None:
    application = _application(region["rugao_2026"], office, name="保密组织", state=State.AWARDED)
    _decide(application, office, QualificationDecision.Outcome.ACCEPTED)
    _award(application, office, AwardRecord.Level.AWARD)
    rows = province.export_rows(province.overview(region=region["jiangsu"], year=2026))
    assert len(province.HEADERS) == len(rows[0]) == 19
    rugao = next(r for r in rows if r[0] == "如皋市市长质量奖")
    assert rugao[:11] == ["如皋市市长质量奖", "320682", 2026, "已发布申报通知", 1, 1, 1, 0, 0, 0, 0]
    assert rugao[11] == "03-02至04-30"
    assert rugao[12] == "未设置"
    assert rugao[17] == "11-25至12-01"
    assert "保密组织" not in repr(rows)


# --- the page and its export -------------------------------------------------------------------


@pytest.fixture
def admin(region: dict[str, Any], make_user: Any) -> User:
    """江苏's provincial administrator (the role held in the province's program)."""
    from accounts.models import Role
    from lib.tenancy import using_program

    with using_program(region["jiangsu"]):
        return make_user(Role.PROVINCE, username="province_js")  # type: ignore[no-any-return]


@pytest.fixture
def world(region: dict[str, Any], office: User) -> dict[str, Any]:
    """Applications, an award and a shared expert in 如皋 and 南通, and in 杭州 (outside)."""
    rugao = _application(region["rugao_2026"], office, name="如皋机密组织", state=State.AWARDED)
    _decide(rugao, office, QualificationDecision.Outcome.ACCEPTED)
    _award(rugao, office, AwardRecord.Level.AWARD)
    nantong = _application(
        region["nantong_2026"], office, name="南通机密组织", state=State.ACCEPTED
    )
    hangzhou = _application(
        region["hangzhou_2026"], office, name="杭州机密组织", state=State.ACCEPTED
    )
    shared = _expert("周共享")
    _serve(shared, rugao)
    _serve(shared, nantong)
    _serve(shared, hangzhou)
    return {"rugao": rugao, "expert": shared}


def test_the_provincial_administrator_sees_the_programs_of_its_region(
    admin: User, world: dict[str, Any]
) -> None:
    from tests.conftest import client_for

    response = client_for(admin).get("/office/province/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "各地奖项概况" in html
    assert "江苏省质量奖所辖行政区域" in html
    for name in ("如皋市市长质量奖", "南通市市长质量奖"):
        assert name in html
    assert "杭州市市长质量奖" not in html  # outside 江苏
    assert "浙江省质量奖" not in html
    # The shared expert by name, with the programs of the region only.
    assert "周共享" in html
    assert "南通市市长质量奖、如皋市市长质量奖" in html
    # The header links the page; the footer names the province's office, not Rugao's.
    assert 'href="/office/province/"' in html
    assert "质量发展委员会办公室" in html
    assert "如皋市质量发展委员会办公室" not in html


def test_the_page_shows_no_materials_scores_or_personal_data(
    admin: User, world: dict[str, Any]
) -> None:
    from tests.conftest import client_for

    html = client_for(admin).get("/office/province/").content.decode()
    for secret in ("如皋机密组织", "南通机密组织", "的申报材料", world["rugao"].organization.uscc):
        assert secret not in html
    assert str(world["rugao"].public_id) not in html  # no link to an application
    assert world["expert"].id_number not in html


def test_a_province_elsewhere_sees_none_of_jiangsu(
    region: dict[str, Any], world: dict[str, Any], make_user: Any
) -> None:
    from accounts.models import Role
    from lib.tenancy import using_program
    from tests.conftest import client_for

    with using_program(region["zhejiang"]):
        other = make_user(Role.PROVINCE, username="province_zj")
    html = client_for(other).get("/office/province/").content.decode()
    assert "杭州市市长质量奖" in html
    assert "如皋市市长质量奖" not in html
    assert "南通市市长质量奖" not in html
    assert "周共享" not in html  # shared with 如皋 and 南通, but only one program of 浙江


@pytest.mark.parametrize("persona", ["office", "supervisor", "committee", "auditadmin", "expert"])
def test_other_roles_are_refused(
    personas: dict[str, User | None], region: dict[str, Any], persona: str
) -> None:
    from tests.conftest import client_for

    client = client_for(personas[persona])
    assert client.get("/office/province/").status_code == 403
    assert client.get("/office/province/export.xlsx").status_code == 403


def test_the_export_holds_the_table_and_is_audited(admin: User, world: dict[str, Any]) -> None:
    import io

    from openpyxl import load_workbook

    from audit.models import AuditEvent
    from tests.conftest import client_for

    response = client_for(admin).get("/office/province/export.xlsx?year=2026")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0].startswith("江苏省质量奖·各地奖项概况（2026年度")
    assert values[1] == province.HEADERS
    assert sorted(r[0] for r in values[2:]) == ["南通市市长质量奖", "如皋市市长质量奖"]
    assert "如皋机密组织" not in repr(values)
    event = AuditEvent.objects.filter(actor=admin).order_by("-seq").first()
    assert event is not None
    assert (event.action, event.role) == ("download.province_overview", "province")
    assert event.after is not None
    assert "各地奖项概况" in event.after["file"]
