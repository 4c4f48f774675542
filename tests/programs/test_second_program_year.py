"""The second program's year through the API only (issue 18 part 4).

The fictitious 示例市市长质量奖 (data/programs/shili-demo.yaml), whose Measures differ from
Rugao's in every number: quotas 3/3/2 (Rugao 2/3/2), organizations scored 40% material and 60%
on site (Rugao 30/70), a notice of 7 working days (Rugao 5), a 市长质量奖 bonus of 300,000 yuan
(Rugao 200,000) and a 4-year wait before a winner applies again (Rugao 3). Its Office, committee
member, supervisor and recommending units' reviewers hold their roles in 示例市; its experts come
from the pool. Everything after that setup (what a deployment's administrator does before a
year: the pack, the accounts, the pool) goes through /api/v1 with bearer tokens, in the order of
the year (docs/workflow.md): the call, registration, applications, recommendation, 资格审查,
groups, scorecards, consensus, the site visits, the evaluation, the list, the approvals, the
notice, the announcement with its bonuses, and a winner's application refused inside the wait.
Each of the pack's numbers is asserted where the API's answers show it; and Rugao's staff
(the `personas`, in the default program beside) reach none of it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import RecommendingUnit, Role, RoleAssignment
from experts import services as experts
from experts.models import Expert
from lib import uscc
from lib.tenancy import using_program
from programs import packs
from programs.models import AwardProgram
from programs.services import load_program
from tests.conftest import PASSWORD, api_call, api_client
from tests.experts.test_pool import QUALIFIED
from tests.intake.conftest import complete_form

CST = dt.timezone(dt.timedelta(hours=8))
PACK = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"

# 示例市's 2026 (A11.1): the notice holds 7 working days, 11-25 (Wed) to 12-03 (Thu).
STAGES = {
    "application": ("2026-03-02", "2026-04-30"),
    "qualification": ("2026-05-06", "2026-05-29"),
    "material_review": ("2026-06-01", "2026-07-10"),
    "site_review": ("2026-07-13", "2026-09-11"),
    "evaluation": ("2026-09-14", "2026-10-16"),
    "committee_review": ("2026-10-19", "2026-11-13"),
    "notice": ("2026-11-25", "2026-12-03"),
    "approval": ("2026-12-04", "2026-12-31"),
}


def _uscc(first17: str) -> str:
    return first17 + uscc.check_character(first17)


@dataclass(frozen=True)
class Org:
    name: str
    username: str
    unit: str
    code: str  # 统一社会信用代码: characters 3-8 are 示例市's division code 329901
    material: int  # the experts' percent on every item: 10 x percent points
    site: int


ORGS = [
    Org(
        "示例市精工机械有限公司",
        "sl_jinggong",
        "示例市东城街道",
        _uscc("91329901MA1XL0001"),
        80,
        70,
    ),
    Org(
        "示例市临江电子有限公司", "sl_linjiang", "示例市临江镇", _uscc("91329901MA1XL0002"), 60, 80
    ),
    Org(
        "示例市青山新材料有限公司",
        "sl_qingshan",
        "示例市东城街道",
        _uscc("91329901MA1XL0003"),
        65,
        75,
    ),
    Org("示例市东城纺织有限公司", "sl_fangzhi", "示例市临江镇", _uscc("91329901MA1XL0004"), 60, 70),
]
PEOPLE = [
    {
        "name": "林静",
        "id_number": "320682198503150026",
        "recommending_unit": "示例市东城街道",
        "position": "cqo",
        "quality_work_years": 12,
        "employer_name": "示例市精工机械有限公司",
        "username": "sl_linjing",
        "password": PASSWORD,
        "email": "sl_linjing@example.com",
        "privacy_consent": True,
        "sensitive_consent": True,
    },
]
PEOPLE.append(
    PEOPLE[0]
    | {
        "name": "周岚",
        "id_number": "320682197802020024",
        "employer_name": "示例市临江电子有限公司",
        "username": "sl_zhoulan",
        "email": "sl_zhoulan@example.com",
    }
)
PERSON_PERCENTS = [70, 65]  # both above 示例市's 600 points for the award (A19.1)
EXPERT_NAMES = ["冯立", "陈卫", "褚青", "卫东", "蒋涛", "沈红", "韩梅"]
EXPERT_IDS = [
    "320682197501010017",
    "320682198002020020",
    "320682197904120034",
    "320682196912120013",
    "320682197206060038",
    "320682197808080044",
    "320682196611110057",
]


@dataclass
class Year:
    """The clock and the callers' tokens (a token is issued afresh after the clock moves: it
    lives 8 hours, and the approvals want a recent second factor)."""

    time_machine: Any
    program: str = "shili"
    tokens: dict[str, Any] = field(default_factory=dict)

    def at(self, day: str, hour: int = 10) -> None:
        y, m, d = (int(p) for p in day.split("-"))
        self.time_machine.move_to(dt.datetime(y, m, d, hour, tzinfo=CST), tick=False)
        self.tokens.clear()

    def call(self, who: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        if who not in self.tokens:
            self.tokens[who] = api_client(who)
        response = api_call(self.tokens[who], method, path, body)
        assert response.status_code == status, (method, path, response.content.decode())
        return response.json() if response.content else None

    def public(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(Client(), method)(f"/api/v1{path}", **kwargs)
        assert response.status_code == status, (method, path, response.content.decode())
        return response.json()


def _setup(make_user: Any) -> AwardProgram:
    """What precedes the year: 示例市's pack loaded beside Rugao's (its own units), its staff
    holding their roles in 示例市 only, and experts of the shared pool."""
    pack, sha256 = packs.read(PACK)
    load_program(pack=pack, source="data/programs/shili-demo.yaml", sha256=sha256)
    program = AwardProgram.objects.get(slug="shili")
    with using_program(program):
        office = make_user(Role.OFFICE, username="sl_office")
        make_user(Role.COMMITTEE, username="sl_committee")
        make_user(Role.SUPERVISOR, username="sl_supervisor")
        for username, unit in (
            ("sl_dongcheng", "示例市东城街道"),
            ("sl_linjiangzhen", "示例市临江镇"),
        ):
            make_user(
                Role.RECOMMENDER,
                username=username,
                unit=RecommendingUnit.objects.get(program=program, name=unit),
            )
        for n, (name, id_number) in enumerate(zip(EXPERT_NAMES, EXPERT_IDS, strict=True)):
            expert = experts.save_expert(
                actor=office,
                id_number=id_number,
                **(
                    QUALIFIED | {"name": name, "practice_years": 10 + n, "industries": ["34", "39"]}
                ),
                employments=[{"employer_name": f"省质量技术服务中心第{n + 1}部"}],
            )
            Expert.objects.filter(pk=expert.pk).update(
                user=make_user(Role.EXPERT, username=f"sl_expert{n}")
            )
    assert set(
        RoleAssignment.objects.filter(user=office).values_list("program__slug", flat=True)
    ) == {"shili"}
    return program


def _register(year: Year, n: int, org: Org) -> None:
    """An organization of 示例市 registers itself (public), then confirms the mailed code."""
    client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
    body = {
        "uscc": org.code,
        "name": org.name,
        "recommending_unit": org.unit,
        "username": org.username,
        "password": PASSWORD,
        "contact_name": "联系人",
        "email": f"{org.username}@example.com",
        "industry_code": "34",
        "established_on": "2012-05-01",
        "is_industrial": True,
        "environmental_rating": "green",
        "chief_quality_officer": "质量官",
        "privacy_consent": True,
    }
    sent = client.post(
        "/api/v1/registrations/organization", json.dumps(body), content_type="application/json"
    )
    assert sent.status_code == 200, sent.content.decode()
    _confirm(client, org.username, f"{org.username}@example.com")


def _confirm(client: Client, username: str, email: str) -> None:
    text = next(str(m.body) for m in mail.outbox if m.to == [email])
    code = re.search(r"验证码为(\d{6})", text)
    assert code is not None
    done = client.post(
        "/api/v1/registrations/confirm",
        json.dumps({"username": username, "code": code[1]}),
        content_type="application/json",
    )
    assert done.status_code == 201, done.content.decode()


def _apply(year: Year, who: str, cycle: str, kind: str, **form: Any) -> str:
    started = year.call(who, "post", "/applications", {"cycle": cycle, "kind": kind}, status=201)
    saved = year.call(
        who, "put", f"/applications/{started['id']}/form", complete_form(kind, **form)
    )
    assert saved["draft_errors"] == {}, saved["draft_errors"]
    submitted = year.call(who, "post", f"/applications/{started['id']}/submit")
    assert submitted["state"] == "submitted"
    return str(started["id"])


def _accept(year: Year, application: str) -> dict[str, Any]:
    """资格审查: the Office reads the eligibility report and accepts, confirming each rule the
    report leaves to the Office (A16.1)."""
    report = year.call("sl_office", "get", f"/applications/{application}/eligibility")
    assert [f for f in report if f["outcome"] == "fail"] == [], report
    confirm = [f["rule"] for f in report if f["outcome"] == "confirm"]
    return year.call(  # type: ignore[no-any-return]
        "sl_office",
        "post",
        f"/applications/{application}/accept",
        {"reason": "材料齐全，符合申报条件", "confirmed": confirm},
    )


def _groups(year: Year, cycle: str, stage: str) -> list[dict[str, Any]]:
    """The Office proposes the stage's groups (the solver) and names each group's leader (the
    first member) and, on site, the supervisor."""
    year.call("sl_office", "post", f"/cycles/{cycle}/groups/propose", {"stage": stage})
    groups = year.call("sl_office", "get", f"/cycles/{cycle}/groups?stage={stage}&page_size=100")
    for group in groups["results"]:
        assert len(group["members"]) == 3  # experts.group_size of the pack
        body: dict[str, Any] = {"leader": group["members"][0]["expert_id"]}
        if stage == "site_review":
            body["supervisor"] = "sl_supervisor"
        year.call("sl_office", "post", f"/groups/{group['id']}/leader", body)
    return groups["results"]  # type: ignore[no-any-return]


def _seats(year: Year) -> dict[str, list[dict[str, Any]]]:
    """Each expert's seats as `GET /assignments` lists them."""
    return {
        f"sl_expert{n}": year.call(f"sl_expert{n}", "get", "/assignments")
        for n in range(len(EXPERT_NAMES))
    }


