"""Documents of 申报推荐: the submitted 申报表 as Word for the archive, the list as Excel.

The Word file is built from the frozen version (what was submitted, not the draft), so the
archive copy and the reviewers' screen always agree. It is set as the paper form is filed (issue
16): A4 with a government form's margins, 宋体 text and 黑体 headings, times in China Standard
Time, and at its end the blocks signed and sealed in ink: the applicant's signature (and seal),
then the recommending unit's opinion (推荐意见, article 15) with its seal.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.run import Run

from accounts.models import Individual, Organization
from lib import industries
from lib.excel import workbook_bytes

from .models import Application, ApplicationVersion, Recommendation, State
from .schema import declarations_for, parse, self_evaluation_rubric

FONT = "宋体"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LEVELS = {"national": "国家", "industry": "行业", "provincial": "省", "city": "市"}
GRADES = {"general": "一般", "larger": "较大", "major": "重大", "especially_major": "特别重大"}
ACCIDENT_KINDS = {
    "production_safety": "生产安全",
    "health": "卫生",
    "environment": "环境",
    "quality": "质量",
    "other": "其他",
}
VIOLATION_KINDS = {
    "service_quality": "服务质量",
    "tax": "税收",
    "other_serious": "其他严重违法违规",
}
AWARD_NAMES = {"luban": "鲁班奖", "national_quality_engineering": "国家优质工程奖", "other": "其他"}


def _font(document: DocxDocument) -> None:
    """宋体 for text, 黑体 in black for headings, as government forms are set."""
    for name, font in [
        ("Normal", FONT),
        ("Title", "黑体"),
        ("Heading 1", "黑体"),
        ("Heading 2", "黑体"),
        ("Heading 3", "黑体"),
    ]:
        style = document.styles[name]
        style.font.name = font
        if name == "Normal":
            style.font.size = Pt(10.5)
        else:
            style.font.color.rgb = RGBColor(0, 0, 0)
        # East Asian text takes its font from w:eastAsia, not from the Latin name.
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _a4(document: DocxDocument) -> None:
    """A4 portrait with the margins of a government form (2.54 cm top and bottom, 3.17 cm left
    and right), the page number centred in the footer."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(3.17)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer.add_run(), "PAGE")
    footer.add_run(" 页，共 ")
    _field(footer.add_run(), "NUMPAGES")
    footer.add_run(" 页")


def _field(run: Run, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) in ``run``: Word and LibreOffice fill it in on printing."""
    element = run._r
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind is None:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = f" {text} "
        else:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        element.append(node)


def _local(moment: datetime) -> str:
    """A stored (UTC) time as the applicant saw it: China Standard Time, 2026年03月15日 10:00."""
    return f"{timezone.localtime(moment):%Y年%m月%d日 %H:%M}"


def _keep_rows_whole(table: Table) -> None:
    """No row of ``table`` is split across two pages (w:cantSplit)."""
    for row in table.rows:
        properties = row._tr.get_or_add_trPr()
        cant_split = OxmlElement("w:cantSplit")
        properties.append(cant_split)


def _caption(document: DocxDocument, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(8)
    paragraph.add_run(text).bold = True


def _table(document: DocxDocument, headers: list[str], rows: Iterable[list[str]]) -> None:
    rows = list(rows)
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in rows or [["无"] + [""] * (len(headers) - 1)]:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


BLANK_DATE = "日期：        年    月    日"
WRITE_IN = "_" * 50  # a line to write on
SIGN_HERE = "_" * 16


def _recommendation(version: ApplicationVersion) -> Recommendation | None:
    """The recommending unit's opinion on this version (article 15), if it has given it."""
    return (
        Recommendation.objects.filter(
            application=version.application,
            version=version.number,
            outcome=Recommendation.Outcome.RECOMMENDED,
        )
        .order_by("-decided_at")
        .first()
    )


