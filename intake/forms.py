"""The 申报表 as an HTML form, both ways, and the small forms of the reviewers' actions.

The inputs are named by their place in the schema (`figures.0.revenue`,
`self_evaluation.4.1.2.percent`), which is also how `save_draft` names its errors, so an error
lands next to its field without a mapping table. Forms only shape input; the service validates
the document and decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from accounts.models import Organization
from lib.articles import cite
from lib.params import parse_int
from lib.rubrics import Category, Item, Rubric
from programs.models import Policy

from . import eligibility
from .models import AwardRecord, Kind, State
from .schema import declarations_for

YES_NO = (("true", "是"), ("false", "否"))
SPOT_LEVELS = (("national", "国家"), ("industry", "行业"), ("provincial", "省级"), ("city", "市级"))
ACCIDENT_KINDS = (
    ("production_safety", "生产安全"),
    ("health", "公共卫生"),
    ("environment", "环境污染"),
    ("quality", "质量"),
    ("other", "其他"),
)
ACCIDENT_GRADES = (
    ("general", "一般"),
    ("larger", "较大"),
    ("major", "重大"),
    ("especially_major", "特别重大"),
)
VIOLATION_KINDS = (
    ("service_quality", "服务质量违法"),
    ("tax", "税收违法"),
    ("other_serious", "其他严重违法违规"),
)
AWARD_NAMES = (
    ("luban", "鲁班奖"),
    ("national_quality_engineering", "国家优质工程奖"),
    ("other", "其他荣誉"),
)
PERCENTS = tuple((str(p), f"{p}%") for p in range(0, 101, 5))

# Sections an attachment belongs to; "A12.3" holds the award certificates of construction firms.
ATTACHMENT_SECTIONS: dict[str, str] = {
    "general": "基本情况证明（营业执照、资质证书等）",
    "figures": "经营数据证明（财务报表、纳税证明）",
    "records": "质量、安全、信用、环保记录证明",
    "A12.3": "鲁班奖、国家优质工程奖证书（建筑企业）",
    "declarations": "声明事项的佐证材料",
    "self": "自我评价报告",
}
INDIVIDUAL_SECTIONS = ("general", "records", "declarations", "self")


def attachment_sections(kind: str) -> dict[str, str]:
    if kind == Kind.ORGANIZATION:
        return ATTACHMENT_SECTIONS
    return {k: v for k, v in ATTACHMENT_SECTIONS.items() if k in INDIVIDUAL_SECTIONS}


@dataclass
class Col:
    key: str
    label: str
    widget: str  # "text" | "date" | "select"
    choices: tuple[tuple[str, str], ...] = ()


# The repeatable records of the form, as (title, columns); blank rows are ignored on save.
RECORD_TABLES: dict[str, tuple[str, tuple[Col, ...]]] = {
    "spot_checks": (
        "产品质量监督抽查",
        (
            Col("date", "抽查日期", "date"),
            Col("level", "抽查级别", "select", SPOT_LEVELS),
            Col("product", "产品", "text"),
            Col("passed", "结果合格", "select", YES_NO),
        ),
    ),
    "accidents": (
        "质量、安全、卫生、环境事故",
        (
            Col("date", "发生日期", "date"),
            Col("kind", "类别", "select", ACCIDENT_KINDS),
            Col("grade", "等级", "select", ACCIDENT_GRADES),
            Col("liability", "责任事故", "select", YES_NO),
            Col("investigated", "被监管部门调查追究", "select", YES_NO),
            Col("description", "简要说明", "text"),
        ),
    ),
    "violations": (
        "违法记录",
        (
            Col("date", "日期", "date"),
            Col("kind", "类别", "select", VIOLATION_KINDS),
            Col("authority", "查处机关", "text"),
            Col("description", "简要说明", "text"),
        ),
    ),
    "awards": (
        "获奖情况",
        (
            Col("name", "奖项", "select", AWARD_NAMES),
            Col("date", "获奖日期", "date"),
            Col("project", "获奖项目", "text"),
        ),
    ),
}
FIGURE_COLS = (
    Col("revenue", "营业收入（万元）", "number"),
    Col("profit", "利润总额（万元）", "number"),
    Col("tax", "纳税额（万元）", "number"),
)
SCALAR_LABELS: dict[str, str] = {
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "summary": "组织简介",
    "employees": "从业人数",
    "gbt19580_since": "开始推行GB/T 19580的日期",
}
MAX_ROWS = 100  # the schema's own limit for each list


def _text(value: Any) -> str:
    """A stored value as an input holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Field:
    name: str  # the input's name, which is also its place in the schema
    label: str
    widget: str  # "text" | "textarea" | "number" | "date" | "select" | "radio"
    value: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^0-9A-Za-z_-]", "-", self.name)

    @property
    def display(self) -> str:
        """The value as a reader sees it."""
        for value, label in self.choices:
            if value == self.value:
                return label
        return self.value