def _score(
    year: Year, seats: dict[str, list[dict[str, Any]]], stage: str, percent: dict[str, int]
) -> None:
    """Every member scores every item of the rubric at the application's percent and submits;
    each leader then confirms the same percents as the group's consensus."""
    leaders: list[tuple[str, str]] = []
    for who, mine in seats.items():
        for seat in mine:
            if seat["stage"] != stage:
                continue
            base = f"/applications/{seat['application']}/{stage}"
            rubric = year.call(who, "get", f"{base}/rubric")
            scores = {
                item["code"]: {
                    "percent": percent[seat["application"]],
                    "strengths": f"{item['name']}做法系统",
                    "opportunities": "",
                }
                for item in rubric["items"]
            }
            card = year.call(who, "put", f"{base}/scorecard", {"revision": 0, "scores": scores})
            assert Decimal(card["points"]) == Decimal(10 * percent[seat["application"]])
            year.call(who, "post", f"{base}/scorecard/submit")
            if seat["leader"]:
                leaders.append((who, seat["application"]))
    for who, application in leaders:
        base = f"/applications/{application}/{stage}"
        rubric = year.call(who, "get", f"{base}/rubric")
        items = {
            item["code"]: {
                "percent": percent[application],
                "strengths": "一致",
                "opportunities": "",
            }
            for item in rubric["items"]
        }
        agreed = year.call(
            who,
            "put",
            f"{base}/consensus",
            {"revision": 0, "items": items, "comment": "专家组一致意见", "final": True},
        )
        assert Decimal(agreed["score"]) == Decimal(10 * percent[application])


