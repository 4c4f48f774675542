"""Certificates as 电子证照 (issue 16): signed PAdES by the office's configured key and checked
with pyHanko's own validator, the demo's self-signed key, production refusing without a key,
已撤销 across a revoked certificate and the office's seal over the issuer (read back with
PDFium: text and pixels)."""

from __future__ import annotations

import datetime
import io
import math
from pathlib import Path
from typing import Any

import numpy
import pypdfium2 as pdfium
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign.validation.status import SignatureCoverageLevel

from lib import signing
from lib.certificates import BadSeal, certificate_pdf, check_seal

pytestmark = pytest.mark.req("A21.1", "A25.1")

NUMBER = "RG2026-DTVW-Z5W1-2X7Z-2FVM"
OFFICE = signing.Identity(office="如皋市质量发展委员会办公室", government="如皋市人民政府")
REASON = "获奖后发生重大质量安全事故，依据《办法》第二十三条撤销。"


def _pdf(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "holder": "江苏如皋某某精密机械制造有限公司",
        "level": "如皋市市长质量奖",
        "year": 2026,
        "number": NUMBER,
        "verify_url": f"https://zlj.rugao.gov.cn/verify/{NUMBER}",
        "issued_on": datetime.date(2026, 12, 10),
        "issuer": "如皋市人民政府",
    }
    return certificate_pdf(**(arguments | changes))


