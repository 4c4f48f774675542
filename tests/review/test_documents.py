"""The 综合评价报告, the applicant's feedback report and the radar chart (issue 5, item 6)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Cm
from PIL import Image

from intake.models import Application
from lib import charts
from lib.charts import RADAR_DPI, RADAR_INCHES, radar_png
from lib.errors import StateConflict
from lib.rubrics import band_for
from programs.models import Cycle
from review.documents import evaluation_report_docx, feedback_report_docx
from review.models import ConsensusItem, Evaluation, ItemScore
from tests.review.conftest import World, through_evaluation

EXPERT_NAMES = ("赵强", "钱敏", "孙立")
RADAR_PIXELS = (round(RADAR_INCHES[0] * RADAR_DPI), round(RADAR_INCHES[1] * RADAR_DPI))
CATEGORIES = ["4.1\n领导", "4.2\n战略", "4.3\n顾客与市场", "4.4\n资源", "4.5\n过程管理"]


def _open(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def _text(document: DocxDocument) -> str:
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _rows(document: DocxDocument, header: str) -> list[list[str]]:
    """The body rows of every table whose first row holds `header`."""
    return [
        [c.text for c in row.cells]
        for t in document.tables
        if header in [c.text for c in t.rows[0].cells]
        for row in t.rows[1:]
    ]


def _pictures(document: DocxDocument) -> list[bytes]:
    blobs = []
    for shape in document.inline_shapes:
        r_id = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        blobs.append(document.part.related_parts[r_id].blob)
    return blobs


def _png_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()  # decodes the whole image: a truncated file fails here
    return image.size


# --- the radar chart ----------------------------------------------------------------------------


@pytest.mark.req("A18.1")
def test_radar_is_a_png_of_fixed_size_whatever_it_shows() -> None:
    few = radar_png(CATEGORIES[:3], [10, 50, 90])
    many = radar_png(
        [*CATEGORIES, "4.6\n测量、分析与改进", "4.7\n结果，一个很长很长很长的类目名称"],
        [100, 0, 62.5, 63.5, 80, 45, 30],
        title="如皋示例机械有限公司 各类目得分率",
    )
    assert few[:8] == b"\x89PNG\r\n\x1a\n"
    assert _png_size(few) == _png_size(many) == RADAR_PIXELS
    assert few != many


def test_radar_draws_chinese_with_the_cjk_font() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        radar_png(CATEGORIES, [60, 70, 80, 50, 40], title="各类目得分率")
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_radar_refuses_fewer_than_three_axes_or_bad_values() -> None:
    with pytest.raises(ValueError, match="至少需要3个"):
        radar_png(["领导", "战略"], [50, 60])
    with pytest.raises(ValueError, match="不一致"):
        radar_png(CATEGORIES, [50, 60])
    with pytest.raises(ValueError, match="0至100"):
        radar_png(CATEGORIES[:3], [50, 60, 101])


def test_radar_without_the_font_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    charts._cjk_family.cache_clear()
    monkeypatch.setattr(charts, "FONT_DIR", tmp_path)
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            radar_png(CATEGORIES[:3], [50, 60, 70])
    finally:
        charts._cjk_family.cache_clear()


BANDS = [(0, "0%–5%"), (5, "0%–5%"), (7.5, "0%–5%"), (10, "10%–25%"), (63.5, "50%–65%")]
BANDS += [(67.5, "50%–65%"), (70, "70%–85%"), (89.99, "70%–85%"), (90, "90%–100%")]


@pytest.mark.parametrize(("percent", "band"), [*BANDS, (100, "90%–100%")])
def test_band_of_a_percentage_rounds_down_between_bands(percent: float, band: str) -> None:
    assert str(band_for(percent)) == band


# --- the 综合评价报告 ----------------------------------------------------------------------------


@pytest.mark.req("A10.2", "A10.3", "A18.1")
def test_report_ranks_each_kind_with_weights_and_rounding(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    document = _open(evaluation_report_docx(world.cycle))
    text = _text(document)
    opening = [p.text for p in document.paragraphs[:20] if p.text]
    assert opening[:2] == ["如皋市市长质量奖", "2026年度综合评价报告"]
    assert world.cycle.program.office_name in opening
    assert "2026年9月15日" in opening
    # Organization: 0.3 x 600 + 0.7 x 650; individual: the material score alone.
    assert "综合得分 = 材料评审得分 × 30% + 现场评审得分 × 70%（《办法》第十条）。" in text
    assert "综合得分 = 材料评审得分 × 100%，个人类不进行现场评审（《办法》第十条）。" in text
    assert "仅在最后一步四舍五入保留两位小数" in text
    assert _rows(document, "综合得分") == [
        ["1", world.organization.applicant_name, "600.00", "650.00", "635.00", ""],
        ["1", world.individual.applicant_name, "750.00", "—", "750.00", ""],
    ]


@pytest.mark.req("A18.1")
def test_report_flags_ties_for_the_committee(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    Evaluation.objects.filter(application=world.individual).update(tied=True)
    document = _open(evaluation_report_docx(world.cycle))
    ranking = _rows(document, "综合得分")
    assert [r[-1] for r in ranking] == ["", "并列"]
    assert "第1名存在综合得分相同的申报，名次并列，系统未作区分，提请委员会审定。" in _text(
        document
    )
    assert "个人类第1名（并列）" in _text(document)


@pytest.mark.req("A10.2", "A18.1")
def test_report_section_per_applicant_scores_by_stage_and_category(
    world: World, time_machine: Any
) -> None:
    through_evaluation(world, time_machine)
    document = _open(evaluation_report_docx(world.cycle))
    headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 2"]
    assert f"1. {world.organization.applicant_name}（组织类）" in headings
    assert f"2. {world.individual.applicant_name}（个人类）" in headings
    categories = _rows(document, "加权得分")
    # 4.1 领导 (110 points): material 60% = 66, on site 65% = 71.5, weighted 19.8 + 50.05.
    assert ["4.1 领导", "110", "66.00", "71.50", "69.85", "63.50%"] in categories
    assert ["4.7 结果", "400", "240.00", "260.00", "254.00", "63.50%"] in categories
    assert ["合计", "1000", "600.00", "650.00", "635.00", "63.50%"] in categories
    assert ["P 个人评价", "1000", "750.00", "—", "750.00", "75.00%"] in categories
    assert ["合计", "1000", "750.00", "—", "750.00", "75.00%"] in categories
    text = _text(document)
    assert "材料评审：综合意见" in text
    assert "现场评审：综合意见" in text


@pytest.mark.req("A18.1")
def test_report_embeds_a_radar_chart_per_applicant(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    document = _open(evaluation_report_docx(world.cycle))
    assert len(document.inline_shapes) == 2
    assert all(s.width == Cm(15) for s in document.inline_shapes)
    assert [_png_size(png) for png in _pictures(document)] == [RADAR_PIXELS, RADAR_PIXELS]
    # The individual rubric has one category: its chart is drawn by item, and says so.
    assert "雷达图按评分条款绘制" in _text(document)


@pytest.mark.req("A18.1")
def test_report_consolidates_strengths_and_opportunities(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    material = world.group(world.organization)
    # Item 4.1.2: the consensus keeps no opportunity text; two members wrote the same one.
    ItemScore.objects.filter(scorecard__assignment__group=material, item__code="4.1.2").update(
        opportunities="1. 缺少与标杆的对比数据。"
    )
    ItemScore.objects.filter(
        scorecard__assignment__group=material,
        scorecard__assignment__expert=world.experts[2],
        item__code="4.1.2",
    ).update(opportunities="战略展开的测量不足。\n缺少与标杆的对比数据。")
    # Item 4.1.3: the consensus text wins over the members'.
    ConsensusItem.objects.filter(consensus__group=material, item__code="4.1.3").update(
        opportunities="治理结构的评价不系统。"
    )
    ItemScore.objects.filter(scorecard__assignment__group=material, item__code="4.1.3").update(
        opportunities="成员写的意见。"
    )
    text = _text(_open(evaluation_report_docx(world.cycle)))
    # Both stages hold the same strength for 4.1.2: said once.
    assert text.count("4.1.2 高层领导的作用：高层领导的作用方法系统。") == 1
    assert text.count("4.1.2 高层领导的作用：1. 缺少与标杆的对比数据。") == 1
    assert "缺少与标杆的对比数据。\n" not in text.replace("1. 缺少与标杆的对比数据。\n", "")
    assert "4.1.2 高层领导的作用：战略展开的测量不足。" in text
    assert "4.1.3 组织治理：治理结构的评价不系统。" in text
    assert "成员写的意见。" not in text
    assert "P1 质量创新与改进（先进质量管理方法、独特工作方法和经验）：" in text


@pytest.mark.req("A18.1")
def test_report_refused_before_the_evaluation(world: World) -> None:
    with pytest.raises(StateConflict, match="尚未进行综合评价"):
        evaluation_report_docx(world.cycle)


def test_reports_read_in_a_fixed_number_of_queries(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    cycle = Cycle.objects.select_related("program").get(pk=world.cycle.pk)
    application = Application.objects.select_related("cycle__program").get(pk=world.organization.pk)
    with CaptureQueriesContext(connection) as both:
        evaluation_report_docx(cycle)
    with CaptureQueriesContext(connection) as one:
        feedback_report_docx(application)
    # Two applications of two kinds cost what one costs: nothing is read per applicant.
    assert len(both) == len(one) == 6  # evaluations, rubrics, items, consensus, items, texts


# --- the applicant's feedback report ------------------------------------------------------------


@pytest.mark.req("A18.1")
def test_feedback_gives_bands_and_findings_without_names_scores_or_rank(
    world: World, time_machine: Any
) -> None:
    through_evaluation(world, time_machine)
    ItemScore.objects.filter(
        scorecard__assignment__group=world.group(world.organization, "site_review"),
        scorecard__assignment__expert=world.experts[1],
        item__code="4.7.2",
    ).update(opportunities="顾客满意度缺少行业对比。")
    document = _open(feedback_report_docx(world.organization))
    text = _text(document)
    opening = [p.text for p in document.paragraphs[:20] if p.text]
    assert opening[:3] == [
        "如皋市市长质量奖",
        "2026年度评审反馈报告",
        f"申报主体：{world.organization.applicant_name}",
    ]
    bands = _rows(document, "评分区间")
    assert [r[:3] for r in bands][:2] == [
        ["4.1 领导", "110", "50%–65%"],
        ["4.2 战略", "90", "50%–65%"],
    ]
    assert bands[0][3].startswith("有应对总体要求的系统、有效的方法")  # process guidance
    assert bands[-1][3].startswith("多数领域有改进趋势或良好水平")  # 4.7 results guidance
    assert "4.1.2 高层领导的作用：高层领导的作用方法系统。" in text
    assert "4.7.2 产品和服务结果：顾客满意度缺少行业对比。" in text
    for name in EXPERT_NAMES:
        assert name not in text
    for secret in ("635.00", "600.00", "650.00", "63.50", "750", "名次：", "第1名", "排名"):
        assert secret not in text
    assert world.individual.applicant_name not in text
    assert not document.inline_shapes


@pytest.mark.req("A10.3", "A18.1")
def test_individual_feedback_names_its_one_band(world: World, time_machine: Any) -> None:
    through_evaluation(world, time_machine)
    document = _open(feedback_report_docx(world.individual))
    bands = _rows(document, "评分区间")
    assert [r[:3] for r in bands] == [["P 个人评价", "1000", "70%–85%"]]
    # Its items are of both types: the band is explained for both.
    assert bands[0][3].startswith("过程类条款：有应对多方面要求的系统、有效的方法")
    assert "\n结果类条款：多数领域达到良好至卓越水平" in bands[0][3]
    text = _text(document)
    assert "专家组在材料评审中对您的评价意见" in text
    assert world.organization.applicant_name not in text
    assert not any(name in text for name in EXPERT_NAMES)


@pytest.mark.req("A18.1")
def test_feedback_refused_before_the_evaluation(world: World) -> None:
    with pytest.raises(StateConflict, match="尚未完成综合评价"):
        feedback_report_docx(world.organization)
