"""Certificates made in the background (issue 17 part 1; docs/decisions/0024).

Drawing and signing a certificate takes about a second (lib/certificates.py, lib/signing.py).
When the awards are announced (`services.announce`) one job per certificate
("decision.certificate", ref "decision.certificate:<number>") renders and signs it and keeps the
PDF as the job's result, encrypted at rest like every stored file. The download
(`views.awards.certificate_pdf`) and the annual archive (desk/archive.py, through that view)
read `document`: the kept PDF while it is still the one a render would give, else a render on
the spot, as before the jobs (so every path works without a worker, and a job that failed or is
still queued changes nothing but the time).

A kept PDF is what a render gives as long as

- the certificate is not revoked: a revoked one is no longer the winner's, and the Office's copy
  carries 已撤销 with the date and the reason (rare: drawn on demand);
- the office's 电子印章 is still the one the PDF carries: the job keeps the digest of the seal
  it drew (`Job.result_basis`, "-" for none), compared with the present seal's (one indexed
  query). A job kept before the digest was recorded falls back to the time of the last seal
  change (the `programs.seal.upload` / `.remove` audit events) against the job's start, with a
  margin for a change committed while the job was reading.

A rename changes nothing: what a certificate prints was fixed when it was issued.

When the seal is uploaded or removed, every kept certificate of the program is queued again
(`requeue_for_seal`, called by `programs.services` in the seal's own transaction through
`SEAL_FOLLOWERS`), so the downloads stay fast after the change (docs/decisions/0027).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from audit.models import AuditEvent
from intake import standing
from jobs.models import Job
from jobs.registry import Permanent, Result, handler
from jobs.services import Item, enqueue_many, latest
from lib import signing
from lib.certificates import ARTICLE_25, article_25
from lib.certificates import certificate_pdf as draw
from programs import services as program_services
from programs import site as public_site
from programs.models import AwardProgram, Seal
from programs.selectors import default_program

from . import selectors
from .models import Certificate

KIND = "decision.certificate"
# The basis of a certificate drawn without a seal (a digest is 64 hex digits).
NO_SEAL = "-"
SEAL_CHANGES = ("programs.seal.upload", "programs.seal.remove")
# A seal changed this shortly before a job started may not have been visible to it (its
# transaction not yet committed): the kept PDF is not trusted then, a render decides.
MARGIN = dt.timedelta(seconds=60)


def ref(number: str) -> str:
    return f"{KIND}:{number}"


def filename(certificate: Certificate) -> str:
    return f"荣誉证书{certificate.number}.pdf"


def _program(certificate: Certificate) -> AwardProgram | None:
    award = certificate.award
    return award.application.cycle.program if award.application else default_program()


def _verify_path(program: AwardProgram | None, number: str) -> str:
    if program is None:
        return reverse("decision:verified", args=[number])
    return public_site.program_url(program, "decision:verified", number=number)


def render(certificate: Certificate) -> bytes:
    """The certificate drawn and signed now (A21.1, A25.1): what it prints was fixed at issue
    (`Certificate`, RecordedHolder); a revoked one carries 已撤销 with the date and the reason;
    the office's 电子印章, once uploaded, is stamped over the issuer. Raises
    `signing.SigningUnavailable` in production without a signing key (never unsigned)."""
    return _render(certificate)[0]


def _reminder(award: Any, program: AwardProgram | None) -> str:
    """Article 25 in the words of the award's program and the Measures it was won under."""
    if program is None:
        return ARTICLE_25
    return article_25(public_site.award_name(program), standing.policy_for(award).title)


def _render(certificate: Certificate) -> tuple[bytes, str]:
    """`render`, and the basis of what was drawn: the digest of the seal it carries."""
    award = certificate.award
    program = _program(certificate)
    if certificate.holder_uscc:
        note = f"统一社会信用代码：{certificate.holder_uscc}"
    else:
        note = f"工作单位：{certificate.holder_employer}" if certificate.holder_employer else ""
    # The image and its digest in one read: the basis is exactly the seal drawn.
    found = Seal.objects.filter(program=program).values_list("image", "sha256").first()
    seal, basis = (found[0], found[1]) if found else (None, NO_SEAL)
    issuer = program.government if program else ""
    data = draw(
        holder=certificate.holder_name,
        holder_note=note,
        level=award.get_level_display(),
        year=award.year,
        number=certificate.number,
        # The public address, whatever host the clerk used: the QR code is printed for good;
        # the program's own (today's for the default program, under its slug for another).
        verify_url=settings.SITE_URL + _verify_path(program, certificate.number),
        issued_on=certificate.issued_on,
        issuer=issuer,
        seal=bytes(seal) if seal else None,
        revoked_on=award.revoked_on,
        revoked_reason=certificate.revoked_reason,
        reminder=_reminder(award, program),
    )
    identity = signing.Identity(
        office=program.office_name if program else issuer, government=issuer
    )
    signed = signing.sign_pdf(
        data, identity=identity, reason=f"{issuer}颁发荣誉证书 {certificate.number}"
    )
    return signed, basis


