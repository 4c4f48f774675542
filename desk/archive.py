"""年度归档: one archive per closed cycle, its manifest vouched for by the audit chain (issue 16
part 6; A3.1 openness, A27.1 supervision: what the year decided stays provable).

The archive is a ZIP (``archives/<program>/<year>/<year>年度归档_<time>_<id>.zip`` in the default
storage, so SM4-encrypted at rest like every upload) holding

- ``申报材料/<NNN 申报主体>/``: each submitted 申报表 version as Word (`intake.documents`) and its
  JSON (the form, the registration frozen with it, its attachment list), the attachments it
  listed (decrypted from the storage, under their uploaded names), and ``形式审查.json`` (the
  推荐意见, the 资格审查 decisions with their articles and reasons, the eligibility findings);
- ``评审/``: the 综合评价报告 and each evaluated applicant's 评审反馈报告 (`review.documents`);
- ``审定与公示/``: the 拟授奖名单 with its entries, the approvals with their uploaded documents,
  the 公示 (dates and the entries as published), the objections with their findings and replies
  and their evidence (the objector's name and contact stay out: they are personal data the
  retention rule erases, desk/retention.py), the announcements of the cycle;
- ``证书/``: each certificate's PDF as the Office downloads it (`certificate_document`, the
  download view itself: the archive holds the very file a download gives);
- ``奖金台账.json``; ``审计日志.xlsx``: the trail from the cycle's creation to the archive, with the
  chain's verification (`audit.export.workbook`);
- ``manifest.json``: every other member with its size and SM3, the cycle, the time, who made it.

The manifest's own SM3 goes into the ``desk.archive.create`` audit event, so the hash chain and
its checkpoints vouch for the manifest, and the manifest for every file. `verify` checks both
(``manage.py verify_archive``). Memory stays bounded: the ZIP is written to a temporary file,
each attachment is streamed into it, and the storage encrypts it chunk by chunk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from audit.services import record
from decision.models import (
    ApprovalAttachment,
    BonusEntry,
    Certificate,
    Entry,
    Objection,
    ObjectionEvidence,
    Proposal,
)
from intake.models import (
    Application,
    ApplicationVersion,
    Attachment,
    EligibilityResult,
    QualificationDecision,
    Recommendation,
)
from lib.errors import ServiceError
from programs.models import Announcement, Cycle

CREATE = "desk.archive.create"
DOWNLOAD = "desk.archive.download"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
KIND = "annual-archive"


def sm3(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def refusal(cycle: Cycle) -> str | None:
    """Why the cycle cannot be archived yet: only a closed year (已结束, the government's
    announcement recorded, A20.2; `programs.services.close_cycle`) is complete."""
    if cycle.status != Cycle.Status.CLOSED:
        return (
            f"{cycle.year}年度评审尚未结束（当前状态：{cycle.get_status_display()}），"
            "须在市政府公告获奖名单、年度结束后方可归档。"
        )
    return None


def folder(cycle: Cycle) -> str:
    return f"archives/{cycle.program.slug}/{cycle.year}/"


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _safe(name: str, limit: int = 80) -> str:
    """A member name's part: no path separators or control characters, bounded."""
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "未命名"
    return cleaned[:limit]


def _json(value: Any) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