@dataclass
class Table:
    key: str
    title: str
    cols: tuple[Col, ...]
    rows: list[list[Field]]


@dataclass
class DeclarationRow:
    label: str
    holds: Field
    note: Field


@dataclass
class ItemRow:
    item: Item
    text: Field
    percent: Field


@dataclass
class CategoryBlock:
    category: Category
    items: list[ItemRow]


@dataclass
class Sheet:
    """The 申报表 laid out for a template: for editing (with blank rows) or for reading."""

    kind: str
    lookback_years: int  # the program's 近N年 (Policy.lookback_years), for the headings
    rubric: Rubric  # the self-evaluation's rubric: the application's Measures' (Policy.rubrics)
    basics: list[Field]
    figures: list[tuple[int, list[Field]]]
    records: list[Table]
    awards: Table | None
    gbt19580_since: Field | None
    declarations: list[DeclarationRow]
    self_evaluation: list[CategoryBlock]
    other_errors: list[str] = field(default_factory=list)

    def fields(self) -> list[Field]:
        out = [*self.basics]
        for _, figure_row in self.figures:
            out += figure_row
        for table in [*self.records, *([self.awards] if self.awards else [])]:
            for cells in table.rows:
                out += cells
        if self.gbt19580_since:
            out.append(self.gbt19580_since)
        for d in self.declarations:
            out += [d.holds, d.note]
        for block in self.self_evaluation:
            for row in block.items:
                out += [row.text, row.percent]
        return out

    @property
    def error_count(self) -> int:
        return sum(len(f.errors) for f in self.fields()) + len(self.other_errors)


def _table(key: str, rows: list[dict[str, Any]], blank_rows: int) -> Table:
    title, cols = RECORD_TABLES[key]
    out = []
    for i, row in enumerate([*rows, *({} for _ in range(blank_rows))]):
        out.append(
            [
                Field(f"{key}.{i}.{c.key}", c.label, c.widget, _text(row.get(c.key)), c.choices)
                for c in cols
            ]
        )
    return Table(key, title, cols, out)


def figure_years(reference_year: int, lookback_years: int, data: dict[str, Any]) -> list[int]:
    """The look-back's years before the application date's year (`Policy.lookback_years`: 近3年
    applying in 2026 is 2023–2025), plus any other year already filled in."""
    wanted = set(range(reference_year - lookback_years, reference_year))
    years = (parse_int(str(f.get("year", "")), lo=0) for f in data.get("figures", []))
    held = {year for year in years if year is not None}
    return sorted(wanted | held)