def _key_pair(directory: Path, name: str, passphrase: bytes | None = None) -> tuple[Path, Path]:
    """An ECDSA P-256 key and a self-signed certificate naming `name`, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture
def configured(settings: Any, tmp_path: Path) -> Path:
    """The deployment's key (with a passphrase) and certificate; returns the certificate."""
    key, cert = _key_pair(tmp_path, "office", passphrase=b"Seal@2026")
    settings.CERTIFICATE_SIGNING_KEY = str(key)
    settings.CERTIFICATE_SIGNING_CERT = str(cert)
    settings.CERTIFICATE_SIGNING_PASSPHRASE = "Seal@2026"
    return cert


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def _image(pdf: bytes, dpi: int = 100) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def _red(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in `box` of the bright red of the seal and of the stamp, solid or translucent:
    not the dark red of the title and the frame (158, 27, 27), nor the gold or the ink."""
    pixels = numpy.asarray(image.crop(box), dtype=int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(((r > 190) & (r - g > 60) & (r - b > 60)).sum())


def seal_png(size: int = 480, *, opaque: bool = False) -> bytes:
    """A round red seal with a star, on a transparent (or, `opaque`, white) background."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 255 if opaque else 0))
    draw = ImageDraw.Draw(image)
    red = (214, 0, 0, 235)
    draw.ellipse((8, 8, size - 8, size - 8), outline=red, width=size // 22)
    c, r = size / 2, size * 0.18
    draw.polygon(
        [
            (
                c + (r if i % 2 == 0 else r * 0.4) * math.sin(i * math.pi / 5),
                c - (r if i % 2 == 0 else r * 0.4) * math.cos(i * math.pi / 5),
            )
            for i in range(10)
        ],
        fill=red,
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- the signature -----------------------------------------------------------------------------


def test_a_signed_certificate_validates_against_the_configured_certificate(
    configured: Path,
) -> None:
    signed = signing.sign_pdf(_pdf(), identity=OFFICE, reason="颁发荣誉证书")
    status = signing.verify(signed, [load_cert_from_pemder(str(configured))])
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == "office"
    # PAdES: the CAdES detached subfilter, SHA-256.
    assert b"/ETSI.CAdES.detached" in signed
    assert status.md_algorithm == "sha256"
    # The page itself is unchanged by signing: its text reads back as drawn.
    assert "荣誉证书" in _text(signed)


def test_signing_works_inside_a_running_event_loop(configured: Path) -> None:
    """A job run at once in a thread that drives an asyncio loop (Playwright's sync API in the
    browser tests does) still signs: pyHanko's own `asyncio.run` cannot start there."""
    import asyncio

    async def inside() -> bytes:
        return signing.sign_pdf(_pdf(), identity=OFFICE, reason="颁发荣誉证书")

    signed = asyncio.run(inside())
    assert signing.verify(signed, [load_cert_from_pemder(str(configured))]).bottom_line


def test_a_signed_certificate_is_not_trusted_under_another_root(
    configured: Path, tmp_path: Path
) -> None:
    signed = signing.sign_pdf(_pdf(), identity=OFFICE, reason="颁发荣誉证书")
    _, other = _key_pair(tmp_path, "someone-else")
    status = signing.verify(signed, [load_cert_from_pemder(str(other))])
    assert status.intact  # the bytes are what was signed, but not by anyone trusted
    assert not status.trusted
    assert not status.bottom_line


def test_one_changed_byte_breaks_the_signature(configured: Path) -> None:
    signed = signing.sign_pdf(_pdf(), identity=OFFICE, reason="颁发荣誉证书")
    trusted = [load_cert_from_pemder(str(configured))]
    # A byte inside the page's content stream, well before the signature: the document still
    # opens, but it is no longer what the office signed.
    start = signed.index(b"stream", signed.index(b"/Contents")) + 40
    forged = signed[:start] + bytes([signed[start] ^ 0x01]) + signed[start + 1 :]
    assert forged != signed
    status = signing.verify(forged, trusted)
    assert not status.intact
    assert not status.bottom_line


def test_an_unsigned_pdf_is_told_apart() -> None:
    with pytest.raises(ValueError, match="没有数字签名"):
        signing.verify(_pdf(), [])


def test_production_without_a_key_refuses_to_sign(settings: Any) -> None:
    settings.CERTIFICATE_SIGNING_KEY = settings.CERTIFICATE_SIGNING_CERT = ""
    settings.DEMO = settings.DEBUG = False
    with pytest.raises(signing.SigningUnavailable, match="证书签名密钥未配置"):
        signing.sign_pdf(_pdf(), identity=OFFICE, reason="颁发荣誉证书")


def test_a_wrong_passphrase_or_missing_file_says_what_to_check(
    configured: Path, settings: Any
) -> None:
    settings.CERTIFICATE_SIGNING_PASSPHRASE = "wrong"
    with pytest.raises(signing.SigningUnavailable, match="无法读取"):
        signing.sign_pdf(_pdf(), identity=OFFICE, reason="x")
    settings.CERTIFICATE_SIGNING_CERT = str(configured.with_name("nowhere.pem"))
    with pytest.raises(signing.SigningUnavailable, match="不存在"):
        signing.sign_pdf(_pdf(), identity=OFFICE, reason="x")


def test_the_demo_signs_with_a_self_signed_office_certificate_kept_in_var(
    settings: Any, tmp_path: Path
) -> None:
    settings.CERTIFICATE_SIGNING_KEY = settings.CERTIFICATE_SIGNING_CERT = ""
    settings.DEMO = True
    settings.VAR_DIR = tmp_path
    identity = signing.Identity(
        office="如皋市质量发展委员会办公室（设在市市场监督管理局）", government="如皋市人民政府"
    )
    signed = signing.sign_pdf(_pdf(), identity=identity, reason="颁发荣誉证书")
    kept = tmp_path / signing.SELF_SIGNED_FILE
    assert kept.stat().st_mode & 0o777 == 0o600
    own = signing.signing_certificate(identity)
    names = own.subject.native
    assert names["common_name"] == "如皋市质量发展委员会办公室"  # the note in brackets dropped
    assert names["organization_name"] == "如皋市人民政府"
    assert own.subject == own.issuer  # self-signed
    assert signing.verify(signed, [own]).bottom_line
    # Kept: the next certificate is signed by the same key.
    before = kept.read_bytes()
    signing.sign_pdf(_pdf(), identity=identity, reason="颁发荣誉证书")
    assert kept.read_bytes() == before


# --- 已撤销 ------------------------------------------------------------------------------------


def test_a_revoked_certificate_says_so_across_the_page_and_stays_signed(
    configured: Path,
) -> None:
    revoked = _pdf(revoked_on=datetime.date(2027, 3, 1), revoked_reason=REASON)
    text = _text(revoked)
    assert "已撤销" in text
    assert "本证书已于2027年3月1日撤销，不再有效。" in text
    assert "撤销原因：获奖后发生重大质量安全事故" in text
    assert "已撤销" not in _text(_pdf())
    # Large and red across the middle of the page, where the valid certificate has none.
    middle = (600, 250, 1100, 600)  # pixels at 150 dpi: the page is 1754 × 1240
    assert _red(_image(revoked, 150), middle) > 15000
    assert _red(_image(_pdf(), 150), middle) < 500
    # Signed after the stamp: the signature covers the page as stamped.
    signed = signing.sign_pdf(revoked, identity=OFFICE, reason="颁发荣誉证书")
    status = signing.verify(signed, [load_cert_from_pemder(str(configured))])
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_a_long_revocation_reason_keeps_to_two_lines_of_the_band() -> None:
    text = _text(_pdf(revoked_on=datetime.date(2027, 3, 1), revoked_reason=REASON * 8))
    assert "…" in text
    assert "特发此证。" in text  # the certificate under the band is still there


# --- the seal ----------------------------------------------------------------------------------


def test_the_seal_is_stamped_over_the_issuer_and_the_date() -> None:
    # Pixels at 150 dpi: the seal is centred on the issuer and the date (225 mm, 153 mm).
    issuer_area = (1190, 770, 1470, 1040)
    with_seal = _image(_pdf(seal=seal_png()), 150)
    without = _image(_pdf(), 150)
    assert _red(with_seal, issuer_area) > 6000
    assert _red(without, issuer_area) == 0
    # Transparent around the ink: the issuer's name still reads back.
    assert "如皋市人民政府" in _text(_pdf(seal=seal_png()))


def test_a_seal_image_must_be_a_transparent_png_of_a_seals_size() -> None:
    assert check_seal(seal_png()) == (480, 480)
    with pytest.raises(BadSeal, match="没有透明背景"):
        check_seal(seal_png(opaque=True))
    with pytest.raises(BadSeal, match="每边须在400至4000像素之间"):
        check_seal(seal_png(200))
    out = io.BytesIO()
    Image.new("RGBA", (1200, 400), (0, 0, 0, 0)).save(out, "PNG")
    with pytest.raises(BadSeal, match="圆形或椭圆形"):
        check_seal(out.getvalue())
    out = io.BytesIO()
    Image.new("RGBA", (500, 500), (0, 0, 0, 0)).save(out, "PNG")
    with pytest.raises(BadSeal, match="完全透明"):
        check_seal(out.getvalue())
    out = io.BytesIO()
    Image.new("RGB", (500, 500), (255, 0, 0)).save(out, "JPEG")
    with pytest.raises(BadSeal, match="须为PNG格式"):
        check_seal(out.getvalue())
    with pytest.raises(BadSeal, match="无法读取"):
        check_seal(b"not an image at all")