@dataclass
class _Writer:
    """The ZIP being written, and the manifest's list of what went in."""

    zf: zipfile.ZipFile
    files: list[dict[str, Any]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def _name(self, path: str) -> str:
        stem, dot, ext = path.rpartition(".")
        candidate, n = path, 2
        while candidate in self.names:  # two uploads of one name in one folder
            candidate = f"{stem}（{n}）{dot}{ext}" if dot else f"{path}（{n}）"
            n += 1
        self.names.add(candidate)
        return candidate

    def add(self, path: str, data: bytes) -> None:
        name = self._name(path)
        self.zf.writestr(name, data)
        self.files.append({"path": name, "size": len(data), "sm3": sm3(data)})

    def stream(self, path: str, source: IO[bytes]) -> None:
        name = self._name(path)
        digest, size = hashlib.new("sm3"), 0
        with self.zf.open(name, "w", force_zip64=True) as target:
            while block := source.read(CHUNK):
                digest.update(block)
                size += len(block)
                target.write(block)
        self.files.append({"path": name, "size": size, "sm3": digest.hexdigest()})


def certificate_document(actor: User, certificate: Certificate) -> bytes:
    """The certificate's PDF exactly as the Office downloads it. The one function that makes it
    is the download view (`decision.views.awards.certificate_pdf`: the PDF its announcement's
    job kept while still current, else drawn, stamped when revoked and signed there;
    decision/jobs.py), called here with the archiving clerk as the reader; nothing of it is
    copied. Its own download event is not written (no request passes the audit middleware):
    the archive's creation event covers it."""
    from decision.views.awards import certificate_pdf

    request = HttpRequest()
    request.method = "GET"
    request.user = actor
    request.META["SERVER_NAME"] = "archive.invalid"
    request.META["SERVER_PORT"] = "443"
    request.session = {}  # type: ignore[assignment]
    response = certificate_pdf(request, certificate.number)
    if response.status_code != 200:  # pragma: no cover - the Office reads every certificate
        raise ServiceError(f"证书{certificate.number}未能生成（{response.status_code}）。")
    return bytes(response.content)


# --- the sections ------------------------------------------------------------------------------


def _applications(cycle: Cycle) -> list[Application]:
    return list(
        Application.objects.filter(cycle=cycle)
        .select_related(
            "organization", "individual", "recommending_unit", "cycle__program", "cycle__policy"
        )
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ApplicationVersion.objects.select_related("submitted_by").order_by(
                    "number"
                ),
            ),
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk")),
            Prefetch(
                "decisions",
                queryset=QualificationDecision.objects.select_related("decided_by").order_by(
                    "decided_at", "pk"
                ),
            ),
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.select_related("unit", "reviewer"),
            ),
            Prefetch("eligibility", queryset=EligibilityResult.objects.order_by("version", "pk")),
        )
        .order_by("kind", "pk")
    )


def _person(user: Any) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _intake(w: _Writer, applications: list[Application]) -> None:
    for n, application in enumerate(applications, start=1):
        base = f"申报材料/{n:03d}_{_safe(application.applicant_name or '申报')}"
        versions = list(application.versions.all())
        by_id = {str(a.public_id): a for a in application.attachments.all()}
        listed: dict[str, Attachment] = {}
        for version in versions:
            version.application = application  # the documents read it: no query per version
            _form_docx(w, f"{base}/申报表_第{version.number}版.docx", version)
            w.add(
                f"{base}/申报表_第{version.number}版.json",
                _json(
                    {
                        "version": version.number,
                        "submitted_at": _when(version.submitted_at),
                        "submitted_by": _person(version.submitted_by),
                        "form": version.data,
                        "applicant": version.applicant,
                        "attachments": version.attachments,
                    }
                ),
            )
            for item in version.attachments:
                found = by_id.get(str(item.get("id")))
                if found is not None:
                    listed[str(found.public_id)] = found
        for attachment in listed.values():
            member = f"{_safe(attachment.section, 20)}_{_safe(attachment.original_name)}"
            with attachment.file.open("rb") as source:  # decrypted, verified (config/storage.py)
                w.stream(f"{base}/附件/{member}", source)
        w.add(
            f"{base}/形式审查.json",
            _json(
                {
                    "application": str(application.public_id),
                    "applicant": application.applicant_name,
                    "kind": application.get_kind_display(),
                    "state": application.get_state_display(),
                    "recommending_unit": str(application.recommending_unit or ""),
                    "recommendations": [
                        {
                            "version": r.version,
                            "unit": str(r.unit),
                            "reviewer": _person(r.reviewer),
                            "outcome": r.get_outcome_display(),
                            "opinion": r.opinion,
                            "decided_at": _when(r.decided_at),
                        }
                        for r in application.recommendations.all()
                    ],
                    "decisions": [
                        {
                            "version": d.version,
                            "outcome": d.get_outcome_display(),
                            "articles": d.articles,
                            "reason": d.reason,
                            "decided_by": _person(d.decided_by),
                            "decided_at": _when(d.decided_at),
                            "corrects": d.corrects_id,
                            "id": d.pk,
                        }
                        for d in application.decisions.all()
                    ],
                    "eligibility": [
                        {
                            "version": e.version,
                            "rule": e.rule,
                            "article": e.article,
                            "outcome": e.get_outcome_display(),
                            "message": e.message,
                        }
                        for e in application.eligibility.all()
                    ],
                }
            ),
        )


def _form_docx(w: _Writer, path: str, version: ApplicationVersion) -> None:
    from intake.documents import application_form_docx  # python-docx, loaded on demand

    w.add(path, application_form_docx(version))


