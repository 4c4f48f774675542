"""The 申报表 as Word for the archive and the list as Excel (issue 3, item 7)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Length

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


def _paragraphs(data: bytes) -> list[str]:
    document = Document(io.BytesIO(data))
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells
             for p in c.paragraphs]  # fmt: skip
    return [p.text for p in document.paragraphs] + cells


def _cm(length: Length | None) -> float:
    assert length is not None
    return round(length.cm, 2)


def test_word_form_is_a4_with_a_government_forms_margins(version: ApplicationVersion) -> None:
    document = Document(io.BytesIO(application_form_docx(version)))
    section = document.sections[0]
    assert (_cm(section.page_width), _cm(section.page_height)) == (21, 29.7)
    assert _cm(section.top_margin) == _cm(section.bottom_margin) == 2.54
    assert _cm(section.left_margin) == _cm(section.right_margin) == 3.17
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    heading = document.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体"


def test_word_form_prints_the_submission_in_local_time(version: ApplicationVersion) -> None:
    # Submitted at 10:00 in Rugao, stored as 02:00 UTC: the paper says 10:00, as the screen did.
    assert version.submitted_at.astimezone(dt.UTC).hour == 2
    text = _text(application_form_docx(version))
    assert "提交于2026年03月10日 10:00" in text
    assert "02:00" not in text


@pytest.mark.req("A15.2")
def test_word_form_ends_with_the_seal_signature_and_blank_recommendation(
    version: ApplicationVersion,
) -> None:
    lines = _paragraphs(application_form_docx(version))
    text = "\n".join(lines)
    assert "申报单位（盖章）" in text
    assert any(line.strip().startswith("法定代表人（签字）") for line in lines)
    assert "推荐单位意见" in text
    assert "推荐单位（盖章）：如城街道" in text
    # Nothing recorded yet: blank lines to write in and a date to fill in by hand.
    assert sum(1 for line in lines if line == "_" * 50) == 3
    assert text.count("日期：        年    月    日") == 2
    assert "申报人（签字）" not in text


@pytest.mark.req("A15.3")
def test_word_form_carries_the_recorded_recommendation_opinion(
    version: ApplicationVersion, personas: dict[str, User]
) -> None:
    services.recommend_application(
        actor=personas["recommender"],
        application=version.application,
        opinion="经审核，该单位材料真实，同意推荐。",
    )
    lines = _paragraphs(application_form_docx(version))
    text = "\n".join(lines)
    assert "经审核，该单位材料真实，同意推荐。" in text
    assert "同意推荐，系统记录于2026年03月10日 10:00" in text  # local time, not 02:00
    assert "日期：2026年3月10日" in text
    assert "_" * 50 not in text
    assert text.count("日期：        年    月    日") == 1  # only the applicant's, signed in ink


def test_word_form_masks_the_id_number(open_cycle: Cycle, person: Individual) -> None:
    application = services.start_application(actor=person.user, cycle=open_cycle, individual=person)
    services.save_draft(
        actor=person.user, application=application, data=complete_form("individual")
    )
    version = services.submit_application(actor=person.user, application=application)
    data = application_form_docx(version)
    text = _text(data)
    assert "320682********0026" in text
    assert person.id_number not in text
    # An individual signs as the applicant; there is no seal or legal representative.
    lines = "\n".join(_paragraphs(data))
    assert "申报人（签字）" in lines
    assert "申报单位（盖章）" not in lines
    assert "法定代表人" not in lines
    assert "推荐单位意见" in lines


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