def build_sheet(
    kind: str,
    data: dict[str, Any],
    *,
    reference_year: int,
    lookback_years: int,
    rubric: Rubric,
    errors: dict[str, list[str]] | None = None,
    blank_rows: int = 0,
) -> Sheet:
    """Lay out a form document (a draft, a submitted version, or what was just posted), the
    figures of the program's look-back years (`Policy.lookback_years`) before the application
    date's year, the declarations saying that look-back, the self-evaluation by the rubric of
    the application's Measures (`schema.self_evaluation_rubric`)."""
    is_org = kind == Kind.ORGANIZATION
    basics = [
        Field("contact_name", "联系人", "text", _text(data.get("contact_name"))),
        Field("contact_phone", "联系电话", "text", _text(data.get("contact_phone"))),
    ]
    if is_org:
        basics.append(Field("employees", "从业人数", "number", _text(data.get("employees"))))
    basics.append(
        Field(
            "summary",
            "组织简介" if is_org else "个人主要事迹",
            "textarea",
            _text(data.get("summary")),
        )
    )
    figures: list[tuple[int, list[Field]]] = []
    if is_org:
        by_year = {str(f.get("year")): f for f in data.get("figures", [])}
        for i, year in enumerate(figure_years(reference_year, lookback_years, data)):
            row = by_year.get(str(year), {})
            figures.append(
                (
                    year,
                    [
                        Field(
                            f"figures.{i}.{c.key}",
                            f"{year}年{c.label}",
                            c.widget,
                            _text(row.get(c.key)),
                        )
                        for c in FIGURE_COLS
                    ],
                )
            )
    records = [
        _table(key, list(data.get(key, [])), blank_rows)
        for key in ("spot_checks", "accidents", "violations")
    ]
    awards = _table("awards", list(data.get("awards", [])), blank_rows) if is_org else None
    since = (
        Field("gbt19580_since", "开始推行日期", "date", _text(data.get("gbt19580_since")))
        if is_org
        else None
    )
    declared = data.get("declarations", {})
    declarations = [
        DeclarationRow(
            label,
            Field(
                f"declarations.{key}.holds",
                "是否符合",
                "radio",
                _text(declared.get(key, {}).get("holds")),
                (("true", "符合"), ("false", "不符合")),
            ),
            Field(
                f"declarations.{key}.note",
                "说明及佐证",
                "textarea",
                _text(declared.get(key, {}).get("note")),
            ),
        )
        for key, label in declarations_for(kind, lookback_years).items()
    ]
    evaluated = data.get("self_evaluation", {})
    blocks = []
    for category in rubric.categories:
        rows = []
        for item in category.items:
            entry = evaluated.get(item.code, {})
            rows.append(
                ItemRow(
                    item,
                    Field(
                        f"self_evaluation.{item.code}.text",
                        f"{item.code} {item.name}",
                        "textarea",
                        _text(entry.get("text")),
                    ),
                    Field(
                        f"self_evaluation.{item.code}.percent",
                        "自评得分率",
                        "select",
                        _text(entry.get("percent")),
                        PERCENTS,
                    ),
                )
            )
        blocks.append(CategoryBlock(category, rows))
    sheet = Sheet(
        kind, lookback_years, rubric, basics, figures, records, awards, since, declarations, blocks
    )
    _place_errors(sheet, errors or {}, data)
    return sheet


def _place_errors(sheet: Sheet, errors: dict[str, list[str]], data: dict[str, Any]) -> None:
    by_name = {f.name: f for f in sheet.fields()}
    # Figures are errors by their place in the posted list, shown by year on the sheet.
    rows = {str(year): i for i, (year, _) in enumerate(sheet.figures)}
    posted = [str(f.get("year")) for f in data.get("figures", [])]
    for name, messages in errors.items():
        match = re.fullmatch(r"figures\.(\d+)\.(\w+)", name)
        if match and int(match.group(1)) < len(posted) and posted[int(match.group(1))] in rows:
            name = f"figures.{rows[posted[int(match.group(1))]]}.{match.group(2)}"
        translated = messages  # already Chinese (intake.schema.chinese_errors)
        target = by_name.get(name)
        if target is not None:
            target.errors += translated
        else:
            label = label_for(
                name, sheet.kind, lookback_years=sheet.lookback_years, rubric=sheet.rubric
            )
            sheet.other_errors += [f"{label}：{m}" for m in translated]


