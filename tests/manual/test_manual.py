"""操作手册 (/help/): the chapters in the reader's order, rendered with their figures, the figures
served by strict name, the header's 帮助 link, and the figures the chapters use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.http import Http404
from django.test import Client, RequestFactory

from accounts.models import Organization, User
from manual import views
from manual.chapters import CHAPTERS, MANUAL_DIR
from programs.models import Cycle
from programs.services import publish_call
from tests.conftest import client_for
from tests.intake.conftest import complete_form

# The figures of the whole-year scenario (tests/e2e/year: its steps' `year.shot` names): the
# only names a chapter may use; each run of the scenario writes docs/manual/figures/<name>.jpg.
_FIGURE_NAMES = """
00-secadmin-roles 01-office-cycle-dates 02-office-call-published 03-public-home 04-public-call
05-org-register 06-org-application-form 07-org-attachments 08-org-eligibility 09-org-submitted
10-individual-register 11-individual-application 12-town-list 13-town-return 14-org-returned
15-town-recommend 16-office-applications 17-office-accept 18-office-refuse 19-org-refused
20-applicant-inbox
30-office-code-of-conduct 31-office-groups 32-expert-assignments 33-expert-conflict
34-expert-reading 35-expert-scorecard 36-expert-scorecard-submitted 37-leader-consensus
38-office-site-schedule 39-leader-site-record 40-supervisor-site-report 41-applicant-feedback
42-expert-feedback 43-office-review-board 44-office-ranking
60-office-proposal 61-office-approvals 62-committee-board 63-office-notice-published
64-public-notice 65-visitor-objection 66-visitor-receipt 67-office-objection-answer
68-office-announced 69-public-winners 70-public-verify 71-winner-my-award 72-winner-late-report
73-office-case 74-office-case-decide 75-public-verify-revoked 76-supervisor-workspace
77-supervisor-audit-trail 78-auditadmin-audit-verify
"""
FIGURES = _FIGURE_NAMES.split()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _chapter_order(client: Client) -> list[str]:
    html = client.get("/help/").content.decode()
    return re.findall(r'list-group-item-action" href="/help/([a-z]+)/"', html)


def test_anonymous_visitors_see_the_applicants_chapters_first(db: None) -> None:
    order = _chapter_order(Client())
    assert order[:2] == ["applicant", "individual"]
    assert sorted(order[: len(CHAPTERS)]) == sorted(c.slug for c in CHAPTERS)


def test_the_office_sees_its_chapter_first(personas: dict[str, User | None]) -> None:
    order = _chapter_order(client_for(personas["office"]))
    assert order[0] == "office"
    assert set(order[: len(CHAPTERS)]) == {c.slug for c in CHAPTERS}


def test_the_provincial_administrator_sees_its_chapter_first(
    personas: dict[str, User | None],
) -> None:
    order = _chapter_order(client_for(personas["province"]))
    assert order[0] == "province"
    assert "省级管理员" in client_for(None).get("/help/province/").content.decode()


def test_each_administrator_sees_the_administrators_chapter_first(
    personas: dict[str, User | None],
) -> None:
    for role in ("sysadmin", "secadmin", "auditadmin"):
        assert _chapter_order(client_for(personas[role]))[0] == "admin"


def test_an_expert_who_leads_a_group_sees_the_expert_and_leader_chapters_first(
    personas: dict[str, User | None], cycle: Cycle, office: User, time_machine: Any
) -> None:
    import datetime as dt

    from experts.models import Expert, ReviewGroup
    from intake import services
    from tests.intake.conftest import CST

    user = personas["expert"]
    assert user is not None
    expert = Expert.objects.create(
        id_number="320682197501010017",
        name="赵强",
        category="industry",
        practice_years=12,
        user=user,
    )
    assert _chapter_order(client_for(user))[0] == "expert"
    assert _chapter_order(client_for(user))[1] != "leader"  # not a leader yet

    time_machine.move_to(dt.datetime(2026, 3, 10, 10, tzinfo=CST))
    publish_call(actor=office, cycle=cycle)
    applicant = personas["applicant"]
    assert applicant is not None
    application = services.start_application(
        actor=applicant, cycle=cycle, organization=Organization.objects.get()
    )
    services.save_draft(actor=applicant, application=application, data=complete_form())
    ReviewGroup.objects.create(application=application, stage="material_review", leader=expert)
    assert _chapter_order(client_for(user))[:2] == ["expert", "leader"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.slug for c in CHAPTERS])
def test_each_chapter_renders_with_its_title_and_contents(db: None, chapter: Any) -> None:
    response = Client().get(f"/help/{chapter.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="h3 mb-3">{chapter.title}</h1>' in html
    assert "本章目录" in html
    assert 'href="/help/"' in html  # the way back to the index
    assert "<script>" not in html.split("<main", 1)[1]  # no raw HTML from the Markdown


def test_the_introduction_renders(db: None) -> None:
    response = Client().get("/help/intro/")
    assert response.status_code == 200
    assert "Demo@2026" in response.content.decode()


def test_figures_are_rewritten_to_their_url(db: None) -> None:
    html = Client().get("/help/applicant/").content.decode()
    sources = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert sources
    assert all(re.fullmatch(r"/help/figures/[0-9]{2}(-[a-z0-9]+)+\.jpg", s) for s in sources)


def test_unknown_chapter_is_404(db: None) -> None:
    assert Client().get("/help/nosuch/").status_code == 404


def test_a_figure_is_served_with_a_cache_header(
    db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "03-public-home.jpg").write_bytes(JPEG)
    monkeypatch.setattr(views, "FIGURES_DIR", tmp_path)
    response = Client().get("/help/figures/03-public-home.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "max-age" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == JPEG  # type: ignore[attr-defined]


def test_a_missing_or_badly_named_figure_is_404(
    db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Secret.jpg").write_bytes(JPEG)
    monkeypatch.setattr(views, "FIGURES_DIR", tmp_path)
    client = Client()
    assert client.get("/help/figures/99-nosuch.jpg").status_code == 404
    assert client.get("/help/figures/Secret.jpg").status_code == 404
    assert client.get("/help/figures/03_public.jpg").status_code == 404


def test_path_traversal_is_refused(
    db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "FIGURES_DIR", tmp_path / "figures")
    (tmp_path / "figures").mkdir()
    (tmp_path / "00-x.jpg").write_bytes(JPEG)  # one level up
    client = Client()
    for url in (
        "/help/figures/../00-x.jpg",
        "/help/figures/..%2F00-x.jpg",
        "/help/figures/%2e%2e%2f00-x.jpg",
        "/help/figures/..%5C00-x.jpg",
    ):
        assert client.get(url).status_code == 404, url
    request = RequestFactory().get("/")
    for name in ("../00-x", "..\\00-x", "/etc/passwd", "00-x/../../00-x"):
        with pytest.raises(Http404):
            views.figure(request, name)


def test_the_header_links_to_the_manual_signed_in_or_not(personas: dict[str, User | None]) -> None:
    link = 'class="small qa-help-link" href="/help/"'
    assert link in Client().get("/").content.decode()
    signed_in = client_for(personas["office"]).get("/accounts/me/")
    assert signed_in.status_code == 200
    assert link in signed_in.content.decode()


def test_the_chapters_hold_no_raw_html() -> None:
    for path in MANUAL_DIR.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<[a-zA-Z/!]", text), f"{path.name}: raw HTML"


def test_every_chapter_has_its_file() -> None:
    for chapter in CHAPTERS:
        assert chapter.path.is_file(), chapter.path
    assert (MANUAL_DIR / "README.md").is_file()


def test_every_figure_the_manual_uses_is_a_scenario_figure_and_exists() -> None:
    """The chapters name only the scenario's figures, and the scenario has produced each one
    (docs/manual/figures/ is regenerated by tests/e2e/test_whole_year.py)."""
    used = {
        name
        for path in MANUAL_DIR.glob("*.md")
        for name in re.findall(r"\(figures/([^)\s]+)\.jpg\)", path.read_text(encoding="utf-8"))
    }
    assert used, "the manual shows no figure"
    assert sorted(used - set(FIGURES)) == [], "figures that are not the scenario's"
    missing = sorted(n for n in used if not (MANUAL_DIR / "figures" / f"{n}.jpg").is_file())
    assert missing == [], f"figures not yet produced by the scenario: {missing}"


def test_markdown_is_rendered_without_raw_html_or_inline_style() -> None:
    from manual.render import _render

    rendered = _render(
        "# 标题\n\n## 一节\n\n<script>alert(1)</script> <b onclick=x>b</b>\n\n"
        "| 左 | 右 |\n|:--|--:|\n| 1 | 2 |\n\n"
        "![说明](figures/03-public-home.jpg) [办公室](office.md#a) [x](javascript:alert(1))\n"
    )
    assert rendered.title == "标题"
    assert rendered.toc == [("一节", "一节")]
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "<b " not in rendered.html
    assert "style=" not in rendered.html
    assert 'class="text-end"' in rendered.html
    assert 'src="/help/figures/03-public-home.jpg"' in rendered.html
    assert 'href="/help/office/#a"' in rendered.html
    assert "javascript:" not in rendered.html
