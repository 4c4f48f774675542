"""Every document the system produces, rendered as it prints (issue 16): each Word, Excel and
PDF file is built from test data, converted with LibreOffice headless (several files in one
call: each start costs seconds) and measured with pypdfium2: Word files A4 portrait, Excel
sheets A4 landscape and one page wide (a sheet two pages wide would print twice as many pages),
the certificate one A4 landscape page.

Select it with ``pytest tests/test_documents_render.py``. With ``DOCUMENTS_RENDER_DIR=/some/dir``
the PDFs, one PNG per page (pdftoppm) and a table of page sizes and counts are written there
to look at. Skipped where LibreOffice is not installed (``make system-deps`` installs it).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest
from django.urls import reverse

from accounts.models import User
from audit.export import workbook as audit_workbook
from audit.views import TrailFilterForm
from decision.models import BonusEntry, Certificate
from decision.views.awards import LEDGER_HEADERS
from intake.documents import application_form_docx, applications_xlsx
from intake.models import Application, ApplicationVersion
from lib import excel
from lib.certificates import certificate_pdf
from review.documents import evaluation_report_docx, feedback_report_docx
from tests.conftest import client_for
from tests.decision.conftest import announced, decided
from tests.intake.conftest import in_window, open_cycle, org, person
from tests.review.conftest import World, through_evaluation, world

__all__ = ["decided", "in_window", "open_cycle", "org", "person", "world"]  # fixtures used here

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

A4 = (595.3, 841.9)  # points, portrait
TOLERANCE = 2.0


@pytest.fixture
def render_dir() -> Iterator[Path | None]:
    given = os.environ.get("DOCUMENTS_RENDER_DIR")
    if not given:
        yield None
        return
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    yield path


class Rendered:
    """One converted document: its pages' sizes in points and their text."""

    def __init__(self, name: str, pdf: Path) -> None:
        self.name, self.pdf = name, pdf
        document = pdfium.PdfDocument(pdf)
        self.sizes = [document[i].get_size() for i in range(len(document))]
        self.texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
        document.close()

    @property
    def pages(self) -> int:
        return len(self.sizes)

    def all_a4(self, *, landscape: bool) -> bool:
        width, height = (A4[1], A4[0]) if landscape else A4
        return all(
            abs(w - width) < TOLERANCE and abs(h - height) < TOLERANCE for w, h in self.sizes
        )

    def page_of(self, text: str) -> list[int]:
        return [n for n, page in enumerate(self.texts) if text in page.replace("\r\n", "\n")]