# --- POST -> the schema's document ----------------------------------------------------------


def _kept_rows(
    post: QueryDict, key: str, cols: tuple[Col, ...]
) -> list[tuple[int, dict[str, Any]]]:
    """The non-blank rows of a repeatable table, in order, each with its index on the page."""
    pattern = re.compile(rf"{re.escape(key)}\.(\d{{1,3}})\.(\w+)")
    names = {c.key for c in cols}
    found: dict[int, dict[str, str]] = {}
    for name in post:
        match = pattern.fullmatch(name)
        if match and match.group(2) in names:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(name, "").strip()
    rows = []
    for i in sorted(found)[: MAX_ROWS + 1]:
        row = {k: v for k, v in found[i].items() if v}
        if row:
            rows.append((i, row))
    return rows


def _rows(post: QueryDict, key: str, cols: tuple[Col, ...]) -> list[dict[str, Any]]:
    """The non-blank rows of a repeatable table, in order; a blank cell is left out, so the
    schema applies its default or says the cell is required."""
    return [row for _, row in _kept_rows(post, key, cols)]


def _figure_rows(post: QueryDict) -> list[tuple[int, dict[str, Any]]]:
    # The year is a hidden input: a row with only its year is an empty row.
    rows = _kept_rows(post, "figures", (Col("year", "", ""), *FIGURE_COLS))
    return [(i, f) for i, f in rows if set(f) - {"year"}]


def input_errors(
    post: QueryDict,
    errors: dict[str, list[str]],
    *,
    kind: str,
    lookback_years: int | None = None,
    rubric: Rubric | None = None,
) -> tuple[dict[str, list[str]], list[str]]:
    """`save_draft`'s errors (places in the saved document) by the name of the input on the
    page that was posted (blank rows are not saved, so a record's place in the document is not
    its row on the page), and those that stand at no input, named in Chinese."""
    pages = {
        key: [i for i, _ in _kept_rows(post, key, RECORD_TABLES[key][1])] for key in RECORD_TABLES
    }
    pages["figures"] = [i for i, _ in _figure_rows(post)]
    by_input: dict[str, list[str]] = {}
    elsewhere: list[str] = []
    for place, reasons in errors.items():
        parts = place.split(".")
        if parts[0] in pages and len(parts) == 3 and parts[1].isdigit():
            rows = pages[parts[0]]
            if int(parts[1]) < len(rows):
                parts[1] = str(rows[int(parts[1])])
        name = ".".join(parts)
        if name in post or (parts[0] in pages and len(parts) == 3):
            by_input.setdefault(name, []).extend(reasons)
        else:
            label = label_for(place, kind, lookback_years=lookback_years, rubric=rubric)
            elsewhere += [f"{label}：{m}" for m in reasons]
    return by_input, elsewhere


def _or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def data_from_post(post: QueryDict, *, kind: str, rubric: Rubric) -> dict[str, Any]:
    """The form document from the posted 申报表 (the schema validates it in `save_draft`), the
    self-evaluation by the items of the application's rubric."""
    data: dict[str, Any] = {
        "contact_name": post.get("contact_name", ""),
        "contact_phone": post.get("contact_phone", ""),
        "summary": post.get("summary", ""),
        "spot_checks": _rows(post, "spot_checks", RECORD_TABLES["spot_checks"][1]),
        "accidents": _rows(post, "accidents", RECORD_TABLES["accidents"][1]),
        "violations": _rows(post, "violations", RECORD_TABLES["violations"][1]),
    }
    if kind == Kind.ORGANIZATION:
        data["employees"] = _or_none(post.get("employees"))
        data["gbt19580_since"] = _or_none(post.get("gbt19580_since"))
        data["awards"] = _rows(post, "awards", RECORD_TABLES["awards"][1])
        data["figures"] = [f for _, f in _figure_rows(post)]
    data["declarations"] = {
        key: {
            "holds": _or_none(post.get(f"declarations.{key}.holds")),
            "note": post.get(f"declarations.{key}.note", ""),
        }
        for key in declarations_for(kind)
    }
    data["self_evaluation"] = {
        item.code: {
            "text": post.get(f"self_evaluation.{item.code}.text", ""),
            "percent": _or_none(post.get(f"self_evaluation.{item.code}.percent")),
        }
        for item in rubric.items
    }
    return data