def _review(w: _Writer, cycle: Cycle, applications: list[Application]) -> None:
    from intake.selectors import FEEDBACK_STATES
    from review.documents import evaluation_report_docx, feedback_report_docx
    from review.models import Evaluation

    evaluated = set(
        Evaluation.objects.filter(application__cycle=cycle).values_list("application_id", flat=True)
    )
    if not evaluated:
        return
    w.add("评审/综合评价报告.docx", evaluation_report_docx(cycle))
    for application in applications:
        if application.pk in evaluated and application.state in FEEDBACK_STATES:
            w.add(
                f"评审/评审反馈报告/{_safe(application.applicant_name)}.docx",
                feedback_report_docx(application),
            )


def _entry(e: Entry) -> dict[str, Any]:
    return {
        "holder": e.holder_name,
        "uscc": e.holder_uscc,
        "employer": e.holder_employer,
        "level": e.get_level_display(),
        "rewinner": e.rewinner,
        "position": e.position,
        "withdrawn_at": _when(e.withdrawn_at),
        "withdrawn_reason": e.withdrawn_reason,
    }


def _decision(w: _Writer, cycle: Cycle, actor: User) -> None:
    proposal = (
        Proposal.objects.filter(cycle=cycle)
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=Entry.objects.select_related(
                    "application__organization", "application__individual"
                ),
            ),
            "approvals__attachments",
            "approvals__recorded_by",
        )
        .first()
    )
    if proposal is not None:
        entries = [_entry(e) for e in proposal.entries.all()]
        w.add(
            "审定与公示/拟授奖名单.json",
            _json(
                {
                    "year": cycle.year,
                    "state": proposal.get_state_display(),
                    "entries": entries,
                    "approvals": [
                        {
                            "body": a.get_body_display(),
                            "decided_on": a.decided_on,
                            "reference": a.reference,
                            "attendees": a.attendees,
                            "resolution": a.resolution,
                            "recorded_by": _person(a.recorded_by),
                            "recorded_at": _when(a.recorded_at),
                            "attachments": [f.original_name for f in a.attachments.all()],
                        }
                        for a in proposal.approvals.all()
                    ],
                    "announced_on": proposal.announced_on,
                    "announcement_number": proposal.announcement_number,
                }
            ),
        )
        for approval in proposal.approvals.all():
            for attachment in approval.attachments.all():
                _stream_file(
                    w,
                    f"审定与公示/审批文件/{approval.get_body_display()}_"
                    f"{_safe(attachment.original_name)}",
                    attachment,
                )
        if proposal.notice_published_at is not None:
            w.add(
                "审定与公示/公示.json",
                _json(
                    {
                        "title": f"{cycle.year}年度{cycle.program.name}拟授奖名单公示",
                        "starts_on": proposal.notice_starts_on,
                        "ends_on": proposal.notice_ends_on,
                        "published_at": _when(proposal.notice_published_at),
                        "closed_at": _when(proposal.notice_closed_at),
                        "working_days": cycle.policy.notice_working_days,
                        "entries": entries,
                    }
                ),
            )
        _objections(w, proposal)
    announcements = Announcement.objects.filter(cycle=cycle).order_by("published_at", "pk")
    for a in announcements:
        w.add(
            f"审定与公示/公告/{timezone.localtime(a.published_at):%Y%m%d}_"
            f"{a.get_kind_display()}_{_safe(a.title, 60)}.txt",
            f"{a.title}\n\n发布时间：{timezone.localtime(a.published_at):%Y-%m-%d %H:%M}\n\n"
            f"{a.body}\n".encode(),
        )
    _certificates_and_ledger(w, cycle, actor)


def _stream_file(w: _Writer, path: str, row: ApprovalAttachment | ObjectionEvidence) -> None:
    with row.file.open("rb") as source:
        w.stream(path, source)


def _objections(w: _Writer, proposal: Proposal) -> None:
    objections = list(
        Objection.objects.filter(proposal=proposal)
        .select_related("entry", "decided_by")
        .prefetch_related("evidence")
        .order_by("filed_at", "pk")
    )
    if not objections:
        return
    w.add(
        "审定与公示/异议与答复.json",
        _json(
            [
                {
                    "receipt": o.receipt,
                    "entry": o.entry.holder_name if o.entry else "",
                    "content": o.content,
                    "filed_at": _when(o.filed_at),
                    "outcome": o.get_outcome_display(),
                    "findings": o.findings,
                    "reply": o.reply,
                    "decided_by": _person(o.decided_by),
                    "decided_at": _when(o.decided_at),
                    "evidence": [e.original_name for e in o.evidence.all()],
                }
                for o in objections
            ]
        ),
    )
    for o in objections:
        for evidence in o.evidence.all():
            _stream_file(
                w, f"审定与公示/异议证据/{o.receipt}/{_safe(evidence.original_name)}", evidence
            )


