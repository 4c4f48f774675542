"""Two award programs for the isolation walk (issue 18, decision 0030 item 6).

Program A is Rugao (the `program` fixture), where every persona of the walk holds its role.
Program B is 示例市市长质量奖 (data/programs/shili-demo.yaml), run through its 2026 year by the
services: two applications, an expert group with scorecards and a consensus, the list approved,
published and announced (awards, certificates), an objection, a supervision case, a supervisor's
note, an export job, and their audit events. B's objects carry marker strings that no page of A
may print.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from accounts.models import Individual, Organization, RecommendingUnit, Role, User
from accounts.registration import register_individual
from accounts.services import grant_role
from decision.models import Certificate, Objection, Proposal
from experts.models import Assignment, Expert, RecusalRequest, ReviewGroup
from intake.models import Application, Attachment, AwardRecord, State
from jobs.models import Job
from lib import uscc
from lib.tenancy import using_program
from programs.models import Announcement, AwardProgram, Cycle, Stage
from review.models import Scorecard
from supervision.models import Case, Note

CST = dt.timezone(dt.timedelta(hours=8))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Strings of program B that no response to a persona of A may hold.
B_PROGRAM = "示例市市长质量奖"
B_UNIT = "示例市东城街道"
B_ORGANIZATION = "示例乙公司精密制造有限公司"
B_PERSON = "钱乙萍"
B_OPINION = "乙方评审意见"  # in B's scorecards and consensus
B_OBJECTION = "乙方异议内容"
B_CASE = "乙方违规情况"
B_NOTE = "乙方监督记录"
B_CLERK = "乙办公室员"  # B's Office clerk's name
B_SUPERVISOR = "乙监督员"  # B's supervisor's name
MARKERS = (
    B_PROGRAM,
    "示例市人民政府",
    B_UNIT,
    "示例乙公司",
    B_PERSON,
    B_OPINION,
    B_OBJECTION,
    B_CASE,
    B_NOTE,
    B_CLERK,
    B_SUPERVISOR,
    "示政规",  # B's Measures' 文号
    "乙方推荐意见",
    "乙方受理",
    "乙方弄虚作假",
    "示政处",
    "示政发",  # B's announcement's 文号
)

# B's 2026: the same calendar as A's, but 7 working days of notice (its Measures' article 20).
B_STAGES: dict[Stage, tuple[dt.date, dt.date]] = {
    Stage.APPLICATION: (dt.date(2026, 3, 2), dt.date(2026, 4, 30)),
    Stage.QUALIFICATION: (dt.date(2026, 5, 6), dt.date(2026, 5, 29)),
    Stage.MATERIAL_REVIEW: (dt.date(2026, 6, 1), dt.date(2026, 7, 10)),
    Stage.SITE_REVIEW: (dt.date(2026, 7, 13), dt.date(2026, 9, 11)),
    Stage.EVALUATION: (dt.date(2026, 9, 14), dt.date(2026, 10, 16)),
    Stage.COMMITTEE_REVIEW: (dt.date(2026, 10, 19), dt.date(2026, 11, 13)),
    Stage.NOTICE: (dt.date(2026, 11, 25), dt.date(2026, 12, 3)),
    Stage.APPROVAL: (dt.date(2026, 12, 4), dt.date(2026, 12, 31)),
}
IN_WINDOW = dt.datetime(2026, 3, 10, 10, tzinfo=CST)
QUALIFICATION_DAY = dt.datetime(2026, 5, 11, 10, tzinfo=CST)
MATERIAL_DAY = dt.datetime(2026, 6, 2, 10, tzinfo=CST)
SITE_DAY = dt.datetime(2026, 7, 20, 10, tzinfo=CST)
EVALUATION_DAY = dt.datetime(2026, 9, 15, 10, tzinfo=CST)
COMMITTEE_DAY = dt.datetime(2026, 11, 10, 10, tzinfo=CST)
NOTICE_DAY = dt.datetime(2026, 11, 25, 9, tzinfo=CST)
ANNOUNCE_DAY = dt.datetime(2026, 12, 10, 9, tzinfo=CST)
# The walk's day: B's year announced, its case open, A's cycle still running.
WALK_DAY = dt.datetime(2026, 12, 11, 10, tzinfo=CST)

PACK = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"


def id_number(first17: str) -> str:
    """A 身份证 number with its GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def _takes(func: Any, name: str) -> bool:
    return name in inspect.signature(func).parameters