# --- what changed between two versions ------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "figures":
            # By year, not by position: a year added in front must not shift the others.
            for row in value:
                for col, cell in row.items():
                    if col != "year":
                        out[f"figures.{row.get('year')}.{col}"] = cell
        elif isinstance(value, dict):
            for sub, inner in _flatten(value).items():
                out[f"{key}.{sub}"] = inner
        elif isinstance(value, list):
            for i, row in enumerate(value):
                for sub, inner in _flatten(row if isinstance(row, dict) else {"": row}).items():
                    out[f"{key}.{i}.{sub}"] = inner
        else:
            out[key] = value
    return out


def _choices_for(path: str) -> tuple[tuple[str, str], ...]:
    parts = path.split(".")
    if parts[0] in RECORD_TABLES and len(parts) == 3:
        for col in RECORD_TABLES[parts[0]][1]:
            if col.key == parts[2]:
                return col.choices
    if parts[0] == "declarations":
        return (("true", "符合"), ("false", "不符合"))
    return ()


def label_for(
    path: str, kind: str, *, lookback_years: int | None = None, rubric: Rubric | None = None
) -> str:
    """A Chinese name for a place in the form (`self_evaluation.4.1.2.percent`); a declaration
    says the program's look-back when it is given (`schema.declarations_for`), a self-evaluation
    item its name in the application's rubric when it is given (its code alone otherwise)."""
    parts = path.split(".")
    head = parts[0]
    if head in SCALAR_LABELS and len(parts) == 1:
        if head == "summary" and kind == Kind.INDIVIDUAL:
            return "个人主要事迹"
        return SCALAR_LABELS[head]
    if head == "figures" and len(parts) == 3:
        col = {c.key: c.label for c in FIGURE_COLS}.get(parts[2], parts[2])
        return f"{parts[1]}年{col}" if parts[1].isdigit() and int(parts[1]) > 1000 else col
    if head in RECORD_TABLES and len(parts) == 3 and parts[1].isdigit():
        title, cols = RECORD_TABLES[head]
        col = {c.key: c.label for c in cols}.get(parts[2], parts[2])
        return f"{title}第{int(parts[1]) + 1}行 · {col}"
    if head == "declarations" and len(parts) == 3:
        label = declarations_for(kind, lookback_years).get(parts[1], parts[1])
        return f"声明：{label} · {'是否符合' if parts[2] == 'holds' else '说明'}"
    if head == "self_evaluation" and len(parts) >= 3:
        code = ".".join(parts[1:-1])
        names = {i.code: i.name for i in rubric.items} if rubric else {}
        what = "自评得分率" if parts[-1] == "percent" else "说明"
        return f"自我评价 {' '.join(filter(None, (code, names.get(code))))} · {what}"
    return path


