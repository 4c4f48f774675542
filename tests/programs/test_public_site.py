"""Each program's public site (decision 0030, issue 18; programs/site.py): the default program
at today's addresses, every program under `/<slug>/`, each page showing its own program's name,
government, office, timeline, announcements and notices, its links staying under the prefix,
and another program's objects not found there (404)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from decision.models import Objection, Proposal
from lib.tenancy import using_program
from programs import packs, site
from programs.demo import SHILI_STAGES
from programs.models import Announcement, AwardProgram, Cycle
from programs.services import create_cycle, load_program, publish_call, set_cycle_dates

PACK = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"
CST = dt.timezone(dt.timedelta(hours=8))


def _notice(cycle: Cycle, starts: dt.date, ends: dt.date) -> Proposal:
    """A list in notice as the public reads it (the decision's services are tested in
    tests/decision: here only what the public pages show of it)."""
    return Proposal.objects.create(
        cycle=cycle,
        state=Proposal.State.IN_NOTICE,
        notice_starts_on=starts,
        notice_ends_on=ends,
        notice_published_at=timezone.now(),
    )


class World:
    rugao: AwardProgram
    shili: AwardProgram
    rugao_call: Announcement
    shili_call: Announcement
    shili_objection: Objection


@pytest.fixture
def world(cycle: Cycle, office: User, make_user: Callable[..., User], time_machine: Any) -> World:
    """Rugao (the default program, its 2026 call and notice) and 示例市 (loaded from its pack:
    its 2026 call, and a 2025 notice Rugao has no year of)."""
    time_machine.move_to(dt.datetime(2026, 3, 10, 10, tzinfo=CST))
    w = World()
    w.rugao = cycle.program
    w.rugao_call = publish_call(actor=office, cycle=cycle)
    _notice(cycle, dt.date(2026, 11, 25), dt.date(2026, 12, 1))
    pack, sha256 = packs.read(PACK)
    load_program(pack=pack, source="data/programs/shili-demo.yaml", sha256=sha256)
    w.shili = AwardProgram.objects.get(slug="shili")
    with using_program(w.shili):
        shili_office = make_user(Role.OFFICE, username="sl_office")
        shili_2026 = create_cycle(actor=shili_office, program=w.shili, year=2026)
        set_cycle_dates(actor=shili_office, cycle=shili_2026, dates=SHILI_STAGES)
        w.shili_call = publish_call(actor=shili_office, cycle=shili_2026)
        shili_2025 = create_cycle(  # its Measures took effect 2025-03-01
            actor=shili_office, program=w.shili, year=2025, policy=w.shili.policies.get()
        )
    proposal = _notice(shili_2025, dt.date(2025, 11, 20), dt.date(2025, 11, 28))
    w.shili_objection = Objection.objects.create(
        proposal=proposal,
        receipt="SL2025TESTRECEIPT",
        name="张三",
        identity="市民",
        contact="x@example.com",
        content="异议内容",
        filed_at=timezone.now(),
    )
    return w


def _get(path: str, status: int = 200) -> str:
    response = Client().get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="(/[^"]*)"', html))


@pytest.mark.req("A20.1")
def test_each_programs_home_shows_its_own_program(world: World) -> None:
    rugao, shili = _get("/"), _get("/shili/")
    assert '<h1 class="h3 mb-1">如皋市市长质量奖</h1>' in rugao
    assert '<h1 class="h3 mb-1">示例市市长质量奖</h1>' in shili
    assert "示例市人民政府设立的质量管理最高荣誉" in shili
    assert "并设市长质量奖提名奖" in shili  # 示例市's Measures have a nomination quota
    assert "主办：示例市质量发展委员会办公室（设在市市场监督管理局）" in shili
    # The footer names the program's office, not Rugao's.
    assert "如皋" not in shili
    assert "示例市" not in rugao
    # Its own year's timeline and its own call.
    assert "2026年度评审工作安排" in shili
    assert world.shili_call.title in shili
    assert world.rugao_call.title not in shili
    assert world.rugao_call.title in rugao
    assert world.shili_call.title not in rugao
    # The default program is also served under its slug.
    assert '<h1 class="h3 mb-1">如皋市市长质量奖</h1>' in _get("/rugao/")
    _get("/nosuch/", 404)


def test_a_programs_links_stay_under_its_prefix(world: World) -> None:
    public = {"/shili/", "/shili/notices/", "/shili/winners/", "/shili/verify/"}
    shili = _links(_get("/shili/"))
    assert public <= shili
    assert f"/shili/announcements/{world.shili_call.public_id}/" in shili
    assert not {"/", "/notices/", "/winners/", "/verify/"} & shili
    notices = _links(_get("/shili/notices/"))
    assert {"/shili/notices/2025/", "/shili/"} <= notices
    notice = _links(_get("/shili/notices/2025/"))
    assert {"/shili/", "/shili/notices/"} <= notice
    # Unprefixed, the default program's links are today's addresses.
    rugao = _links(_get("/"))
    assert {"/notices/", "/winners/", "/verify/"} <= rugao
    assert not any(link.startswith("/rugao/") for link in rugao)


@pytest.mark.req("A20.1", "A20.2")
def test_each_program_lists_its_own_notices_and_not_the_others(world: World) -> None:
    rugao, shili = _get("/notices/"), _get("/shili/notices/")
    assert "如皋市2026年度市长质量奖拟奖名单公示" in rugao
    assert "示例市2025年度市长质量奖拟奖名单公示" not in rugao
    assert "示例市2025年度市长质量奖拟奖名单公示" in shili
    assert "如皋市2026年度市长质量奖拟奖名单公示" not in shili
    assert "经示例市人民政府同意的拟奖名单在此公示" in shili
    notice = _get("/shili/notices/2025/")
    assert "示例市2025年度市长质量奖拟奖名单公示" in notice
    assert "可向示例市质量发展委员会办公室（设在市市场监督管理局）提出" in notice
    # A year only 示例市 has is not found under Rugao's addresses, nor its objection form.
    _get("/notices/2025/", 404)
    _get("/notices/2025/objection/", 404)
    _get("/shili/notices/2025/objection/")  # its form (closed: the notice ended) is there
    # Rugao's 2026 notice is not 示例市's: 示例市 published none for 2026.
    _get("/shili/notices/2026/", 404)


def test_announcements_and_receipts_are_found_under_their_own_program_only(
    world: World,
) -> None:
    shili_call = f"announcements/{world.shili_call.public_id}/"
    rugao_call = f"announcements/{world.rugao_call.public_id}/"
    assert world.shili_call.title in _get(f"/shili/{shili_call}")
    assert world.rugao_call.title in _get(f"/{rugao_call}")
    _get(f"/{shili_call}", 404)
    _get(f"/shili/{rugao_call}", 404)
    receipt = world.shili_objection.receipt
    assert receipt in _get(f"/shili/notices/receipts/{receipt}/")
    _get(f"/notices/receipts/{receipt}/", 404)


def test_registering_under_a_prefix_offers_that_programs_units(world: World) -> None:
    """An organization registers once; the form under /shili/ offers 示例市's recommending
    units, today's address Rugao's (the home pages link to their own)."""
    shili = _get("/shili/accounts/register/organization/")
    rugao = _get("/accounts/register/organization/")
    assert "示例市东城街道" in shili
    assert "在示例市行政区域内登记注册的组织" in shili
    assert "/shili/accounts/register/individual/" in _links(shili)
    assert "在如皋市行政区域内登记注册的组织" in rugao
    assert "如城街道" not in shili
    assert "如城街道" in rugao
    assert "示例市东城街道" not in rugao
    assert {
        "/shili/accounts/register/organization/",
        "/shili/accounts/register/individual/",
    } <= _links(_get("/shili/"))
    individual = _get("/shili/accounts/register/individual/")
    assert "/shili/accounts/register/organization/" in _links(individual)
    assert "示例市质量发展委员会办公室" in individual  # the footer, without `program` given
    assert "如皋" not in individual


def test_a_programs_winners_and_verification_name_it(world: World) -> None:
    assert "示例市市长质量奖历年获奖名单" in _get("/shili/winners/")
    verify = _get("/shili/verify/")
    assert "查验示例市市长质量奖证书的真伪和效力" in verify
    assert 'action="/shili/verify/"' in verify
    # A typed number is answered at the same program's address.
    response = Client().get("/shili/verify/", {"number": "rg2026-0000-0000-0000-0000"})
    assert response.status_code == 302
    assert response["Location"] == "/shili/verify/rg2026-0000-0000-0000-0000/"
    missing = _get("/shili/verify/RG2026-0000-0000-0000-0000/", 404)
    assert "”的示例市市长质量奖证书。" in missing
    assert "请向示例市质量发展委员会办公室（设在市市场监督管理局）反映" in missing


def test_a_programs_own_addresses_outside_a_request(world: World) -> None:
    """What a certificate's QR code prints: the default program's today's address, any other
    program's under its slug."""
    number = "RG2026-0000-0000-0000-0000"
    assert site.program_url(world.rugao, "decision:verified", number=number) == reverse(
        "decision:verified", args=[number]
    )
    assert (
        site.program_url(world.shili, "decision:verified", number=number)
        == f"/shili/verify/{number}/"
    )