def grant(
    user: User,
    role: Role,
    program: AwardProgram | None,
    *,
    unit: RecommendingUnit | None = None,
    organization: Organization | None = None,
) -> None:
    """Grant a role; a program-scoped role is held in `program` once the tenancy core has
    `grant_role(program=…)`."""
    kwargs: dict[str, Any] = {}
    scoped = role in {Role.OFFICE, Role.SUPERVISOR, Role.COMMITTEE} or role.value == "province"
    if scoped and program is not None and _takes(grant_role, "program"):
        kwargs["program"] = program
    grant_role(
        actor=None,
        actor_role="system",
        user=user,
        role=role,
        recommending_unit=unit,
        organization=organization,
        **kwargs,
    )


@dataclass
class World:
    a: AwardProgram
    a_cycle: Cycle
    a_application: Application
    b: AwardProgram
    cycle: Cycle
    unit: RecommendingUnit
    office: User
    supervisor: User
    applicant: User
    organization: Organization
    person: Individual
    application: Application  # the organization's, announced as an award
    individual_application: Application  # the person's
    submitted: Application  # a second organization's, left submitted (not yet recommended)
    attachment: Attachment
    announcement: Announcement
    experts: list[Expert]
    expert_users: list[User]
    group: ReviewGroup
    assignment: Assignment
    scorecard: Scorecard
    recusal: RecusalRequest
    proposal: Proposal
    awards: list[AwardRecord]
    certificate: Certificate
    objection: Objection
    case: Case
    note: Note
    export_job: Job
    certificate_job: Job | None
    personas: dict[str, User | None] = field(default_factory=dict)
    a_expert: Expert | None = None

    @property
    def markers(self) -> tuple[str, ...]:
        """MARKERS and B's numbers made at random: its certificate's and its receipt's."""
        return (*MARKERS, self.certificate.number, self.objection.receipt)


def _b_program() -> AwardProgram:
    from programs import packs
    from programs.services import load_program

    pack, sha256 = packs.read(PACK)
    # Units per program come with the tenancy core; before it, the pack's units are refused
    # beside Rugao's and B's unit is made below.
    try:
        load_program(pack=pack, source="data/programs/shili-demo.yaml", sha256=sha256)
    except Exception:
        load_program(
            pack=pack, source="data/programs/shili-demo.yaml", sha256=sha256, with_units=False
        )
    return AwardProgram.objects.get(slug=pack.slug)


def _b_unit(b: AwardProgram) -> RecommendingUnit:
    unit_fields = {f.name for f in RecommendingUnit._meta.get_fields()}
    found = RecommendingUnit.objects.filter(name=B_UNIT)
    if "program" in unit_fields:
        found = found.filter(program=b)
    unit = found.first()
    if unit is None:
        extra: dict[str, Any] = {"program": b} if "program" in unit_fields else {}
        unit = RecommendingUnit.objects.create(name=B_UNIT, kind="subdistrict", **extra)
    return unit


def _b_organization(unit: RecommendingUnit, n: int, name: str) -> Organization:
    body = f"91329901MA1BLB{n:03d}"  # 329901: 示例市 (fictitious), the pack's division code
    return Organization.objects.create(
        uscc=body + uscc.check_character(body),
        name=name,
        registered_address=f"{B_UNIT}示例大道{n}号",
        recommending_unit=unit,
        industry_code="34",
        established_on=dt.date(2012, 5, 18),
        legal_representative="乙法人",
        is_industrial=True,
        environmental_rating=Organization.EnvironmentalRating.GREEN,
        chief_quality_officer="乙总监",
    )


def _apply(actor: User, cycle: Cycle, kind: str = "organization", **who: Any) -> Application:
    from intake import services as intake
    from tests.intake.conftest import complete_form

    application = intake.start_application(actor=actor, cycle=cycle, **who)
    form = complete_form(kind, summary=f"{B_ORGANIZATION}推行卓越绩效管理。")
    intake.save_draft(actor=actor, application=application, data=form)
    intake.add_attachment(
        actor=actor, application=application, section="general", name="乙方材料.pdf", data=PDF
    )
    intake.submit_application(actor=actor, application=application)
    return application


def _accept(application: Application) -> Application:
    Application.objects.filter(pk=application.pk).update(state=State.ACCEPTED)
    application.refresh_from_db()
    return application


