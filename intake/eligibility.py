"""The eligibility rules of articles 12-14, as data with their article.

Each rule reads the applicant's registration and its form and answers pass, fail, or "needs
the Office's confirmation" (a condition only a person can judge, such as 行业领先), with the
evidence it used. A failure is hard: the Office cannot accept the application (A16.1).
"Last 3 years" is the policy's look-back before the cycle's application date, which is the first
day of its 申报推荐 stage.

A24.1 (a winner of the 市长质量奖 re-applies only 3 full years after its award) and A29.1 (no
application while a ban for fraud runs) read the applicant's standing: `AwardRecord` and `Ban`
rows, passed in the context so the rules stay pure; the dates are `standing`'s.

Article 14's five conditions of an individual are its items （一） to （五）: each rule cites its
own item (A14.1 to A14.5), which REQUIREMENTS.md lists together as A14.1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Individual, Organization
from lib import uscc
from programs.models import Cycle, Policy, Stage

from . import standing
from .schema import ApplicationForm, Declaration

PASS, FAIL, CONFIRM = "pass", "fail", "confirm"
ENV_ORDER = ["green", "blue", "yellow", "red", "black"]  # best to worst (A12.5)
GRADE_ORDER = ["general", "larger", "major", "especially_major"]  # 一般 < 较大 < 重大 < 特别重大
GRADE_LABEL = {"general": "一般", "larger": "较大", "major": "重大", "especially_major": "特别重大"}
_LEVEL = {"award": "市长质量奖", "nomination": "市长质量奖提名奖"}


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def reference_date(cycle: Cycle) -> dt.date:
    """The cycle's application date: the first day of its 申报推荐 stage."""
    # From the stages as loaded (the pages prefetch them): no query of its own then.
    stage = next((s for s in cycle.stages.all() if s.stage == Stage.APPLICATION), None)
    if stage is None:
        raise ValueError(f"{cycle}尚未设置申报推荐日期")
    return stage.starts_on


# The fields of the 申报表 the rules read (a test holds this to what `evaluate` reads): the
# draft's autosave checks the rules again only when one of them changed (issue 17).
FORM_FIELDS = (
    "figures",
    "spot_checks",
    "accidents",
    "violations",
    "awards",
    "gbt19580_since",
    "declarations",
)


def rule_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """The part of a saved form (`Application.data`) the rules read."""
    return {key: data.get(key) for key in FORM_FIELDS}


@dataclass(frozen=True)
class HeldAward:
    year: int
    level: str
    announced_on: dt.date


@dataclass(frozen=True)
class ActiveBan:
    starts_on: dt.date
    ends_on: dt.date
    reason: str


@dataclass
class Context:
    form: ApplicationForm
    policy: Policy
    division_code: str
    reference: dt.date
    organization: Organization | None = None
    individual: Individual | None = None
    awards: list[HeldAward] = field(default_factory=list)
    bans: list[ActiveBan] = field(default_factory=list)

    @property
    def lookback_start(self) -> dt.date:
        return years_before(self.reference, self.policy.lookback_years)

    @property
    def recent(self) -> str:
        """The Measures' "近3年" with the policy's look-back, for the messages."""
        return f"近{self.policy.lookback_years}年"

    def in_lookback(self, day: dt.date) -> bool:
        """近3年: from the same day 3 years before the application date, up to it."""
        return self.lookback_start <= day <= self.reference

    def declared(self, key: str) -> Declaration:
        return self.form.declarations.get(key, Declaration())


@dataclass(frozen=True)
class Finding:
    rule: str
    article: str
    outcome: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    key: str
    article: str
    applies_to: str  # "organization" | "individual"
    # The condition in the Measures' words, its numbers as `{operation}`, `{practice}`,
    # `{lookback}`, `{gap}`, `{work}` and `{rating}`: `titled(policy)` fills in the program's own
    # (another city's Measures may ask 3 years of operation, or a green rating).
    title: str
    check: Callable[[Context], tuple[str, str, dict[str, Any]]]

    def titled(self, policy: Policy | None = None) -> str:
        """The title with the numbers of `policy` (the defaults, Rugao's 2021, without one)."""
        p = policy or Policy()
        return self.title.format(
            operation=p.min_operation_years,
            practice=p.min_gbt19580_years,
            lookback=p.lookback_years,
            gap=p.reapply_gap_years,
            work=p.min_individual_work_years,
            rating=Organization.EnvironmentalRating(p.min_environmental_rating).label,
        )