def _signatures(document: DocxDocument, version: ApplicationVersion) -> None:
    """The blocks a paper form is signed and sealed in: the applicant's (for an organization its
    seal and its legal representative's signature, for an individual the applicant's own), then
    the recommending unit's opinion with its seal (article 15), each with its date.

    A recorded opinion is printed with the unit and the day it was given (local time); without
    one the block has blank lines for the unit to write in.
    """
    application = version.application
    document.add_heading("签字盖章", level=1).paragraph_format.keep_with_next = True
    table = document.add_table(rows=2, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    label_width, body_width = Cm(3.2), Cm(11.4)

    def label(cell: _Cell, text: str) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = True

    def right(cell: _Cell, text: str, *, before: float = 0) -> None:
        paragraph = cell.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.space_before = Pt(before)

    applicant, recommender = table.rows[0].cells, table.rows[1].cells
    if application.kind == "organization":
        label(applicant[0], "申报单位意见")
        applicant[1].paragraphs[
            0
        ].text = "本单位承诺：以上填报内容及所附材料真实、准确、完整，并对其真实性负责。"
        right(applicant[1], "申报单位（盖章）", before=30)
        right(applicant[1], f"法定代表人（签字）：{SIGN_HERE}", before=12)
        right(applicant[1], BLANK_DATE, before=6)
    else:
        label(applicant[0], "申报人承诺")
        applicant[1].paragraphs[
            0
        ].text = "本人承诺：以上填报内容及所附材料真实、准确、完整，并对其真实性负责。"
        right(applicant[1], f"申报人（签字）：{SIGN_HERE}", before=30)
        right(applicant[1], BLANK_DATE, before=6)

    label(recommender[0], "推荐单位意见")
    opinion = _recommendation(version)
    body = recommender[1]
    if opinion is not None:
        body.paragraphs[0].text = opinion.opinion
        body.add_paragraph(
            f"（{opinion.get_outcome_display()}，系统记录于{_local(opinion.decided_at)}）"
        )
        right(body, f"推荐单位（盖章）：{opinion.unit}", before=24)
        decided = timezone.localtime(opinion.decided_at)
        right(body, f"日期：{decided.year}年{decided.month}月{decided.day}日", before=6)
    else:
        body.paragraphs[0].text = "推荐意见："
        for _ in range(3):  # lines for the unit to write its opinion in ink
            body.add_paragraph(WRITE_IN)
        right(body, f"推荐单位（盖章）：{application.recommending_unit}", before=24)
        right(body, BLANK_DATE, before=6)
    # Word reads a cell's width, LibreOffice the table grid's: set both.
    table.autofit = False
    for column, width in zip(table.columns, (label_width, body_width), strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width
    _keep_rows_whole(table)


def application_form_docx(version: ApplicationVersion) -> bytes:
    """《如皋市市长质量奖申报表》 of one submitted version, as an editable .docx."""
    application = version.application
    form = parse(version.data)
    kind = application.kind
    lookback = application.cycle.policy.lookback_years  # the Measures' 近N年 (Rugao: 3)
    document = Document()
    _font(document)
    _a4(document)
    title = document.add_heading(f"{application.cycle.program.name}申报表", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(
        f"{application.cycle.year}年度 · {'组织' if kind == 'organization' else '个人'}类 · "
        f"第{version.number}版 · 提交于{_local(version.submitted_at)}"
    )
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("一、基本情况", level=1)
    # The registration as it stood at submission (ApplicationVersion.applicant).
    facts = version.applicant
    basics: list[list[str]] = []
    if kind == "organization":
        rating = facts.get("environmental_rating") or "none"
        basics += [
            ["组织名称", facts.get("name", "")],
            ["统一社会信用代码", facts.get("uscc", "")],
            ["注册地址", facts.get("registered_address", "")],
            [
                "所属行业",
                industries.label(facts["industry_code"]) if facts.get("industry_code") else "",
            ],
            ["成立日期", facts.get("established_on") or ""],
            ["法定代表人", facts.get("legal_representative", "")],
            ["首席质量官", facts.get("chief_quality_officer", "")],
            ["环保信用等级", Organization.EnvironmentalRating(rating).label],
            ["员工人数", str(form.employees or "")],
            [
                "开始推行GB/T 19580",
                f"{form.gbt19580_since:%Y-%m-%d}" if form.gbt19580_since else "",
            ],
        ]
    else:
        position = facts.get("position") or "other"
        basics += [
            ["姓名", facts.get("name", "")],
            ["身份证号码", facts.get("id_number", "")],  # masked when frozen
            ["所在组织", facts.get("employer_name", "")],
            ["身份", Individual.Position(position).label],
            ["在本市从事质量工作年限", f"{facts.get('quality_work_years', '')}年"],
        ]
    basics += [
        ["推荐单位", str(application.recommending_unit)],
        ["联系人", form.contact_name],
        ["联系电话", form.contact_phone],
    ]
    _table(document, ["项目", "内容"], basics)
    document.add_paragraph()
    document.add_paragraph(form.summary)

    if kind == "organization":
        document.add_heading(f"二、近{lookback}年经营情况（万元）", level=1)
        _table(
            document,
            ["年度", "营业收入", "利润总额", "纳税额"],
            [
                [str(f.year), str(f.revenue or ""), str(f.profit or ""), str(f.tax or "")]
                for f in sorted(form.figures, key=lambda f: f.year)
            ],
        )
        document.add_heading(f"三、近{lookback}年质量、安全与信用记录", level=1)
        _caption(document, "产品质量监督抽查")
        _table(
            document,
            ["日期", "级别", "产品", "结果"],
            [
                [f"{c.date:%Y-%m-%d}", LEVELS[c.level], c.product, "合格" if c.passed else "不合格"]
                for c in form.spot_checks
            ],
        )
        _caption(document, "事故")
        _table(
            document,
            ["日期", "类别", "等级", "说明"],
            [
                [f"{a.date:%Y-%m-%d}", ACCIDENT_KINDS[a.kind], GRADES[a.grade], a.description]
                for a in form.accidents
            ],
        )
        _caption(document, "违法违规记录")
        _table(
            document,
            ["日期", "类别", "查处机关", "说明"],
            [
                [f"{v.date:%Y-%m-%d}", VIOLATION_KINDS[v.kind], v.authority, v.description]
                for v in form.violations
            ],
        )
        _caption(document, "获奖情况")
        _table(
            document,
            ["奖项", "日期", "项目"],
            [[AWARD_NAMES[a.name], f"{a.date:%Y-%m-%d}", a.project] for a in form.awards],
        )

    document.add_heading("四、申报声明" if kind == "organization" else "二、申报声明", level=1)
    declared = []
    for key, label in declarations_for(kind, lookback).items():
        d = form.declarations.get(key)
        holds = d.holds if d else None
        declared.append(
            [label, {True: "符合", False: "不符合", None: "未声明"}[holds], d.note if d else ""]
        )
    _table(document, ["条件", "声明", "说明"], declared)

    rubric = self_evaluation_rubric(application.cycle.policy, kind)
    document.add_heading(
        ("五、" if kind == "organization" else "三、") + f"自我评价报告（{rubric.name}）", level=1
    )
    for category in rubric.categories:
        document.add_heading(f"{category.code} {category.name}（{category.points}分）", level=2)
        for item in category.items:
            entry = form.self_evaluation.get(item.code)
            percent = f"{entry.percent}%" if entry and entry.percent is not None else "未评"
            document.add_heading(
                f"{item.code} {item.name}（{item.points}分，自评得分率{percent}）", level=3
            )
            document.add_paragraph(entry.text if entry else "")

    document.add_heading("附件清单", level=1)
    _table(
        document,
        ["文件名", "栏目", "大小", "SHA-256"],
        [
            [a["name"], a["section"], f"{a['size'] / 1024:.0f} KB", a["sha256"][:16] + "…"]
            for a in version.attachments
        ],
    )
    _signatures(document, version)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


EXPORT_HEADERS = [
    "年度",
    "类别",
    "申报主体",
    "统一社会信用代码",
    "推荐单位",
    "所属行业",
    "状态",
    "版本",
    "最近提交",
]


def applications_xlsx(applications: Iterable[Application]) -> bytes:
    """The application list as the Office sees it, filters applied. No 身份证 numbers."""
    rows = []
    for a in applications:
        org = a.organization
        rows.append(
            [
                a.cycle.year,
                "组织" if a.kind == "organization" else "个人",
                a.applicant_name,
                org.uscc if org else "",
                a.recommending_unit.name,
                industries.label(org.industry_code) if org and org.industry_code else "",
                State(a.state).label,
                a.version,
                timezone.localtime(a.submitted_at).date() if a.submitted_at else None,
            ]
        )
    return workbook_bytes(
        title="市长质量奖申报汇总", headers=EXPORT_HEADERS, rows=rows, sheet_name="申报汇总"
    )
