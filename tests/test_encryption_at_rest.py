"""Personal data encrypted at rest (issue 15 part 5; security plan row 36, "DB dump stolen"):
what the database and the disk hold, read back the way an attacker with a dump would (raw SQL,
raw files), and what the application still does through the blind index.

Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import FieldError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Individual, Organization, RecommendingUnit, User
from accounts.registration import register_individual
from accounts.selectors import individual_by_id_number
from audit.models import AuditEvent
from decision.models import Objection, ObjectionEvidence, Proposal
from experts import conflicts
from experts.models import Conflict, Expert
from experts.selectors import expert_by_id_number
from experts.services import save_expert
from intake import services as intake
from intake.models import Application, Attachment, State
from lib import crypto
from lib.errors import ServiceError
from programs.models import Cycle
from tests.conftest import client_for
from tests.intake.conftest import complete_form, in_window, open_cycle, org  # noqa: F401

K1 = "k1:" + "5a" * 16
K2 = "k2:" + "c3" * 16
INDEX_KEY = "9e" * 32
PERSON_ID = "32068219850315107X"
EXPERT_ID = "320682197506152348"
PHONE = "13905131234"
EMAIL = "zhangwei.marker@example.com"
MARKER = b"MARKER-PLAINTEXT-4711"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n% " + MARKER + b"\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _keys(settings: Any, tmp_path: Path) -> None:
    settings.PII_KEYS = K1
    settings.BLIND_INDEX_KEY = INDEX_KEY
    settings.MEDIA_ROOT = tmp_path / "media"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)} "
            "WHERE id = %s",
            [pk],
        )
        return str(cursor.fetchone()[0])


def _person(number: str = PERSON_ID, username: str = "zhangwei") -> Individual:
    person, _ = register_individual(
        name="张伟",
        id_number=number,
        recommending_unit=RecommendingUnit.objects.get(name="如城街道"),
        position=Individual.Position.CHIEF_QUALITY_OFFICER,
        quality_work_years=12,
        employer_name="如皋示例机械有限公司",
        username=username,
        password="Lantern#2026ok",
        email=EMAIL,
        phone=PHONE,
    )
    return person


def _expert(office: User, number: str = EXPERT_ID, phone: str = "13905139876") -> Expert:
    return save_expert(
        actor=office,
        id_number=number,
        name="王专家",
        phone=phone,
        category=Expert.Category.INDUSTRY,
        practice_years=10,
        industries=["34"],
    )


def _objection(cycle: Cycle) -> Objection:
    proposal = Proposal.objects.create(cycle=cycle)
    return Objection.objects.create(
        proposal=proposal,
        receipt="YY-2026-0001",
        name="李异议",
        identity="如皋市民",
        contact="liyiyi.marker@example.com",
        content="异议内容",
        filed_at=dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC),
    )


# --- the database holds no plaintext ------------------------------------------------------------


@pytest.mark.req("A26.1")
def test_the_raw_rows_hold_no_plaintext_and_the_models_read_it_back(
    program: Any, office: User, cycle: Cycle
) -> None:
    person = _person()
    expert = _expert(office)
    objection = _objection(cycle)
    stored = {
        ("accounts_individual", "id_number", person.pk): PERSON_ID,
        ("accounts_user", "email", person.user_id): EMAIL,
        ("accounts_user", "phone", person.user_id): PHONE,
        ("experts_expert", "id_number", expert.pk): EXPERT_ID,
        ("experts_expert", "phone", expert.pk): "13905139876",
        ("decision_objection", "name", objection.pk): "李异议",
        ("decision_objection", "identity", objection.pk): "如皋市民",
        ("decision_objection", "contact", objection.pk): "liyiyi.marker@example.com",
    }
    for (table, column, pk), plain in stored.items():
        raw = _raw(table, column, pk)
        assert raw.startswith("sm4g1$k1$"), (table, column)
        assert plain not in raw
        assert plain[-8:] not in raw
    assert Individual.objects.get(pk=person.pk).id_number == PERSON_ID
    assert User.objects.get(pk=person.user_id).email == EMAIL
    assert Expert.objects.get(pk=expert.pk).phone == "13905139876"
    assert Objection.objects.get(pk=objection.pk).contact == "liyiyi.marker@example.com"
    # Nor does the audit trail keep them (it is not encrypted): masked or left out.
    trail = " ".join(str((e.before, e.after)) for e in AuditEvent.objects.all())
    for plain in (PERSON_ID, EXPERT_ID, PHONE, "13905139876", EMAIL):
        assert plain not in trail


@pytest.mark.req("A26.1")
def test_no_key_material_in_any_table(program: Any, office: User, cycle: Cycle) -> None:
    _person()
    _expert(office)
    _objection(cycle)
    _command()
    secrets = {K1.split(":")[1], INDEX_KEY, django_settings.SECRET_KEY}
    secrets |= {s.upper() for s in secrets}
    tables = connection.introspection.table_names()
    dumped = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dumped.append(repr(cursor.fetchall()))
    text = "\n".join(dumped)
    assert "sm4g1$k1$" in text  # the dump did read the encrypted rows
    for secret in secrets:
        assert secret not in text


# --- uniqueness and lookups through the blind index -----------------------------------------


@pytest.mark.req("A26.1", "A14.1")
def test_one_id_number_registers_once_whatever_the_case_of_its_x(program: Any) -> None:
    person = _person()
    with pytest.raises(ServiceError, match="该身份证号码已注册"):
        _person(PERSON_ID.lower(), username="another")
    assert Individual.objects.count() == 1
    # The database refuses it too (the unique blind index), should the check be raced.
    with pytest.raises(IntegrityError), transaction.atomic():
        Individual.objects.create(
            user=User.objects.create(username="racer"),
            name="并发",
            id_number=PERSON_ID.lower(),
            recommending_unit=person.recommending_unit,
            position="cqo",
            quality_work_years=1,
            employer_name="某单位",
        )
    assert individual_by_id_number(f" {PERSON_ID.lower()} ") == person
    assert individual_by_id_number("110105194912310021") is None


@pytest.mark.req("A26.1", "A8.1")
def test_experts_are_unique_and_found_by_the_index(program: Any, office: User) -> None:
    expert = _expert(office)
    with pytest.raises(ServiceError, match="该身份证号码已在专家库中"):
        _expert(office)
    assert expert_by_id_number(EXPERT_ID) == expert
    assert Expert.objects.get().id_number_index == crypto.blind_index(EXPERT_ID, kind="id_number")


@pytest.mark.req("A26.1")
def test_a_lookup_by_the_encrypted_value_is_refused_with_the_index_to_use(program: Any) -> None:
    # (The lookups are spelled as **{...}: the mypy Django plugin asks the field too, and it
    # refuses there as well.)
    _person()
    with pytest.raises(FieldError, match="id_number_index"):
        Individual.objects.filter(**{"id_number": PERSON_ID}).exists()
    with pytest.raises(FieldError, match="加密存储"):
        User.objects.filter(**{"email__icontains": "zhang"}).exists()
    with pytest.raises(FieldError, match="加密存储"):
        Expert.objects.filter(**{"phone__startswith": "139"}).exists()
    # Empty is stored empty, so "has no phone" still works.
    assert not Expert.objects.filter(phone="").exists()


@pytest.mark.req("A26.1")
def test_the_conflict_detection_finds_an_expert_who_is_the_applicant(
    office: User,
    open_cycle: Cycle,  # noqa: F811
) -> None:
    person = _person()
    _expert(office, number=PERSON_ID.lower())
    application = intake.start_application(actor=person.user, cycle=open_cycle, individual=person)
    Application.objects.filter(pk=application.pk).update(state=State.SUBMITTED)
    found = conflicts.detect(applications=[application], actor=office, role="office")
    assert found
    conflict = Conflict.objects.get(application=application)
    assert conflict.reason == Conflict.Reason.SELF


# --- the attachments' bytes -------------------------------------------------------------------


@pytest.fixture
def draft(open_cycle: Cycle, org: Organization, personas: dict[str, User]) -> Application:  # noqa: F811
    application = intake.start_application(
        actor=personas["applicant"], cycle=open_cycle, organization=org
    )
    intake.save_draft(actor=personas["applicant"], application=application, data=complete_form())
    return application


@pytest.mark.req("A26.1")
def test_an_uploaded_file_is_encrypted_on_disk_and_downloads_intact(
    draft: Application, personas: dict[str, User]
) -> None:
    applicant = personas["applicant"]
    attachment = intake.add_attachment(
        actor=applicant, application=draft, section="general", name="执照.pdf", data=PDF
    )
    on_disk = Path(django_settings.MEDIA_ROOT) / attachment.file.name
    raw = on_disk.read_bytes()
    assert MARKER not in raw
    assert raw.startswith(crypto.MAGIC)
    assert attachment.file.size == len(PDF)  # the plaintext size
    url = reverse("intake:attachment_download", args=[attachment.public_id])
    assert client_for(applicant).get(url).content == PDF
    intake.submit_application(actor=applicant, application=draft)
    response = client_for(personas["office"]).get(url)
    assert response.status_code == 200
    assert response.content == PDF
    assert client_for(personas["expert"]).get(url).status_code == 404


@pytest.mark.req("A26.1")
def test_a_tampered_file_fails_closed(draft: Application, personas: dict[str, User]) -> None:
    applicant = personas["applicant"]
    attachment = intake.add_attachment(
        actor=applicant, application=draft, section="general", name="执照.pdf", data=PDF
    )
    on_disk = Path(django_settings.MEDIA_ROOT) / attachment.file.name
    raw = bytearray(on_disk.read_bytes())
    raw[-20] ^= 0x01
    on_disk.write_bytes(bytes(raw))
    client = client_for(applicant)
    client.raise_request_exception = False
    response = client.get(reverse("intake:attachment_download", args=[attachment.public_id]))
    assert response.status_code == 500
    assert MARKER not in response.content
    # A plaintext file put in its place is not served either.
    on_disk.write_bytes(PDF)
    with pytest.raises(crypto.DecryptionError):
        Attachment.objects.get(pk=attachment.pk).file.open("rb")


@pytest.mark.req("A26.1")
def test_objection_evidence_is_encrypted_on_disk(cycle: Cycle) -> None:
    objection = _objection(cycle)
    evidence = ObjectionEvidence(
        objection=objection, original_name="证据.pdf", content_type="application/pdf", size=1
    )
    evidence.sha256 = "ab" * 32
    evidence.file.save("ab" * 8, ContentFile(PDF), save=False)
    evidence.save()
    raw = (Path(django_settings.MEDIA_ROOT) / evidence.file.name).read_bytes()
    assert MARKER not in raw
    with ObjectionEvidence.objects.get().file.open("rb") as f:
        assert f.read() == PDF


@pytest.mark.req("A26.1")
def test_a_tampered_value_fails_closed(program: Any) -> None:
    person = _person()
    raw = _raw("accounts_individual", "id_number", person.pk)
    prefix, kid, body = raw.split("$")
    swapped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_individual SET id_number = %s WHERE id = %s",
            [f"{prefix}${kid}${swapped}", person.pk],
        )
    with pytest.raises(crypto.DecryptionError):
        Individual.objects.get(pk=person.pk)
    # A ciphertext moved from another column does not decrypt either.
    phone = _raw("accounts_user", "phone", person.user_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_individual SET id_number = %s WHERE id = %s", [phone, person.pk]
        )
    with pytest.raises(crypto.DecryptionError):
        Individual.objects.get(pk=person.pk)


# --- key rotation ---------------------------------------------------------------------------


@pytest.mark.req("A26.1")
def test_rotate_keys_round_trip_and_a_dry_run_changes_nothing(
    draft: Application, personas: dict[str, User], office: User, settings: Any
) -> None:
    person = _person()
    expert = _expert(office)
    attachment = intake.add_attachment(
        actor=personas["applicant"], application=draft, section="general", name="a.pdf", data=PDF
    )
    on_disk = Path(django_settings.MEDIA_ROOT) / attachment.file.name
    before_rows = _raw("accounts_individual", "id_number", person.pk)
    before_file = on_disk.read_bytes()

    settings.PII_KEYS = f"{K2},{K1}"
    out = _command("--dry-run")
    assert "需要重新加密" in out
    assert _raw("accounts_individual", "id_number", person.pk) == before_rows
    assert on_disk.read_bytes() == before_file
    assert not AuditEvent.objects.filter(action="accounts.keys.rotate").exists()

    out = _command()
    assert "已重新加密" in out
    for table, column, pk in (
        ("accounts_individual", "id_number", person.pk),
        ("accounts_user", "phone", person.user_id),
        ("experts_expert", "id_number", expert.pk),
    ):
        assert _raw(table, column, pk).startswith("sm4g1$k2$")
    assert crypto.file_key_id(on_disk.read_bytes()) == "k2"
    event = AuditEvent.objects.get(action="accounts.keys.rotate")
    assert (event.after or {})["key_id"] == "k2"
    assert K2.split(":")[1] not in str(event.after)
    assert "全部数据已在当前密钥下" in _command()  # idempotent: nothing left to do

    settings.PII_KEYS = K2  # the old key removed from the ring: everything still reads
    assert Individual.objects.get(pk=person.pk).id_number == PERSON_ID
    assert User.objects.get(pk=person.user_id).email == EMAIL
    assert individual_by_id_number(PERSON_ID) == person
    with Attachment.objects.get(pk=attachment.pk).file.open("rb") as f:
        assert f.read() == PDF


@pytest.mark.req("A26.1")
def test_a_new_blind_index_key_is_recomputed_by_rotate_keys(
    program: Any, office: User, settings: Any
) -> None:
    person = _person()
    settings.BLIND_INDEX_KEY = "77" * 32
    assert individual_by_id_number(PERSON_ID) is None  # stale until recomputed
    assert "盲索引 0 个" not in _command("--dry-run")
    _command()
    assert individual_by_id_number(PERSON_ID) == person


def _command(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


@pytest.mark.req("A26.1")
def test_the_download_still_needs_permission_for_anyone_signed_out(
    draft: Application, personas: dict[str, User]
) -> None:
    attachment = intake.add_attachment(
        actor=personas["applicant"], application=draft, section="general", name="a.pdf", data=PDF
    )
    url = reverse("intake:attachment_download", args=[attachment.public_id])
    assert Client().get(url).status_code == 302
