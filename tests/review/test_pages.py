"""The review pages of experts, group leaders, supervisors and applicants: the scorecard with its
autosave (A17.1), the leader's consensus and matrix, the site visit (A17.1, A27.1) and the
two-way feedback (A28.1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from stdnum.cn import ric

from accounts.models import Role, User
from audit.models import AuditEvent
from desk.selectors import todos
from experts import services as experts
from experts.models import Expert
from intake.models import Application
from review import services
from review.models import Consensus, Feedback, ReviewPhase, Scorecard, SiteVisit
from tests.conftest import client_for
from tests.experts.test_pool import QUALIFIED
from tests.review.conftest import (
    SITE_DAY,
    World,
    agree,
    full_scores,
    rubric_of,
    score_and_submit,
    through_evaluation,
)

HTMX = {"HX-Request": "true"}
MATERIAL = "material_review"
SITE = "site_review"


def _url(name: str, application: Application, stage: str | None = None) -> str:
    args: list[Any] = [application.public_id] + ([stage] if stage else [])
    return reverse(f"review:{name}", args=args)


def _open(world: World, stage: str = MATERIAL) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=stage)


def _post_card(world: World, application: Application, **over: str) -> dict[str, str]:
    """The scorecard form as the page posts it: every item, with `over` by field name."""
    data = {"revision": "0", "summary": ""}
    for item in rubric_of(world, application).items.all():
        data[f"percent-{item.code}"] = ""
        data[f"strengths-{item.code}"] = ""
        data[f"opportunities-{item.code}"] = ""
    return data | over


def _full_post(
    world: World, application: Application, percent: int, revision: int
) -> dict[str, str]:
    data = {"revision": str(revision), "summary": "总体良好。"}
    for item in rubric_of(world, application).items.all():
        data[f"percent-{item.code}"] = str(percent)
        data[f"strengths-{item.code}"] = f"{item.name}有系统方法。"
        data[f"opportunities-{item.code}"] = ""
    return data


def _site_ready(world: World, time_machine: Any) -> SiteVisit:
    """Material review agreed for the organization, its site visit scheduled and open."""
    _open(world)
    agree(world, world.organization, (50, 60, 70))
    time_machine.move_to(SITE_DAY, tick=False)
    visit = services.schedule_site_visit(
        actor=world.office,
        group=world.group(world.organization, SITE),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="如皋示例机械有限公司",
    )
    _open(world, SITE)
    return visit


def _record(world: World, visit: SiteVisit) -> None:
    services.record_site_visit(
        actor=world.users[0], visit=visit, items_verified="4.1.2 高层领导的作用：已核实。"
    )


# --- the scorecard ----------------------------------------------------------------------------


@pytest.mark.req("A17.1")
def test_the_card_shows_the_rubric_with_guidance_to_the_assigned_expert_only(
    world: World, personas: dict[str, User]
) -> None:
    _open(world)
    url = _url("card", world.organization, MATERIAL)
    page = client_for(world.users[1]).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "4.1.2" in html
    assert "高层领导的作用" in html
    assert "4.7.7" in html
    assert "A-D-L-I" in html
    assert "Le-T-C-I" in html
    assert "没有系统的方法" in html  # the lowest process band's guidance
    assert "多数领域达到卓越水平" in html  # the highest result band's guidance
    assert "评分截止：2026年" in html
    assert reverse("experts:read", args=[world.organization.public_id]) in html
    assert 'name="revision" id="card-revision" value="0"' in html
    for user in (world.office, world.supervisor, world.applicant, personas["outsider"]):
        assert client_for(user).get(url).status_code == 404
    assert (
        client_for(world.users[1]).get(_url("card", world.organization, "bogus")).status_code == 404
    )
    # The individual has no on-site review: no such group, no page.
    assert client_for(world.users[1]).get(_url("card", world.individual, SITE)).status_code == 404


def test_a_conflicted_expert_loses_the_card(world: World) -> None:
    _open(world)
    experts.declare_conflict(
        actor=world.users[2],
        application=world.organization,
        expert=world.experts[2],
        reason="relative",
        note="亲属",
    )
    response = client_for(world.users[2]).get(_url("card", world.organization, MATERIAL))
    assert response.status_code == 404


@pytest.mark.req("A17.1")
def test_the_card_says_when_scoring_is_not_open(world: World) -> None:
    page = client_for(world.users[1]).get(_url("card", world.organization, MATERIAL))
    assert page.status_code == 200
    assert "尚未开放评分" in page.content.decode()
    assert 'id="card"' not in page.content.decode()


@pytest.mark.req("A17.1")
def test_autosave_saves_and_answers_with_the_new_revision_only(world: World) -> None:
    _open(world)
    url = _url("card", world.organization, MATERIAL)
    client = client_for(world.users[1])
    data = _post_card(world, world.organization, **{"percent-4.1.2": "60", "strengths-4.1.2": "好"})
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "已自动保存" in html
    assert 'id="card-revision" value="1"' in html
    assert 'id="card-total" hx-swap-oob="true">30<' in html  # 50 points x 60%
    assert "strengths-4.1.2" not in html  # the form is never sent back
    card = Scorecard.objects.get(assignment=world.assignment(world.organization, 1))
    assert (card.revision, card.scores.get(item__code="4.1.2").percent) == (1, 60)
    assert AuditEvent.objects.filter(action="review.scorecard.save").count() == 1


@pytest.mark.req("A17.1")
def test_a_stale_autosave_is_told_and_nothing_typed_is_lost(world: World) -> None:
    _open(world)
    assignment = world.assignment(world.organization, 1)
    url = _url("card", world.organization, MATERIAL)
    client = client_for(world.users[1])
    # Another window saved first (revision 0 -> 1).
    services.save_scorecard(
        actor=world.users[1],
        assignment=assignment,
        scores={"4.1.2": {"percent": 40, "strengths": "另一窗口"}},
        revision=0,
    )
    typed = _post_card(
        world, world.organization, **{"percent-4.1.2": "80", "strengths-4.1.2": "本窗口刚写的优势"}
    )
    response = client.post(url, typed, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "已在其他窗口保存" in html
    assert "没有丢失" in html
    # The answer touches the status line and the alert only: no field, no revision, no total.
    assert "strengths-4.1.2" not in html
    assert "card-revision" not in html
    assert "card-total" not in html
    score = Scorecard.objects.get(assignment=assignment).scores.get(item__code="4.1.2")
    assert (score.percent, score.strengths) == (40, "另一窗口")
    # Without JS the page comes back with what was typed, not what is saved.
    page = client.post(url, typed)
    assert page.status_code == 409
    html = page.content.decode()
    assert "已在其他窗口保存" in html
    assert "本窗口刚写的优势" in html
    assert "另一窗口" not in html
    assert '<option value="80" selected>' in html
    assert 'id="card-revision" value="0"' in html


@pytest.mark.req("A17.1")
def test_save_draft_without_js_redirects_and_keeps_the_summary(world: World) -> None:
    _open(world)
    url = _url("card", world.organization, MATERIAL)
    client = client_for(world.users[1])
    data = _post_card(world, world.organization, summary="初步意见", **{"percent-4.2.2": "35"})
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    html = client.get(url).content.decode()
    assert "评分表草稿已保存" in html
    assert "初步意见" in html
    assert '<option value="35" selected>' in html
    bad = client.post(
        url, _post_card(world, world.organization, revision="1", **{"percent-4.2.2": "33"})
    )
    assert bad.status_code == 400
    assert "5的整数倍" in bad.content.decode()


@pytest.mark.req("A17.1")
def test_submit_lists_what_is_missing_then_locks_the_card(world: World) -> None:
    _open(world)
    url = _url("card", world.organization, MATERIAL)
    submit = _url("card_submit", world.organization, MATERIAL)
    client = client_for(world.users[1])
    partial = _post_card(
        world, world.organization, **{"percent-4.1.2": "60", "strengths-4.1.2": "好"}
    )
    response = client.post(submit, partial)
    assert response.status_code == 400
    html = response.content.decode()
    assert "评分表尚不完整（22项）" in html
    assert "4.1.3 组织治理：未评分" in html
    assert client.get(submit).status_code == 405
    card = Scorecard.objects.get(assignment=world.assignment(world.organization, 1))
    assert card.state == Scorecard.State.DRAFT
    done = client.post(submit, _full_post(world, world.organization, 60, card.revision))
    assert done.status_code == 302
    card.refresh_from_db()
    assert card.state == Scorecard.State.SUBMITTED
    html = client.get(url).content.decode()
    assert "提交，不能再修改" in html
    assert 'id="card"' not in html  # read-only
    assert "合计 600 / 1000分" in html
    assert AuditEvent.objects.filter(action="review.scorecard.submit").count() == 1


@pytest.mark.req("A17.1")
def test_an_expert_never_sees_others_scores_before_submitting(world: World) -> None:
    _open(world)
    score_and_submit(world, world.organization, 1, 70)  # 钱敏 submits first
    url = _url("card", world.organization, MATERIAL)
    client = client_for(world.users[2])
    before = client.get(url).content.decode()
    assert "钱敏" not in before
    assert "组内其他专家" not in before
    card = services.save_scorecard(
        actor=world.users[2],
        assignment=world.assignment(world.organization, 2),
        scores=full_scores(rubric_of(world, world.organization), 55),
        revision=0,
    )
    assert "钱敏" not in client.get(url).content.decode()  # a draft sees nothing either
    services.submit_scorecard(actor=world.users[2], scorecard=card)
    after = client.get(url).content.decode()
    assert "组内其他专家" in after
    assert "钱敏 70%" in after
    assert "赵强" not in after  # the leader has not submitted: nothing of theirs shown


@pytest.mark.req("A17.1")
def test_a_phase_may_keep_others_scores_hidden_even_after_submitting(world: World) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage=MATERIAL, others_visible=False)
    score_and_submit(world, world.organization, 1, 70)
    score_and_submit(world, world.organization, 2, 55)
    html = (
        client_for(world.users[2]).get(_url("card", world.organization, MATERIAL)).content.decode()
    )
    assert "钱敏" not in html
    assert "本阶段不显示组内其他专家的评分" in html


# --- the consensus ----------------------------------------------------------------------------


def _score(world: World, n: int, percent: int, **by_code: int) -> None:
    application = world.organization
    card = services.save_scorecard(
        actor=world.users[n],
        assignment=world.assignment(application, n),
        scores=full_scores(rubric_of(world, application), percent, **by_code),
        revision=0,
    )
    services.submit_scorecard(actor=world.users[n], scorecard=card)


@pytest.mark.req("A17.1")
def test_the_consensus_page_is_the_leaders(world: World, personas: dict[str, User]) -> None:
    _open(world)
    url = _url("consensus", world.organization, MATERIAL)
    page = client_for(world.users[0]).get(url)
    assert page.status_code == 200
    assert "尚有专家未提交评分表：赵强、钱敏、孙立" in page.content.decode()
    assert client_for(world.users[1]).get(url).status_code == 403
    assert client_for(world.users[1]).post(url, {"action": "save"}).status_code == 403
    for user in (world.supervisor, world.office, world.applicant, personas["outsider"]):
        assert client_for(user).get(url).status_code == 404


@pytest.mark.req("A17.1")
def test_the_matrix_flags_spread_and_proposes_the_median(world: World) -> None:
    _open(world)
    _score(world, 0, 50, **{"4_1_2": 30})
    _score(world, 1, 60, **{"4_1_2": 80})
    _score(world, 2, 70, **{"4_1_2": 45})
    html = (
        client_for(world.users[0])
        .get(_url("consensus", world.organization, MATERIAL))
        .content.decode()
    )
    # 4.1.2: 30, 80, 45 -> spread 50 > 30 flagged, median 45; 4.1.3: 50, 60, 70 -> 60.
    assert 'class="qa-matrix-item qa-flagged" id="row-4.1.2"' in html
    assert 'class="qa-matrix-item" id="row-4.1.3"' in html
    assert "超过30个百分点" in html
    flagged = html.split('id="row-4.1.2"')[1].split("</tr>")[0]
    assert "需讨论" in flagged
    assert ">50<" in flagged
    assert "51.67%" in flagged
    select = html.split('id="percent-4.1.2"')[1].split("</select>")[0]
    assert '<option value="45" selected>' in select
    select = html.split('id="percent-4.1.3"')[1].split("</select>")[0]
    assert '<option value="60" selected>' in select
    # The members' texts are consolidated, each once.
    assert "高层领导的作用方法系统。</textarea>" in html
    # The members' mean stage score: (500 - 10 + 600 + 10 + 700 - 12.5) / 3.
    assert "595.83" in html


@pytest.mark.req("A17.1")
def test_the_consensus_is_saved_then_confirmed_through_the_page(world: World) -> None:
    _open(world)
    for n, pct in enumerate((50, 60, 70)):
        _score(world, n, pct)
    url = _url("consensus", world.organization, MATERIAL)
    client = client_for(world.users[0])
    data = {"action": "save", "comment": "组内讨论一致。", "revision": "0"}
    for item in rubric_of(world, world.organization).items.all():
        data[f"percent-{item.code}"] = "65"
        data[f"strengths-{item.code}"] = "优势汇总"
        data[f"opportunities-{item.code}"] = "改进汇总"
    assert client.post(url, data).status_code == 302
    consensus = Consensus.objects.get(group=world.group(world.organization))
    assert not consensus.final
    assert consensus.items.count() == 23
    html = client.get(url).content.decode()
    assert "共识草稿已保存" in html
    assert "组内讨论一致。" in html
    assert '<option value="65" selected>' in html
    # Confirming with an item left empty is refused, and the page keeps what was posted.
    missing = data | {"action": "confirm", "percent-4.7.7": "", "comment": "第二稿"}
    refused = client.post(url, missing)
    assert refused.status_code == 400
    assert "4.7.7：未给出共识比例" in refused.content.decode()
    assert "第二稿" in refused.content.decode()
    assert client.post(url, data | {"action": "confirm", "revision": "1"}).status_code == 302
    consensus.refresh_from_db()
    assert consensus.final
    assert str(consensus.score) == "650.00"
    html = client.get(url).content.decode()
    assert "已确认" in html
    assert "650.00" in html
    assert 'name="percent-4.1.2"' not in html  # read-only
    assert "退回修改" not in html
    assert AuditEvent.objects.filter(action="review.consensus.confirm").count() == 1


@pytest.mark.req("A17.1")
def test_the_leader_returns_a_card_with_a_reason(world: World, personas: dict[str, User]) -> None:
    _open(world)
    _score(world, 1, 60)
    card = Scorecard.objects.get(assignment=world.assignment(world.organization, 1))
    url = reverse("review:reopen", args=[card.public_id])
    assert client_for(world.users[2]).post(url, {"reason": "x"}).status_code == 403
    assert client_for(personas["outsider"]).post(url, {"reason": "x"}).status_code == 404
    assert client_for(world.supervisor).post(url, {"reason": "x"}).status_code == 404
    leader = client_for(world.users[0])
    assert leader.get(url).status_code == 405
    leader.post(url, {"reason": ""})
    card.refresh_from_db()
    assert card.state == Scorecard.State.SUBMITTED  # a reason is required
    response = leader.post(url, {"reason": "4.7.2评分依据不足，请补充。"})
    assert response.status_code == 302
    assert response["Location"] == _url("consensus", world.organization, MATERIAL)
    card.refresh_from_db()
    assert card.state == Scorecard.State.DRAFT
    event = AuditEvent.objects.get(action="review.scorecard.reopen")
    assert event.reason == "4.7.2评分依据不足，请补充。"
    # The expert reads why, on the card that came back.
    page = client_for(world.users[1]).get(_url("card", world.organization, MATERIAL))
    assert "组长于" in page.content.decode()
    assert "退回了本评分表：4.7.2评分依据不足，请补充。" in page.content.decode()


def _add_expert(world: World, make_user: Any, n: int) -> None:
    """One more signed, confirmed expert in the organization's material group."""
    user = make_user(Role.EXPERT, username=f"extra{n}")
    body = f"32068219900101{n:03d}"
    expert = experts.save_expert(
        actor=world.office,
        id_number=body + ric.calc_check_digit(body + "0"),
        **(QUALIFIED | {"name": f"增补专家{n}"}),
        employments=[{"employer_name": f"增补单位{n}"}],
    )
    Expert.objects.filter(pk=expert.pk).update(user=user)
    expert.refresh_from_db()
    experts.assign_manually(
        actor=world.office, group=world.group(world.organization), expert=expert, reason="增补"
    )
    experts.acknowledge(actor=user, cycle=world.cycle)
    experts.confirm_no_conflict(actor=user, application=world.organization)
    world.experts.append(expert)
    world.users.append(User.objects.get(pk=user.pk))


