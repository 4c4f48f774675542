"""A program from data (issue 18 part 2): the program pack, one YAML file per award program.

A pack holds the program's names, its government and division code, the Measures it follows
(title, 文号, 施行日期) with every number of `Policy` under a readable key, the rules of the engine
the Measures need, the rubric of each kind (a file under data/ or inline) and the recommending
units. `parse` checks every field and refuses, in Chinese naming the key, anything missing,
mistyped, out of range or unknown (a typo is never ignored), and any rule the engine lacks;
`dump` writes a program back (`parse(dump(p))` reads the same program). Writing to the database
is `programs.services.load_program`'s; docs/programs.md is the onboarding guide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from accounts.models import Organization, RecommendingUnit
from lib import rubrics
from lib.articles import cite
from lib.errors import ServiceError

from .models import AwardProgram, Policy
from .site import taken_slugs

PACKS = Path(settings.BASE_DIR) / "data" / "programs"
FORMAT = 1


class PackRefused(ServiceError):
    """A pack that cannot be loaded: every problem found, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("方案包未通过校验：" + "；".join(problems), code="pack_refused")
        self.problems = problems


# --- the rules of the engine --------------------------------------------------------------------


@dataclass(frozen=True)
class EngineRule:
    """A behaviour the engine implements, named in a pack's `rules:`. `always`: the engine
    applies it to every program, so a pack whose Measures lack it is refused (the engine
    would enforce a rule those Measures do not have); the others follow the pack."""

    name: str
    article: str
    label: str
    where: str  # the code that implements it
    always: bool = True


RULES: tuple[EngineRule, ...] = (
    EngineRule("organization-award", "A2.1", "设组织奖（组织类申报与评审）", "intake, decision"),
    EngineRule("nomination-award", "A2.1", "设提名奖（组织类第二等级）", "decision.services"),
    EngineRule("individual-award", "A14.1", "设个人奖（个人类申报与评审）", "intake, decision"),
    EngineRule("quotas", "A5.2", "各类奖项名额上限，再次获奖不占名额", "decision.quota_errors"),
    EngineRule("expert-practice-years", "A8.1", "评审专家实践年限", "experts.qualification_gaps"),
    EngineRule("gbt19580-2012", "A9.1", "组织类按GB/T 19580-2012评分", "review, lib.rubrics"),
    EngineRule("weighted-evaluation", "A10.2", "材料评审与现场评审按权重综合", "review.services"),
    EngineRule("stages-article-11", "A11.1", "按第十一条八个阶段进行评审", "programs.services"),
    EngineRule("operation-years", "A12.1", "合法经营年限", "intake.eligibility"),
    EngineRule("region", "A12.1", "在本行政区域内登记注册（行政区划代码）", "intake.eligibility"),
    EngineRule("gbt19580-practice", "A12.2", "推行卓越绩效年限、首席质量官", "intake.eligibility"),
    EngineRule("construction-award", "A12.3", "建筑企业近年获鲁班奖或国优工程奖", "intake"),
    EngineRule("lookback-conditions", "A12.4", "近年经营、信用、抽查、事故、违法条件", "intake"),
    EngineRule("environmental-rating", "A12.5", "工业企业环保信用等级", "intake.eligibility"),
    EngineRule("individual-work-years", "A14.1", "个人从事质量工作年限", "intake.eligibility"),
    EngineRule("expert-groups", "A17.1", "专家组评审与评分分歧提示", "experts, review"),
    EngineRule("score-lines", "A19.1", "委员会设定的最低分数线", "decision", always=False),
    EngineRule("notice-working-days", "A20.1", "拟奖名单公示工作日数", "decision.notice_end"),
    EngineRule("bonus", "A21.1", "首次获奖颁发奖金", "intake.standing.bonus_due", always=False),
    EngineRule("winner-report-duty", "A23.1", "获奖者违规报告义务", "supervision.services"),
    EngineRule("reapply-wait", "A24.1", "获奖后重新申报间隔，再次获奖不发奖金", "intake.standing"),
    EngineRule(
        "nomination-waits", "A24.1", "提名奖获奖组织同样须满间隔", "intake.standing", always=False
    ),
    EngineRule("site-supervisor", "A27.1", "评审监督员监督现场评审", "review, supervision"),
    EngineRule("two-way-feedback", "A28.1", "评审人员与受评组织双向评价", "review"),
    EngineRule("fraud-ban", "A29.1", "弄虚作假禁止申报、纳入信用管理公布", "intake.standing"),
    EngineRule("personal-data-retention", "", "未获奖申报人个人信息保存期限", "desk.retention"),
)
RULES_BY_NAME = {r.name: r for r in RULES}


