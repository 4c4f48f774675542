"""The audit trail page: read by the audit administrator and supervisors (A27.1), filtered with
choices built from the catalogue, every event in Chinese with personal numbers masked and its
client address shown (issue 14, part 6)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from audit.services import record
from programs.models import AwardProgram
from programs.services import create_cycle
from tests.audit.tamper import tamper
from tests.conftest import client_for

pytestmark = pytest.mark.req("A27.1", "A3.1")


def _actions(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.event.action for r in response.context["rows"]]


def test_the_filter_is_built_from_the_catalogue(
    personas: dict[str, User], program: AwardProgram
) -> None:
    create_cycle(actor=personas["office"], program=program, year=2026)
    client = client_for(personas["supervisor"])
    html = client.get(reverse("audit:trail")).content.decode()
    # Selects, not free text: categories, actions grouped by category, roles, object types.
    assert '<select name="category"' in html
    assert '<option value="纪律监督">纪律监督</option>' in html
    assert '<optgroup label="纪律监督">' in html
    assert '<option value="supervision.case.decide">纪律监督：作出处理决定</option>' in html
    assert '<option value="auditadmin">审计管理员</option>' in html
    assert '<option value="programs.cycle">年度</option>' in html
    assert 'name="action" type="text"' not in html

    by_category = client.get(reverse("audit:trail"), {"category": "申报受理"})
    assert "programs.cycle.create" in _actions(by_category)
    assert {r.category for r in by_category.context["rows"]} == {"申报受理"}
    by_action = client.get(reverse("audit:trail"), {"action": "accounts.role.grant"})
    assert set(_actions(by_action)) == {"accounts.role.grant"}
    by_role = client.get(reverse("audit:trail"), {"role": "office"})
    assert _actions(by_role) == ["programs.cycle.create"]
    by_person = client.get(reverse("audit:trail"), {"person": "p_office"})
    assert "programs.cycle.create" in _actions(by_person)


def test_trail_filters_by_object_type_object_and_date(
    personas: dict[str, User], program: AwardProgram
) -> None:
    cycle = create_cycle(actor=personas["office"], program=program, year=2026)
    client = client_for(personas["auditadmin"])
    page = client.get(
        reverse("audit:trail"), {"object_type": "programs.cycle", "object": "2026年度"}
    )
    assert _actions(page) == ["programs.cycle.create"]
    by_id = client.get(reverse("audit:trail"), {"object": str(cycle.pk)})
    assert "programs.cycle.create" in _actions(by_id)
    empty = client.get(reverse("audit:trail"), {"date_to": "2000-01-01"})
    assert _actions(empty) == []


def test_an_unknown_choice_is_named_and_left_out(personas: dict[str, User]) -> None:
    response = client_for(personas["auditadmin"]).get(
        reverse("audit:trail"), {"action": "supervision.", "role": "office"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "操作：" in html
    assert "以上条件未使用" in html


def test_events_read_in_chinese_with_numbers_masked_and_the_client_address(
    personas: dict[str, User], program: AwardProgram
) -> None:
    cycle = create_cycle(actor=personas["office"], program=program, year=2026)
    with transaction.atomic():
        record(
            actor=personas["office"],
            role="office",
            action="supervision.case.decide",
            obj=cycle,
            before={"state": "open"},
            after={"article": "A23.2", "phone": "13905131234", "id_number": "320682199001011234"},
            reason="联系人手机 13812345678",
        )
    client = client_for(personas["supervisor"])
    client.get(reverse("audit:trail"), REMOTE_ADDR="203.0.113.5")
    html = client.get(reverse("audit:trail"), {"action": "supervision.case.decide"}).content
    text = html.decode()
    assert "纪律监督：作出处理决定" in text
    assert "依据《办法》第二十三条" in text
    assert "supervision.case.decide</" not in text  # the code only as the select's value
    assert "依据条款" in text
    assert "第二十三条" in text
    assert "A23.2" not in text
    assert "手机号码" in text
    assert "139****1234" in text
    assert "13905131234" not in text
    assert "3206**********1234" in text
    assert "320682199001011234" not in text
    assert "138****5678" in text
    assert "13812345678" not in text
    assert "如皋市市长质量奖（2026年度）" in text
    assert "intake.awardrecord" not in text
    assert "programs.cycle #" not in text
    # Reading the page records nothing; a refusal records the client address it came from.
    client_for(personas["expert"]).get(reverse("audit:trail"), REMOTE_ADDR="198.51.100.7")
    denied = client.get(reverse("audit:trail"), {"action": "access.denied"}).content.decode()
    assert "访问：被拒绝（无权限）" in denied
    assert "198.51.100.7" in denied
    assert "/audit/" in denied


def test_trail_query_count_does_not_grow_with_events(
    personas: dict[str, User], program: AwardProgram, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(personas["auditadmin"])
    client.get(reverse("audit:trail"))  # warm the session
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("audit:trail"))
    for year in range(2030, 2050):
        create_cycle(actor=personas["office"], program=program, year=year)
    with django_assert_max_num_queries(len(few.captured_queries) + 3):  # names on the page
        client.get(reverse("audit:trail"))


def test_the_trail_page_verifies_the_chain_on_demand(
    personas: dict[str, User], program: AwardProgram
) -> None:
    """The audit administrator sees whether the chain holds on the page itself."""
    from audit.models import AuditEvent

    create_cycle(actor=personas["office"], program=program, year=2026)
    client = client_for(personas["auditadmin"])
    plain = client.get(reverse("audit:trail")).content.decode()
    assert "审计链校验通过" not in plain  # verified only when asked: it reads every event
    assert "校验审计链" in plain
    assert reverse("supervision:audit_export") in plain
    checked = client.get(reverse("audit:trail"), {"verify": "1", "category": "申报受理"})
    html = checked.content.decode()
    assert "审计链校验通过" in html
    assert f"审计链完整：共校验 {AuditEvent.objects.count()} 条事件" in html
    assert {r.category for r in checked.context["rows"]} == {"申报受理"}  # the filter applies
    assert "verify=1" in html
    assert "category=%E7%94%B3%E6%8A%A5%E5%8F%97%E7%90%86&amp;verify=1" in html


def test_the_trail_page_names_the_broken_link(
    personas: dict[str, User], program: AwardProgram
) -> None:

    create_cycle(actor=personas["office"], program=program, year=2026)
    tamper("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改写", 2])
    html = client_for(personas["supervisor"]).get(reverse("audit:trail"), {"verify": "1"})
    text = html.content.decode()
    assert "审计链校验未通过" in text
    assert "审计链断裂：第 2 号事件的内容与其哈希不符：事件被篡改。" in text


def test_an_object_links_to_its_page_only_for_a_reader_who_may_open_it(
    personas: dict[str, User], program: AwardProgram
) -> None:
    cycle = create_cycle(actor=personas["office"], program=program, year=2026)
    page = reverse("supervision:cycle", args=[cycle.pk])
    query = {"object_type": "programs.cycle"}
    supervisor = client_for(personas["supervisor"]).get(reverse("audit:trail"), query)
    assert f'<a href="{page}">如皋市市长质量奖（2026年度）</a>' in supervisor.content.decode()
    assert client_for(personas["supervisor"]).get(page).status_code == 200
    auditadmin = client_for(personas["auditadmin"]).get(reverse("audit:trail"), query)
    assert page not in auditadmin.content.decode()  # the audit administrator may not open it
    assert "如皋市市长质量奖（2026年度）" in auditadmin.content.decode()