@pytest.mark.req("A5.1", "A5.2", "A10.2", "A20.1", "A21.1", "A24.1")
def test_shili_runs_its_year_through_the_api_with_its_own_numbers(
    program: AwardProgram, personas: dict[str, Any], make_user: Any, time_machine: Any
) -> None:
    """`program` is Rugao's, the default program, with its personas (`p_office` …)."""
    year = Year(time_machine)
    year.at("2026-02-24")
    _setup(make_user)

    # --- the Measures' numbers as the API publishes them ----------------------------------------
    # Rugao's (the default program's) beside them, for the contrast.
    [rugao] = year.public("get", "/policies")
    assert (rugao["program"], rugao["weight_material_organization"]) == ("rugao", 30)
    assert (rugao["notice_working_days"], rugao["bonus_organization_award"]) == (5, 200_000)
    [policy] = year.public("get", "/policies?program=shili")
    assert policy["program"] == "shili"
    assert (
        policy["quota_organization_award"],
        policy["quota_organization_nomination"],
        policy["quota_individual_award"],
    ) == (3, 3, 2)
    assert (policy["weight_material_organization"], policy["weight_site_organization"]) == (40, 60)
    assert policy["notice_working_days"] == 7
    assert policy["bonus_organization_award"] == 300_000
    assert policy["reapply_gap_years"] == 4

    # --- the call (A11.1, A15.1): Rugao's 5-working-day notice is too short here (A20.1) -------
    cycle = year.call("sl_office", "post", "/cycles", {"year": 2026}, status=201)
    assert cycle["program"] == "shili"
    cycle_id = cycle["id"]
    dates = {s: {"starts_on": a, "ends_on": b} for s, (a, b) in STAGES.items()}
    short = dates | {"notice": {"starts_on": "2026-11-25", "ends_on": "2026-12-01"}}
    refused = year.call(
        "sl_office", "put", f"/cycles/{cycle_id}/dates", {"stages": short}, status=400
    )
    assert refused["article"] == "A20.1"
    assert "7个工作日" in refused["message"]
    year.call("sl_office", "put", f"/cycles/{cycle_id}/dates", {"stages": dates})
    call = year.call("sl_office", "post", f"/cycles/{cycle_id}/publish")
    assert "示例市市长质量奖" in call["title"]

    # --- registration and applications (A12, A15.2) ---------------------------------------------
    year.at("2026-03-03")
    for n, org in enumerate(ORGS):
        _register(year, n, org)
    for n, registrant in enumerate(PEOPLE):
        person_client = Client(REMOTE_ADDR=f"10.0.1.{n + 1}")
        sent = person_client.post(
            "/api/v1/registrations/individual",
            json.dumps(registrant),
            content_type="application/json",
        )
        assert sent.status_code == 200, sent.content.decode()
        _confirm(person_client, str(registrant["username"]), str(registrant["email"]))
    applications = {
        org.username: _apply(year, org.username, cycle_id, "organization") for org in ORGS
    }
    people = [_apply(year, str(p["username"]), cycle_id, "individual") for p in PEOPLE]
    individual = people[0]
    region = year.call(
        ORGS[0].username, "get", f"/applications/{applications[ORGS[0].username]}/eligibility"
    )
    assert any("329901" in f["message"] for f in region if f["rule"] == "a12_1_region")

    # --- recommendation (A15.3): each unit's reviewer signs for its own applicants --------------
    year.at("2026-04-20")
    reviewer = {"示例市东城街道": "sl_dongcheng", "示例市临江镇": "sl_linjiangzhen"}
    for org in ORGS:
        done = year.call(
            reviewer[org.unit],
            "post",
            f"/applications/{applications[org.username]}/recommend",
            {"text": "同意推荐。"},
        )
        assert done["state"] == "recommended"
    for person in people:
        year.call(
            "sl_dongcheng", "post", f"/applications/{person}/recommend", {"text": "同意推荐。"}
        )

    # --- 资格审查 (A16.1) -------------------------------------------------------------------------
    year.at("2026-05-11")
    for application in [*applications.values(), *people]:
        assert _accept(year, application)["state"] == "accepted"

    # --- groups, code of conduct, conflicts (A6.3, A17.1, A26.1) -----------------------------
    year.at("2026-05-25")
    year.call(
        "sl_office",
        "put",
        f"/cycles/{cycle_id}/code-of-conduct",
        {"text": "评审专家应当客观公正，遵守回避和保密规定。"},
    )
    material_groups = _groups(year, cycle_id, "material_review")
    assert len(material_groups) == 6
    site_groups = _groups(year, cycle_id, "site_review")
    assert len(site_groups) == 4  # organizations only (A10.3)
    for n in range(len(EXPERT_NAMES)):
        year.call(f"sl_expert{n}", "post", f"/cycles/{cycle_id}/acknowledge", status=201)
    seats = _seats(year)
    for who, mine in seats.items():
        for application in {s["application"] for s in mine}:
            year.call(who, "post", f"/applications/{application}/confirm-no-conflict", status=201)

    # --- material review (A17.1) ---------------------------------------------------------------
    year.at("2026-06-02")
    year.call("sl_office", "post", f"/cycles/{cycle_id}/phases/material_review/open", {})
    material = {applications[o.username]: o.material for o in ORGS} | dict(
        zip(people, PERSON_PERCENTS, strict=True)
    )
    _score(year, _seats(year), "material_review", material)

    # --- site review: visits scheduled, scored, recorded, supervised; feedback (A17, A27, A28) --
    year.at("2026-07-14")
    for n, org in enumerate(ORGS):
        year.call(
            "sl_office",
            "put",
            f"/applications/{applications[org.username]}/site-visit",
            {
                "starts_on": f"2026-07-{20 + 2 * n}",
                "ends_on": f"2026-07-{21 + 2 * n}",
                "place": org.name,
            },
        )
    year.call("sl_office", "post", f"/cycles/{cycle_id}/phases/site_review/open", {})
    year.at("2026-07-28")
    site = {applications[o.username]: o.site for o in ORGS}
    seats = _seats(year)
    _score(year, seats, "site_review", site)
    for who, mine in seats.items():
        for seat in mine:
            if seat["stage"] == "site_review" and seat["leader"]:
                year.call(
                    who,
                    "post",
                    f"/applications/{seat['application']}/site-visit/record",
                    {"items_verified": "核查了评价准则各项", "interviews": "访谈高层领导和员工"},
                )
    for org in ORGS:
        year.call(
            "sl_supervisor",
            "post",
            f"/applications/{applications[org.username]}/site-visit/report",
            {"group_conduct": "遵守评审纪律", "applicant_conduct": "配合评审，无请托"},
        )
        year.call(
            org.username,
            "post",
            f"/applications/{applications[org.username]}/feedback",
            {"direction": "of_group", "work_quality": 5, "integrity": 5, "discipline": 5},
            status=201,
        )

    # --- the evaluation: 0.4 material + 0.6 on site (A10.2), individuals material alone --------
    year.at("2026-09-15")
    ranked = year.call("sl_office", "post", f"/cycles/{cycle_id}/evaluate")
    by_id = {e["application"]: e for e in ranked}
    for org in ORGS:
        e = by_id[applications[org.username]]
        assert Decimal(e["material_score"]) == 10 * org.material
        assert Decimal(e["site_score"]) == 10 * org.site
        assert (
            Decimal(e["final_score"])
            == Decimal("0.4") * 10 * org.material + Decimal("0.6") * 10 * org.site
        )
    for person, percent in zip(people, PERSON_PERCENTS, strict=True):
        assert Decimal(by_id[person]["final_score"]) == 10 * percent
    organizations = sorted(
        (e for e in ranked if e["kind"] == "organization"), key=lambda e: e["rank"]
    )
    best = [e["application"] for e in organizations]
    # The weights decide the order: at 40/60 精工 (80/70: 740) leads 临江 (60/80: 720); at
    # Rugao's 30/70 临江 would lead (740 to 730).
    assert [e["applicant"] for e in organizations] == [o.name for o in ORGS]
    assert [e["final_score"] for e in organizations] == ["740.00", "720.00", "710.00", "660.00"]
    committee_view = year.call("sl_committee", "get", f"/cycles/{cycle_id}/evaluations")
    assert committee_view["count"] == 6

    # --- the list (A5.2, A19.1): a 4th 市长质量奖 exceeds the quota of 3 -------------------------
    year.at("2026-11-02")
    proposal = f"/cycles/{cycle_id}/proposal"
    four = {"entries": [{"application": a, "level": "award"} for a in best]}
    over = year.call("sl_office", "put", proposal, four, status=400)
    assert over["article"] == "A5.2"
    assert "超过名额3个" in over["message"]
    # Rugao's quotas (2/2/1) would refuse three 提名奖 and a second individual; 示例市's take them.
    nominations = [
        {"application": best[0], "level": "award"},
        *({"application": a, "level": "nomination"} for a in best[1:]),
        *({"application": p, "level": "award"} for p in people),
    ]
    saved = year.call("sl_office", "put", proposal, {"entries": nominations})
    assert [e["level"] for e in saved["entries"]].count("nomination") == 3
    entries = [
        *({"application": a, "level": "award"} for a in best[:3]),
        {"application": best[3], "level": "nomination"},
        *({"application": p, "level": "award"} for p in people),
    ]
    saved = year.call("sl_office", "put", proposal, {"entries": entries})
    assert sorted(e["level"] for e in saved["entries"]) == ["award"] * 5 + ["nomination"]
    year.at("2026-11-06")
    year.call(
        "sl_office",
        "post",
        f"{proposal}/approvals",
        {
            "body": "committee",
            "decided_on": "2026-11-06",
            "reference": "示例市质量发展委员会2026年第2次全体会议",
            "attendees": "委员9人",
            "resolution": "同意拟奖名单，报市政府批准。",
        },
        status=201,
    )
    year.at("2026-11-10")
    approved = year.call(
        "sl_office",
        "post",
        f"{proposal}/approvals",
        {"body": "government", "decided_on": "2026-11-10", "reference": "示政复〔2026〕18号"},
        status=201,
    )
    assert approved["state"] == "government_approved"
    assert year.call("sl_committee", "get", proposal)["state"] == "government_approved"

    # --- the notice: 7 working days from Wednesday 11-25 end on Thursday 12-03 (A20.1) --------
    year.at("2026-11-25", hour=9)
    noticed = year.call("sl_office", "post", f"{proposal}/notice", {"starts_on": "2026-11-25"})
    assert (noticed["notice_starts_on"], noticed["notice_ends_on"]) == ("2026-11-25", "2026-12-03")
    public = year.public("get", f"/notices/2026?program={year.program}")
    assert public["ends_on"] == "2026-12-03"
    assert public["open"] is True
    assert len(public["entries"]) == 6
    # A citizen's objection to 示例市's notice (A20.1), answered by 示例市's Office only.
    year.at("2026-12-01")
    entry = next(e["id"] for e in public["entries"] if e["name"] == ORGS[3].name)
    filed = year.public(
        "post",
        f"/notices/2026/objections?program={year.program}",
        {
            "name": "赵敏",
            "identity": "市民",
            "contact": "13900000001",
            "content": "该单位曾有投诉未处理",
            "entry": entry,
        },
        status=201,
    )
    receipt = filed["receipt"]
    decide = {
        "outcome": "dismissed",
        "findings": "经核查不属实",
        "reply": "经核查，反映情况不属实。",
    }
    rugao_office = api_client("p_office")
    assert (
        api_call(rugao_office, "post", f"/objections/{receipt}/decide", decide).status_code == 404
    )
    [objection] = year.call("sl_office", "get", f"/cycles/{cycle_id}/objections")
    assert objection["receipt"] == receipt
    answered = year.call("sl_office", "post", f"/objections/{receipt}/decide", decide)
    assert answered["outcome"] == "dismissed"
    year.at("2026-12-03", hour=16)
    assert year.public("get", f"/notices/2026?program={year.program}")["open"] is True
    year.at("2026-12-04", hour=9)
    assert year.public("get", f"/notices/2026?program={year.program}")["open"] is False

    # --- the announcement: awards and their bonuses (A21.1: 300,000 / 150,000 / 50,000) -------
    year.at("2026-12-10")
    year.call("sl_office", "post", f"{proposal}/notice/close")
    awards = year.call(
        "sl_office",
        "post",
        f"{proposal}/announce",
        {"announced_on": "2026-12-10", "document_number": "示政发〔2026〕66号"},
        status=201,
    )
    due = sorted((a["level"], a["due"]) for a in awards)
    assert due == sorted(
        [("award", 300_000)] * 3 + [("nomination", 150_000)] + [("award", 50_000)] * 2
    )
    ledger = year.call("sl_office", "get", "/awards")
    winner = next(a for a in ledger if a["holder"] == ORGS[0].name)
    assert (winner["due"], winner["outstanding"]) == (300_000, 300_000)
    year.at("2026-12-28")
    paid = year.call(
        "sl_office",
        "post",
        f"/awards/{winner['id']}/bonus-payments",
        {"kind": "payment", "amount": 300_000, "on": "2026-12-28", "voucher": "示财拨〔2026〕9号"},
        status=201,
    )
    assert (paid["paid"], paid["outstanding"]) == (300_000, 0)
    verified = year.public("get", f"/certificates/{winner['certificate']}?program=shili")
    assert verified["valid"] is True
    year.public("get", f"/certificates/{winner['certificate']}", status=404)  # not Rugao's

    # --- Rugao's staff, beside: nothing of 示例市 (decision 0030: 404, empty lists) ----------
    rugao = [f"/cycles/{cycle_id}/{p}" for p in ("proposal", "evaluations", "objections", "draws")]
    rugao += [
        f"/cycles/{cycle_id}/groups",
        f"/applications/{individual}",
        f"{proposal}/../proposal",
    ]
    for who in ("p_office", "p_supervisor", "p_committee"):
        for path in rugao:
            caller = api_client(who)
            status = api_call(caller, "get", path).status_code
            # 404; a 403 only where an id of nothing gets it too (the role's refusal).
            nothing = re.sub(r"[0-9a-f-]{36}", "00000000-0000-4000-8000-00000000abcd", path)
            assert status == 404 or status == api_call(caller, "get", nothing).status_code == 403, (
                who,
                path,
                status,
            )
    office_a = api_client("p_office")
    assert api_call(office_a, "get", "/applications").json()["count"] == 0
    assert api_call(office_a, "get", "/awards").json() == []
    assert api_call(api_client("p_recommender"), "get", "/applications").json()["count"] == 0
    writes: list[tuple[str, str, Any]] = [
        ("put", proposal, {"entries": []}),
        ("post", f"/cycles/{cycle_id}/evaluate", None),
        (
            "post",
            f"/awards/{winner['id']}/bonus-payments",
            {"kind": "recovery", "amount": 1, "on": "2026-12-28"},
        ),
        ("post", f"/applications/{individual}/withdraw", {"text": "x"}),
    ]
    for method, path, body in writes:
        response = api_call(office_a, method, path, body)
        assert response.status_code == 404, (method, path, response.content.decode())
    # Staff name only a program they hold a role in (?program=); the public notice of 2026 is
    # each program's: Rugao's (the default) has none.
    assert api_call(office_a, "get", f"{proposal}?program=shili").status_code == 404
    year.public("get", "/notices/2026", status=404)

    # --- the wait (A24.1): a winner of 2026 may apply again from 2030-12-10, 4 full years -----
    year.at("2027-01-05")
    year.call(
        "sl_office",
        "post",
        "/calendar-overrides",
        {
            "year": 2027,
            "notice_ref": "测试数据（非官方2027年安排）",
            "days": [{"day": "2027-01-01", "is_workday": False, "name": "元旦"}],
        },
        status=201,
    )
    later = year.call("sl_office", "post", "/cycles", {"year": 2027}, status=201)
    later_dates = {
        s: {"starts_on": a.replace("2026", "2027"), "ends_on": b.replace("2026", "2027")}
        for s, (a, b) in STAGES.items()
    }
    later_dates["notice"] = {"starts_on": "2027-11-24", "ends_on": "2027-12-02"}
    later_dates["approval"] = {"starts_on": "2027-12-03", "ends_on": "2027-12-31"}
    year.call("sl_office", "put", f"/cycles/{later['id']}/dates", {"stages": later_dates})
    year.call("sl_office", "post", f"/cycles/{later['id']}/publish")
    year.at("2027-03-03")
    figures = [
        {"year": y, "revenue": "56000.00", "profit": "4300.00", "tax": "2400.00"}
        for y in (2025, 2026)  # the pack's look-back of 2 years (A12.4)
    ]
    again = _apply(year, ORGS[0].username, later["id"], "organization", figures=figures)
    report = year.call(ORGS[0].username, "get", f"/applications/{again}/eligibility")
    wait = next(f for f in report if f["article"] == "A24.1")
    assert wait["outcome"] == "fail"
    assert "未满4年，2030年12月10日起方可重新申报" in wait["message"]
    year.at("2027-04-20")
    year.call("sl_dongcheng", "post", f"/applications/{again}/recommend", {"text": "同意推荐。"})
    year.at("2027-05-11")
    refused = year.call(
        "sl_office",
        "post",
        f"/applications/{again}/accept",
        {"reason": "材料齐全", "confirmed": []},
        status=400,
    )
    assert (refused["code"], refused["article"]) == ("ineligible", "A24.1")
    rejected = year.call(
        "sl_office",
        "post",
        f"/applications/{again}/reject",
        {"reason": "获市长质量奖未满4年", "articles": ["A24.1"]},
    )
    assert rejected["state"] == "not_accepted"