def test_the_matrix_page_keeps_its_query_count(
    world: World, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    """4 items x 3 experts (the individual) and 23 items x 5 experts (the organization)."""
    for n in (3, 4):
        _add_expert(world, make_user, n)
    _open(world)
    for n in range(3):
        score_and_submit(world, world.individual, n, 60)
    for n in range(5):
        score_and_submit(world, world.organization, n, 50 + 5 * n)
    client = client_for(world.users[0])
    small = _url("consensus", world.individual, MATERIAL)
    client.get(small)
    # 16: the page's 13 (the matrix's 4 of them: members, rubric with items, scores,
    # consensus), the guard's 2 (the leader's conflicts checked on opening, A26.1: the
    # application with what is recorded for the two, the employments) and the session's
    # second-factor device (two_factor.TwoFactorGate). Was 22 (issue 17 part R), then 20
    # with detection's full read on every view (issue 17 part 3).
    with django_assert_max_num_queries(16) as few:
        client.get(small)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(_url("consensus", world.organization, MATERIAL))
    assert page.content.decode().count('class="qa-matrix-item') == 23
    assert "增补专家4" in page.content.decode()


# --- the site visit ----------------------------------------------------------------------------


@pytest.mark.req("A17.1", "A27.1")
def test_the_site_page_is_for_the_leader_and_the_supervisor_only(
    world: World, time_machine: Any, personas: dict[str, User]
) -> None:
    _site_ready(world, time_machine)
    url = _url("site", world.organization)
    leader = client_for(world.users[0]).get(url)
    assert leader.status_code == 200
    html = leader.content.decode()
    assert "2026年7月20日至2026年7月21日" in html
    assert "如皋示例机械有限公司" in html
    assert "保存现场评审记录" in html
    assert "提交监督报告" not in html
    supervisor = client_for(world.supervisor).get(url)
    assert supervisor.status_code == 200
    assert "提交监督报告" in supervisor.content.decode()
    assert "专家组组长尚未填写现场评审记录" in supervisor.content.decode()
    for user in (world.users[1], world.applicant, world.office, personas["outsider"]):
        assert client_for(user).get(url).status_code == 404
    assert client_for(world.users[0]).get(_url("site", world.individual)).status_code == 404


@pytest.mark.req("A17.1", "A27.1")
def test_the_record_and_the_supervisors_report_through_the_pages(
    world: World, time_machine: Any
) -> None:
    visit = _site_ready(world, time_machine)
    record_url = _url("site_record", world.organization)
    report_url = _url("site_report", world.organization)
    leader, supervisor = client_for(world.users[0]), client_for(world.supervisor)
    assert supervisor.post(record_url, {"items_verified": "x"}).status_code == 403
    assert leader.post(report_url, {"group_conduct": "x"}).status_code == 403
    assert client_for(world.users[1]).post(record_url, {"items_verified": "x"}).status_code == 404
    empty = leader.post(record_url, {"items_verified": ""})
    assert empty.status_code == 400
    assert "请填写核实的条款" in empty.content.decode()
    record = {
        "items_verified": "4.1.2、4.5.2",
        "interviews": "访谈总经理及质量部",
        "evidence_seen": "质量手册",
        "issues_found": "无",
    }
    assert leader.post(record_url, record).status_code == 302
    visit.refresh_from_db()
    assert visit.interviews == "访谈总经理及质量部"
    assert visit.recorded_by == world.users[0]
    html = supervisor.get(_url("site", world.organization)).content.decode()
    assert "访谈总经理及质量部" in html
    report = {"group_conduct": "专家组遵守纪律。", "applicant_conduct": "申报单位配合良好。"}
    assert supervisor.post(report_url, report).status_code == 302
    visit.refresh_from_db()
    assert visit.reported_by == world.supervisor
    assert visit.group_conduct == "专家组遵守纪律。"
    assert AuditEvent.objects.filter(action="review.site_visit.report").count() == 1
    # The leader never reads the supervisor's report.
    assert "专家组遵守纪律" not in leader.get(_url("site", world.organization)).content.decode()


# --- two-way feedback --------------------------------------------------------------------------


@pytest.mark.req("A28.1")
def test_both_feedbacks_through_the_page_once_each(
    world: World, time_machine: Any, personas: dict[str, User]
) -> None:
    visit = _site_ready(world, time_machine)
    url = _url("feedback", world.organization)
    applicant, leader = client_for(world.applicant), client_for(world.users[0])
    early = applicant.get(url).content.decode()
    assert "方可评价" in early
    assert 'name="work_quality"' not in early
    _record(world, visit)
    page = applicant.get(url).content.decode()
    assert "仅委员会办公室和评审监督员可以查看" in page
    assert 'name="work_quality"' in page
    assert applicant.post(url, {"work_quality": "4"}).status_code == 400
    assert (
        applicant.post(url, {"work_quality": "4", "integrity": "5", "comments": "专业"}).status_code
        == 302
    )
    given = Feedback.objects.get(direction=Feedback.Direction.OF_GROUP)
    assert (given.work_quality, given.integrity, given.given_by) == (4, 5, world.applicant)
    done = applicant.get(url).content.decode()
    assert "已提交的评价" in done
    assert 'name="work_quality"' not in done
    applicant.post(url, {"work_quality": "1", "integrity": "1"})
    assert Feedback.objects.get(direction=Feedback.Direction.OF_GROUP).work_quality == 4
    assert 'name="discipline"' in leader.get(url).content.decode()
    assert leader.post(url, {"discipline": "5"}).status_code == 302
    assert Feedback.objects.get(direction=Feedback.Direction.OF_APPLICANT).discipline == 5
    for user in (world.users[1], world.supervisor, world.person_user, personas["outsider"]):
        assert client_for(user).get(url).status_code == 404
    assert client_for(world.person_user).get(_url("feedback", world.individual)).status_code == 404


@pytest.mark.req("A28.1")
def test_the_feedback_report_waits_for_the_evaluation(
    world: World, time_machine: Any, personas: dict[str, User]
) -> None:
    url = _url("feedback_report", world.organization)
    assert client_for(world.applicant).get(url).status_code == 404
    through_evaluation(world, time_machine)
    applicant = client_for(world.applicant)  # signed in anew: months have passed
    response = applicant.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content[:2] == b"PK"  # a .docx is a zip
    for user in (world.users[0], world.supervisor, world.person_user, personas["outsider"]):
        assert client_for(user).get(url).status_code == 404
    detail = applicant.get(reverse("intake:detail", args=[world.organization.public_id]))
    assert url in detail.content.decode()
    assert _url("feedback", world.organization) in detail.content.decode()


# --- links and the workbench -------------------------------------------------------------------


@pytest.mark.req("A17.1")
def test_my_reviews_link_to_the_cards_and_the_leaders_consensus(world: World) -> None:
    before = client_for(world.users[0]).get(reverse("experts:mine")).content.decode()
    assert _url("card", world.organization, MATERIAL) not in before  # not open yet
    _open(world)
    leader = client_for(world.users[0]).get(reverse("experts:mine")).content.decode()
    member = client_for(world.users[1]).get(reverse("experts:mine")).content.decode()
    for application in (world.organization, world.individual):
        assert _url("card", application, MATERIAL) in leader
        assert _url("consensus", application, MATERIAL) in leader
        assert _url("card", application, MATERIAL) in member
        assert _url("consensus", application, MATERIAL) not in member
    assert _url("card", world.organization, SITE) not in leader


def _todo(user: User, label: str) -> tuple[int, str] | None:
    found = [(count, link) for text, count, link in todos(user) if text == label]
    return found[0] if found else None


def test_the_workbench_lists_what_waits_in_the_review(world: World, time_machine: Any) -> None:
    _open(world)
    assert _todo(world.users[1], "待提交的评分表") == (2, reverse("experts:mine"))
    assert _todo(world.users[0], "待确认的专家组共识") == (0, reverse("experts:mine"))
    assert _todo(world.users[1], "待确认的专家组共识") is None  # leads nothing
    for n in range(3):
        score_and_submit(world, world.organization, n, 60)
    assert _todo(world.users[1], "待提交的评分表") == (1, reverse("experts:mine"))
    assert _todo(world.users[0], "待确认的专家组共识")[0] == 1  # type: ignore[index]
    ReviewPhase.objects.filter(stage=MATERIAL).update(state=ReviewPhase.State.CLOSED)
    assert _todo(world.users[1], "待提交的评分表")[0] == 0  # type: ignore[index]
    ReviewPhase.objects.filter(stage=MATERIAL).update(state=ReviewPhase.State.OPEN)
    services.save_consensus(
        actor=world.users[0],
        group=world.group(world.organization),
        items=full_scores(rubric_of(world, world.organization), 60),
        final=True,
        revision=0,
    )
    time_machine.move_to(SITE_DAY, tick=False)
    visit = services.schedule_site_visit(
        actor=world.office,
        group=world.group(world.organization, SITE),
        starts_on=dt.date(2026, 7, 20),
        ends_on=dt.date(2026, 7, 21),
        place="现场",
    )
    assert _todo(world.supervisor, "待提交的现场评审监督报告")[0] == 0  # type: ignore[index]
    assert _todo(world.applicant, "待评价的现场评审专家组") is None
    _record(world, visit)
    site = _url("site", world.organization)
    assert _todo(world.supervisor, "待提交的现场评审监督报告") == (1, site)
    assert _todo(world.applicant, "待评价的现场评审专家组") == (
        1,
        _url("feedback", world.organization),
    )
    services.give_feedback(
        actor=world.applicant,
        application=world.organization,
        direction=Feedback.Direction.OF_GROUP,
        work_quality=5,
        integrity=5,
    )
    assert _todo(world.applicant, "待评价的现场评审专家组") is None


def test_the_dashboard_shows_the_review_todos(world: World) -> None:
    _open(world)
    page = client_for(world.users[1]).get(reverse("accounts:dashboard"))
    assert "待提交的评分表" in page.content.decode()