# --- the numbers of the Measures ----------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A number of the Measures in a pack: `section.key` -> a field of `Policy`."""

    field: str
    article: str
    minimum: int = 0
    maximum: int | None = None
    nullable: bool = False


# The pack's sections and keys, in the order a dump writes them (and docs/programs.md lists).
NUMBERS: dict[str, dict[str, Number]] = {
    "quotas": {
        "organization_award": Number("quota_organization_award", "A5.2"),
        "organization_nomination": Number("quota_organization_nomination", "A5.2"),
        "individual_award": Number("quota_individual_award", "A5.2"),
    },
    "scoring": {
        "total_points": Number("total_points", "A10.1", minimum=1),
        "organization_material_weight": Number("weight_material_organization", "A10.2", 0, 100),
        "organization_site_weight": Number("weight_site_organization", "A10.2", 0, 100),
        "individual_material_weight": Number("weight_material_individual", "A10.3", 100, 100),
        "consensus_spread_points": Number("consensus_spread_points", "A17.1", 0, 100),
        "award_min_score": Number("min_score_award", "A19.1", nullable=True),
        "nomination_min_score": Number("min_score_nomination", "A19.1", nullable=True),
    },
    "notice": {"working_days": Number("notice_working_days", "A20.1", minimum=1)},
    "bonus": {
        "organization_award": Number("bonus_organization_award", "A21.1", 0, 100_000_000),
        "organization_nomination": Number("bonus_organization_nomination", "A21.1", 0, 100_000_000),
        "individual_award": Number("bonus_individual_award", "A21.1", 0, 100_000_000),
    },
    "eligibility": {
        "operation_years": Number("min_operation_years", "A12.1"),
        "gbt19580_years": Number("min_gbt19580_years", "A12.2"),
        # The form holds at most 5 years of figures (intake.schema.ApplicationForm).
        "lookback_years": Number("lookback_years", "A12.4", minimum=1, maximum=5),
        "construction_general_accidents": Number("max_construction_general_accidents", "A13.3"),
        "individual_work_years": Number("min_individual_work_years", "A14.1"),
    },
    "experts": {
        "practice_years": Number("min_expert_practice_years", "A8.1"),
        "group_size": Number("expert_group_size", "A17.1", minimum=1),
    },
    "reporting": {
        "duty_years": Number("report_duty_years", "A23.1", minimum=1),
        "deadline_days": Number("report_deadline_days", "A23.1", minimum=1),
    },
    "reapplication": {"gap_years": Number("reapply_gap_years", "A24.1")},
    "fraud": {
        "ban_years": Number("fraud_ban_years", "A29.1", minimum=1),
        "credit_list_years": Number("credit_list_years", "A29.1", minimum=1),
    },
    "personal_data": {"retention_years": Number("personal_data_retention_years", "", minimum=1)},
}
# Not a number but a threshold of A12.5, under `eligibility`: the lowest acceptable rating.
ENVIRONMENTAL_RATING = "environmental_rating"
SMALLINT_MAX = 32767
# Every field of `Policy` a pack sets: the numbers, the rating, and the flag a rule switches.
POLICY_FIELDS = (
    *(n.field for section in NUMBERS.values() for n in section.values()),
    "min_environmental_rating",
    "nomination_waits",
)

