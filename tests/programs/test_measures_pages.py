"""办法与参数 (issue 18 part 2): the Office reads the Measures of its program on a page (every
number with its article, the rules, the rubrics, the versions), downloads the pack, and loads
a revised pack: previewed by `load_program`'s own dry run, loaded on confirmation, audited under
the clerk's name; refusals in Chinese, nothing written."""

from __future__ import annotations

import copy
import html
import io
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from audit.models import AuditEvent
from lib.articles import cite
from lib.errors import StateConflict
from programs import packs
from programs.models import AwardProgram, Cycle, Policy
from programs.services import (
    PACK_MAX_BYTES,
    changes_digest,
    confirm_pack,
    create_cycle,
    preview_pack,
)
from tests.conftest import client_for

pytestmark = pytest.mark.req("I18.2")

RUGAO = Path(settings.BASE_DIR) / "data" / "programs" / "rugao-2021.yaml"
REVISED_NUMBER = "皋政规〔2026〕3号"


def rugao() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(RUGAO.read_text(encoding="utf-8")))


def revised() -> dict[str, Any]:
    """The 2021 pack revised: a new 文号 and 施行日期, a 7-day notice."""
    data = rugao()
    data["measures"]["document_number"] = REVISED_NUMBER
    data["measures"]["effective_on"] = "2026-06-01"
    data["notice"]["working_days"] = 7
    return data


def upload(client: Client, data: Any, name: str = "rugao-2026.yaml", **extra: Any) -> Any:
    body = data if isinstance(data, bytes) else yaml.safe_dump(data, allow_unicode=True).encode()
    return client.post(
        reverse("programs:measures_preview"),
        {"file": SimpleUploadedFile(name, body, content_type="application/yaml"), **extra},
    )


def confirm(client: Client, preview: Any, reason: str = "依据新办法修订") -> Any:
    form = preview.context["preview"]["confirm"]
    fields = {name: form.initial[name] for name in ("content", "name", "previewed")}
    if form.initial.get("skip_units"):
        fields["skip_units"] = "on"
    return client.post(reverse("programs:measures_confirm"), {**fields, "reason": reason})


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def state() -> tuple[int, int, list[Any]]:
    """What a refused upload must leave as it was."""
    return (
        AuditEvent.objects.count(),
        Policy.objects.count(),
        list(Policy.objects.values_list("notice_working_days", "document_number")),
    )


@pytest.mark.req("A5.2", "A10.2", "A20.1", "A21.1")
def test_the_page_lists_every_number_of_the_rugao_policy_with_its_article(
    office: User, policy: Policy
) -> None:
    page = client_for(office).get(reverse("programs:measures"))
    assert page.status_code == 200
    body = page.content.decode()
    rows = dict(re.findall(r'<tr data-key="([a-z_.0-9]+)">(.*?)</tr>', body, re.S))
    for section, keys in packs.NUMBERS.items():
        for key, spec in keys.items():
            row = rows.pop(f"{section}.{key}")
            assert packs.label(Policy, spec.field) in row, key
            value = getattr(policy, spec.field)
            shown = "不设" if value is None else f"{value:,}" if section == "bonus" else str(value)
            assert f">{shown}</td>" in row, (key, shown)
            assert (cite(spec.article) if spec.article else "个人信息保护法") in row, key
    rating = rows.pop("eligibility.environmental_rating")
    assert "蓝牌" in rating or policy.get_min_environmental_rating_display() in rating
    assert rows == {}
    # The version, its rules (in Chinese) and the rubric summary.
    assert policy.document_number in body
    assert "拟奖名单公示工作日数" in body
    assert "组织类：" in body
    assert "个人类：" in body
    assert "总分1000分" in body
    assert "修订办法请载入新的方案包" in body
    assert "可修订" in body  # no year published under it yet


def test_a_policy_a_published_year_uses_is_shown_locked(
    office: User, policy: Policy, program: AwardProgram
) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    body = text(client_for(office).get(reverse("programs:measures")))
    assert "2026年度（已发布申报通知）" in body
    assert "已锁定" in body


