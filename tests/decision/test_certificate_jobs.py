"""Certificates made in the background (issue 17 part 1; decision/jobs.py): the announcement
queues one job per certificate, exactly once; the download and the archive then serve the kept
PDF without drawing it again; a seal uploaded or removed afterwards, or a revocation, makes
them draw it afresh (the kept one would be stale)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role, User
from decision import jobs as certificate_jobs
from decision import services
from decision.models import Certificate, Proposal
from desk.archive import certificate_document
from intake.models import AwardRecord
from jobs import services as job_services
from jobs.models import Job
from lib.errors import StateConflict
from programs.services import remove_seal, upload_seal
from tests.conftest import client_for
from tests.decision.conftest import ANNOUNCE_DAY, Decided, announced
from tests.lib.test_certificates_signed import seal_png

pytestmark = [pytest.mark.django_db, pytest.mark.req("A21.1", "A25.1")]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The numbers of the certificates drawn (each draw is a render: about a second)."""
    calls: list[str] = []
    real = certificate_jobs.draw

    def counting(**kwargs: Any) -> bytes:
        calls.append(kwargs["number"])
        return real(**kwargs)

    monkeypatch.setattr(certificate_jobs, "draw", counting)
    return calls


def _certificate_jobs() -> list[Job]:
    return list(Job.objects.filter(kind=certificate_jobs.KIND).order_by("pk"))


def _run(number: str) -> None:
    """The worker's part for one certificate (each draw takes about a second)."""
    job = job_services.latest(certificate_jobs.ref(number))
    assert job is not None
    job_services.run(job.pk)


def _first(decided: Decided) -> str:
    return Certificate.objects.get(award__application=decided.organizations[0]).number


def _kept(number: str) -> bytes:
    job = job_services.latest(certificate_jobs.ref(number))
    assert job is not None
    assert job.state == Job.State.DONE
    with job.result.open("rb") as handle:
        return bytes(handle.read())


def _download(user: User, number: str) -> Any:
    return client_for(user).get(reverse("decision:certificate_pdf", args=[number]))


def _holder(make_user: Any, decided: Decided) -> User:
    user: User = make_user(
        Role.APPLICANT,
        username="winner_contact",
        organization=decided.organizations[0].organization,
    )
    return user


def test_announcing_queues_one_job_per_certificate_once(
    decided: Decided, time_machine: Any
) -> None:
    announced(decided, time_machine)
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert numbers
    made = _certificate_jobs()
    assert sorted(j.ref for j in made) == sorted(certificate_jobs.ref(n) for n in numbers)
    # Queued in the announcement's transaction: sent to the workers when it commits.
    assert {j.state for j in made} == {Job.State.QUEUED}
    assert all(j.label.startswith("证书：荣誉证书") for j in made)
    # A second announcement is refused and queues nothing more.
    proposal = Proposal.objects.get(cycle=decided.cycle)
    with pytest.raises(StateConflict):
        services.announce(
            actor=decided.office,
            proposal=proposal,
            announced_on=ANNOUNCE_DAY.date(),
            document_number="皋政发〔2026〕121号",
        )
    assert len(_certificate_jobs()) == len(numbers)


def test_the_download_and_the_archive_serve_the_kept_pdf_without_drawing(
    decided: Decided, time_machine: Any, draws: list[str], make_user: Any
) -> None:
    announced(decided, time_machine)
    number = _first(decided)
    _run(number)
    assert number in draws  # the job drew it
    kept = _kept(number)
    assert kept.startswith(b"%PDF")
    draws.clear()
    for user in (decided.office, _holder(make_user, decided)):
        response = _download(user, number)
        assert response.status_code == 200
        assert response.content == kept  # a signature carries its time: a new one would differ
        assert response["Content-Disposition"].endswith(".pdf")
    certificate = Certificate.objects.select_related("award").get(number=number)
    assert certificate_document(decided.office, certificate) == kept
    assert draws == []


def test_without_a_finished_job_the_download_draws_it_as_before(
    decided: Decided, time_machine: Any, draws: list[str]
) -> None:
    announced(decided, time_machine)  # the jobs wait for a commit that never comes here
    number = _first(decided)
    response = _download(decided.office, number)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert draws == [number]


def test_a_seal_uploaded_or_removed_after_the_job_makes_a_fresh_one(
    decided: Decided, time_machine: Any, draws: list[str]
) -> None:
    announced(decided, time_machine)
    number = _first(decided)
    _run(number)
    kept = _kept(number)
    program = decided.cycle.program
    time_machine.shift(dt.timedelta(hours=1))
    upload_seal(actor=decided.office, program=program, name="公章.png", data=seal_png())
    draws.clear()
    sealed = _download(decided.office, number)
    assert sealed.status_code == 200
    assert sealed.content != kept
    assert draws == [number]
    # The jobs queued again (or the Office's retry) after the seal: kept and served again.
    time_machine.shift(dt.timedelta(hours=1))
    certificate_jobs.queue(list(Certificate.objects.filter(number=number)))
    _run(number)
    fresh = _kept(number)
    draws.clear()
    assert _download(decided.office, number).content == fresh
    assert draws == []
    # The seal taken off: the kept one (with the seal) is stale too.
    time_machine.shift(dt.timedelta(hours=1))
    remove_seal(actor=decided.office, program=program, reason="印章更换")
    assert _download(decided.office, number).content != fresh
    assert draws == [number]


