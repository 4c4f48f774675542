"""The audit trail as Excel (issue 14, part 6): the page's catalogue, filter and masking, laid out
to print: title row, header repeated and frozen, A4 landscape one page wide (the demo's export
printed 101 pages before)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from audit.export import COLUMNS
from audit.models import AuditEvent
from audit.services import record
from programs.models import AwardProgram
from programs.services import create_cycle
from tests.conftest import client_for

pytestmark = pytest.mark.req("A27.1", "A3.1")


def test_the_export_is_titled_landscape_one_page_wide_in_chinese_and_masked(
    personas: dict[str, User], program: AwardProgram
) -> None:
    cycle = create_cycle(actor=personas["office"], program=program, year=2026)
    with transaction.atomic():
        record(
            actor=personas["office"],
            role="office",
            action="supervision.case.decide",
            obj=cycle,
            after={"article": "A23.2", "phone": "13905131234"},
            reason="身份证 320682199001011234",
        )
    response = client_for(personas["supervisor"]).get(
        reverse("supervision:audit_export"), {"category": "纪律监督"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["链校验", "审计日志"]
    assert book["链校验"]["A1"].value == "审计链校验通过"
    assert book["链校验"]["A4"].value == "导出范围：类别：纪律监督"
    sheet = book["审计日志"]

    setup = sheet.page_setup
    assert setup.orientation == "landscape"
    assert int(setup.fitToWidth) == 1
    assert int(setup.fitToHeight) == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert str(setup.paperSize) == "9"  # A4
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.freeze_panes == "A3"
    widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(len(COLUMNS))]
    assert widths == [w for _, w in COLUMNS]

    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("如皋市市长质量奖评审管理系统 审计日志（筛选条件：类别：纪律监督")
    assert rows[1] == tuple(h for h, _ in COLUMNS)
    (event,) = rows[2:]
    by = dict(zip(rows[1], event, strict=True))
    assert by["操作"] == "纪律监督：作出处理决定"
    assert by["类别"] == "纪律监督"
    assert by["依据"] == "第二十三条"
    assert by["角色"] == "委员会办公室"
    assert by["对象"] == "如皋市市长质量奖（2026年度）\n年度"
    # (PostgreSQL's jsonb keeps keys in its own order)
    assert set(by["内容"].split("；")) == {"依据条款：第二十三条", "手机号码：139****1234"}
    assert by["理由"] == "身份证 3206**********1234"
    text = "".join(str(v) for row in rows for v in row if v is not None)
    assert "13905131234" not in text
    assert "320682199001011234" not in text
    assert "supervision.case.decide" not in text


def test_the_export_is_itself_recorded_before_the_file_leaves(personas: dict[str, User]) -> None:
    client = client_for(personas["auditadmin"])
    response = client.get(
        reverse("supervision:audit_export"), {"role": "office"}, REMOTE_ADDR="192.0.2.44"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.role, event.actor_id) == (
        "download.audit_export",
        "auditadmin",
        personas["auditadmin"].pk,
    )
    assert event.after is not None
    assert event.after["file"].startswith("审计日志_")
    assert event.after["file"].endswith(".xlsx")
    assert event.client_ip == "192.0.2.44"