@pytest.mark.parametrize("persona", ["expert", "applicant", "supervisor"])
def test_others_may_not_open_the_measures(
    personas: dict[str, User | None], persona: str, policy: Policy
) -> None:
    client = client_for(personas[persona])
    assert client.get(reverse("programs:measures")).status_code == 403
    assert upload(client, revised()).status_code == 403
    assert Policy.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(policy: Policy) -> None:
    response = Client().get(reverse("programs:measures"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_download_is_the_text_of_dump_program(office: User, policy: Policy) -> None:
    response = client_for(office).get(reverse("programs:measures_pack", args=[policy.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    out = io.StringIO()
    call_command("dump_program", "rugao", stdout=out)
    assert response.content.decode() == out.getvalue()


def test_a_pack_with_a_wrong_key_is_refused_in_chinese_and_changes_nothing(
    office: User, policy: Policy
) -> None:
    data = revised()
    data["notice"]["workdays"] = data["notice"].pop("working_days")
    client = client_for(office)
    before = state()
    response = upload(client, data)
    assert response.status_code == 400
    body = text(response)
    assert "方案包未通过校验，未作任何修改" in body
    assert "notice.workdays：不是方案包的字段（可用：working_days）" in body
    assert "notice.working_days（公示期（工作日），第二十条" in body
    assert "确认载入" not in body
    assert state() == before


@pytest.mark.req("A20.1")
def test_a_revision_is_previewed_then_loaded_on_confirmation_once(
    office: User, policy: Policy, program: AwardProgram
) -> None:
    client = client_for(office)
    before = state()
    preview = upload(client, revised())
    assert preview.status_code == 200
    body = text(preview)
    assert "确认后将作以下修改" in body
    assert f"新增管理办法：如皋市市长质量奖管理办法（{REVISED_NUMBER}，2026-06-01施行）" in body
    assert "确认载入" in body
    assert state() == before  # the preview wrote nothing

    done = confirm(client, preview)
    assert done.status_code == 302
    new = Policy.objects.get(document_number=REVISED_NUMBER)
    assert (new.notice_working_days, new.program) == (7, program)
    events = list(AuditEvent.objects.filter(seq__gt=before[0]).order_by("seq"))
    # The command's event set for a new version: the policy's load, nothing else.
    assert [e.action for e in events] == ["programs.policy.load"]
    event = events[0]
    assert (event.actor_id, event.role) == (office.pk, Role.OFFICE)
    assert event.reason.startswith("按方案包 rugao-2026.yaml 载入（SHA-256 ")
    assert event.reason.endswith("：依据新办法修订")
    assert event.after is not None
    assert event.after["公示期（工作日）"] == 7
    page = text(client.get(reverse("programs:measures")))
    assert REVISED_NUMBER in page

    # The same preview confirmed a second time (a second clerk, or a double click): refused.
    again = confirm(client, preview)
    assert again.status_code == 409
    assert "预览之后数据已有变化" in text(again)
    assert AuditEvent.objects.count() == before[0] + 1
    assert Policy.objects.filter(document_number=REVISED_NUMBER).count() == 1


def test_two_clerks_confirming_the_same_preview_apply_it_once(
    office: User, make_user: Any, policy: Policy
) -> None:
    other = client_for(make_user(Role.OFFICE, username="office2"))
    first, second = client_for(office), other
    preview_a, preview_b = upload(first, revised()), upload(second, revised())
    assert confirm(first, preview_a).status_code == 302
    assert confirm(second, preview_b).status_code == 409
    assert AuditEvent.objects.filter(action="programs.policy.load", role=Role.OFFICE).count() == 1


def test_the_confirmation_needs_a_reason(office: User, policy: Policy) -> None:
    client = client_for(office)
    preview = upload(client, revised())
    response = confirm(client, preview, reason="")
    assert response.status_code == 400
    body = text(response)
    assert "确认载入" in body  # the form again, with its error, above the same changes
    assert "请填写载入理由。" in body
    assert f"新增管理办法：如皋市市长质量奖管理办法（{REVISED_NUMBER}" in body
    assert not Policy.objects.filter(document_number=REVISED_NUMBER).exists()


def test_a_pack_naming_an_unknown_rule_is_refused(office: User, policy: Policy) -> None:
    data = revised()
    data["rules"].append("industry-award")
    client = client_for(office)
    before = state()
    response = upload(client, data)
    assert response.status_code == 400
    assert "引擎尚未实现规则“industry-award”，不能载入" in text(response)
    assert state() == before


def test_a_pack_of_another_program_is_refused(office: User, policy: Policy) -> None:
    data = revised()
    data["program"]["slug"] = "shili"
    response = upload(client_for(office), data)
    assert response.status_code == 400
    assert "方案包属于“shili”，本页面管理的是如皋市市长质量奖（rugao）" in text(response)
    assert not AwardProgram.objects.filter(slug="shili").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe not utf-8 \x00", "不是有效的 UTF-8 YAML 文件"),
        (b"a: [unclosed\n", "不是有效的 UTF-8 YAML 文件"),
        ("这只是一段文字".encode(), "不是方案包"),
        (b"#" * (PACK_MAX_BYTES + 1), f"文件超过{PACK_MAX_BYTES // 1024} KB"),
    ],
)
def test_a_file_that_is_not_a_pack_gets_a_clear_message(
    office: User, policy: Policy, body: bytes, message: str
) -> None:
    client = client_for(office)
    before = state()
    response = upload(client, body, name="notes.yaml")
    assert response.status_code == 400
    assert message in text(response)
    assert state() == before


def test_a_policy_in_use_is_not_rewritten_from_the_page(
    office: User, policy: Policy, program: AwardProgram
) -> None:
    cycle = create_cycle(actor=office, program=program, year=2026)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    data = rugao()
    data["notice"]["working_days"] = 7  # same 文号
    response = upload(client_for(office), data)
    assert response.status_code == 400
    assert "修订办法请以新的文号和施行日期另行载入" in text(response)
    assert Policy.objects.get().notice_working_days == 5


def test_the_units_checkbox_loads_the_measures_alone(office: User, policy: Policy) -> None:
    data = revised()
    data["units"] = [*data["units"], {"name": "如皋高新区", "kind": "district"}]
    client = client_for(office)
    with_units = upload(client, data)
    assert "新增推荐单位：如皋高新区" in text(with_units)
    alone = upload(client, data, skip_units="on")
    assert "新增推荐单位" not in text(alone)
    assert confirm(client, alone).status_code == 302
    assert not AuditEvent.objects.filter(action="accounts.unit.add", role=Role.OFFICE).exists()


def test_an_unchanged_pack_has_nothing_to_confirm(office: User, policy: Policy) -> None:
    response = upload(client_for(office), RUGAO.read_bytes(), name="rugao-2021.yaml")
    assert response.status_code == 200
    body = text(response)
    assert "与方案包一致，无需载入" in body
    assert "确认载入" not in body


def test_the_page_reads_in_constant_queries_over_versions(
    office: User, policy: Policy, program: AwardProgram
) -> None:
    client = client_for(office)
    url = reverse("programs:measures")

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    client.get(url)
    one = queries()
    for n in range(3):
        data = revised()
        data["measures"]["document_number"] = f"皋政规〔2030〕{n}号"
        data["measures"]["effective_on"] = f"203{n}-01-01"
        assert confirm(client, upload(client, data)).status_code == 302
    create_cycle(actor=office, program=program, year=2031)
    create_cycle(actor=office, program=program, year=2032)
    assert Policy.objects.count() == 4
    assert queries() == one


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once")
def test_two_confirmations_racing_apply_the_pack_once(
    office: User, policy: Policy, program: AwardProgram
) -> None:
    body = yaml.safe_dump(revised(), allow_unicode=True).encode()
    _, _, lines = preview_pack(
        actor=office, program=program, data=body, name="r.yaml", with_units=True
    )
    start = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []

    def clerk() -> None:
        try:
            start.wait()
            confirm_pack(
                actor=office,
                program=program,
                data=body,
                name="r.yaml",
                with_units=True,
                previewed=changes_digest(lines),
                reason="并发确认",
            )
            outcomes.append("loaded")
        except StateConflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["loaded", "pack_changed"]
    assert Policy.objects.filter(document_number=REVISED_NUMBER).count() == 1
    assert AuditEvent.objects.filter(action="programs.policy.load", role=Role.OFFICE).count() == 1


def test_an_older_version_downloads_as_its_own_pack(office: User, policy: Policy) -> None:
    client = client_for(office)
    assert confirm(client, upload(client, revised())).status_code == 302
    old = yaml.safe_load(
        client.get(reverse("programs:measures_pack", args=[policy.pk])).content.decode()
    )
    assert old["measures"]["document_number"] == policy.document_number
    assert old["notice"]["working_days"] == 5
    assert packs.parse(old).units is not None  # the only program: with its units
    page = text(client.get(reverse("programs:measures_policy", args=[policy.pk])))
    assert f"《{policy.title}》的数值" in page
    assert client.get(reverse("programs:measures_policy", args=[999999])).status_code == 404
