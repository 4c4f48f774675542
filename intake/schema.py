"""The 申报表 as a typed document (pydantic): what a draft may hold and what a submission needs.

A draft is saved as it is typed (any field may be missing); `missing_for_submission()` lists
what must be filled before it can be submitted. The eligibility rules read the same document.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lib.rubrics import Rubric, rubric_in

if TYPE_CHECKING:
    from programs.models import Policy

Text = Annotated[str, Field(max_length=5000)]
Short = Annotated[str, Field(max_length=200)]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class YearFigures(_Doc):
    year: int = Field(ge=2000, le=2100)
    revenue: Money | None = None  # 营业收入（万元）
    profit: Money | None = None  # 利润总额（万元）
    tax: Money | None = None  # 纳税额（万元）


class SpotCheck(_Doc):
    """A product quality spot check (产品质量监督抽查): A13.2."""

    date: dt.date
    level: Literal["national", "industry", "provincial", "city"]
    product: Short = ""
    passed: bool


class Accident(_Doc):
    """A safety, health or environmental accident: A13.3 (organizations), A14.1(5) (employers)."""

    date: dt.date
    kind: Literal["production_safety", "health", "environment", "quality", "other"]
    grade: Literal["general", "larger", "major", "especially_major"]
    liability: bool = True  # a liability accident (责任事故)
    investigated: bool = True  # investigated by a regulator and liability pursued
    description: Short = ""


class Violation(_Doc):
    """A record of breaking the law: A13.3 (service quality, tax) and A13.5 (other serious)."""

    date: dt.date
    kind: Literal["service_quality", "tax", "other_serious"]
    authority: Short = ""
    description: Short = ""


class AwardHeld(_Doc):
    """鲁班奖 / 国家优质工程奖 for construction firms (A12.3), and other honours."""

    name: Literal["luban", "national_quality_engineering", "other"]
    date: dt.date
    project: Short = ""


class Declaration(_Doc):
    """The applicant's statement on one condition, with its explanation."""

    holds: bool | None = None
    note: Text = ""


class SelfEvaluation(_Doc):
    text: Text = ""
    percent: int | None = Field(default=None, ge=0, le=100)

    @field_validator("percent")
    @classmethod
    def _step_of_five(cls, value: int | None) -> int | None:
        if value is not None and value % 5:
            raise ValueError("自评得分率须为5的倍数")
        return value


FORM_EXAMPLE: dict[str, Any] = {
    "contact_name": "李明",
    "contact_phone": "0513-87000001",
    "summary": "公司主营精密机械零部件，建立了卓越绩效管理模式。",
    "employees": 320,
    "gbt19580_since": "2018-01-01",
}


class ApplicationForm(_Doc):
    """The form of both kinds; the fields an individual does not fill stay empty."""

    model_config = ConfigDict(json_schema_extra={"examples": [FORM_EXAMPLE]})

    contact_name: Short = ""
    contact_phone: Short = ""
    summary: Text = ""  # 组织简介 / 个人主要事迹
    employees: int | None = Field(default=None, ge=0)
    figures: list[YearFigures] = Field(default_factory=list, max_length=5)
    spot_checks: list[SpotCheck] = Field(default_factory=list, max_length=100)
    accidents: list[Accident] = Field(default_factory=list, max_length=100)
    violations: list[Violation] = Field(default_factory=list, max_length=100)
    awards: list[AwardHeld] = Field(default_factory=list, max_length=50)
    gbt19580_since: dt.date | None = None
    declarations: dict[str, Declaration] = Field(default_factory=dict)
    self_evaluation: dict[str, SelfEvaluation] = Field(default_factory=dict)


