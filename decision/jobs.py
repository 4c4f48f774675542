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
- the office's 电子印章 has not changed since the job began (programs.Seal, uploaded or removed:
  both are audit events, `programs.seal.upload` / `.remove`, whose time is compared with the
  job's start, with a margin for a change committed while the job was reading).

A rename changes nothing: what a certificate prints was fixed when it was issued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse

from audit.models import AuditEvent
from jobs.models import Job
from jobs.registry import Permanent, Result, handler
from jobs.services import Item, enqueue_many, latest
from lib import signing
from lib.certificates import certificate_pdf as draw
from programs.models import AwardProgram, Seal
from programs.selectors import default_program

from . import selectors
from .models import Certificate

KIND = "decision.certificate"
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


def render(certificate: Certificate) -> bytes:
    """The certificate drawn and signed now (A21.1, A25.1): what it prints was fixed at issue
    (`Certificate`, RecordedHolder); a revoked one carries 已撤销 with the date and the reason;
    the office's 电子印章, once uploaded, is stamped over the issuer. Raises
    `signing.SigningUnavailable` in production without a signing key (never unsigned)."""
    award = certificate.award
    program = _program(certificate)
    if certificate.holder_uscc:
        note = f"统一社会信用代码：{certificate.holder_uscc}"
    else:
        note = f"工作单位：{certificate.holder_employer}" if certificate.holder_employer else ""
    seal = Seal.objects.filter(program=program).values_list("image", flat=True).first()
    issuer = program.government if program else ""
    data = draw(
        holder=certificate.holder_name,
        holder_note=note,
        level=award.get_level_display(),
        year=award.year,
        number=certificate.number,
        # The public address, whatever host the clerk used: the QR code is printed for good.
        verify_url=settings.SITE_URL + reverse("decision:verified", args=[certificate.number]),
        issued_on=certificate.issued_on,
        issuer=issuer,
        seal=bytes(seal) if seal else None,
        revoked_on=award.revoked_on,
        revoked_reason=certificate.revoked_reason,
    )
    identity = signing.Identity(
        office=program.office_name if program else issuer, government=issuer
    )
    return signing.sign_pdf(
        data, identity=identity, reason=f"{issuer}颁发荣誉证书 {certificate.number}"
    )


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
        return Result(filename(certificate), render(certificate))
    except signing.SigningUnavailable as exc:  # configuration, not a passing fault
        raise Permanent(str(exc)) from exc


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
    changed = _seal_changed_at(_program(certificate))
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
