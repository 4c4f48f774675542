"""年度归档 (issue 16 part 6): a closed year's archive lists every file with its SM3 in a manifest
whose own SM3 the audit chain holds; verify_archive finds a changed byte in a file or in the
manifest and names it; an open year is refused; the queries do not grow with the attachments."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import verify_chain
from decision.models import Certificate
from desk import archive
from intake.models import Application, ApplicationVersion, Attachment
from lib.errors import ServiceError
from programs.models import Cycle
from tests.conftest import client_for
from tests.decision.conftest import Decided, announced, decided, in_window, open_cycle
from tests.intake.conftest import complete_form

__all__ = ["decided", "in_window", "open_cycle"]

pytestmark = [pytest.mark.django_db, pytest.mark.req("A3.1", "A27.1")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    """Each test's own storage: archives never land in var/media nor meet another test's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _attach(application: Application, n: int) -> dict[str, Any]:
    data = PDF + f"% 证明材料 {application.pk}-{n}\n".encode()
    attachment = Attachment(
        application=application,
        section="general",
        original_name=f"证明材料{n}.pdf",
        kind="pdf",
        content_type="application/pdf",
        size=len(data),
        sha256="0" * 64,
        uploaded_by=application.created_by,
    )
    attachment.file.save("x", ContentFile(data), save=False)  # encrypted by the storage
    attachment.save()
    return {"id": str(attachment.public_id), "name": attachment.original_name,
            "section": "general", "sha256": attachment.sha256, "size": len(data)}  # fmt: skip


def _submitted(d: Decided, attachments: int = 1) -> list[ApplicationVersion]:
    """Each organization's application with a submitted version listing its attachments."""
    versions = []
    for application in d.organizations:
        listed = [_attach(application, n) for n in range(attachments)]
        versions.append(
            ApplicationVersion.objects.create(
                application=application,
                number=1,
                data=complete_form(),
                applicant={"name": application.applicant_name},
                attachments=listed,
                submitted_at=d.cycle.published_at or timezone.now(),
                submitted_by=d.office,
            )
        )
    return versions


@pytest.fixture
def closed(decided: Decided, time_machine: Any) -> Decided:
    from review.services import ensure_rubric

    for kind in ("organization", "individual"):
        ensure_rubric(actor=decided.office, cycle=decided.cycle, kind=kind)
    _submitted(decided)
    announced(decided, time_machine)
    decided.cycle.refresh_from_db()
    assert decided.cycle.status == Cycle.Status.CLOSED
    return decided


