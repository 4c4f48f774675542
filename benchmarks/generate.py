"""The data set of the topology benchmark (issue 17 part 5): one cycle of 10,000 applications,
2,000 of them evaluated with scorecards, plus the organizations of the deadline rush.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/generate.py --db qa_bench --keep
    .venv/bin/python benchmarks/generate.py --applications 500 --evaluated 100  # SQLite
    DATABASE_URL=... .venv/bin/python benchmarks/generate.py --drop qa_bench  # remove a kept one

Without `--db` the data goes into a throwaway database (benchmarks/_common.py: `bench_<pid>`
on PostgreSQL, a temporary SQLite file otherwise) and only the time it took is printed. With
`--db NAME --keep` it goes into the PostgreSQL database NAME (refused if it exists, unless
`--replace`), which stays for `benchmarks/load.py` and `benchmarks/rush.py`; without `--keep`
NAME is dropped at the end, also after a failure.

What is built (`today` is the real date unless `--today`; every date is relative to it):

- `programs.demo.seed()`: the program, its policy, the recommending units, one account per role
  (the staff ones with the demo's TOTP devices), the cycle of `today`'s year. Its stages are
  laid out so that `today` falls inside 现场评审 (site review): material review is over,
  site-review scorecards are open.
- N organizations (valid 统一社会信用代码 of Rugao, `lib/uscc.py`; the towns and subdistricts
  of `data/rugao-units.yaml` as recommending units), each with one contact (role 申报人) and
  one application with the demo's complete form data. Every application was submitted (a
  frozen version, its eligibility results, state changes); the rest of the way depends on its
  final state: submitted, returned, withdrawn, recommended (with the unit's opinion), not
  accepted or lapsed (with the Office's decision), or accepted and reviewed.
- E applications reviewed in full: a material-review and a site-review group each
  (`Policy.expert_group_size` experts, a leader), every member confirmed free of conflict,
  one submitted scorecard per member with all 23 items of the rubric, the group's confirmed
  consensus; then `review.services.evaluate` ranks them (the service itself: Evaluation rows,
  transitions, messages, the audit event).
- S more applications accepted after that evaluation and in site review now: material review
  done, their site-review cards in draft (partly scored), for the experts' autosave.
- An expert pool (users with TOTP devices, code of conduct signed), Office users `bo01..`,
  each town's reviewer `br<n>`.
- R organizations of the rush (`rush0001..`), each with its contact and a complete draft in
  the next year's cycle, whose call is out and whose application window contains `today`.

The bulk parts (organizations, users, applications and their versions, scorecards,
consensus) are plain inserts with the values the services would write; they write no audit
events (the events of what the services did here, the evaluation and the seeds, are on the
chain, which verifies). Users share one password hash (of the demo password, so no hashing
per user); the staff's TOTP keys follow the demo rule (`accounts.two_factor.demo_key`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from benchmarks._common import bench_database, exit_on_sigterm, machine, named_database, out

# Final states of the N - E - S applications that were not reviewed, as shares of them.
REST_STATES: tuple[tuple[str, float], ...] = (
    ("not_accepted", 0.55),
    ("lapsed", 0.10),
    ("withdrawn", 0.05),
    ("returned", 0.05),
    ("submitted", 0.10),
    ("recommended", 0.15),
)
# The path of each final state through the workflow table (intake/workflow.py actions).
PATHS: dict[str, tuple[str, ...]] = {
    "submitted": ("submit",),
    "returned": ("submit", "return"),
    "withdrawn": ("submit", "withdraw"),
    "recommended": ("submit", "recommend"),
    "not_accepted": ("submit", "recommend", "not_accept"),
    "lapsed": ("submit", "recommend", "lapse"),
    "accepted": ("submit", "recommend", "accept"),
}
MOVES: dict[str, tuple[str, str]] = {
    "submit": ("draft", "submitted"),
    "return": ("submitted", "returned"),
    "withdraw": ("submitted", "withdrawn"),
    "recommend": ("submitted", "recommended"),
    "not_accept": ("recommended", "not_accepted"),
    "lapse": ("recommended", "lapsed"),
    "accept": ("recommended", "accepted"),
    "start_material_review": ("accepted", "material_review"),
    "start_site_review": ("material_review", "site_review"),
}
INDUSTRIES = ["13", "14", "15", "17", "26", "27", "30", "33", "34", "35", "38", "39", "47", "54"]
EMPLOYERS = [f"{c}大学" for c in ("南通", "扬州", "江南", "南京工业", "常州")] + [
    f"江苏{c}有限公司" for c in ("质检", "标准化研究", "计量", "认证", "船舶设计", "纺织科研")
]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = [
    "建华",
    "志强",
    "晓明",
    "海燕",
    "国庆",
    "丽娟",
    "文斌",
    "秀英",
    "俊杰",
    "雪梅",
    "卫东",
    "红梅",
]
CODE_TEXT = "评审专家应当客观公正、廉洁自律，严守评审秘密，与申报主体有利害关系的应当主动回避。"
BATCH = 2000


@dataclass
class Summary:
    """What was built (the load and rush scripts read it back from the database)."""

    today: str = ""
    cycle_year: int = 0
    rush_year: int = 0
    applications: int = 0
    evaluated: int = 0
    scoring: int = 0
    rush: int = 0
    experts: int = 0
    scorecards: int = 0
    item_scores: int = 0
    consensus_items: int = 0
    rubric_items: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def uscc_code(rnd: random.Random, n: int) -> str:
    """A valid Rugao 统一社会信用代码 (GB 32100): 91 (工商, 企业), 320682, an organization
    code made unique by `n`, the check character."""
    from lib import uscc

    charset = uscc.CHARSET
    body = "".join(charset[(n // 31**k) % 31] for k in range(5))[::-1]
    body = "".join(rnd.choice(charset[10:]) for _ in range(4)) + body
    first17 = "91320682" + body
    return first17 + uscc.check_character(first17)


def id_number(n: int) -> str:
    """A valid 18-digit 身份证号码 of Rugao (320682), born 1960..1989, sequence from `n`."""
    from stdnum.cn import ric

    born = dt.date(1960, 1, 1) + dt.timedelta(days=(n * 37) % 10950)
    body = f"320682{born:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body)


def layout(today: dt.date, *, rush: bool) -> dict[str, tuple[dt.date, dt.date]]:
    """Stage dates around `today`: site review of the main cycle, or the rush cycle's window."""
    offsets = (
        {
            "application": (-150, -121),
            "qualification": (-120, -101),
            "material_review": (-100, -31),
            "site_review": (-30, 30),
            "evaluation": (31, 60),
            "committee_review": (61, 80),
            "notice": (81, 90),
            "approval": (91, 110),
        }
        if not rush
        else {
            "application": (-10, 20),
            "qualification": (21, 40),
            "material_review": (41, 100),
            "site_review": (101, 160),
            "evaluation": (161, 190),
            "committee_review": (191, 210),
            "notice": (211, 220),
            "approval": (221, 240),
        }
    )
    return {
        k: (today + dt.timedelta(days=a), today + dt.timedelta(days=b))
        for k, (a, b) in offsets.items()
    }