def render(files: dict[str, bytes], workdir: Path, out: Path | None) -> dict[str, Rendered]:
    """Every file converted to PDF in one LibreOffice call, with a private profile (parallel
    workers never share one); PDFs (kept as they are) measured as they are."""
    source, target = workdir / "source", workdir / "pdf"
    source.mkdir()
    target.mkdir()
    for name, data in files.items():
        (source / name).write_bytes(data)
    office = sorted(str(source / n) for n in files if not n.endswith(".pdf"))
    if office:
        assert SOFFICE is not None
        profile = (workdir / "lo-profile").as_uri()
        subprocess.run(  # noqa: S603 -- fixed arguments, our own files
            [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(target), *office],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    rendered = {}
    for name in files:
        pdf = source / name if name.endswith(".pdf") else target / (Path(name).stem + ".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {name}"
        rendered[name] = Rendered(name, pdf)
    if out is not None:
        _keep(rendered, out)
    return rendered


def _keep(rendered: dict[str, Rendered], out: Path) -> None:
    """The PDFs, their pages as PNG and the size-and-count table, to be looked at."""
    lines = []
    for name, r in rendered.items():
        stem = Path(name).stem
        shutil.copy(r.pdf, out / f"{stem}.pdf")
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-r", "60", "-png", str(r.pdf), str(out / stem)],  # noqa: S607
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        width, height = r.sizes[0]
        orientation = "横向" if width > height else "纵向"
        lines.append(f"{name}\t{width:.0f}×{height:.0f} pt（A4{orientation}）\t{r.pages}页")
    with (out / "documents.tsv").open("a", encoding="utf-8") as table:
        table.write("\n".join(lines) + "\n")


def _sheet(rendered: Rendered, title: str, header: str) -> None:
    """An Excel export as printed: A4 landscape, its title on page 1, its header on every page."""
    assert rendered.all_a4(landscape=True), (rendered.name, rendered.sizes)
    assert rendered.page_of(title)[:1] == [0], rendered.name
    assert rendered.page_of(header) == list(range(rendered.pages)), rendered.name


def test_word_and_excel_documents_of_a_reviewed_cycle_print_on_a4(
    world: World, time_machine: Any, tmp_path: Path, render_dir: Path | None
) -> None:
    through_evaluation(world, time_machine)
    office = client_for(world.office)
    cycle = world.cycle
    organization = ApplicationVersion.objects.get(application=world.organization, number=1)
    individual = ApplicationVersion.objects.get(application=world.individual, number=1)
    groups = office.get(
        reverse("experts:export_groups"), {"cycle": str(cycle.pk), "stage": "material_review"}
    )
    files = {
        "申报表-组织.docx": application_form_docx(organization),
        "申报表-个人.docx": application_form_docx(individual),
        "综合评价报告.docx": evaluation_report_docx(cycle),
        "评审反馈报告.docx": feedback_report_docx(world.organization),
        "申报汇总.xlsx": applications_xlsx(Application.objects.order_by("pk")),
        "综合评价排名.xlsx": office.get(reverse("review:ranking_xlsx", args=[cycle.pk])).content,
        "专家组.xlsx": groups.content,
        "专家导入模板.xlsx": office.get(reverse("experts:import_template")).content,
        "审计日志.xlsx": audit_workbook(TrailFilterForm({})),
    }
    assert all(data[:2] == b"PK" for data in files.values())
    r = render(files, tmp_path, render_dir)

    for name in ("申报表-组织.docx", "申报表-个人.docx", "综合评价报告.docx", "评审反馈报告.docx"):
        assert r[name].all_a4(landscape=False), (name, r[name].sizes)
    form = r["申报表-组织.docx"]
    assert 2 <= form.pages <= 6
    # The signature blocks end the form, whole, on its last page.
    assert form.page_of("法定代表人（签字）") == [form.pages - 1]
    assert form.page_of("推荐单位（盖章）") == [form.pages - 1]
    assert r["申报表-个人.docx"].page_of("申报人（签字）") == [r["申报表-个人.docx"].pages - 1]
    assert "第 1 页，共" in form.texts[0]  # the page number in the footer

    # Each sheet is a handful of rows: one page, so exactly one page wide.
    _sheet(r["申报汇总.xlsx"], "市长质量奖申报汇总", "统一社会信用代码")
    _sheet(r["综合评价排名.xlsx"], "2026年度综合评价排名", "综合得分")
    _sheet(r["专家组.xlsx"], "2026年度材料评审专家组", "分配依据")
    for name in ("申报汇总.xlsx", "综合评价排名.xlsx", "专家组.xlsx"):
        assert r[name].pages == 1, name
    ranking = r["综合评价排名.xlsx"].texts[0]
    # Scores with their two decimals on the same page as the names (not 650 on page 2).
    assert world.organization.applicant_name in ranking
    assert any(f"{score}" in ranking for score in ("0.00", "5.00", ".25", ".50", ".75"))
    template = r["专家导入模板.xlsx"]
    assert template.all_a4(landscape=True)
    assert template.pages == 1
    # The audit trail: the chain's verdict (one page) then the trail, every page landscape.
    trail = r["审计日志.xlsx"]
    assert trail.all_a4(landscape=True), trail.sizes
    assert trail.page_of("审计链校验") == [0]
    assert trail.page_of("来源地址") == list(range(1, trail.pages))


def _ledger(entries: int) -> bytes:
    """The ledger's own layout (headers, totals, formats) with `entries` rows."""
    rows = [
        [2026, f"如皋测试{n}号有限公司", "市长质量奖", "首次获奖", "应发", 200000,
         dt.date(2026, 12, 10), "", "首次获奖，按《办法》第二十一条", "陈静（委员会办公室）",
         dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC)]
        for n in range(entries)
    ]  # fmt: skip
    totals: list[list[object]] = [
        ["合计", "", "", "", label, 200000 * entries, None, "", "", "", None]
        for label in ("应发", "已拨付", "追回", "应发未发")
    ]
    return excel.workbook_bytes(
        title="市长质量奖奖金台账",
        headers=LEDGER_HEADERS,
        rows=rows,
        totals=totals,
        sheet_name="奖金台账",
        formats={"金额（元）": excel.YUAN},
    )


@pytest.mark.req("A21.1")
def test_ledger_and_certificate_print_on_a4(
    decided: Any, time_machine: Any, personas: dict[str, User], tmp_path: Path,
    render_dir: Path | None,
) -> None:  # fmt: skip
    announced(decided, time_machine)
    certificate = Certificate.objects.select_related("award").order_by("pk").first()
    assert certificate is not None
    award = certificate.award
    assert BonusEntry.objects.filter(award=award).exists()  # a first award: its bonus is due
    office = client_for(personas["office"])
    files: dict[str, bytes] = {
        "奖金台账.xlsx": office.get(reverse("decision:ledger_xlsx")).content,
        "荣誉证书.pdf": certificate_pdf(
            holder=certificate.holder_name,
            holder_note=f"统一社会信用代码：{certificate.holder_uscc}",
            level=award.get_level_display(),
            year=award.year,
            number=certificate.number,
            verify_url="https://example.invalid/v/" + certificate.number,
            issued_on=certificate.issued_on,
            issuer="如皋市人民政府",
        ),
    }
    # Ledgers whose totals would straddle a page foot: in LibreOffice at 40 and 41 entries (2
    # and 2, 1 and 3 of the 4 totals on each page without the break), in Excel at 28.
    lengths = (28, 39, 40, 41)
    files |= {f"台账{n}行.xlsx": _ledger(n) for n in lengths}
    for n in lengths:
        sheet = openpyxl.load_workbook(io.BytesIO(files[f"台账{n}行.xlsx"])).active
        assert sheet is not None
        assert [b.id for b in sheet.row_breaks.brk] == [2 + n + 1], n  # before the totals
    r = render(files, tmp_path, render_dir)

    ledger = r["奖金台账.xlsx"]
    _sheet(ledger, "市长质量奖奖金台账", "凭证号")
    assert ledger.pages == 1
    page = ledger.texts[0]
    for label in ("应发未发", "200,000"):  # the totals with their labels, amounts as yuan
        assert label in page

    for n in lengths:
        sheet = r[f"台账{n}行.xlsx"]
        _sheet(sheet, "市长质量奖奖金台账", "凭证号")
        last = sheet.page_of("应发未发")
        assert len(last) == 1, (n, last)
        assert sheet.texts[last[0]].count("合计") == 4, (n, sheet.pages)  # all four on it
        # One page wide: the entries on one page, the totals on the next; never twice that.
        assert sheet.pages == 2, (n, sheet.pages)
        assert last == [1], n

    pdf = r["荣誉证书.pdf"]
    assert pdf.pages == 1
    assert pdf.all_a4(landscape=True), pdf.sizes
    assert certificate.holder_name in pdf.texts[0].replace("\r\n", "")


def test_render_reads_page_sizes(tmp_path: Path) -> None:
    """The measuring itself: a known two-page PDF gives two A4 portrait pages."""
    document = pdfium.PdfDocument.new()
    for _ in range(2):
        document.new_page(*A4)
    buffer = io.BytesIO()
    document.save(buffer)
    (tmp_path / "two.pdf").write_bytes(buffer.getvalue())
    r = Rendered("two.pdf", tmp_path / "two.pdf")
    assert r.pages == 2
    assert r.all_a4(landscape=False)
    assert not r.all_a4(landscape=True)