def _zip(name: str) -> zipfile.ZipFile:
    with default_storage.open(name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_archive_of_a_closed_year_lists_every_file_with_its_sm3(
    closed: Decided, tmp_path: Path
) -> None:
    """One archive (each costs seconds: reports with charts, signed certificates) for the
    listing, the command's verification and the two tamperings."""
    out = io.StringIO()
    call_command("archive_cycle", str(closed.cycle.year), "--user", "p_office", stdout=out)
    assert "已生成2026年度归档" in out.getvalue()
    (name,) = archive.stored_names(closed.cycle.year)
    made = archive.Archive(name, "", 0, 0, AuditEvent.objects.get(action="desk.archive.create"))
    assert made.name.startswith(f"archives/rugao/{closed.cycle.year}/")
    raw = Path(default_storage.path(made.name)).read_bytes()
    assert not raw.startswith(b"PK")  # encrypted at rest, not a plain ZIP
    zf = _zip(made.name)
    manifest_bytes = zf.read("manifest.json")
    manifest = json.loads(manifest_bytes)
    assert manifest["cycle"] == closed.cycle.year
    assert manifest["created_by"]["username"] == closed.office.username
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == {i.filename for i in zf.infolist()} - {"manifest.json"}
    for path, entry in listed.items():
        assert archive.sm3(zf.read(path)) == entry["sm3"], path
    paths = "\n".join(listed)
    # Every section of the year: forms (Word and JSON), attachments, decisions, the reports,
    # the list and its notice, the certificates, the ledger and the trail.
    for expected in (
        "申报表_第1版.docx",
        "申报表_第1版.json",
        "附件/general_证明材料0.pdf",
        "形式审查.json",
        "评审/综合评价报告.docx",
        "审定与公示/拟授奖名单.json",
        "审定与公示/公示.json",
        "证书/荣誉证书",
        "奖金台账.json",
        "审计日志.xlsx",
    ):
        assert expected in paths, expected
    certificates = Certificate.objects.filter(award__application__cycle=closed.cycle).count()
    assert certificates
    assert sum(p.startswith("证书/") for p in listed) == certificates
    attachment = next(p for p in listed if p.endswith("证明材料0.pdf"))
    assert zf.read(attachment).startswith(PDF)  # decrypted from the storage
    # The manifest's SM3 is in the audit event of its creation, and the chain holds.
    event = AuditEvent.objects.get(action="desk.archive.create")
    assert event.after is not None
    assert event.after["hash"] == archive.sm3(manifest_bytes)
    assert f"审计事件第 {event.seq} 号" in out.getvalue()
    assert event.after["file"] == made.name
    assert event.actor_id == closed.office.pk
    assert verify_chain().ok
    out = io.StringIO()
    call_command("verify_archive", str(closed.cycle.year), stdout=out)
    assert "与清单一致" in out.getvalue()
    made = archive.Archive(made.name, "", 0, 0, event)
    _verify_names_a_changed_file_or_manifest(made, closed, tmp_path)


def _tampered(made: archive.Archive, tmp_path: Path, member: str, how: Any) -> Path:
    zf = _zip(made.name)
    target = tmp_path / "tampered.zip"
    with zipfile.ZipFile(target, "w") as out:
        for info in zf.infolist():
            data = zf.read(info.filename)
            out.writestr(info.filename, how(data) if info.filename == member else data)
    return target


def _flip(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def _verify_names_a_changed_file_or_manifest(
    made: archive.Archive, closed: Decided, tmp_path: Path
) -> None:
    """verify_archive passes a downloaded copy, and names a changed file or manifest."""
    member = next(n for n in _zip(made.name).namelist() if n.endswith("证明材料0.pdf"))
    intact = tmp_path / "intact.zip"
    with intact.open("wb") as handle, default_storage.open(made.name, "rb") as source:
        handle.write(source.read())
    call_command("verify_archive", str(intact), stdout=io.StringIO())  # a downloaded copy
    err = io.StringIO()
    with pytest.raises(CommandError, match="校验未通过"):
        call_command("verify_archive", str(_tampered(made, tmp_path, member, _flip)), stderr=err)
    assert f"文件 {member} 的SM3" in err.getvalue()
    assert "manifest.json" not in err.getvalue()  # the manifest itself is intact

    name = closed.office.username.encode()

    def edit(data: bytes) -> bytes:  # one byte: the creator's name; no file's hash changes
        return data.replace(name, b"x" + name[1:], 1)

    err = io.StringIO()
    with pytest.raises(CommandError, match="校验未通过"):
        call_command(
            "verify_archive", str(_tampered(made, tmp_path, "manifest.json", edit)), stderr=err
        )
    assert "清单 manifest.json 的SM3" in err.getvalue()
    assert f"审计事件第{made.event.seq}号" in err.getvalue()
    assert "文件 " not in err.getvalue()


def test_an_open_year_is_refused(decided: Decided) -> None:
    assert decided.cycle.status != Cycle.Status.CLOSED
    with pytest.raises(ServiceError, match="尚未结束"):
        archive.create(actor=decided.office, cycle=decided.cycle)
    with pytest.raises(CommandError, match="尚未结束"):
        call_command("archive_cycle", str(decided.cycle.year), "--user", decided.office.username)
    assert not AuditEvent.objects.filter(action="desk.archive.create").exists()


def test_queries_do_not_grow_with_the_attachments(closed: Decided) -> None:
    archive.create(actor=closed.office, cycle=closed.cycle)  # the first run fills the caches
    with CaptureQueriesContext(connection) as few:
        archive.create(actor=closed.office, cycle=closed.cycle)
    for version in ApplicationVersion.objects.filter(application__cycle=closed.cycle):
        version_listed = version.attachments + [_attach(version.application, n) for n in (1, 2, 3)]
        ApplicationVersion.objects.filter(pk=version.pk).update(attachments=version_listed)
    with CaptureQueriesContext(connection) as many:
        made = archive.create(actor=closed.office, cycle=closed.cycle)
    assert made.files > 15
    assert len(many) == len(few)


def test_the_office_makes_and_downloads_it_from_its_page(
    closed: Decided, time_machine: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REAUTH_MINUTES = 5
    client = client_for(closed.office)
    page = client.get(reverse("accounts:archives")).content.decode()
    assert "2026年度" in page
    assert "生成归档" in page
    # A background job (desk/jobs.py), run here when the click's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(reverse("accounts:archive_make", args=[closed.cycle.pk]))
    assert made.status_code == 302
    event = AuditEvent.objects.get(action="desk.archive.create")
    assert event.after is not None
    link = reverse("accounts:archive_download", args=[event.pk])
    assert link in client.get(reverse("accounts:archives")).content.decode()
    # A stale code: the confirm page first, the file after it (A3.1: every applicant's files).
    time_machine.shift(dt.timedelta(minutes=10))
    stale = client.get(link)
    assert stale.status_code == 302
    assert stale["Location"].startswith(reverse("accounts:otp_reauth"))
    fresh = client_for(closed.office)
    response = fresh.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert archive.sm3(zf.read("manifest.json")) == event.after["hash"]
    downloads = AuditEvent.objects.filter(action__in=["desk.archive.download", "download.file"])
    assert list(downloads.values_list("action", flat=True)) == ["desk.archive.download"]


def test_the_page_refuses_an_open_year(decided: Decided) -> None:
    client = client_for(decided.office)
    page = client.get(reverse("accounts:archives")).content.decode()
    assert "尚未结束" in page
    assert reverse("accounts:archive_make", args=[decided.cycle.pk]) not in page
    refused = client.post(
        reverse("accounts:archive_make", args=[decided.cycle.pk]), follow=True
    ).content.decode()
    assert "尚未结束" in refused
    assert not AuditEvent.objects.filter(action="desk.archive.create").exists()


def test_the_page_costs_the_same_queries_whatever_the_number_of_years(decided: Decided) -> None:
    """The archives page reads every year's archives in one query (not one per year)."""
    client = client_for(decided.office)
    url = reverse("accounts:archives")
    client.get(url)  # caches filled
    with CaptureQueriesContext(connection) as one_year:
        client.get(url)
    for year in (2023, 2024, 2025):
        Cycle.objects.create(program=decided.cycle.program, year=year, policy=decided.cycle.policy)
    with CaptureQueriesContext(connection) as four_years:
        page = client.get(url).content.decode()
    assert "2023年度" in page
    assert len(four_years) == len(one_year)