def _declared(ctx: Context, key: str, label: str) -> tuple[str, str, dict[str, Any]]:
    d = ctx.declared(key)
    if d.holds is None:
        return FAIL, f"未声明：{label}", {}
    if not d.holds:
        return FAIL, f"申报人声明不符合：{label}", {"note": d.note}
    return CONFIRM, f"申报人声明符合，需办公室核实：{label}", {"note": d.note}


def _org(ctx: Context) -> Organization:
    assert ctx.organization is not None  # organization rules run only for organizations
    return ctx.organization


# --- article 12 -----------------------------------------------------------------------------


def _region(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    code = uscc.division_code(_org(ctx).uscc)
    if uscc.registered_within(_org(ctx).uscc, ctx.division_code):
        return (
            PASS,
            f"登记机关行政区划代码{code}，在本奖项行政区域（{ctx.division_code}）内登记注册",
            {"division_code": code},
        )
    return (
        CONFIRM,
        f"统一社会信用代码中的登记机关代码为{code}，不在本奖项行政区域（{ctx.division_code}）内：请核实是否在本行政区域内登记注册",
        {"division_code": code},
    )


def _legal_person(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    code = _org(ctx).uscc
    if code[:2] == "92":
        return FAIL, "统一社会信用代码显示为个体工商户，不具有独立法人资格", {"type": code[:2]}
    return PASS, "具有独立法人资格（依统一社会信用代码登记管理部门和机构类别）", {"type": code[:2]}


def _operation(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    org, needed = _org(ctx), ctx.policy.min_operation_years
    if org.established_on is None:
        return FAIL, "未填写成立日期", {}
    since = years_before(ctx.reference, needed)
    evidence = {"established_on": org.established_on, "reference": ctx.reference}
    if org.established_on <= since:
        return (
            PASS,
            f"成立于{org.established_on:%Y-%m-%d}，至申报日已合法经营{needed}年以上",
            evidence,
        )
    return (
        FAIL,
        f"成立于{org.established_on:%Y-%m-%d}，至申报日{ctx.reference:%Y-%m-%d}合法经营不满{needed}年",
        evidence,
    )


def _practice(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    since, needed = ctx.form.gbt19580_since, ctx.policy.min_gbt19580_years
    if since is None:
        return FAIL, "未填写开始推行GB/T 19580的日期", {}
    evidence = {"since": since, "reference": ctx.reference}
    if since <= years_before(ctx.reference, needed):
        return PASS, f"自{since:%Y-%m-%d}推行GB/T 19580，已满{needed}年", evidence
    return FAIL, f"自{since:%Y-%m-%d}推行GB/T 19580，至申报日不满{needed}年", evidence


def _chief_quality_officer(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    name = _org(ctx).chief_quality_officer
    if name:
        return PASS, f"已设立首席质量官岗位（{name}）", {"chief_quality_officer": name}
    return FAIL, "未设立首席质量官岗位", {}


def _construction_award(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    if not _org(ctx).is_construction:
        return PASS, "非建筑企业，不适用", {}
    held = [
        a
        for a in ctx.form.awards
        if a.name in {"luban", "national_quality_engineering"} and ctx.in_lookback(a.date)
    ]
    evidence = {"awards": [{"name": a.name, "date": a.date, "project": a.project} for a in held]}
    if held:
        return (
            PASS,
            f"{ctx.recent}获得鲁班奖或国家优质工程奖（{held[0].date:%Y-%m-%d}）",
            evidence,
        )
    return (
        FAIL,
        f"建筑企业{ctx.recent}（{ctx.lookback_start:%Y-%m-%d}以来）未获得鲁班奖或国家优质工程奖",
        evidence,
    )


def _performance(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    years = sorted(f.year for f in ctx.form.figures)
    evidence = {"figures": [f.model_dump(mode="json") for f in ctx.form.figures]}
    outcome, message, more = _declared(ctx, "performance", f"{ctx.recent}经营业绩与社会贡献")
    if outcome == CONFIRM and not years:
        return FAIL, f"未填报{ctx.recent}经营数据", evidence
    return outcome, message, evidence | more


def _credit(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    return _declared(ctx, "credit", f"{ctx.recent}社会信用良好，“三废治理”达标")


def _environment(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    org, minimum = _org(ctx), ctx.policy.min_environmental_rating
    if not org.is_industrial:
        return PASS, "非工业企业，不适用环保信用等级要求", {}
    rating = org.environmental_rating
    label = Organization.EnvironmentalRating(rating).label
    evidence = {"rating": rating, "minimum": minimum}
    if rating in ENV_ORDER and ENV_ORDER.index(rating) <= ENV_ORDER.index(minimum):
        return PASS, f"工业企业环保信用等级为{label}", evidence
    need = Organization.EnvironmentalRating(minimum).label
    return FAIL, f"工业企业环保信用等级为{label}，未达到{need}及以上", evidence


# --- article 13 -----------------------------------------------------------------------------


def _industrial_policy(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    return _declared(ctx, "policy", "符合国家产业、质量、环保政策")


def _spot_checks(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    failed = [c for c in ctx.form.spot_checks if not c.passed and ctx.in_lookback(c.date)]
    evidence = {
        "failed": [c.model_dump(mode="json") for c in failed],
        "checks": len(ctx.form.spot_checks),
    }
    if failed:
        return (
            FAIL,
            f"{ctx.recent}产品质量抽查不合格（{failed[0].date:%Y-%m-%d}，{failed[0].product}）",
            evidence,
        )
    return (
        PASS,
        f"{ctx.recent}无产品质量抽查不合格记录（填报抽查{len(ctx.form.spot_checks)}次）",
        evidence,
    )


def _safety(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    recent = [a for a in ctx.form.accidents if ctx.in_lookback(a.date)]
    bad_violations = [
        v
        for v in ctx.form.violations
        if v.kind in {"service_quality", "tax"} and ctx.in_lookback(v.date)
    ]
    evidence = {
        "accidents": [a.model_dump(mode="json") for a in recent],
        "violations": [v.model_dump(mode="json") for v in bad_violations],
    }
    safety = [a for a in recent if a.kind == "production_safety"]
    if _org(ctx).is_construction:
        larger = [a for a in safety if GRADE_ORDER.index(a.grade) >= 1]
        general = [a for a in safety if a.grade == "general"]
        if larger:
            return (
                FAIL,
                f"建筑企业{ctx.recent}发生{GRADE_LABEL[larger[0].grade]}生产安全事故",
                evidence,
            )
        most = ctx.policy.max_construction_general_accidents
        if len(general) > most:
            return (
                FAIL,
                f"建筑企业{ctx.recent}发生生产安全一般事故{len(general)}起，超过{most}起",
                evidence,
            )
    else:
        pursued = [a for a in safety if a.liability and a.investigated]
        if pursued:
            return (
                FAIL,
                f"{ctx.recent}发生生产安全责任事故并被监管部门调查追究（{pursued[0].date:%Y-%m-%d}）",
                evidence,
            )
    other = [
        a
        for a in recent
        if a.kind != "production_safety" and GRADE_ORDER.index(a.grade) >= 1 and a.liability
    ]
    if other:
        return (
            FAIL,
            f"{ctx.recent}发生较大及以上级别的卫生、环境或其他责任事故（{other[0].date:%Y-%m-%d}）",
            evidence,
        )
    if bad_violations:
        kind = "服务质量" if bad_violations[0].kind == "service_quality" else "税收"
        return FAIL, f"存在{kind}违法记录（{bad_violations[0].date:%Y-%m-%d}）", evidence
    return PASS, f"{ctx.recent}无第十三条第三项所列事故和违法记录", evidence


def _fraud(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    d = ctx.declared("no_fraud")
    if d.holds is None:
        return FAIL, f"未声明{ctx.recent}参加质量奖项评定活动有无弄虚作假", {}
    if not d.holds:
        return (
            FAIL,
            f"{ctx.recent}参加质量奖项评定活动存在弄虚作假等违规行为",
            {"note": d.note},
        )
    return (
        PASS,
        f"声明{ctx.recent}参加质量奖项评定活动无弄虚作假等违规行为",
        {"note": d.note},
    )


def _other_violations(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    serious = [
        v for v in ctx.form.violations if v.kind == "other_serious" and ctx.in_lookback(v.date)
    ]
    evidence = {"violations": [v.model_dump(mode="json") for v in serious]}
    if serious:
        return (
            FAIL,
            f"{ctx.recent}有严重违法违规行为被行政执法部门查处（{serious[0].date:%Y-%m-%d}，{serious[0].authority}）",
            evidence,
        )
    return PASS, f"{ctx.recent}无被行政执法部门查处的严重违法违规行为", evidence


# --- articles 24 and 29: the applicant's standing ------------------------------------------


def _reapplication(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    """A24.1 as `standing` reads it: the wait, and what a later award would be worth."""
    gap = ctx.policy.reapply_gap_years
    evidence = {
        "awards": [
            {
                "year": a.year,
                "level": a.level,
                "announced_on": a.announced_on,
                "reapply_from": standing.reapply_from(a, ctx.policy),
            }
            for a in ctx.awards
        ]
    }
    blocker = standing.reapply_blocker(ctx.awards, ctx.policy, ctx.reference)
    if blocker is not None:
        again = standing.reapply_from(blocker, ctx.policy)
        return (
            FAIL,
            f"{blocker.year}年度获{_LEVEL[blocker.level]}（{blocker.announced_on:%Y-%m-%d}公告）"
            f"未满{gap}年，{again:%Y年%m月%d日}起方可重新申报",
            evidence,
        )
    levels = [a.level for a in ctx.awards]
    if standing.is_rewinner("organization", levels):
        return (
            PASS,
            f"获奖已满{gap}年，可重新申报；再次获奖不占用名额、不颁发奖金（第二十四条）",
            evidence,
        )
    if levels:  # 提名奖 only: A24.1 speaks of the 市长质量奖, A21.1 pays each level once
        wait = f"获提名奖已满{gap}年" if ctx.policy.nomination_waits else "获提名奖的组织无须等待"
        return (
            PASS,
            f"{wait}，可以申报；获市长质量奖的按首次获奖颁发奖金，"
            "再次获提名奖的不再颁发奖金（第二十一条）",
            evidence,
        )
    return PASS, "无市长质量奖获奖记录", evidence


def _ban(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    active = [b for b in ctx.bans if b.starts_on <= ctx.reference <= b.ends_on]
    if active:
        b = active[0]
        return (
            FAIL,
            f"因弄虚作假被禁止参加市长质量奖评审，期限至{b.ends_on:%Y-%m-%d}（第二十九条）",
            {"starts_on": b.starts_on, "ends_on": b.ends_on, "reason": b.reason},
        )
    return PASS, "无禁止申报记录", {}


# --- article 14 -----------------------------------------------------------------------------


def _ind(ctx: Context) -> Individual:
    assert ctx.individual is not None
    return ctx.individual


def _work_years(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    years, needed = _ind(ctx).quality_work_years, ctx.policy.min_individual_work_years
    if years >= needed:
        return PASS, f"在本市从事质量工作{years}年", {"years": years}
    return FAIL, f"在本市从事质量工作{years}年，不满{needed}年", {"years": years}


def _employer_accidents(ctx: Context) -> tuple[str, str, dict[str, Any]]:
    major = [
        a for a in ctx.form.accidents if ctx.in_lookback(a.date) and GRADE_ORDER.index(a.grade) >= 2
    ]
    if major:
        return (
            FAIL,
            f"所在组织{ctx.recent}发生{GRADE_LABEL[major[0].grade]}事故（{major[0].date:%Y-%m-%d}）",
            {"accidents": [a.model_dump(mode="json") for a in major]},
        )
    return _declared(
        ctx,
        "employer_safe",
        f"所在组织{ctx.recent}无重大质量、安全、环境污染、公共卫生等事故",
    )


RULES: tuple[Rule, ...] = (
    Rule("a12_1_region", "A12.1", "organization", "在本奖项行政区域内登记注册", _region),
    Rule("a12_1_legal_person", "A12.1", "organization", "具有独立法人资格", _legal_person),
    Rule("a12_1_operation", "A12.1", "organization", "合法经营{operation}年以上", _operation),
    Rule("a12_2_practice", "A12.2", "organization", "推行GB/T 19580 {practice}年以上", _practice),
    Rule("a12_2_cqo", "A12.2", "organization", "设立首席质量官岗位", _chief_quality_officer),
    Rule(
        "a12_2_leading",
        "A12.2",
        "organization",
        "质量发展工作在行业中处于领先地位",
        lambda ctx: _declared(ctx, "leading", "质量发展工作在行业中处于领先地位"),
    ),
    Rule(
        "a12_3_construction",
        "A12.3",
        "organization",
        "建筑企业近{lookback}年获鲁班奖或国家优质工程奖",
        _construction_award,
    ),
    Rule("a12_4_performance", "A12.4", "organization", "近{lookback}年经营业绩优秀", _performance),
    Rule("a12_5_credit", "A12.5", "organization", "近{lookback}年社会信用良好", _credit),
    Rule(
        "a12_5_environment",
        "A12.5",
        "organization",
        "工业企业环保信用等级{rating}及以上",
        _environment,
    ),
    Rule(
        "a13_1_policy", "A13.1", "organization", "符合国家产业、质量、环保政策", _industrial_policy
    ),
    Rule(
        "a13_2_spot_checks",
        "A13.2",
        "organization",
        "近{lookback}年无产品质量抽查不合格",
        _spot_checks,
    ),
    Rule(
        "a13_3_safety",
        "A13.3",
        "organization",
        "近{lookback}年无所列安全、卫生、环境事故和违法记录",
        _safety,
    ),
    Rule("a13_4_fraud", "A13.4", "organization", "近{lookback}年质量奖项评定无弄虚作假", _fraud),
    Rule(
        "a13_5_violations",
        "A13.5",
        "organization",
        "近{lookback}年无严重违法违规被查处",
        _other_violations,
    ),
    Rule("a24_reapply", "A24.1", "organization", "获奖满{gap}年方可重新申报", _reapplication),
    Rule("a29_ban", "A29.1", "organization", "不在禁止申报期内", _ban),
    Rule("a14_1_years", "A14.1", "individual", "在本市从事质量工作{work}年以上", _work_years),
    Rule(
        "a14_2_innovation",
        "A14.2",
        "individual",
        "质量创新与改进贡献",
        lambda ctx: _declared(
            ctx, "innovation", "质量创新与改进，对组织或行业质量水平和绩效做出重要贡献"
        ),
    ),
    Rule(
        "a14_3_culture",
        "A14.3",
        "individual",
        "群众性质量活动与质量文化",
        lambda ctx: _declared(ctx, "culture", "积极组织和参与群众性质量管理活动"),
    ),
    Rule(
        "a14_4_integrity",
        "A14.4",
        "individual",
        "无违法或严重违规不良记录",
        lambda ctx: _declared(ctx, "integrity", "恪守职业道德，无违法或严重违规不良记录"),
    ),
    Rule(
        "a14_5_employer",
        "A14.5",
        "individual",
        "所在组织近{lookback}年无重大事故",
        _employer_accidents,
    ),
)
RULES_BY_KEY = {r.key: r for r in RULES}


def evaluate(ctx: Context) -> list[Finding]:
    """Every rule for the applicant's kind, in article order."""
    kind = "organization" if ctx.organization is not None else "individual"
    findings = []
    for rule in RULES:
        if rule.applies_to != kind:
            continue
        outcome, message, evidence = rule.check(ctx)
        findings.append(Finding(rule.key, rule.article, outcome, message, evidence))
    return findings
