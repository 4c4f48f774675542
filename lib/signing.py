"""Digital signatures of the certificates (电子证照, issue 16): PAdES with pyHanko.

The issuing office signs each certificate's PDF with its key and certificate, which the
deployment gives as PEM files (settings CERTIFICATE_SIGNING_KEY, CERTIFICATE_SIGNING_CERT and an
optional CERTIFICATE_SIGNING_PASSPHRASE). The signature is a PAdES baseline B-B signature
(ETSI.CAdES.detached, SHA-256) over the whole file as drawn, the revocation stamp included, so
any later change to a byte shows in a reader's signature panel and in `verify`.

Without a configured key, the demo and development (settings DEMO or DEBUG, and so the tests)
sign with a self-signed certificate generated once into VAR_DIR (CN the office, O the
government): a reader shows it as signed by an untrusted signer, which is what it is. In
production an unset key refuses to sign (`SigningUnavailable`): a certificate is never issued
unsigned, and `manage.py check --deploy` says so beforehand (deploy.W004, audit/checks.py).

Only RSA and ECDSA keys: pyHanko has no SM2 (GB/T 38540 电子印章 signatures); see
docs/decisions/0018-signed-certificates.md for what an SM2 deployment needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import io
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.validation.status import PdfSignatureStatus

FIELD_NAME = "IssuerSignature"
SELF_SIGNED_FILE = "certificate_signing.pem"  # key and certificate, in VAR_DIR
SELF_SIGNED_YEARS = 10
UNAVAILABLE = (
    "证书签名密钥未配置：电子证书必须由颁发单位数字签名后才能出具。"
    "请系统管理员设置 CERTIFICATE_SIGNING_KEY 和 CERTIFICATE_SIGNING_CERT。"
)


class SigningUnavailable(RuntimeError):
    """No key to sign with (production without CERTIFICATE_SIGNING_KEY/CERT), or one that
    cannot be read. The message is Chinese and says what the administrator must do."""


@dataclass(frozen=True)
class Identity:
    """Who signs when the deployment gives no key: the self-signed certificate's names."""

    office: str  # CN, e.g. 如皋市质量发展委员会办公室
    government: str  # O, e.g. 如皋市人民政府


def configured() -> bool:
    """Whether the deployment gives its own key and certificate."""
    return bool(
        getattr(settings, "CERTIFICATE_SIGNING_KEY", "")
        and getattr(settings, "CERTIFICATE_SIGNING_CERT", "")
    )


def self_signed_allowed() -> bool:
    return bool(getattr(settings, "DEMO", False) or getattr(settings, "DEBUG", False))


def _name_part(text: str) -> str:
    """`text` fit for a certificate's name (at most 64 bytes of UTF-8, RFC 5280's upper bound
    as the cryptography package counts it): without a parenthesised note, e.g. the office's
    "（设在市市场监督管理局）", and cut short if still too long."""
    for bracket in ("（", "("):
        text = text.split(bracket, 1)[0]
    text = text.strip() or "颁发单位"
    while len(text.encode()) > 64:
        text = text[:-1]
    return text


def self_signed_pem(identity: Identity) -> bytes:
    """A new RSA-3072 key and a self-signed certificate for it, both PEM, key first."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _name_part(identity.government)),
            x509.NameAttribute(NameOID.COMMON_NAME, _name_part(identity.office)),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * SELF_SIGNED_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: the office stands by what it signs
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def self_signed_path(identity: Identity) -> Path:
    """The demo's key and certificate, generated once into VAR_DIR and kept (readable by the
    owner only). Two processes starting together keep the first one written (a hard link
    fails when the name exists), so every certificate of a demo is signed by one key."""
    path = Path(settings.VAR_DIR) / SELF_SIGNED_FILE
    if path.exists():
        return path
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".signing-")  # mode 0600
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(self_signed_pem(identity))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # fails when another process was first
    finally:
        temporary.unlink()
    return path


@lru_cache(maxsize=4)
def _load(
    key_path: str, cert_path: str, passphrase: str, stamp: tuple[float, float]
) -> SimpleSigner:
    """The signer of these files (cached while their modification times, `stamp`, stay)."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        key = load_private_key_from_pemder_data(
            Path(key_path).read_bytes(), passphrase.encode() if passphrase else None
        )
        certs = list(load_certs_from_pemder_data(Path(cert_path).read_bytes()))
    except (OSError, ValueError, TypeError) as exc:
        raise SigningUnavailable(
            f"证书签名密钥或证书无法读取（{exc.__class__.__name__}）：请检查 "
            "CERTIFICATE_SIGNING_KEY、CERTIFICATE_SIGNING_CERT 和口令。"
        ) from exc
    if not certs:
        raise SigningUnavailable("CERTIFICATE_SIGNING_CERT 中没有证书。")
    # The first certificate is the office's; any after it are its chain (embedded for readers).
    return SimpleSigner(
        signing_cert=certs[0],
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(certs),
    )


def signer(identity: Identity) -> SimpleSigner:
    """The office's signer: the configured key, else (demo, development, tests) the
    self-signed one, else SigningUnavailable."""
    if configured():
        key_path = str(settings.CERTIFICATE_SIGNING_KEY)
        cert_path = str(settings.CERTIFICATE_SIGNING_CERT)
        passphrase = str(getattr(settings, "CERTIFICATE_SIGNING_PASSPHRASE", "") or "")
    elif self_signed_allowed():
        key_path = cert_path = str(self_signed_path(identity))
        passphrase = ""
    else:
        raise SigningUnavailable(UNAVAILABLE)
    try:
        stamp = (Path(key_path).stat().st_mtime, Path(cert_path).stat().st_mtime)
    except OSError as exc:
        raise SigningUnavailable(
            f"证书签名密钥或证书文件不存在：{exc.filename}。请检查 CERTIFICATE_SIGNING_KEY 和 "
            "CERTIFICATE_SIGNING_CERT。"
        ) from exc
    return _load(key_path, cert_path, passphrase, stamp)


def signing_certificate(identity: Identity) -> asn1_x509.Certificate:
    """The certificate the office signs with (to publish, or to trust in a test)."""
    return signer(identity).signing_cert


def sign_pdf(data: bytes, *, identity: Identity, reason: str, location: str = "") -> bytes:
    """`data` (a PDF) signed by the office: an invisible PAdES signature field appended as an
    incremental update covering every byte before it."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    office = signer(identity)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
        name=identity.office,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    out = _outside_event_loop(lambda: signers.sign_pdf(writer, meta, signer=office))
    return out.getvalue()


T = TypeVar("T")


def _outside_event_loop(call: Callable[[], T]) -> T:
    """`call()`, in a thread of its own when this one runs an asyncio event loop: pyHanko signs
    with `asyncio.run`, which refuses to start inside a running loop (a job run at once in a
    thread that drives one, as Playwright's sync API does in the browser tests, failed with
    "coroutine … was never awaited" and left the certificate to be drawn at download)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def verify(data: bytes, trusted: list[asn1_x509.Certificate]) -> PdfSignatureStatus:
    """pyHanko's validation of the last signature of `data` against `trusted` roots (the
    tests, and anyone checking a downloaded certificate). Raises ValueError when the PDF
    carries no signature."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if not reader.embedded_signatures:
        raise ValueError("PDF 没有数字签名。")
    return validate_pdf_signature(
        reader.embedded_signatures[-1], ValidationContext(trust_roots=trusted)
    )