QUALIFIED: dict[str, Any] = {
    "category": "industry",
    "industries": ["34", "35"],
    "practice_years": 12,
    "title": "高级工程师",
    "training_certificate": "卓越绩效自评师证书",
    "training_on": dt.date(2020, 6, 1),
    "evidence_policy": "长期从事质量监管工作",
    "evidence_practice": "质量管理12年，见简历",
    "evidence_training": "2020年参加GB/T 19580培训",
    "evidence_discipline": "承诺书已签署",
}


def _expert(office: User, user: User, number: str, name: str, employer: str) -> Expert:
    from experts import services as experts

    expert = experts.save_expert(
        actor=office,
        id_number=number,
        **(QUALIFIED | {"name": name}),
        employments=[{"employer_name": employer}],
    )
    Expert.objects.filter(pk=expert.pk).update(user=user)
    return Expert.objects.get(pk=expert.pk)


def _agree(
    review: Any, users: list[User], pool: list[Expert], group: ReviewGroup, cycle: Cycle
) -> Scorecard:
    """Each of the three experts scores every item at 70%, the leader confirms the consensus;
    the first expert's card is returned."""
    from review.models import Rubric

    rubric = Rubric.objects.get(cycle=cycle, applies_to=group.application.kind)
    cards = []
    for n, user in enumerate(users):
        assignment = Assignment.objects.get(group=group, expert=pool[n], removed_at__isnull=True)
        card = review.save_scorecard(
            actor=user, assignment=assignment, scores=_scores(rubric, 70), revision=0
        )
        cards.append(review.submit_scorecard(actor=user, scorecard=card))
    review.save_consensus(
        actor=users[0],
        group=group,
        items=_scores(rubric, 70),
        comment=B_OPINION,
        final=True,
        revision=0,
    )
    return cards[0]


def _scores(rubric: Any, percent: int) -> dict[str, dict[str, Any]]:
    return {
        item.code: {"percent": percent, "strengths": B_OPINION, "opportunities": ""}
        for item in rubric.items.all()
    }


def build(
    *,
    program: AwardProgram,
    personas: dict[str, User | None],
    make_user: Any,
    time_machine: Any,
) -> World:
    """Both programs' 2026 years, B's through to its announcement; the clock left on WALK_DAY."""
    from experts import services as experts
    from programs.services import create_cycle, publish_call, set_cycle_dates
    from tests.conftest import STAGES_2026
    from tests.test_permissions import _submitted

    a_office = personas["office"]
    assert a_office is not None
    time_machine.move_to(dt.datetime(2026, 2, 20, 10, tzinfo=CST), tick=False)

    # --- A: a published cycle, the applicant persona's application, the expert persona in its
    # group (A is the default program: no `using_program` needed) ----------------------------
    a_cycle = create_cycle(actor=a_office, program=program, year=2026)
    set_cycle_dates(actor=a_office, cycle=a_cycle, dates=STAGES_2026)
    publish_call(actor=a_office, cycle=a_cycle)
    time_machine.move_to(IN_WINDOW, tick=False)
    a_applicant = personas["applicant"]
    assert a_applicant is not None
    a_application = _accept(_submitted(a_cycle, a_applicant))
    a_expert_user = personas["expert"]
    assert a_expert_user is not None
    a_expert = _expert(
        a_office, a_expert_user, id_number("32068219700101001"), "甲专家", "甲评审单位"
    )
    a_group = experts.open_group(actor=a_office, application=a_application, stage="material_review")
    experts.assign_manually(actor=a_office, group=a_group, expert=a_expert, reason="测试分组")
    experts.set_code_of_conduct(actor=a_office, cycle=a_cycle, text="一、公正评审。")
    experts.acknowledge(actor=a_expert_user, cycle=a_cycle)

    # --- B: the program from its pack, its Office, supervisor and reviewer -------------------
    b = _b_program()
    with using_program(b):
        return _build_b(b, a_cycle, a_application, a_expert, personas, make_user, time_machine)


