"""Documents of 申报推荐: the submitted 申报表 as Word for the archive, the list as Excel.

The Word file is built from the frozen version (what was submitted, not the draft), so the
archive copy and the reviewers' screen always agree.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import timezone
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from accounts.models import Individual, Organization
from lib import industries
from lib.excel import workbook_bytes
from lib.rubrics import rubric_for

from .models import Application, ApplicationVersion, State
from .schema import declarations_for, parse

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


def application_form_docx(version: ApplicationVersion) -> bytes:
    """《如皋市市长质量奖申报表》 of one submitted version, as an editable .docx."""
    application = version.application
    form = parse(version.data)
    kind = application.kind
    document = Document()
    _font(document)
    title = document.add_heading(f"{application.cycle.program.name}申报表", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(
        f"{application.cycle.year}年度 · {'组织' if kind == 'organization' else '个人'}类 · "
        f"第{version.number}版 · 提交于{version.submitted_at:%Y年%m月%d日 %H:%M}"
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
        document.add_heading("二、近3年经营情况（万元）", level=1)
        _table(
            document,
            ["年度", "营业收入", "利润总额", "纳税额"],
            [
                [str(f.year), str(f.revenue or ""), str(f.profit or ""), str(f.tax or "")]
                for f in sorted(form.figures, key=lambda f: f.year)
            ],
        )
        document.add_heading("三、近3年质量、安全与信用记录", level=1)
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
    for key, label in declarations_for(kind).items():
        d = form.declarations.get(key)
        holds = d.holds if d else None
        declared.append(
            [label, {True: "符合", False: "不符合", None: "未声明"}[holds], d.note if d else ""]
        )
    _table(document, ["条件", "声明", "说明"], declared)

    rubric = rubric_for(kind)
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