# The conditions an applicant declares (A12, A13, A14), keyed as the eligibility rules read them.
# `{lookback}` is the program's look-back (`Policy.lookback_years`): `declarations_for` fills it in.
ORGANIZATION_DECLARATIONS: dict[str, str] = {
    "leading": "质量发展工作在行业中处于领先地位，推广先进质量管理技术和方法（第十二条第二项）",
    "performance": (
        "近{lookback}年取得优秀经营业绩或突出社会贡献，经营规模、上缴税收居市内同行业先进水平"
        "（第十二条第四项）"
    ),
    "credit": (
        "近{lookback}年质量、安全、资信、合同、能源计量等社会信用良好，“三废治理”达标（第十二条第五项）"
    ),
    "policy": "符合国家产业、质量、环保政策（第十三条第一项）",
    "no_fraud": "近{lookback}年参加各级质量奖项评定活动不存在弄虚作假等违规行为（第十三条第四项）",
}
INDIVIDUAL_DECLARATIONS: dict[str, str] = {
    "innovation": (
        "有较强的质量创新和改进意识，对提高组织或行业质量水平和绩效做出重要贡献（第十四条第二项）"
    ),
    "culture": "积极组织和参与群众性质量管理活动，对形成组织质量文化做出重要贡献（第十四条第三项）",
    "integrity": "具有较高知名度和影响力，恪守职业道德，无违法或严重违规不良记录（第十四条第四项）",
    "employer_safe": (
        "所在组织近{lookback}年无重大质量、安全、环境污染、公共卫生等事故（第十四条第五项）"
    ),
}


def declarations_for(kind: str, lookback_years: int | None = None) -> dict[str, str]:
    """The declarations of `kind`, by key, their labels saying the program's look-back ("近3年"
    for Rugao). Without a look-back (where only the keys matter, or no program is at hand) the
    labels say "近年"."""
    templates = ORGANIZATION_DECLARATIONS if kind == "organization" else INDIVIDUAL_DECLARATIONS
    lookback = "" if lookback_years is None else str(lookback_years)
    return {key: label.format(lookback=lookback) for key, label in templates.items()}


def self_evaluation_rubric(policy: Policy, kind: str) -> Rubric:
    """The rubric the self-evaluation (自我评价) follows: the one the application's Measures
    hold (`Policy.rubrics`, from its program's pack), the same the review copies for the cycle
    (`review.services.ensure_rubric`); data/gbt19580.yaml for a policy entered before packs."""
    return rubric_in(policy.rubrics, kind)


def lookback_years_before(reference: dt.date, lookback_years: int) -> list[int]:
    """The whole years of the look-back before the application date's year (近3年 applying in
    2026: 2023, 2024, 2025), whose figures the form asks."""
    return list(range(reference.year - lookback_years, reference.year))


def parse(data: dict[str, object]) -> ApplicationForm:
    return ApplicationForm.model_validate(data)


_GONE = object()  # a place `_prune` took out of the document


def split_valid(data: object) -> tuple[ApplicationForm, dict[str, list[str]]]:
    """The part of a typed form that the rules accept, and the reasons for the rest.

    Each field stands on its own: a refused value is taken out (its default applies), a row
    of a record table whose required cell is refused or missing is taken out whole (a record
    without its date is not a record), a list over its limit is cut to the limit; whatever else
    was typed is kept. The reasons are those of the form as typed (`chinese_errors`), by place.
    """
    try:
        return ApplicationForm.model_validate(data), {}
    except ValidationError as exc:
        errors = chinese_errors(exc)
    doc = copy.deepcopy(data) if isinstance(data, dict) else {}
    for _ in range(8):  # each pass takes out at least one place; records nest 3 deep
        try:
            return ApplicationForm.model_validate(doc), errors
        except ValidationError as exc:
            for err in exc.errors():
                _prune(doc, tuple(err["loc"]), err["type"], err.get("ctx") or {})
            doc = _swept(doc)
    return ApplicationForm(), errors  # not reached by any form a page or the API sends