def test_a_seal_changed_long_before_the_job_ran_does_not_spoil_it(
    decided: Decided, time_machine: Any, draws: list[str]
) -> None:
    announced(decided, time_machine)
    upload_seal(
        actor=decided.office, program=decided.cycle.program, name="公章.png", data=seal_png()
    )
    time_machine.shift(dt.timedelta(minutes=5))  # past the margin (a commit still in flight)
    number = _first(decided)
    _run(number)
    draws.clear()
    assert _download(decided.office, number).content == _kept(number)
    assert draws == []


def test_a_revoked_certificate_is_stamped_for_the_office_and_gone_for_the_holder(
    decided: Decided, time_machine: Any, draws: list[str], make_user: Any
) -> None:
    from tests.decision.test_certificate_signed import _page

    announced(decided, time_machine)
    certificate = Certificate.objects.get(award__application=decided.organizations[0])
    _run(certificate.number)
    kept = _kept(certificate.number)
    AwardRecord.objects.filter(pk=certificate.award_id).update(revoked_on=dt.date(2027, 3, 1))
    Certificate.objects.filter(pk=certificate.pk).update(revoked_reason="获奖后发生重大质量事故")
    draws.clear()
    office = _download(decided.office, certificate.number)
    assert office.status_code == 200
    assert office.content != kept
    assert draws == [certificate.number]
    text, _, _ = _page(office.content)
    assert "已撤销" in text
    assert _download(_holder(make_user, decided), certificate.number).status_code == 404


def test_a_job_without_a_signing_key_fails_for_good_and_the_download_says_so(
    decided: Decided, time_machine: Any, settings: Any
) -> None:
    announced(decided, time_machine)
    settings.CERTIFICATE_SIGNING_KEY = settings.CERTIFICATE_SIGNING_CERT = ""
    settings.DEMO = settings.DEBUG = False
    job = _certificate_jobs()[0]
    assert job_services.run(job.pk) == "failed"  # no retry can mend a missing key
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "证书签名密钥未配置" in job.last_error
    number = job.ref.split(":", 1)[1]
    response = _download(decided.office, number)
    assert response.status_code == 503


# --- a seal change queues the kept certificates again (issue 17; docs/decisions/0027) --------


@pytest.mark.req("A21.1", "I17.3")
def test_a_seal_change_queues_every_kept_certificate_again_so_downloads_stay_fast(
    decided: Decided,
    time_machine: Any,
    draws: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    announced(decided, time_machine)
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) >= 3
    kept_one, revoked, _never_kept, *others = numbers  # the third's job still waits
    for number in [kept_one, revoked, *others]:
        _run(number)
    before = {n: _kept(n) for n in [kept_one, *others]}
    revoked_award = Certificate.objects.get(number=revoked).award_id
    AwardRecord.objects.filter(pk=revoked_award).update(revoked_on=dt.date(2027, 3, 1))
    first = len(_certificate_jobs())
    time_machine.shift(dt.timedelta(hours=1))
    draws.clear()
    with django_capture_on_commit_callbacks(execute=True):
        upload_seal(
            actor=decided.office, program=decided.cycle.program, name="公章.png", data=seal_png()
        )
    # One new job per kept certificate; none for the revoked one (drawn on demand) nor for the
    # one whose job is still waiting (it reads the new seal when it runs).
    again = _certificate_jobs()[first:]
    assert sorted(j.ref for j in again) == [certificate_jobs.ref(n) for n in [kept_one, *others]]
    # Sent after the seal's commit and run (no broker): the new PDFs carry the new seal...
    assert {j.state for j in again} == {Job.State.DONE}
    assert sorted(draws) == sorted([kept_one, *others])
    draws.clear()
    for number in [kept_one, *others]:
        fresh = _kept(number)
        assert fresh != before[number]
        # ... and are served at once, though they ran within a second of the seal's change.
        assert _download(decided.office, number).content == fresh
    assert draws == []


@pytest.mark.req("I17.3")
def test_the_requeue_is_part_of_the_seal_changes_transaction(
    decided: Decided, time_machine: Any
) -> None:
    from django.db import transaction

    announced(decided, time_machine)
    number = _first(decided)
    _run(number)
    first = len(_certificate_jobs())
    seen: list[tuple[str, str]] = []

    def change_then_fail() -> None:
        with transaction.atomic():
            upload_seal(
                actor=decided.office,
                program=decided.cycle.program,
                name="公章.png",
                data=seal_png(),
            )
            seen.extend((j.ref, j.state) for j in _certificate_jobs()[first:])
            raise RuntimeError("the seal's change rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen == [(certificate_jobs.ref(number), Job.State.QUEUED)]  # inside the change
    assert len(_certificate_jobs()) == first  # nothing queued without the change
    # Removing the seal queues it again too.
    with transaction.atomic():
        upload_seal(
            actor=decided.office, program=decided.cycle.program, name="公章.png", data=seal_png()
        )
    job_services.run(_certificate_jobs()[-1].pk)
    count = len(_certificate_jobs())
    remove_seal(actor=decided.office, program=decided.cycle.program, reason="印章更换")
    assert len(_certificate_jobs()) == count + 1
