"""The 申报表 as Word for the archive and the list as Excel (issue 3, item 7)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from docx import Document

from accounts.models import Individual, Organization, User
from intake import services
from intake.documents import application_form_docx, applications_xlsx
from intake.models import Application, ApplicationVersion
from intake.selectors import applications_for
from programs.models import Cycle
from tests.intake.conftest import complete_form


def _text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def version(open_cycle: Cycle, org: Organization, personas: dict[str, User]) -> ApplicationVersion:
    application = services.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    services.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    return services.submit_application(actor=personas["applicant"], application=application)


def test_word_form_holds_what_was_submitted(version: ApplicationVersion, org: Organization) -> None:
    text = _text(application_form_docx(version))
    assert "如皋市市长质量奖申报表" in text
    assert org.uscc in text
    assert "4.1.2 高层领导的作用（50分，自评得分率60%）" in text
    assert "52000.00" in text
    assert "第1版" in text


def test_word_form_masks_the_id_number(open_cycle: Cycle, person: Individual) -> None:
    application = services.start_application(actor=person.user, cycle=open_cycle, individual=person)
    services.save_draft(
        actor=person.user, application=application, data=complete_form("individual")
    )
    version = services.submit_application(actor=person.user, application=application)
    text = _text(application_form_docx(version))
    assert "320682********0026" in text
    assert person.id_number not in text


def test_excel_export_neutralizes_formulas(
    version: ApplicationVersion, personas: dict[str, User]
) -> None:
    Organization.objects.filter(applications=version.application).update(
        name='=HYPERLINK("http://x","点我")'
    )
    data = applications_xlsx(applications_for(personas["office"]))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["A1"].value == "市长质量奖申报汇总"  # the title row
    assert [c.value for c in sheet[2]][:3] == ["年度", "类别", "申报主体"]
    name = sheet.cell(row=3, column=3)
    assert name.data_type == "s"
    assert str(name.value).startswith("'=")
    assert Application.objects.count() == 1


def test_pages_offer_the_word_form_and_the_filtered_excel(
    version: ApplicationVersion, personas: dict[str, User]
) -> None:
    from django.urls import reverse

    from tests.conftest import client_for

    application = version.application
    detail = client_for(personas["applicant"]).get(
        reverse("intake:detail", args=[application.public_id])
    )
    docx_url = reverse("intake:form_docx", args=[application.public_id])
    assert docx_url in detail.content.decode()
    word = client_for(personas["applicant"]).get(docx_url)
    assert (
        word["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "如皋市市长质量奖申报表" in _text(word.content)
    office = client_for(personas["office"])
    for state, rows in (("submitted", 3), ("accepted", 2)):
        book = openpyxl.load_workbook(
            io.BytesIO(office.get(reverse("intake:export"), {"state": state}).content)
        )
        assert book.active is not None
        # The title and the header, and the application when it matches.
        assert book.active.max_row == rows
