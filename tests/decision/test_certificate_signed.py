"""The certificate as downloaded (issue 16 part 5): signed by the office's configured key, the
Office's copy of a revoked certificate stamped 已撤销 (the holder no longer gets one), the
office's seal once uploaded, and every address (QR code, e-mail links) from SITE_URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core import mail
from django.db import transaction
from django.urls import reverse
from pyhanko.keys import load_cert_from_pemder

from accounts.models import Role, User
from accounts.services import notify
from decision.models import Certificate
from intake.models import AwardRecord
from lib import signing
from programs.services import upload_seal
from tests.conftest import client_for
from tests.decision.conftest import Decided, announced
from tests.lib.test_certificates_signed import _key_pair, seal_png

SITE = "https://award.example.gov.cn:8443"


@pytest.fixture
def office_key(settings: Any, tmp_path: Path) -> Path:
    key, cert = _key_pair(tmp_path, "如皋市质量发展委员会办公室")
    settings.CERTIFICATE_SIGNING_KEY, settings.CERTIFICATE_SIGNING_CERT = str(key), str(cert)
    return cert


@pytest.fixture
def certificate(decided: Decided, time_machine: Any) -> Certificate:
    announced(decided, time_machine)
    return Certificate.objects.select_related("award").get(
        award__application=decided.organizations[0]
    )


def _page(pdf: bytes) -> tuple[str, int, Any]:
    """The page's text, its number of images and the page rendered at 200 dpi."""
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    text = str(page.get_textpage().get_text_range())
    images = sum(1 for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE)
    rendered = page.render(scale=200 / 72).to_pil()
    document.close()
    return text, images, rendered


def _holder(make_user: Any, decided: Decided) -> User:
    user: User = make_user(
        Role.APPLICANT,
        username="winner_contact",
        organization=decided.organizations[0].organization,
    )
    return user


@pytest.mark.req("A21.1", "A25.1")
def test_the_downloaded_certificate_is_signed_by_the_office(
    certificate: Certificate, decided: Decided, office_key: Path, make_user: Any
) -> None:
    url = reverse("decision:certificate_pdf", args=[certificate.number])
    for user in (decided.office, _holder(make_user, decided)):
        response = client_for(user).get(url)
        assert response.status_code == 200
        status = signing.verify(response.content, [load_cert_from_pemder(str(office_key))])
        assert status.bottom_line, status.summary()
        text, images, _ = _page(response.content)
        assert "已撤销" not in text
        assert images == 0  # no seal uploaded: none printed, none imitated


@pytest.mark.req("A21.1", "A23.2")
def test_a_revoked_certificate_prints_as_revoked_for_the_office_and_not_for_the_holder(
    certificate: Certificate, decided: Decided, office_key: Path, make_user: Any
) -> None:
    AwardRecord.objects.filter(pk=certificate.award.pk).update(revoked_on=dt.date(2027, 3, 1))
    Certificate.objects.filter(pk=certificate.pk).update(
        revoked_reason="获奖后发生重大质量安全事故未按期报告（《办法》第二十三条）"
    )
    url = reverse("decision:certificate_pdf", args=[certificate.number])
    assert client_for(_holder(make_user, decided)).get(url).status_code == 404
    response = client_for(decided.office).get(url)
    assert response.status_code == 200
    text, _, _ = _page(response.content)
    assert "已撤销" in text
    assert "本证书已于2027年3月1日撤销，不再有效。" in text
    assert "获奖后发生重大质量安全事故未按期报告" in text
    # Signed after the stamp: intact, and covering the whole file.
    status = signing.verify(response.content, [load_cert_from_pemder(str(office_key))])
    assert status.bottom_line
    # The public verification page says it as plainly.
    page = client_for(None).get(reverse("decision:verified", args=[certificate.number]))
    assert "已撤销" in page.content.decode()


@pytest.mark.req("A21.1")
def test_the_uploaded_seal_is_printed_on_the_certificate(
    certificate: Certificate, decided: Decided, office_key: Path
) -> None:
    upload_seal(
        actor=decided.office, program=decided.cycle.program, name="公章.png", data=seal_png()
    )
    url = reverse("decision:certificate_pdf", args=[certificate.number])
    response = client_for(decided.office).get(url)
    _, images, _ = _page(response.content)
    assert images == 1
    assert signing.verify(response.content, [load_cert_from_pemder(str(office_key))]).bottom_line


@pytest.mark.req("A21.1")
def test_production_without_a_signing_key_refuses_rather_than_issue_unsigned(
    certificate: Certificate, decided: Decided, settings: Any
) -> None:
    settings.CERTIFICATE_SIGNING_KEY = settings.CERTIFICATE_SIGNING_CERT = ""
    settings.DEMO = settings.DEBUG = False
    response = client_for(decided.office).get(
        reverse("decision:certificate_pdf", args=[certificate.number])
    )
    assert response.status_code == 503
    assert not response.content.startswith(b"%PDF")
    assert "证书签名密钥未配置" in response.content.decode()


@pytest.mark.req("A25.1")
def test_the_qr_code_and_the_printed_address_use_site_url(
    certificate: Certificate, decided: Decided, office_key: Path, settings: Any
) -> None:
    settings.SITE_URL = SITE
    response = client_for(decided.office).get(
        reverse("decision:certificate_pdf", args=[certificate.number]), HTTP_HOST="127.0.0.1"
    )
    text, _, rendered = _page(response.content)
    expected = SITE + reverse("decision:verified", args=[certificate.number])
    assert expected in text
    [code] = zxingcpp.read_barcodes(rendered.convert("L"))
    assert code.text == expected


@pytest.mark.req("A3.1")
def test_e_mail_links_use_site_url(
    make_user: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = SITE
    user = make_user(Role.INDIVIDUAL, username="mail_reader")
    user.email = "reader@example.com"
    user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(users=[user], subject="测试", body="请查看。", url="/applications/")
    [message] = mail.outbox
    assert message.body.endswith(f"\n\n{SITE}/applications/")
    assert "127.0.0.1" not in message.body