def test_every_public_page_has_a_prefixed_twin() -> None:
    """The prefixed site serves the same views as the unprefixed public pages, by the same
    routes (config/site_urls.py), so a page added to one is not forgotten in the other."""
    from accounts import urls as accounts_urls
    from config import site_urls
    from decision import urls as decision_urls
    from programs import urls as program_urls

    twins = {
        p.name: p
        for p in [*program_urls.urlpatterns, *decision_urls.urlpatterns, *accounts_urls.urlpatterns]
    }
    for pattern in site_urls.urlpatterns:
        assert twins[pattern.name].callback is pattern.callback  # type: ignore[union-attr]
    assert {p.name for p in site_urls.urlpatterns} == {
        name for names in site_urls.PUBLIC.values() for name in names
    }


def test_no_packs_slug_is_hidden_by_another_address() -> None:
    """The prefixed site comes last in the URLconf: a program whose slug is a first segment of
    another address (`notices`, `help`) would never reach its site. The packs shipped avoid
    them."""
    taken = site.taken_slugs()
    assert {"accounts", "notices", "help", "verify", "winners", "announcements"} <= taken
    slugs = {
        packs.read(path)[0].program["slug"]
        for path in (Path(settings.BASE_DIR) / "data" / "programs").glob("*.yaml")
    }
    assert slugs >= {"rugao", "shili"}
    assert not slugs & taken


def test_the_home_names_a_nomination_award_only_where_the_measures_have_one(
    world: World,
) -> None:
    assert "并设市长质量奖提名奖" in _get("/shili/")
    world.shili.policies.update(quota_organization_nomination=0)
    home = _get("/shili/")
    assert "提名奖" not in home
    assert "分“组织”和“个人”两类。" in home


@pytest.mark.req("I18.2")
@pytest.mark.parametrize("slug", ["notices", "help", "accounts"])
def test_a_pack_whose_slug_would_be_hidden_is_refused(slug: str) -> None:
    import yaml

    data = yaml.safe_load(PACK.read_text(encoding="utf-8"))
    data["program"]["slug"] = slug
    with pytest.raises(packs.PackRefused) as refused:
        packs.parse(data)
    assert f"program.slug：“{slug}”已是本系统其他网址的开头，请另取代码" in refused.value.problems