PROGRAM_KEYS = {  # pack key -> AwardProgram field
    "slug": "slug",
    "name": "name",
    "government": "government",
    "committee": "committee_name",
    "office": "office_name",
    "division_code": "division_code",
}
MEASURES_KEYS = ("title", "document_number", "effective_on")
TOP_KEYS = (
    "format",
    "program",
    "measures",
    "rules",
    *NUMBERS,
    "rubrics",
    "units",
)
UNIT_KEYS = ("name", "kind", "also")
KIND_LABELS = {"organization": "组织类", "individual": "个人类"}


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str
    also: str = ""


@dataclass(frozen=True)
class Pack:
    """A checked pack: what `load_program` writes. `rubrics` per kind hold the items inline
    (with the file they came from as `source`); `units` None when the pack names none."""

    program: dict[str, str]
    title: str
    document_number: str
    effective_on: dt.date
    numbers: dict[str, Any]  # Policy field -> value, every field of POLICY_FIELDS
    rules: tuple[str, ...]
    rubrics: dict[str, dict[str, Any]]
    units: tuple[Unit, ...] | None = field(default=None)

    @property
    def slug(self) -> str:
        return self.program["slug"]


# --- parsing ------------------------------------------------------------------------------------


def label(model: type[AwardProgram] | type[Policy], name: str) -> str:
    """A field's Chinese name (its verbose_name)."""
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _max_length(name: str) -> int:
    return int(getattr(AwardProgram._meta.get_field(name), "max_length", None) or 200)


def _where(number: Number) -> str:
    label_ = label(Policy, number.field)
    return f"（{label_}，{cite(number.article)}）" if number.article else f"（{label_}）"


def _unknown(problems: list[str], where: str, got: Mapping[str, Any], known: Any) -> None:
    for key in got:
        if key not in known:
            problems.append(f"{where}{key}：不是方案包的字段（可用：{'、'.join(known)}）")