def _prune(doc: dict[str, Any], loc: tuple[Any, ...], kind: str, ctx: dict[str, Any]) -> None:
    """Take the refused place `loc` out of `doc` (marking it `_GONE`); a missing value takes
    out the row or entry that lacks it."""
    if not loc:
        doc.clear()
        return
    parent: Any = doc
    for step in loc[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return  # already taken out with its parent
    last = loc[-1]
    if kind == "too_long" and isinstance(_get(parent, last), list):
        del parent[last][int(ctx.get("max_length", 0)) :]
    elif kind == "missing" or _get(parent, last) is _GONE:
        if len(loc) > 1:
            _prune(doc, loc[:-1], "", {})
    elif isinstance(parent, (dict, list)):
        try:
            parent[last] = _GONE
        except (IndexError, TypeError):
            return


def _get(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except (KeyError, IndexError, TypeError):
        return None


def _swept(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _swept(v) for k, v in value.items() if v is not _GONE}
    if isinstance(value, list):
        return [_swept(v) for v in value if v is not _GONE]
    return value


def missing_for_submission(
    form: ApplicationForm,
    *,
    kind: str,
    reference: dt.date,
    lookback_years: int,
    rubric: Rubric,
) -> list[str]:
    """What a submission still lacks, in the form's order (Chinese, one line each); the figures
    of the `lookback_years` years before the application date's year (`Policy.lookback_years`),
    each item of the application's rubric (`self_evaluation_rubric`)."""
    missing: list[str] = []
    if not form.contact_name or not form.contact_phone:
        missing.append("联系人及电话")
    if not form.summary:
        missing.append("组织简介" if kind == "organization" else "个人主要事迹")
    if kind == "organization":
        years = {f.year for f in form.figures if None not in (f.revenue, f.profit, f.tax)}
        wanted = set(lookback_years_before(reference, lookback_years))
        if not wanted <= years:
            missing.append(
                f"近{lookback_years}年（{min(wanted)}—{max(wanted)}年）营业收入、利润、纳税"
            )
        if form.gbt19580_since is None:
            missing.append("开始推行GB/T 19580《卓越绩效评价准则》的日期")
    for key, label in declarations_for(kind, lookback_years).items():
        if form.declarations.get(key, Declaration()).holds is None:
            missing.append(f"声明：{label}")
    for item in rubric.items:
        entry = form.self_evaluation.get(item.code)
        if entry is None or not entry.text or entry.percent is None:
            missing.append(f"自我评价 {item.code} {item.name}")
    return missing


def chinese_errors(exc: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors, per dotted field location, in Chinese (by error type, not by text)."""
    fields: dict[str, list[str]] = {}
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        kind = err["type"]
        if kind == "value_error":
            message = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
        else:
            template = _MESSAGES.get(kind)
            message = template.format(**ctx) if template else err["msg"]
        fields.setdefault(".".join(str(p) for p in err["loc"]), []).append(message)
    return fields


_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "date_type": "请填写有效的日期（年-月-日）",
    "date_parsing": "请填写有效的日期（年-月-日）",
    "date_from_datetime_parsing": "请填写有效的日期（年-月-日）",
    "date_from_datetime_inexact": "请填写有效的日期（年-月-日）",
    "int_type": "请填写整数",
    "int_parsing": "请填写整数",
    "int_from_float": "请填写整数",
    "decimal_type": "请填写数字",
    "decimal_parsing": "请填写数字",
    "decimal_max_digits": "数字过大（最多{max_digits}位）",
    "decimal_max_places": "最多保留{decimal_places}位小数",
    "decimal_whole_digits": "数字过大",
    "bool_type": "请选择是或否",
    "bool_parsing": "请选择是或否",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "string_type": "请填写文字",
    "string_too_long": "不能超过{max_length}个字",
    "too_long": "最多填写{max_length}行",
    "literal_error": "请从列表中选择",
    "extra_forbidden": "不是申报表的栏目",
    "dict_type": "格式不正确",
    "list_type": "格式不正确",
    "model_type": "格式不正确",
}