def _shown(path: str, value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    text = _text(value)
    for key, label in _choices_for(path):
        if key == text:
            return label
    if path.startswith("self_evaluation.") and path.endswith(".percent"):
        return f"{text}%"
    return text


def diff(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    kind: str,
    lookback_years: int | None = None,
    rubric: Rubric | None = None,
) -> list[Change]:
    """Field-by-field changes between two versions of the form, in the new version's order."""
    before, after = _flatten(old), _flatten(new)
    keys = list(after) + [k for k in before if k not in after]
    return [
        Change(
            label_for(k, kind, lookback_years=lookback_years, rubric=rubric),
            _shown(k, before.get(k)),
            _shown(k, after.get(k)),
        )
        for k in keys
        if _text(before.get(k)) != _text(after.get(k))
    ]


# --- the reviewers' and the Office's forms --------------------------------------------------


# Not a state: the waiting applications past their step's deadline (intake.workflow.overdue_q).
OVERDUE = "overdue"


class ListFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部状态"), *State.choices, (OVERDUE, "逾期未处理")],
    )
    unit = forms.TypedChoiceField(label="推荐单位", required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部类别"), *Kind.choices]
    )

    def __init__(
        self,
        *args: Any,
        years: list[int],
        units: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度"), *((y, f"{y}年度") for y in years)]  # type: ignore[attr-defined]
        self.fields["unit"].choices = [("", "全部推荐单位"), *units]  # type: ignore[attr-defined]


class OpinionForm(forms.Form):
    """推荐意见; whether it may be empty is the service's call."""

    opinion = forms.CharField(required=False, max_length=2000)


class ReasonForm(forms.Form):
    """退回理由 or 撤回原因; whether it may be empty is the service's call."""

    reason = forms.CharField(required=False, max_length=2000)


def article_choices(kind: str, policy: Policy | None = None) -> list[tuple[str, str]]:
    """The articles a refusal may cite: every rule's article for this kind, plus A16.1, each
    with its conditions in the numbers of `policy` (the cycle's Measures)."""
    titles: dict[str, list[str]] = {}
    for rule in eligibility.RULES:
        if rule.applies_to == kind:
            titles.setdefault(rule.article, []).append(rule.titled(policy))
    choices = [(article, f"{cite(article)} {'；'.join(t)}") for article, t in titles.items()]
    return [*choices, ("A16.1", f"{cite('A16.1')} 申报材料不齐全或不符合要求")]


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(choices=(("accept", "受理"), ("not_accept", "不予受理")))
    reason = forms.CharField(required=False, max_length=2000)
    articles = forms.MultipleChoiceField(required=False)
    confirmed = forms.MultipleChoiceField(required=False)

    def __init__(self, *args: Any, kind: str, confirmable: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["articles"].choices = article_choices(kind)  # type: ignore[attr-defined]
        self.fields["confirmed"].choices = [(r, r) for r in confirmable]  # type: ignore[attr-defined]


class CorrectForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000)
    articles = forms.MultipleChoiceField(required=False)
    confirmed = forms.MultipleChoiceField(required=False)

    def __init__(self, *args: Any, kind: str, confirmable: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["articles"].choices = article_choices(kind)  # type: ignore[attr-defined]
        self.fields["confirmed"].choices = [(r, r) for r in confirmable]  # type: ignore[attr-defined]


class AttachmentForm(forms.Form):
    section = forms.ChoiceField(choices=list(ATTACHMENT_SECTIONS.items()))


class _OrganizationByCode(forms.Form):
    uscc = forms.CharField(label="统一社会信用代码", max_length=24)

    def clean_uscc(self) -> Organization:
        from lib import uscc

        code = uscc.compact(self.cleaned_data["uscc"])
        org = Organization.objects.filter(uscc=code).first()
        if org is None:
            raise forms.ValidationError("没有以此统一社会信用代码注册的组织。")
        return org


class PriorAwardForm(_OrganizationByCode):
    year = forms.IntegerField(label="获奖年度", min_value=2000, max_value=2100)
    level = forms.ChoiceField(label="奖项", choices=AwardRecord.Level.choices)
    announced_on = forms.DateField(
        label="公告日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    document_number = forms.CharField(label="公告文号", max_length=100)


class BanForm(_OrganizationByCode):
    starts_on = forms.DateField(
        label="起始日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    decision_ref = forms.CharField(label="委员会决定（会议或文号）", max_length=200)
    reason = forms.CharField(
        label="事由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