def _build_b(
    b: AwardProgram,
    a_cycle: Cycle,
    a_application: Application,
    a_expert: Expert,
    personas: dict[str, User | None],
    make_user: Any,
    time_machine: Any,
) -> World:
    from decision import services as decision
    from desk import exports
    from experts import services as experts
    from programs.services import create_cycle, publish_call, set_cycle_dates
    from review import services as review
    from supervision import services as supervision
    from tests.conftest import otp_device

    time_machine.move_to(dt.datetime(2026, 2, 20, 10, tzinfo=CST), tick=False)
    unit = _b_unit(b)
    b_office = make_user(None, username="b_office")
    grant(b_office, Role.OFFICE, b)
    b_supervisor = make_user(None, username="b_supervisor")
    grant(b_supervisor, Role.SUPERVISOR, b)
    for user, name in ((b_office, B_CLERK), (b_supervisor, B_SUPERVISOR)):
        otp_device(user)
        User.objects.filter(pk=user.pk).update(full_name=name)
    b_recommender = make_user(None, username="b_town")
    grant(b_recommender, Role.RECOMMENDER, b, unit=unit)
    cycle = create_cycle(actor=b_office, program=b, year=2026)
    set_cycle_dates(actor=b_office, cycle=cycle, dates=B_STAGES)
    announcement = publish_call(actor=b_office, cycle=cycle)
    cycle.refresh_from_db()

    time_machine.move_to(IN_WINDOW, tick=False)
    organization = _b_organization(unit, 1, B_ORGANIZATION)
    applicant = make_user(None, username="b_applicant")
    grant(applicant, Role.APPLICANT, b, organization=organization)
    application = _apply(applicant, cycle, organization=organization)
    other = _b_organization(unit, 2, "示例乙公司第二分厂有限公司")
    other_applicant = make_user(None, username="b_applicant2")
    grant(other_applicant, Role.APPLICANT, b, organization=other)
    submitted = _apply(other_applicant, cycle, organization=other)
    person, person_user = register_individual(
        name=B_PERSON,
        id_number=id_number("32990119800101002"),
        recommending_unit=unit,
        position=Individual.Position.CHIEF_QUALITY_OFFICER,
        quality_work_years=12,
        employer_name=B_ORGANIZATION,
        username="b_person",
        password="Lantern#2026ok",
    )
    individual_application = _apply(person_user, cycle, "individual", individual=person)
    recusal = experts.request_recusal(
        actor=applicant,
        application=application,
        name="甲某",
        reason="competitor",
        note=f"{B_ORGANIZATION}请求回避",
    )

    # --- recommended by B's unit, accepted by B's Office (A16.1); B's group of three experts ---
    from intake import services as intake

    for app in (application, individual_application):
        intake.recommend_application(actor=b_recommender, application=app, opinion="乙方推荐意见")
    time_machine.move_to(QUALIFICATION_DAY, tick=False)
    for app in (application, individual_application):
        app.refresh_from_db()
        to_confirm = app.eligibility.filter(version=app.version, outcome="confirm")
        intake.decide_qualification(
            actor=b_office,
            application=app,
            accept=True,
            reason="乙方受理：符合申报条件。",
            confirmed=list(to_confirm.values_list("rule", flat=True)),  # the Office checked
        )
        app.refresh_from_db()
    pool, users = [], []
    for n in range(3):
        user = make_user(Role.EXPERT, username=f"b_expert{n}")
        pool.append(
            _expert(
                b_office,
                user,
                id_number(f"32990119750101{n}01"),
                ["乙专家一", "乙专家二", "乙专家三"][n],
                f"乙评审单位{n}",
            )
        )
        users.append(User.objects.get(pk=user.pk))
    groups = {}
    for app, stage in (
        (application, "material_review"),
        (individual_application, "material_review"),
        (application, "site_review"),
    ):
        group = experts.open_group(actor=b_office, application=app, stage=stage)
        for expert in pool:
            experts.assign_manually(actor=b_office, group=group, expert=expert, reason="测试分组")
        experts.set_leader(
            actor=b_office,
            group=group,
            expert=pool[0],
            supervisor=b_supervisor if stage == "site_review" else None,
        )
        groups[(app.pk, stage)] = group
    experts.set_code_of_conduct(actor=b_office, cycle=cycle, text="一、公正评审（示例市）。")
    for user in users:
        experts.acknowledge(actor=user, cycle=cycle)
        for app in (application, individual_application):
            experts.confirm_no_conflict(actor=user, application=app)

    # --- the review through the services: material review of both (three cards, the leader's
    # consensus), the organization's site visit, the evaluation ---------------------------------
    time_machine.move_to(MATERIAL_DAY, tick=False)
    review.open_phase(actor=b_office, cycle=cycle, stage="material_review")
    cards = {
        key: _agree(review, users, pool, group, cycle)
        for key, group in groups.items()
        if key[1] == "material_review"
    }
    time_machine.move_to(SITE_DAY, tick=False)
    site = groups[(application.pk, "site_review")]
    review.schedule_site_visit(
        actor=b_office,
        group=site,
        starts_on=SITE_DAY.date(),
        ends_on=SITE_DAY.date() + dt.timedelta(days=1),
        place=B_ORGANIZATION,
    )
    review.open_phase(actor=b_office, cycle=cycle, stage="site_review")
    _agree(review, users, pool, site, cycle)
    time_machine.move_to(EVALUATION_DAY, tick=False)
    review.evaluate(actor=b_office, cycle=cycle)
    application.refresh_from_db()
    individual_application.refresh_from_db()
    group = groups[(application.pk, "material_review")]

    # --- the list: approved, in notice (an objection), announced ---------------------------------
    time_machine.move_to(COMMITTEE_DAY, tick=False)
    proposal = decision.save_proposal(
        actor=b_office,
        cycle=cycle,
        entries=[(application, "award"), (individual_application, "award")],
    )
    decision.record_approval(
        actor=b_office,
        proposal=proposal,
        body="committee",
        decided_on=dt.date(2026, 11, 6),
        reference="示例市质量发展委员会2026年第1次全体会议",
        attendees="委员9人",
        resolution="同意，报示例市人民政府批准。",
        attachments=[("乙方会议纪要.pdf", PDF)],
    )
    decision.record_approval(
        actor=b_office,
        proposal=proposal,
        body="government",
        decided_on=dt.date(2026, 11, 9),
        reference="示政复〔2026〕7号",
    )
    time_machine.move_to(NOTICE_DAY, tick=False)
    proposal.refresh_from_db()
    proposal = decision.publish_notice(
        actor=b_office, proposal=proposal, starts_on=dt.date(2026, 11, 25)
    )
    objection = decision.file_objection(
        proposal=proposal,
        name="乙异议人",
        identity="示例市居民",
        contact="13900000001",
        content=B_OBJECTION,
        evidence=[("乙方证据.pdf", PDF)],
    )
    objection = decision.decide_objection(
        actor=b_office,
        objection=objection,
        outcome="dismissed",
        findings="乙方核查情况：经核查，异议不成立。",
        reply="经核查，异议不成立。",
    )
    time_machine.move_to(ANNOUNCE_DAY, tick=False)
    decision.close_notice(actor=b_office, proposal=proposal)
    awards = decision.announce(
        actor=b_office,
        proposal=proposal,
        announced_on=ANNOUNCE_DAY.date(),
        document_number="示政发〔2026〕9号",
    )
    award = next(a for a in awards if a.application_id == application.pk)
    certificate = Certificate.objects.get(award=award)
    from decision.jobs import ref

    # Queued by the announcement for its commit (which a test's transaction never reaches).
    certificate_job = Job.objects.filter(ref=ref(certificate.number)).first()
    from desk import archive

    cycle.refresh_from_db()
    archive.create(actor=b_office, cycle=cycle)  # 年度归档 of B's closed year

    # --- supervision: a case on B's award, a supervisor's note; an export job of B's Office ---
    time_machine.move_to(WALK_DAY, tick=False)
    case = supervision.open_case(
        actor=b_office,
        award=award,
        source="complaint",
        what_happened=B_CASE,
        confirmed_on=WALK_DAY.date(),
    )
    note = supervision.add_note(actor=b_supervisor, text=B_NOTE, cycle=cycle)
    # A fraud sanction on the second organization: on B's credit list, not A's (A29.1).
    supervision.sanction_fraud(
        actor=b_office,
        application=submitted,
        kinds=["credit"],
        reason="乙方弄虚作假",
        decided_on=WALK_DAY.date(),
        decision_ref="示政处〔2026〕1号",
    )
    export_job = exports.queue(user=b_office, export=exports.EXPORTS["applications"], params={})
    application.refresh_from_db()
    return World(
        a=a_cycle.program,
        a_cycle=a_cycle,
        a_application=a_application,
        b=b,
        cycle=cycle,
        unit=unit,
        office=b_office,
        supervisor=b_supervisor,
        applicant=applicant,
        organization=organization,
        person=person,
        application=application,
        individual_application=individual_application,
        submitted=submitted,
        attachment=application.attachments.get(),
        announcement=announcement,
        experts=pool,
        expert_users=users,
        group=group,
        assignment=Assignment.objects.get(group=group, expert=pool[0], removed_at__isnull=True),
        scorecard=cards[(application.pk, "material_review")],
        recusal=recusal,
        proposal=proposal,
        awards=list(awards),
        certificate=certificate,
        objection=objection,
        case=case,
        note=note,
        export_job=export_job,
        certificate_job=certificate_job,
        personas=personas,
        a_expert=a_expert,
    )
