"""Documents of 综合评价 (A10.2, A10.3, A18.1): the 综合评价报告 of a cycle for the Office and the
committee, each applicant's own feedback report, and the radar chart both are drawn with.

The report reads only what the review stored: the Evaluation rows (final scores, ranks, ties and
category percentages computed by `review.services.evaluate`), the groups' confirmed consensus
and, where a consensus item carries no text, the members' submitted texts. Nothing here scores
or ranks; the arithmetic stays in `lib/scoring.py`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.utils import timezone
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt

from intake.documents import _font, _table
from intake.models import Application, Kind
from lib import scoring
from lib.charts import radar_png
from lib.errors import StateConflict
from lib.rubrics import Band, band_for
from programs.models import Cycle, Stage

from .models import Consensus, Evaluation, ItemScore, Rubric, RubricItem, Scorecard

RADAR_WIDTH = Cm(15)
STAGE_NAMES = {Stage.MATERIAL_REVIEW.value: "材料评审", Stage.SITE_REVIEW.value: "现场评审"}
KIND_NAMES = {Kind.ORGANIZATION.value: "组织", Kind.INDIVIDUAL.value: "个人"}
NUMERALS = "一二三四五六七八九十"
DASH = "—"


# --- what the review stored, read once ---------------------------------------------------------


@dataclass
class Finding:
    item: RubricItem
    text: str


@dataclass
class Review:
    """One evaluated application with its rubric, its confirmed consensus per stage and the
    members' texts per (stage, item)."""

    evaluation: Evaluation
    rubric: Rubric
    items: list[RubricItem]
    consensus: dict[str, Consensus] = field(default_factory=dict)
    member_texts: dict[tuple[str, int], list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def application(self) -> Application:
        return self.evaluation.application

    @property
    def stages(self) -> list[str]:
        """The stages that count, in order: material review, then (organizations) on site."""
        return [s for s in STAGE_NAMES if s in self.consensus]

    def stage_category_points(self, stage: str) -> dict[str, Decimal]:
        points = {c["code"]: Decimal(0) for c in self.rubric.categories}
        consensus = self.consensus.get(stage)
        by_id = {i.pk: i for i in self.items}
        for ci in consensus.items.all() if consensus else []:
            item = by_id[ci.item_id]
            points[item.category] += scoring.item_points(item.points, ci.percent)
        return points

    def weights(self) -> dict[str, int]:
        e = self.evaluation
        return {
            Stage.MATERIAL_REVIEW.value: e.material_weight,
            Stage.SITE_REVIEW.value: e.site_weight,
        }

    def item_percents(self) -> dict[int, Decimal]:
        """Each item's weighted consensus percentage (for a radar of items, when the rubric has
        fewer than three categories, as the individual one has)."""
        weights = self.weights()
        result = {i.pk: Decimal(0) for i in self.items}
        for stage in self.stages:
            for ci in self.consensus[stage].items.all():
                result[ci.item_id] += Decimal(ci.percent) * weights[stage] / 100
        return result

    @cached_property
    def findings(self) -> dict[str, tuple[list[Finding], list[Finding]]]:
        """Strengths and opportunities for improvement by category code: the consensus item's
        text of each stage, else the members' texts of that item; one line a finding, each said
        once per category however many stages or experts wrote it."""
        agreed = {
            (stage, ci.item_id): ci
            for stage in self.stages
            for ci in self.consensus[stage].items.all()
        }
        result: dict[str, tuple[list[Finding], list[Finding]]] = {
            c["code"]: ([], []) for c in self.rubric.categories
        }
        seen: set[tuple[str, int, str]] = set()
        # Item by item in the rubric's order, the material review's findings before the site's.
        for item in self.items:
            for stage in self.stages:
                ci = agreed.get((stage, item.pk))
                if ci is None:
                    continue
                members = self.member_texts.get((stage, item.pk), [])
                for which, own in enumerate((ci.strengths, ci.opportunities)):
                    texts = [own] if own.strip() else [m[which] for m in members]
                    for line in _lines(texts):
                        key = (item.category, which, _normal(line))
                        if key not in seen:
                            seen.add(key)
                            result.setdefault(item.category, ([], []))[which].append(
                                Finding(item, line)
                            )
        return result


def _lines(texts: Iterable[str]) -> list[str]:
    return [line.strip() for text in texts for line in text.splitlines() if line.strip()]


def _normal(text: str) -> str:
    """A finding's identity: whitespace and a leading list marker ("1." "（2）" "-") ignored."""
    text = re.sub(r"^\s*(?:[-•·*]|\(?（?\d+[.)）、．]?)\s*", "", text)
    return re.sub(r"\s+", "", text)


def _reviews(evaluations: Sequence[Evaluation]) -> list[Review]:
    """The reviews of evaluated applications in a fixed number of queries: rubrics with items,
    confirmed consensus with items, and the members' submitted texts."""
    applications = [e.application for e in evaluations]
    cycle_ids = {a.cycle_id for a in applications}
    rubrics = {
        (r.cycle_id, r.applies_to): r
        for r in Rubric.objects.filter(cycle_id__in=cycle_ids).prefetch_related("items")
    }
    consensus: dict[int, dict[str, Consensus]] = {}
    for c in (
        Consensus.objects.filter(group__application__in=applications, final=True)
        .select_related("group")
        .prefetch_related("items")
    ):
        consensus.setdefault(c.group.application_id, {})[c.group.stage] = c
    member_texts: dict[int, dict[tuple[str, int], list[tuple[str, str]]]] = {}
    rows = (
        ItemScore.objects.filter(
            scorecard__assignment__group__application__in=applications,
            scorecard__assignment__removed_at__isnull=True,
            scorecard__state=Scorecard.State.SUBMITTED,
        )
        .exclude(strengths="", opportunities="")
        .order_by("item__position", "scorecard_id")
        .values_list(
            "scorecard__assignment__group__application_id",
            "scorecard__assignment__group__stage",
            "item_id",
            "strengths",
            "opportunities",
        )
    )
    for application_id, stage, item_id, strengths, opportunities in rows:
        member_texts.setdefault(application_id, {}).setdefault((stage, item_id), []).append(
            (strengths, opportunities)
        )
    result = []
    for e in evaluations:
        a = e.application
        rubric = rubrics[(a.cycle_id, a.kind)]
        result.append(
            Review(
                evaluation=e,
                rubric=rubric,
                items=list(rubric.items.all()),
                consensus=consensus.get(a.pk, {}),
                member_texts=member_texts.get(a.pk, {}),
            )
        )
    return result


# --- Word helpers -------------------------------------------------------------------------------


def _document() -> DocxDocument:
    """A4 with the margins of government documents, 宋体 text and 黑体 headings."""
    document = Document()
    _font(document)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    for style, size in (("Heading 1", 15), ("Heading 2", 13.5), ("Heading 3", 12)):
        document.styles[style].font.size = Pt(size)
    return document


def _date(day: dt.date) -> str:
    """A date as official documents write it: 2026年9月15日, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def _centered(document: DocxDocument, text: str, size: float, *, bold: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold


def _title_page(document: DocxDocument, cycle: Cycle, subtitle: str, lines: list[str]) -> None:
    for _ in range(6):
        document.add_paragraph()
    _centered(document, cycle.program.name, 26, bold=True)
    _centered(document, f"{cycle.year}年度{subtitle}", 22, bold=True)
    for _ in range(10):
        document.add_paragraph()
    for line in lines:
        _centered(document, line, 14)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _grid(
    document: DocxDocument,
    headers: list[str],
    rows: list[list[str]],
    widths: list[float],
    *,
    numeric_from: int = 99,
) -> None:
    """`_table` of intake, centred, columns `widths` cm wide (Word reads the cells' widths,
    LibreOffice the grid's: both are set), numbers right-aligned from column `numeric_from`."""
    _table(document, headers, rows)
    table = document.tables[-1]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for n, row in enumerate(table.rows):
        row.cells[0].paragraphs[0].paragraph_format.keep_with_next = n == 0
        for i, (cell, width) in enumerate(zip(row.cells, widths, strict=True)):
            cell.width = Cm(width)
            if n == 0:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif i >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _points(value: Decimal | None) -> str:
    """Points as shown: two decimals, half up (the stored scores already are)."""
    if value is None:
        return DASH
    return str(value.quantize(scoring.FINAL_PLACES, rounding=ROUND_HALF_UP))


def _label(document: DocxDocument, text: str, *, size: float | None = None) -> None:
    """A bold line kept on the page of what follows it."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.space_before = Pt(6)
    run = paragraph.add_run(text)
    run.bold = True
    if size:
        run.font.size = Pt(size)


def _findings(document: DocxDocument, review: Review, code: str) -> None:
    strengths, opportunities = review.findings.get(code, ([], []))
    for label, found in (("优势", strengths), ("改进机会", opportunities)):
        _label(document, f"【{label}】")
        if not found:
            document.add_paragraph("无。")
        for finding in found:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{finding.item.code} {finding.item.name}：").bold = True
            paragraph.add_run(finding.text)


def _save(document: DocxDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- 综合评价报告 (A18.1) ----------------------------------------------------------------------


def _radar(review: Review) -> bytes:
    """Categories on the axes; a rubric of fewer than three categories (the individual one has
    one) is drawn by its items instead, at their weighted consensus percentage."""
    categories = review.rubric.categories
    name = review.application.applicant_name
    if len(categories) >= 3:
        percents = review.evaluation.category_percents
        return radar_png(
            [f"{c['code']}\n{c['name']}" for c in categories],
            [float(percents.get(c["code"], 0)) for c in categories],
            title=f"{name} 各类目得分率",
        )
    by_item = review.item_percents()
    return radar_png(
        [f"{i.code}\n{_short(i.name)}" for i in review.items],
        [float(by_item[i.pk]) for i in review.items],
        title=f"{name} 各评分条款得分率",
    )


def _short(name: str) -> str:
    """An item name without its parenthesised gloss, for a chart label."""
    return re.split(r"[（(]", name, maxsplit=1)[0]


def _ranking(document: DocxDocument, reviews: list[Review]) -> None:
    for n, kind in enumerate(
        k for k in Kind.values if any(r.application.kind == k for r in reviews)
    ):
        of_kind = [r for r in reviews if r.application.kind == kind]
        e = of_kind[0].evaluation
        document.add_heading(f"（{NUMERALS[n]}）{KIND_NAMES[kind]}类", level=2)
        if kind == Kind.ORGANIZATION:
            rule = (
                f"综合得分 = 材料评审得分 × {e.material_weight}% + 现场评审得分 × "
                f"{e.site_weight}%（《办法》第十条）。"
            )
        else:
            rule = (
                f"综合得分 = 材料评审得分 × {e.material_weight}%，"
                "个人类不进行现场评审（《办法》第十条）。"
            )
        document.add_paragraph(rule)
        _grid(
            document,
            ["名次", "申报主体", "材料评审得分", "现场评审得分", "综合得分", "并列"],
            [
                [
                    str(r.evaluation.rank),
                    r.application.applicant_name,
                    _points(r.evaluation.material_score),
                    _points(r.evaluation.site_score),
                    _points(r.evaluation.final_score),
                    "并列" if r.evaluation.tied else "",
                ]
                for r in of_kind
            ],
            [1.2, 4.6, 2.8, 2.8, 2.8, 1.2],
            numeric_from=2,
        )
        tied = sorted({r.evaluation.rank for r in of_kind if r.evaluation.tied})
        if tied:
            document.add_paragraph(
                "第" + "、".join(map(str, tied)) + "名存在综合得分相同的申报，名次并列，"
                "系统未作区分，提请委员会审定。"
            )


def _section(document: DocxDocument, review: Review, n: int) -> None:
    e = review.evaluation
    a = review.application
    if n > 1:
        document.add_page_break()
    document.add_heading(f"{n}. {a.applicant_name}（{KIND_NAMES[a.kind]}类）", level=2)
    rank = f"第{e.rank}名" + ("（并列）" if e.tied else "")
    document.add_paragraph(
        f"综合得分 {_points(e.final_score)} 分，{KIND_NAMES[a.kind]}类{rank}。"
        f"材料评审得分 {_points(e.material_score)} 分（权重{e.material_weight}%）"
        + (
            f"，现场评审得分 {_points(e.site_score)} 分（权重{e.site_weight}%）。"
            if e.site_score is not None
            else "。"
        )
    )

    document.add_heading("各类目得分", level=3)
    weights = review.weights()
    by_stage = {s: review.stage_category_points(s) for s in review.stages}
    rows = []
    totals = [Decimal(0), Decimal(0), Decimal(0)]
    for c in review.rubric.categories:
        code = c["code"]
        material = by_stage.get(Stage.MATERIAL_REVIEW.value, {}).get(code)
        site = by_stage.get(Stage.SITE_REVIEW.value, {}).get(code)
        weighted = sum((by_stage[s][code] * weights[s] / 100 for s in review.stages), Decimal(0))
        for i, value in enumerate((material, site, weighted)):
            totals[i] += value or 0
        percent = e.category_percents.get(code)
        rows.append(
            [
                f"{code} {c['name']}",
                str(c["points"]),
                _points(material),
                _points(site),
                _points(weighted),
                f"{percent:.2f}%" if percent is not None else DASH,
            ]
        )
    has_site = Stage.SITE_REVIEW.value in by_stage
    rows.append(
        [
            "合计",
            str(review.rubric.total_points),
            _points(totals[0]),
            _points(totals[1]) if has_site else DASH,
            _points(totals[2]),
            f"{totals[2] * 100 / review.rubric.total_points:.2f}%",
        ]
    )
    _grid(
        document,
        ["类目", "分值", "材料评审共识得分", "现场评审共识得分", "加权得分", "得分率"],
        rows,
        [4.4, 1.6, 2.5, 2.5, 2.1, 2.1],
        numeric_from=1,
    )
    for cell in document.tables[-1].rows[-1].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True

    chart = document.add_paragraph()
    chart.alignment = WD_ALIGN_PARAGRAPH.CENTER
    chart.paragraph_format.space_before = Pt(10)
    chart.add_run().add_picture(io.BytesIO(_radar(review)), width=RADAR_WIDTH)
    if len(review.rubric.categories) < 3:
        note = document.add_paragraph(
            "注：本准则类目少于三个，雷达图按评分条款绘制（各条款加权共识得分率）。"
        )
        note.alignment = WD_ALIGN_PARAGRAPH.CENTER
        note.runs[0].font.size = Pt(9)

    document.add_heading("优势与改进机会", level=3)
    for c in review.rubric.categories:
        _label(document, f"{c['code']} {c['name']}（{c['points']}分）", size=11)
        _findings(document, review, c["code"])

    document.add_heading("专家组综合意见", level=3)
    for stage in review.stages:
        comment = review.consensus[stage].comment.strip()
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{STAGE_NAMES[stage]}：").bold = True
        paragraph.add_run(comment or "无。")


def evaluation_report_docx(cycle: Cycle) -> bytes:
    """The 综合评价报告 of a cycle (A10.2, A10.3, A18.1) for the Office and the committee: the
    ranking per kind with the weights and the rounding rule, then per applicant its scores by
    stage and category, a radar chart, the consolidated strengths and opportunities for
    improvement and the groups' comments. StateConflict while nothing is evaluated."""
    evaluations = list(
        Evaluation.objects.filter(application__cycle=cycle)
        .select_related("application__organization", "application__individual")
        .order_by("rank", "application__pk")
    )
    if not evaluations:
        raise StateConflict("尚未进行综合评价。")
    kinds = list(Kind.values)
    evaluations.sort(key=lambda e: kinds.index(e.application.kind))  # stable: rank order kept
    reviews = _reviews(evaluations)
    document = _document()
    program = cycle.program
    evaluated = max(timezone.localtime(e.evaluated_at) for e in evaluations)
    _title_page(
        document,
        cycle,
        "综合评价报告",
        [program.office_name, _date(timezone.localdate())],
    )

    document.add_heading("一、综合评价说明", level=1)
    document.add_paragraph(
        f"本报告由{program.office_name}根据材料评审和现场评审结果汇总形成，"
        f"供{program.committee_name}审定（《办法》第十八条）。综合评价完成于"
        f"{_date(evaluated)} {evaluated:%H:%M}，共{len(reviews)}项申报。"
    )
    document.add_paragraph(
        "计分规则：各评分条款得分 = 条款分值 × 专家组共识得分比例；阶段得分为各条款得分之和，"
        "不作舍入；综合得分为各阶段得分按权重加权之和，仅在最后一步四舍五入保留两位小数。"
        "排名按类别分别进行；综合得分相同者名次并列（如1、2、2、4），不作区分，提请委员会审定。"
    )

    document.add_heading("二、综合评价排名", level=1)
    _ranking(document, reviews)

    document.add_page_break()
    document.add_heading("三、各申报主体评价情况", level=1)
    for n, review in enumerate(reviews, start=1):
        _section(document, review, n)
    return _save(document)


# --- the applicant's feedback report ------------------------------------------------------------


def _band_guidance(band: Band, items: list[RubricItem]) -> str:
    """What the band means for the category's items: process items are judged on A-D-L-I,
    results on Le-T-C-I; a category holding both (the individual rubric's) gets both."""
    types = {i.type for i in items}
    if types == {RubricItem.Type.PROCESS}:
        return band.process
    if types == {RubricItem.Type.RESULT}:
        return band.result
    return f"过程类条款：{band.process}\n结果类条款：{band.result}"


def feedback_report_docx(application: Application) -> bytes:
    """The applicant's own feedback report, as every Baldrige applicant receives: for each
    category its scoring band and the consolidated strengths and opportunities for improvement.
    No expert's name, no exact score and no rank, its own or anyone else's. StateConflict when
    the application has not been evaluated."""
    evaluation = (
        Evaluation.objects.filter(application=application)
        .select_related("application__organization", "application__individual")
        .first()
    )
    if evaluation is None:
        raise StateConflict("该申报尚未完成综合评价，暂无反馈报告。")
    (review,) = _reviews([evaluation])
    cycle = application.cycle
    program = cycle.program
    document = _document()
    _title_page(
        document,
        cycle,
        "评审反馈报告",
        [
            f"申报主体：{review.application.applicant_name}",
            program.office_name,
            _date(timezone.localdate()),
        ],
    )

    document.add_heading("一、说明", level=1)
    stages = "、".join(STAGE_NAMES[s] for s in review.stages)
    you = "贵单位" if application.kind == Kind.ORGANIZATION else "您"
    document.add_paragraph(
        f"本报告汇总了专家组在{stages}中对{you}的评价意见，按评价准则的类目列出优势和"
        "改进机会，供持续改进参考。各类目给出得分所处的区间（评分区间及其含义见下），"
        "不列出具体分数、名次和评审专家姓名。"
    )
    document.add_paragraph(f"评价准则：{review.rubric.name}。")

    document.add_heading("二、各类目评分区间", level=1)
    rows = []
    for c in review.rubric.categories:
        items = [i for i in review.items if i.category == c["code"]]
        band = band_for(float(review.evaluation.category_percents.get(c["code"], 0)))
        rows.append(
            [f"{c['code']} {c['name']}", str(c["points"]), str(band), _band_guidance(band, items)]
        )
    _grid(document, ["类目", "分值", "评分区间", "区间含义"], rows, [4.2, 1.6, 2.3, 7.5])

    document.add_heading("三、优势与改进机会", level=1)
    for c in review.rubric.categories:
        document.add_heading(f"{c['code']} {c['name']}（{c['points']}分）", level=2)
        _findings(document, review, c["code"])
    return _save(document)


__all__ = ["evaluation_report_docx", "feedback_report_docx"]