def _certificates_and_ledger(w: _Writer, cycle: Cycle, actor: User) -> None:
    certificates = list(
        Certificate.objects.filter(award__application__cycle=cycle)
        .select_related("award__application__cycle__program", "award__organization")
        .select_related("award__individual")
        .order_by("number")
    )
    for certificate in certificates:
        w.add(f"证书/荣誉证书{certificate.number}.pdf", certificate_document(actor, certificate))
    entries = list(
        BonusEntry.objects.filter(award__application__cycle=cycle)
        .select_related("award__organization", "award__individual", "recorded_by")
        .order_by("award__pk", "on", "pk")
    )
    if entries:
        w.add(
            "奖金台账.json",
            _json(
                [
                    {
                        "holder": e.award.holder_name,
                        "level": e.award.get_level_display(),
                        "kind": e.get_kind_display(),
                        "amount": e.amount,
                        "on": e.on,
                        "voucher": e.voucher,
                        "note": e.note,
                        "recorded_by": _person(e.recorded_by),
                        "recorded_at": _when(e.recorded_at),
                    }
                    for e in entries
                ]
            ),
        )


def _audit(w: _Writer, cycle: Cycle) -> dict[str, Any]:
    """The trail from the cycle's creation to now (events carry no cycle: the year's span is
    the honest cut), with the chain's verification, as the trail's own Excel export."""
    from audit.export import workbook
    from audit.views import TrailFilterForm

    created = (
        AuditEvent.objects.filter(
            action="programs.cycle.create", object_type="programs.cycle", object_id=str(cycle.pk)
        )
        .order_by("seq")
        .values_list("created_at", flat=True)
        .first()
    )
    start = timezone.localtime(created).date() if created else dt.date(cycle.year, 1, 1)
    end = timezone.localdate()
    form = TrailFilterForm({"date_from": start.isoformat(), "date_to": end.isoformat()})
    w.add("审计日志.xlsx", workbook(form, program_id=cycle.program_id))
    return {"from": start, "to": end}


# --- making and checking -----------------------------------------------------------------------


@dataclass
class Archive:
    name: str  # the storage name
    manifest_sm3: str
    files: int
    size: int
    event: AuditEvent


def create(*, actor: User, cycle: Cycle) -> Archive:
    """Write the cycle's archive to the default storage and record it.

    Preconditions: Office staff; the cycle closed (`refusal`). Side effects: a ZIP under
    ``archives/<program>/<year>/`` (encrypted at rest by the storage) and one
    ``desk.archive.create`` audit event carrying the manifest's SM3, the file's name, the
    number of files and the size; the file is removed again if the event cannot be written.
    """
    if not actor.has_perm("programs.manage_cycle"):
        raise ServiceError("只有委员会办公室可以生成年度归档。", code="forbidden", status=403)
    problem = refusal(cycle)
    if problem:
        raise ServiceError(problem, code="cycle_open", article="A20.2", status=409)
    made = timezone.now()
    name = (
        f"{folder(cycle)}{cycle.year}年度归档_{timezone.localtime(made):%Y%m%d%H%M%S}_"
        f"{uuid.uuid4().hex[:8]}.zip"
    )
    applications = _applications(cycle)
    with tempfile.TemporaryDirectory(prefix="qa-archive-") as tmp:
        path = Path(tmp) / "archive.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            w = _Writer(zf)
            _intake(w, applications)
            _review(w, cycle, applications)
            _decision(w, cycle, actor)
            span = _audit(w, cycle)
            manifest = {
                "kind": KIND,
                "file": name,
                "program": cycle.program.name,
                "cycle": cycle.year,
                "created_at": _when(made),
                "created_by": {"username": actor.username, "name": _person(actor)},
                "audit_span": span,
                "hash": "SM3",
                "files": w.files,
            }
            data = _json(manifest)
            zf.writestr(MANIFEST, data)
        digest = sm3(data)
        size = path.stat().st_size
        with path.open("rb") as handle:
            saved = default_storage.save(name, File(handle, name=name))
        if saved != name:  # pragma: no cover - the name carries a random part
            default_storage.delete(saved)
            raise ServiceError("归档文件名冲突，请重试。", code="conflict", status=409)
    try:
        with transaction.atomic():
            event = record(
                actor=actor,
                role=Role.OFFICE,
                action=CREATE,
                obj=cycle,
                after={
                    "year": cycle.year,
                    "file": name,
                    "files": len(w.files),
                    "size": size,
                    "hash": digest,
                },
            )
    except BaseException:
        default_storage.delete(name)
        raise
    return Archive(name, digest, len(w.files), size, event)