def _text(problems: list[str], key: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{key}：应为非空文字")
        return ""
    if len(value.strip()) > max_length:
        problems.append(f"{key}：不得超过{max_length}字")
    return value.strip()


def _mapping(problems: list[str], key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        problems.append(f"{key}：应为映射（键: 值）")
        return {}
    return value


def _number(problems: list[str], key: str, spec: Number, value: Any) -> int | None:
    if value is None and spec.nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        none = "或 null（不设）" if spec.nullable else ""
        problems.append(f"{key}{_where(spec)}：应为整数{none}，而不是“{value}”")
        return None
    top = spec.maximum if spec.maximum is not None else SMALLINT_MAX
    if not spec.minimum <= value <= top:
        problems.append(f"{key}{_where(spec)}：应在{spec.minimum}至{top}之间，而不是{value}")
    return value


def _program(problems: list[str], raw: Any) -> dict[str, str]:
    data = _mapping(problems, "program", raw)
    _unknown(problems, "program.", data, PROGRAM_KEYS)
    out: dict[str, str] = {}
    for key, model_field in PROGRAM_KEYS.items():
        if key not in data:
            problems.append(f"program.{key}：缺少（{label(AwardProgram, model_field)}）")
            continue
        value = data[key]
        if key == "division_code" and not (
            isinstance(value, str) and re.fullmatch(r"\d{6}", value)
        ):
            problems.append('program.division_code：应为6位行政区划代码，加引号，如 "320682"')
            continue
        if key == "slug" and not (isinstance(value, str) and re.fullmatch(r"[a-z0-9-]+", value)):
            problems.append("program.slug：应为小写字母、数字或连字符，如 rugao")
            continue
        if key == "slug" and value in taken_slugs():
            # The program's public site is /<slug>/… after every other address (programs.site).
            problems.append(f"program.slug：“{value}”已是本系统其他网址的开头，请另取代码")
            continue
        out[model_field] = _text(problems, f"program.{key}", value, _max_length(model_field))
    return out


def _measures(problems: list[str], raw: Any) -> tuple[str, str, dt.date | None]:
    data = _mapping(problems, "measures", raw)
    _unknown(problems, "measures.", data, MEASURES_KEYS)
    for key, label in zip(MEASURES_KEYS, ("文件名称", "文号", "施行日期"), strict=True):
        if key not in data:
            problems.append(f"measures.{key}：缺少（{label}）")
    title = _text(problems, "measures.title", data.get("title"), 200) if "title" in data else ""
    number = data.get("document_number")
    document_number = _text(problems, "measures.document_number", number, 100) if number else ""
    effective = data.get("effective_on")
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            effective = None
    if "effective_on" in data and not isinstance(effective, dt.date):
        problems.append("measures.effective_on：应为日期，如 2021-06-08")
        effective = None
    return title, document_number, effective


def _numbers(problems: list[str], raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, keys in NUMBERS.items():
        data = _mapping(problems, section, raw.get(section)) if section in raw else None
        if data is None:
            problems.append(f"{section}：缺少（{'、'.join(keys)}）")
            continue
        known = [*keys, ENVIRONMENTAL_RATING] if section == "eligibility" else list(keys)
        _unknown(problems, f"{section}.", data, known)
        for key, spec in keys.items():
            if key not in data:
                problems.append(f"{section}.{key}{_where(spec)}：缺少")
                continue
            out[spec.field] = _number(problems, f"{section}.{key}", spec, data[key])
        if section == "eligibility":
            rating = data.get(ENVIRONMENTAL_RATING)
            choices = Organization.EnvironmentalRating
            if rating not in choices.values:
                shown = "、".join(f"{c.value}（{c.label}）" for c in choices)
                problems.append(
                    f"eligibility.environmental_rating（工业企业最低环保信用等级，第十二条第五项）："
                    f"应为{shown}之一"
                )
            out["min_environmental_rating"] = rating
    return out


def _rules(problems: list[str], raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        problems.append("rules：应为规则名称的列表")
        return ()
    for name in raw:
        if name not in RULES_BY_NAME:
            problems.append(
                f"rules：引擎尚未实现规则“{name}”，不能载入（请先实现该规则，或核对规则名称；"
                f"已实现的规则见 docs/programs.md）"
            )
    if len(set(raw)) != len(raw):
        problems.append("rules：规则名称重复")
    for rule in RULES:
        if rule.always and rule.name not in raw:
            problems.append(
                f"rules：缺少“{rule.name}”（{rule.label}）：引擎对每个奖项都执行此规则，"
                "办法若无此规定，请先在引擎中使其可选，不能载入"
            )
    return tuple(raw)


def _rubrics(problems: list[str], raw: Any, total_points: Any) -> dict[str, dict[str, Any]]:
    data = _mapping(problems, "rubrics", raw)
    _unknown(problems, "rubrics.", data, rubrics.KINDS)
    out: dict[str, dict[str, Any]] = {}
    for kind in rubrics.KINDS:
        where = f"rubrics.{kind}"
        value = data.get(kind)
        if not isinstance(value, dict):
            problems.append(f"{where}：缺少（文件引用 file/key，或逐项列出）")
            continue
        if "file" in value:
            _unknown(problems, f"{where}.", value, ("file", "key"))
            try:
                rubric = rubrics.file_rubric(str(value.get("file")), str(value.get("key")))
            except LookupError as exc:
                problems.append(f"{where}：{exc}")
                continue
            if rubric.pop("applies_to") != kind:
                problems.append(f"{where}：准则“{value.get('key')}”不适用于{KIND_LABELS[kind]}")
                continue
        else:
            _unknown(
                problems, f"{where}.", value, ("key", "name", "total_points", "categories", "items")
            )
            rubric = {
                "key": value.get("key"),
                "name": value.get("name"),
                "total_points": value.get("total_points"),
                "categories": value.get("categories"),
                "items": value.get("items"),
                "source": "",
            }
        total = total_points if isinstance(total_points, int) else None
        for problem in rubrics.rubric_problems(rubric, total_points=total):
            problems.append(f"{where}：{problem}")
        out[kind] = rubric
    return out


def _units(problems: list[str], raw: Any) -> tuple[Unit, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        problems.append("units：应为推荐单位的列表")
        return None
    kinds = RecommendingUnit.Kind
    out = []
    for n, entry in enumerate(raw, start=1):
        where = f"units第{n}项"
        if not isinstance(entry, dict):
            problems.append(f"{where}：应为映射 {{name, kind, also}}")
            continue
        _unknown(problems, f"{where}.", entry, UNIT_KEYS)
        name = _text(problems, f"{where}.name", entry.get("name"), 100)
        if entry.get("kind") not in kinds.values:
            shown = "、".join(f"{c.value}（{c.label}）" for c in kinds)
            problems.append(f"{where}.kind：应为{shown}之一")
        also = entry.get("also", "")
        if not isinstance(also, str) or len(also) > 100:
            problems.append(f"{where}.also：应为不超过100字的文字")
            also = ""
        out.append(Unit(name, str(entry.get("kind")), also.strip()))
    names = [u.name for u in out]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"units：推荐单位“{dup}”重复")
    return tuple(out)


def _consistency(problems: list[str], numbers: Mapping[str, Any], rules: tuple[str, ...]) -> None:
    """What the numbers and the rules say together (the database's constraints, in words)."""
    material, site = (
        numbers.get("weight_material_organization"),
        numbers.get("weight_site_organization"),
    )
    if isinstance(material, int) and isinstance(site, int) and material + site != 100:
        problems.append(
            f"scoring.organization_material_weight + organization_site_weight：两项权重之和应为100"
            f"（现为{material} + {site}，第十条）"
        )
    bonuses = [numbers.get(f) for f in POLICY_FIELDS if f.startswith("bonus_")]
    if "bonus" not in rules and any(b for b in bonuses):
        problems.append(
            "bonus：办法设有奖金时，rules 须列出“bonus”（首次获奖颁发奖金，第二十一条）"
        )
    if "bonus" in rules and not any(b for b in bonuses):
        problems.append("rules：列出了“bonus”，但 bonus 各项均为0")
    lines = [numbers.get("min_score_award"), numbers.get("min_score_nomination")]
    if "score-lines" not in rules and any(x is not None for x in lines):
        problems.append("scoring：设有最低分数线时，rules 须列出“score-lines”（第十九条）")
    if "score-lines" in rules and all(x is None for x in lines):
        problems.append("rules：列出了“score-lines”，但 scoring 未设最低分数线")
    numbers_total = numbers.get("total_points")
    for key in ("min_score_award", "min_score_nomination"):
        line = numbers.get(key)
        if isinstance(line, int) and isinstance(numbers_total, int) and line > numbers_total:
            problems.append(f"scoring.{key}：最低分{line}高于评审总分{numbers_total}")


def parse(raw: Any) -> Pack:
    """A pack from its YAML data, checked; PackRefused listing every problem otherwise."""
    problems: list[str] = []
    data = _mapping(problems, "方案包", raw)
    _unknown(problems, "", data, TOP_KEYS)
    if data.get("format") != FORMAT:
        problems.append(f"format：应为 {FORMAT}（方案包格式版本）")
    program = _program(problems, data.get("program"))
    title, document_number, effective_on = _measures(problems, data.get("measures"))
    rules = _rules(problems, data.get("rules"))
    numbers = _numbers(problems, data)
    numbers["nomination_waits"] = "nomination-waits" in rules
    _consistency(problems, numbers, rules)
    kinds_rubrics = _rubrics(problems, data.get("rubrics"), numbers.get("total_points"))
    units = _units(problems, data.get("units"))
    if problems:
        raise PackRefused(problems)
    assert effective_on is not None  # a missing date is a problem above
    return Pack(
        program=program,
        title=title,
        document_number=document_number,
        effective_on=effective_on,
        numbers=numbers,
        rules=rules,
        rubrics=kinds_rubrics,
        units=units,
    )


def read(path: Path) -> tuple[Pack, str]:
    """A pack file, checked, and the SHA-256 of its bytes (named in the audit trail)."""
    data = path.read_bytes()
    try:
        raw = yaml.load(data.decode("utf-8"), Loader=rubrics.SAFE_LOADER)  # noqa: S506 - safe
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackRefused([f"{path.name}：不是有效的 UTF-8 YAML 文件（{exc}）"]) from exc
    return parse(raw), hashlib.sha256(data).hexdigest()


# --- dumping ------------------------------------------------------------------------------------


def _rubric_out(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A reference to its file when the file still holds exactly this rubric, else inline."""
    source = stored.get("source") or ""
    if source:
        try:
            current = rubrics.file_rubric(source, str(stored["key"]))
        except LookupError:
            current = None
        if current is not None:
            current.pop("applies_to")
            if current == dict(stored):
                return {"file": source, "key": stored["key"]}
    return {k: stored[k] for k in ("key", "name", "total_points", "categories", "items")}


def as_data(
    program: AwardProgram, policy: Policy, units: list[RecommendingUnit] | None
) -> dict[str, Any]:
    """The pack of a program under one of its policies, as YAML-ready data."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "program": {key: getattr(program, f) for key, f in PROGRAM_KEYS.items()},
        "measures": {
            "title": policy.title,
            "document_number": policy.document_number,
            "effective_on": policy.effective_on,
        },
        "rules": list(policy.rules) or rules_of(policy),
    }
    for section, keys in NUMBERS.items():
        out[section] = {key: getattr(policy, spec.field) for key, spec in keys.items()}
        if section == "eligibility":
            out[section][ENVIRONMENTAL_RATING] = policy.min_environmental_rating
    stored = policy.rubrics or default_rubrics()
    out["rubrics"] = {kind: _rubric_out(stored[kind]) for kind in rubrics.KINDS}
    if units is not None:
        out["units"] = [
            {
                "name": u.name,
                "kind": u.kind,
                **({"also": u.also_known_as} if u.also_known_as else {}),
            }
            for u in units
        ]
    return out


def rules_of(policy: Policy) -> list[str]:
    """The rules a policy entered before packs follows: every rule the engine always applies,
    and the optional ones its numbers switch on."""
    on = {
        "bonus": any(getattr(policy, f) for f in POLICY_FIELDS if f.startswith("bonus_")),
        "score-lines": policy.min_score_award is not None
        or policy.min_score_nomination is not None,
        "nomination-waits": policy.nomination_waits,
    }
    return [r.name for r in RULES if r.always or on.get(r.name)]


def default_rubrics() -> dict[str, dict[str, Any]]:
    """The rubrics of data/gbt19580.yaml as a pack holds them: a policy without its own."""
    return {kind: _default_rubric(kind) for kind in rubrics.KINDS}


def _default_rubric(kind: str) -> dict[str, Any]:
    rubric = rubrics.rubric_for(kind)
    data = rubrics.file_rubric(rubrics.DATA.name, rubric.key)
    data.pop("applies_to")
    return data


def dump(data: Mapping[str, Any]) -> str:
    """YAML text of a pack, keys in the pack's order, Chinese as is."""
    header = "# 方案包（manage.py dump_program 导出）。字段说明见 docs/programs.md。\n"
    return header + yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)


def program_pack(slug: str) -> dict[str, Any] | None:
    """The pack of a program (`manage.py dump_program`): its latest policy and its own active
    recommending units (decision 0030), the key left out for a program without units (a
    province's)."""
    program = AwardProgram.objects.filter(slug=slug).first()
    policy = program.policies.order_by("-effective_on").first() if program else None
    if program is None or policy is None:
        return None
    units = list(RecommendingUnit.objects.filter(program=program, active=True).order_by("pk"))
    return as_data(program, policy, units or None)