def generate(
    *,
    applications: int = 10_000,
    evaluated: int = 2_000,
    scoring: int = 300,
    rush: int = 1_000,
    experts: int = 600,
    office_users: int = 60,
    today: dt.date | None = None,
    seed: int = 17,
    say: Callable[[str], None] = lambda _text: None,
) -> Summary:
    """Build the data set in the configured database (migrated, empty). See the module doc."""
    os.environ.setdefault("DEMO", "1")
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organization, RecommendingUnit, Role, RoleAssignment, User
    from accounts.privacy import PRIVACY_NOTICE_VERSION
    from accounts.two_factor import demo_key
    from experts.models import (
        Acknowledgement,
        Assignment,
        CodeOfConduct,
        Employment,
        Expert,
        NoConflictConfirmation,
        ReviewGroup,
    )
    from intake import schema
    from intake.demo import _form
    from intake.models import (
        Application,
        ApplicationVersion,
        EligibilityResult,
        QualificationDecision,
        Recommendation,
        StateChange,
    )
    from intake.services import check_eligibility
    from programs import demo
    from programs.models import Cycle, CycleStage
    from programs.selectors import as_of
    from review import services as review
    from review.models import (
        Consensus,
        ConsensusItem,
        ItemScore,
        ReviewPhase,
        Scorecard,
    )

    if evaluated + scoring > applications:
        raise SystemExit("--evaluated + --scoring must not exceed --applications")
    settings.DEMO = True  # the demo's TOTP devices (read at call time)
    rnd = random.Random(seed)  # noqa: S311 - a reproducible data set, not security
    today = today or timezone.localdate()
    summary = Summary(today=today.isoformat())
    clock = time.perf_counter
    t_start = clock()

    def lap(name: str, since: float) -> float:
        now_ = clock()
        summary.seconds[name] = round(now_ - since, 2)
        say(f"  {name}: {now_ - since:.1f} s")
        return now_

    def at(day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())

    # --- the seeds: program, policy, units, staff accounts, the cycle -------------------------
    t = clock()
    demo.seed()
    demo.seed_two_factor()
    office = User.objects.get(username="office")
    program = Cycle.objects.get(year=demo.DEMO_YEAR).program
    cycle = Cycle.objects.get(program=program, year=demo.DEMO_YEAR)
    if today.year != demo.DEMO_YEAR:
        Cycle.objects.filter(pk=cycle.pk).update(year=today.year)
        cycle.refresh_from_db()
    summary.cycle_year = cycle.year
    for stage, (starts, ends) in layout(today, rush=False).items():
        CycleStage.objects.filter(cycle=cycle, stage=stage).update(starts_on=starts, ends_on=ends)
    dates = layout(today, rush=False)
    policy = cycle.policy
    group_size = policy.expert_group_size
    t = lap("seeds (program, units, staff, cycle)", t)

    password = make_password(demo.DEMO_PASSWORD)
    now = timezone.now()
    user_defaults = {
        "password": password,
        "password_changed_at": now,
        "privacy_notice_version": PRIVACY_NOTICE_VERSION,
        "privacy_consent_at": now,
    }

    def users(names: list[tuple[str, str]]) -> list[User]:
        made = User.objects.bulk_create(
            [
                User(username=u, full_name=f, email=f"{u}@bench.rugao.example", **user_defaults)
                for u, f in names
            ],
            batch_size=BATCH,
        )
        return list(User.objects.filter(username__in=[u.username for u in made]).order_by("pk"))

    def totp(staff: list[User]) -> None:
        TOTPDevice.objects.bulk_create(
            [
                TOTPDevice(user=u, name="基准测试", key=demo_key(u.username), confirmed=True)
                for u in staff
            ],
            batch_size=BATCH,
        )

    # --- staff: Office users and each town's reviewer ------------------------------------------
    offices = users([(f"bo{i:02d}", f"办公室基准用户{i:02d}") for i in range(1, office_users + 1)])
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=u, role=Role.OFFICE, program=program) for u in offices
    )
    towns = list(
        RecommendingUnit.objects.filter(
            program=program,
            kind__in=[
                RecommendingUnit.Kind.TOWN,
                RecommendingUnit.Kind.SUBDISTRICT,
                RecommendingUnit.Kind.DISTRICT,
            ],
        ).order_by("pk")
    )
    reviewers = users([(f"br{i:02d}", f"{u.name}审核人") for i, u in enumerate(towns, 1)])
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=r, role=Role.RECOMMENDER, recommending_unit=u)
        for r, u in zip(reviewers, towns, strict=True)
    )
    totp(offices + reviewers)
    t = lap("staff accounts", t)

    # --- organizations, contacts, applications ------------------------------------------------
    serial = [0]

    def organizations(n: int, prefix: str) -> list[Organization]:
        rows = []
        for i in range(n):
            serial[0] += 1
            town = towns[i % len(towns)]
            industry = INDUSTRIES[i % len(INDUSTRIES)]
            rows.append(
                Organization(
                    uscc=uscc_code(rnd, serial[0]),
                    name=f"如皋{town.name[:2]}{prefix}{i + 1:05d}有限公司",
                    registered_address=f"如皋市{town.name}基准路{i + 1}号",
                    recommending_unit=town,
                    industry_code=industry,
                    established_on=dt.date(1995 + i % 20, 1 + i % 12, 1 + i % 28),
                    legal_representative=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)],
                    is_industrial=int(industry) < 44,
                    is_construction=industry == "47",
                    environmental_rating="green" if i % 3 else "blue",
                    chief_quality_officer=SURNAMES[(i + 7) % len(SURNAMES)] + GIVEN[(i + 3) % 12],
                )
            )
        made = Organization.objects.bulk_create(rows, batch_size=BATCH)
        codes = [o.uscc for o in made]
        return list(
            Organization.objects.filter(uscc__in=codes)
            .select_related("recommending_unit")
            .order_by("pk")
        )

    def contacts(orgs: list[Organization], prefix: str) -> list[User]:
        people = users([(f"{prefix}{i + 1:05d}", f"{o.name}联系人") for i, o in enumerate(orgs)])
        RoleAssignment.objects.bulk_create(
            (RoleAssignment(user=u, role=Role.APPLICANT, organization=o)
             for u, o in zip(people, orgs, strict=True)),
            batch_size=BATCH,
        )  # fmt: skip
        return people

    evaluated_by = schema.self_evaluation_rubric(policy, "organization")
    form = schema.split_valid(_form("organization", evaluated_by))[0].model_dump(
        mode="json", exclude_defaults=False
    )
    orgs = organizations(applications, "基准")
    people = contacts(orgs, "ba")
    t = lap(f"{applications:,} organizations and contacts", t)

    # Final states: the reviewed first (E evaluated, S scoring), then the rest by REST_STATES.
    rest = applications - evaluated - scoring
    finals: list[str] = ["accepted"] * (evaluated + scoring)
    for state, share in REST_STATES:
        finals += [state] * int(rest * share)
    finals += ["not_accepted"] * (applications - len(finals))
    submitted_on = dates["application"][0] + dt.timedelta(days=20)
    Application.objects.bulk_create(
        (
            Application(
                cycle=cycle,
                kind="organization",
                organization=o,
                recommending_unit=o.recommending_unit,
                state=final,
                data=form,
                version=1,
                created_by=p,
                submitted_at=at(submitted_on - dt.timedelta(days=i % 15), 9 + i % 8),
            )
            for i, (o, p, final) in enumerate(zip(orgs, people, finals, strict=True))
        ),
        batch_size=BATCH,
    )
    apps = list(
        Application.objects.filter(cycle=cycle)
        .select_related("organization__recommending_unit", "cycle__program", "cycle__policy")
        .order_by("pk")
    )
    # The eligibility results and applicant snapshot of each version: the rules themselves,
    # evaluated once per distinct organization profile (they read the form, the dates and the
    # organization's facts; the same facts give the same findings).
    findings_by: dict[tuple[Any, ...], list[Any]] = {}
    versions, results = [], []
    reviewer_of = {u.pk: r for u, r in zip(towns, reviewers, strict=True)}
    for a in apps:
        o = a.organization
        assert o is not None
        assert a.submitted_at is not None
        key = (
            o.established_on.year if o.established_on else 0,
            o.industry_code,
            o.environmental_rating,
        )
        if key not in findings_by:
            findings_by[key] = check_eligibility(a)
        snapshot = {
            "name": o.name, "uscc": o.uscc, "registered_address": o.registered_address,
            "industry_code": o.industry_code, "recommending_unit": o.recommending_unit.name,
            "established_on": o.established_on.isoformat() if o.established_on else None,
            "legal_representative": o.legal_representative,
            "environmental_rating": o.environmental_rating,
        }  # fmt: skip
        versions.append(
            ApplicationVersion(
                application=a,
                number=1,
                data=form,
                applicant=snapshot,
                attachments=[],
                submitted_at=a.submitted_at,
                submitted_by_id=a.created_by_id,
            )
        )
        results += [
            EligibilityResult(application=a, version=1, rule=f.rule, article=f.article,
                              outcome=f.outcome, message=f.message, evidence={})
            for f in findings_by[key]
        ]  # fmt: skip
    ApplicationVersion.objects.bulk_create(versions, batch_size=BATCH)
    EligibilityResult.objects.bulk_create(results, batch_size=BATCH)
    recommendations, decisions, changes = [], [], []
    for i, a in enumerate(apps):
        submitted = a.submitted_at
        assert submitted is not None
        step = dt.timedelta(days=3 + i % 5)
        when = submitted
        for action in PATHS[a.state]:
            from_state, to_state = MOVES[action]
            if action != "submit":
                when = when + step
            changes.append(
                StateChange(
                    application=a, action=action, from_state=from_state, to_state=to_state, at=when
                )
            )
            if action in ("recommend", "return"):
                recommendations.append(
                    Recommendation(
                        application=a, version=1, unit_id=a.recommending_unit_id,
                        reviewer=reviewer_of[a.recommending_unit_id],
                        outcome="recommended" if action == "recommend" else "returned",
                        opinion="经审核，该申报主体符合申报条件，材料真实，同意推荐。"
                        if action == "recommend" else "请补充近3年纳税证明后重新提交。",
                        decided_at=when,
                    )
                )  # fmt: skip
            if action in ("accept", "not_accept"):
                decisions.append(
                    QualificationDecision(
                        application=a, version=1,
                        outcome="accepted" if action == "accept" else "not_accepted",
                        articles=[] if action == "accept" else ["A12.3"],
                        reason="主体资格和材料规范性审查合格，予以受理。" if action == "accept"
                        else "近3年发生较大质量事故，不符合申报条件。",
                        decided_by=office, decided_at=when,
                    )
                )  # fmt: skip
    Recommendation.objects.bulk_create(recommendations, batch_size=BATCH)
    QualificationDecision.objects.bulk_create(decisions, batch_size=BATCH)
    t = lap(f"{applications:,} applications submitted (versions, eligibility, decisions)", t)

    # --- experts --------------------------------------------------------------------------
    with as_of(dates["material_review"][0]):
        rubric = review.ensure_rubric(actor=office, cycle=cycle, kind="organization")
    items = list(rubric.items.order_by("position"))
    summary.rubric_items = len(items)
    expert_users = users(
        [
            (f"bx{i:04d}", SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 3) % len(GIVEN)])
            for i in range(1, experts + 1)
        ]
    )
    RoleAssignment.objects.bulk_create(
        (RoleAssignment(user=u, role=Role.EXPERT) for u in expert_users), batch_size=BATCH
    )
    totp(expert_users)
    pool = Expert.objects.bulk_create(
        [
            Expert(
                user=u,
                name=u.full_name,
                id_number=id_number(i + 1),
                title="高级工程师" if i % 2 else "教授",
                category=("scholar", "industry", "manager", "cqo")[i % 4],
                industries=[INDUSTRIES[i % len(INDUSTRIES)], INDUSTRIES[(i + 5) % len(INDUSTRIES)]],
                practice_years=8 + i % 20,
                max_load=max(5, (evaluated + scoring) * 2 * group_size // experts + 10),
            )
            for i, u in enumerate(expert_users)
        ],
        batch_size=BATCH,
    )
    pool = list(Expert.objects.filter(user__in=expert_users).order_by("pk"))
    Employment.objects.bulk_create(
        (
            Employment(expert=e, employer_name=EMPLOYERS[i % len(EMPLOYERS)])
            for i, e in enumerate(pool)
        ),
        batch_size=BATCH,
    )
    code = CodeOfConduct.objects.create(
        cycle=cycle,
        text=CODE_TEXT,
        set_by=office,
        set_at=at(dates["material_review"][0] - dt.timedelta(days=5)),
    )
    Acknowledgement.objects.bulk_create(
        (
            Acknowledgement(
                expert=e,
                cycle=cycle,
                code_text=code.text,
                signed_at=code.set_at + dt.timedelta(days=1),
            )
            for e in pool
        ),
        batch_size=BATCH,
    )
    summary.experts = len(pool)
    t = lap(f"{len(pool)} experts (users, TOTP, employment, code signed)", t)

    # --- review: groups, assignments, scorecards, consensus ------------------------------------
    reviewed = [a for a in apps if a.state == "accepted"]
    done, in_site = reviewed[:evaluated], reviewed[evaluated:]
    m_start, m_end = dates["material_review"]
    s_start = dates["site_review"][0]
    ReviewPhase.objects.create(
        cycle=cycle,
        stage="material_review",
        state="closed",
        opened_at=at(m_start),
        closed_at=at(m_end, 17),
    )
    ReviewPhase.objects.create(
        cycle=cycle, stage="site_review", state="open", opened_at=at(s_start)
    )
    groups = []
    for a in reviewed:
        groups.append(ReviewGroup(application=a, stage="material_review", confirmed_at=at(m_start)))
        groups.append(ReviewGroup(application=a, stage="site_review", confirmed_at=at(s_start)))
    ReviewGroup.objects.bulk_create(groups, batch_size=BATCH)
    groups = list(ReviewGroup.objects.filter(application__cycle=cycle).order_by("pk"))
    members: dict[int, list[Expert]] = {}
    assignments, confirmations = [], []
    confirmed: set[tuple[int, int]] = set()
    cursor = 0
    for g in groups:
        since = g.confirmed_at or at(m_start)
        chosen = [pool[(cursor + k) % len(pool)] for k in range(group_size)]
        cursor += group_size
        members[g.pk] = chosen
        g.leader = chosen[0]
        for e in chosen:
            assignments.append(
                Assignment(
                    group=g,
                    expert=e,
                    source="solver",
                    reasons=["熟悉行业"],
                    assigned_at=since,
                )
            )
            if (e.pk, g.application_id) not in confirmed:
                confirmed.add((e.pk, g.application_id))
                confirmations.append(
                    NoConflictConfirmation(
                        expert=e, application_id=g.application_id, confirmed_at=since
                    )
                )
    ReviewGroup.objects.bulk_update(groups, ["leader"], batch_size=BATCH)
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    NoConflictConfirmation.objects.bulk_create(confirmations, batch_size=BATCH)
    assignment_of = {
        (x.group_id, x.expert_id): x.pk for x in Assignment.objects.filter(group__in=groups)
    }
    t = lap(f"{len(groups):,} groups, {len(assignments):,} assignments", t)

    # Each reviewed application has a level; members score around it, the consensus is near
    # their mean (a multiple of 5).
    level = {a.pk: rnd.randrange(40, 80, 5) for a in reviewed}
    in_site_ids = {a.pk for a in in_site}
    cards, consensus = [], []
    for g in groups:
        draft = g.stage == "site_review" and g.application_id in in_site_ids
        base = (
            at(m_start + dt.timedelta(days=10))
            if g.stage == "material_review"
            else at(s_start + dt.timedelta(days=5))
        )
        for e in members[g.pk]:
            cards.append(
                Scorecard(
                    assignment_id=assignment_of[(g.pk, e.pk)], rubric=rubric,
                    state="draft" if draft else "submitted", revision=3,
                    summary="" if draft else "总体达到较高水平，过程方法系统，结果趋势良好。",
                    saved_at=base, submitted_at=None if draft else base,
                )
            )  # fmt: skip
        if not draft:
            consensus.append(
                Consensus(
                    group=g,
                    final=True,
                    recorded_by=members[g.pk][0].user,
                    recorded_at=base + dt.timedelta(days=2),
                    revision=2,
                    comment="经专家组讨论形成共识。",
                )
            )
    Scorecard.objects.bulk_create(cards, batch_size=BATCH)
    Consensus.objects.bulk_create(consensus, batch_size=BATCH)
    group_of = {g.pk: g for g in groups}
    card_rows = Scorecard.objects.filter(rubric=rubric).values_list(
        "pk", "state", "assignment__group_id"
    )
    scores: list[ItemScore] = []
    n_scores = 0
    for pk, state, gid in card_rows.iterator(chunk_size=BATCH):
        lvl = level[group_of[gid].application_id]
        for k, item in enumerate(items):
            if state == "draft" and k >= len(items) // 2:
                break  # a draft half scored
            percent = min(100, max(0, lvl + rnd.choice((-10, -5, 0, 0, 5, 10))))
            scores.append(
                ItemScore(
                    scorecard_id=pk,
                    item=item,
                    percent=percent,
                    strengths="方法系统，展开充分。",
                    opportunities="与标杆对比不足。",
                )
            )
        if len(scores) >= 20_000:
            ItemScore.objects.bulk_create(scores, batch_size=5000)
            n_scores += len(scores)
            scores = []
    ItemScore.objects.bulk_create(scores, batch_size=5000)
    n_scores += len(scores)
    agreed = []
    for c_pk, gid in Consensus.objects.filter(group__in=groups).values_list("pk", "group_id"):
        lvl = level[group_of[gid].application_id]
        agreed += [
            ConsensusItem(
                consensus_id=c_pk, item=item, percent=min(100, max(0, lvl + rnd.choice((-5, 0, 5))))
            )
            for item in items
        ]
    ConsensusItem.objects.bulk_create(agreed, batch_size=5000)
    # Each consensus's stage score: the sum of its items (review.services.consensus_score).
    scored = list(Consensus.objects.filter(group__in=groups).prefetch_related("items__item"))
    for c in scored:
        c.score = review.consensus_score(c)
    Consensus.objects.bulk_update(scored, ["score"], batch_size=BATCH)
    summary.scorecards, summary.item_scores, summary.consensus_items = (
        len(cards),
        n_scores,
        len(agreed),
    )
    t = lap(
        f"{len(cards):,} scorecards, {n_scores:,} item scores, {len(agreed):,} consensus items", t
    )

    # States: the E through material and site review, then evaluated by the service.
    moved = []
    for a in done:
        for action in ("start_material_review", "start_site_review"):
            f, to = MOVES[action]
            day = m_start if action == "start_material_review" else s_start
            moved.append(
                StateChange(application=a, action=action, from_state=f, to_state=to, at=at(day))
            )
    StateChange.objects.bulk_create(changes + moved, batch_size=BATCH)
    Application.objects.filter(pk__in=[a.pk for a in done]).update(state="site_review")
    with as_of(s_start + dt.timedelta(days=20)):
        review.evaluate(actor=office, cycle=cycle)
    # The S accepted after that run: in site review now, material review confirmed.
    later = []
    for a in in_site:
        for action in ("start_material_review", "start_site_review"):
            f, to = MOVES[action]
            later.append(
                StateChange(
                    application=a,
                    action=action,
                    from_state=f,
                    to_state=to,
                    at=at(today - dt.timedelta(days=1)),
                )
            )
    StateChange.objects.bulk_create(later, batch_size=BATCH)
    Application.objects.filter(pk__in=[a.pk for a in in_site]).update(state="site_review")
    t = lap(f"evaluate() over {len(done):,} applications (the service)", t)

    # --- the rush: next year's cycle, its window open today, 1,000 drafts ready ---------------
    if rush:
        rush_cycle = Cycle.objects.create(
            program=program, year=cycle.year + 1, policy=policy, status=Cycle.Status.PUBLISHED,
            published_at=timezone.now(), work_plan="基准测试：申报截止前的集中提交。",
        )  # fmt: skip
        CycleStage.objects.bulk_create(
            CycleStage(cycle=rush_cycle, stage=s, starts_on=a, ends_on=b)
            for s, (a, b) in layout(today, rush=True).items()
        )
        rush_orgs = organizations(rush, "申报高峰")
        rush_people = users(
            [(f"rush{i + 1:04d}", f"{o.name}联系人") for i, o in enumerate(rush_orgs)]
        )
        RoleAssignment.objects.bulk_create(
            (RoleAssignment(user=u, role=Role.APPLICANT, organization=o)
             for u, o in zip(rush_people, rush_orgs, strict=True)),
            batch_size=BATCH,
        )  # fmt: skip
        Application.objects.bulk_create(
            (
                Application(cycle=rush_cycle, kind="organization", organization=o,
                            recommending_unit=o.recommending_unit, state="draft", data=form,
                            created_by=p)
                for o, p in zip(rush_orgs, rush_people, strict=True)
            ),
            batch_size=BATCH,
        )  # fmt: skip
        summary.rush_year = rush_cycle.year
        summary.rush = rush
        t = lap(f"{rush:,} rush organizations with drafts", t)

    summary.applications = applications
    summary.evaluated = len(done)
    summary.scoring = len(in_site)
    summary.by_state = dict(
        sorted((s, n) for s, n in _count_states(Application.objects.filter(cycle=cycle)).items())
    )
    summary.seconds["total"] = round(clock() - t_start, 1)
    return summary


def _count_states(qs: Any) -> dict[str, int]:
    from django.db.models import Count

    return {row["state"]: row["n"] for row in qs.values("state").annotate(n=Count("pk"))}


def analyze() -> None:
    """Fresh planner statistics (PostgreSQL), as autovacuum would have after a bulk load."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--applications", type=int, default=10_000, help="applications in the cycle"
    )
    parser.add_argument(
        "--evaluated", type=int, default=2_000, help="of them evaluated with scorecards"
    )
    parser.add_argument("--scoring", type=int, default=300, help="of them with site cards in draft")
    parser.add_argument("--rush", type=int, default=1_000, help="rush organizations with drafts")
    parser.add_argument("--experts", type=int, default=600, help="experts in the pool")
    parser.add_argument("--offices", type=int, default=60, help="Office users bo01..")
    parser.add_argument("--today", type=dt.date.fromisoformat, help="the date the stages centre on")
    parser.add_argument(
        "--db", help="PostgreSQL database to create and fill (else a throwaway one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep --db after the run")
    parser.add_argument("--replace", action="store_true", help="drop --db first if it exists")
    parser.add_argument("--drop", metavar="NAME", help="only drop the database NAME and exit")
    args = parser.parse_args()
    exit_on_sigterm()
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["DEMO"] = "1"
    if args.drop:
        from benchmarks._common import drop_database

        drop_database(args.drop)
        out(f"dropped {args.drop}")
        return
    context = (
        named_database(args.db, keep=args.keep, replace=args.replace)
        if args.db
        else bench_database()
    )
    with context as db:
        out(f"# benchmarks/generate.py into {db.label}")
        summary = generate(
            applications=args.applications,
            evaluated=args.evaluated,
            scoring=args.scoring,
            rush=args.rush,
            experts=args.experts,
            office_users=args.offices,
            today=args.today,
            say=out,
        )
        t0 = time.perf_counter()
        analyze()
        summary.seconds["analyze"] = round(time.perf_counter() - t0, 1)
        out(machine(db))
        for key, value in asdict(summary).items():
            out(f"- {key}: {value}")
        if args.db and args.keep:
            out(f"kept: {args.db} (drop with: benchmarks/generate.py --drop {args.db})")


if __name__ == "__main__":
    main()