def archives_of(cycles: list[Cycle]) -> dict[int, list[AuditEvent]]:
    """Each cycle's archives, newest first, as their creation events (the record of each): one
    query for every year on the page."""
    found: dict[int, list[AuditEvent]] = {c.pk: [] for c in cycles}
    events = (
        AuditEvent.objects.filter(
            action=CREATE,
            object_type="programs.cycle",
            object_id__in=[str(c.pk) for c in cycles],
        )
        .select_related("actor")
        .order_by("-seq")
    )
    for event in events:
        found[int(event.object_id)].append(event)
    return found


def archive_event(pk: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(pk=pk, action=CREATE).first()


@dataclass
class Report:
    source: str
    problems: list[str] = field(default_factory=list)
    files: int = 0
    event: AuditEvent | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_hash(member: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.new("sm3"), 0
    while block := member.read(CHUNK):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def verify(source: IO[bytes], label: str) -> Report:
    """Every member against the manifest, and the manifest against its creation event.

    Each mismatch is a Chinese sentence naming the file: a member whose SM3 or size differs, a
    member listed but missing, a member not listed, a manifest unreadable, or a manifest whose
    SM3 is not the one its audit event recorded (or no event records the archive at all)."""
    report = Report(label)
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        report.problems.append(f"{label} 不是完整的ZIP归档文件。")
        return report
    with zf:
        try:
            data = zf.read(MANIFEST)
            manifest = json.loads(data)
            listed = {f["path"]: f for f in manifest["files"]}
        except (KeyError, ValueError, TypeError) as exc:
            report.problems.append(f"清单 {MANIFEST} 缺失或无法读取（{exc}）。")
            return report
        digest = sm3(data)
        event = (
            AuditEvent.objects.filter(action=CREATE, after__file=manifest.get("file"))
            .order_by("seq")
            .first()
        )
        report.event = event
        if event is None:
            report.problems.append(
                f"清单 {MANIFEST} 所记的归档 {manifest.get('file')} 在审计日志中没有生成记录。"
            )
        elif (event.after or {}).get("hash") != digest:
            report.problems.append(
                f"清单 {MANIFEST} 的SM3（{digest}）与审计事件第{event.seq}号记录的"
                f"（{(event.after or {}).get('hash')}）不一致：清单被改动过。"
            )
        present = {i.filename for i in zf.infolist() if not i.is_dir()} - {MANIFEST}
        for path in sorted(set(listed) - present):
            report.problems.append(f"文件 {path} 在清单中，但归档中没有。")
        for path in sorted(present - set(listed)):
            report.problems.append(f"文件 {path} 不在清单中。")
        for path in sorted(present & set(listed)):
            expected = listed[path]
            try:
                with zf.open(path) as member:
                    got, size = _read_hash(member)
            except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: the bytes changed
                report.problems.append(f"文件 {path} 无法读取（{exc}），内容已被改动。")
                continue
            if got != expected.get("sm3") or size != expected.get("size"):
                report.problems.append(
                    f"文件 {path} 的SM3（{got}）与清单记录的（{expected.get('sm3')}）不一致。"
                )
            report.files += 1
    return report


def verify_stored(name: str) -> Report:
    """`verify` of an archive in the default storage (decrypted by it first)."""
    with default_storage.open(name, "rb") as handle:
        return verify(handle, name)


def stored_names(year: int) -> list[str]:
    """The archive files kept for `year` (every program), newest first."""
    names: list[str] = []
    for program_dir in _listdir("archives/"):
        base = f"archives/{program_dir}/{year}/"
        names += [base + f for f in _listdir(base, files=True) if f.endswith(".zip")]
    return sorted(names, reverse=True)


def _listdir(path: str, *, files: bool = False) -> list[str]:
    try:
        dirs, names = default_storage.listdir(path)
    except FileNotFoundError:
        return []
    return list(names if files else dirs)


def open_stored(name: str) -> Iterator[bytes]:
    """The archive's plaintext, chunk by chunk (a download streams it)."""
    handle = default_storage.open(name, "rb")
    try:
        while block := handle.read(CHUNK):
            yield block
    finally:
        handle.close()


def exists(name: str) -> bool:
    return name.startswith("archives/") and default_storage.exists(name)