def requeue_for_seal(program: AwardProgram) -> list[Job]:
    """After the seal of `program` changed, in that change's transaction: queue again each of
    its certificates whose PDF is kept (a done job with its file), unless one is already
    waiting in the queue (it will read the new seal). A revoked one is skipped: its download
    is drawn on demand anyway. Two queries and one INSERT, however many certificates."""
    certificates = Certificate.objects.filter(award__revoked_on__isnull=True)
    mine = Q(award__application__cycle__program=program)
    if program.pk == getattr(default_program(), "pk", None):  # awards entered by hand
        mine |= Q(award__application__isnull=True)
    by_ref = {ref(c.number): c for c in certificates.filter(mine).only("pk", "number")}
    if not by_ref:
        return []
    states = Job.objects.filter(kind=KIND, ref__in=list(by_ref)).values_list(
        "ref", "state", "result"
    )
    kept = {r for r, state, result in states if state == Job.State.DONE and result}
    waiting = {r for r, state, _ in states if state == Job.State.QUEUED}
    return queue([c for r, c in by_ref.items() if r in kept and r not in waiting])


def queue(certificates: Sequence[Certificate]) -> list[Job]:
    """One job per certificate, in the caller's transaction (sent to the workers on commit)."""
    return enqueue_many(
        [
            Item(KIND, {"number": c.number}, label=f"证书：{filename(c)}", ref=ref(c.number))
            for c in certificates
        ]
    )


@handler(KIND, keep_result=True)  # read by every download: never pruned while newest
def make(job: Job) -> Result:
    number = str(job.payload.get("number", ""))
    certificate = selectors.certificate(number) if number else None
    if certificate is None:
        raise Permanent("证书不存在")
    try:
        content, basis = _render(certificate)
    except signing.SigningUnavailable as exc:  # configuration, not a passing fault
        raise Permanent(str(exc)) from exc
    return Result(filename(certificate), content, basis=basis)


def _seal_basis(program: AwardProgram | None) -> str:
    found = Seal.objects.filter(program=program).values_list("sha256", flat=True).first()
    return found or NO_SEAL


def _seal_changed_at(program: AwardProgram | None) -> dt.datetime | None:
    if program is None:
        return None
    return (
        AuditEvent.objects.filter(
            object_type=AwardProgram._meta.label_lower,
            object_id=str(program.pk),
            action__in=SEAL_CHANGES,
        )
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )


def kept_job(certificate: Certificate) -> Job | None:
    """The finished job whose PDF is still what a render would give, if any."""
    if certificate.award.revoked_on is not None:
        return None
    job = latest(ref(certificate.number))
    if job is None or job.state != Job.State.DONE or not job.result or job.started_at is None:
        return None
    program = _program(certificate)
    if job.result_basis:  # the seal it carries, recorded: exact
        return job if job.result_basis == _seal_basis(program) else None
    changed = _seal_changed_at(program)
    if changed is not None and changed >= job.started_at - MARGIN:
        return None
    return job


def document(certificate: Certificate) -> bytes:
    """The certificate's signed PDF: the kept one when still current, else rendered now."""
    job = kept_job(certificate)
    if job is not None:
        try:
            with job.result.open("rb") as handle:  # decrypted and verified by the storage
                return bytes(handle.read())
        except OSError:  # the file is gone (a restore without the media): render instead
            pass
    return render(certificate)


# Followed by the seal service (programs.services), which may not import this app.
if requeue_for_seal not in program_services.SEAL_FOLLOWERS:
    program_services.SEAL_FOLLOWERS.append(requeue_for_seal)
