"""A throwaway EC key and self-signed certificate (PEM) for `make deploy-check`: the check asks
that CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT name files (deploy.W004); what they
hold is a deployment's own. Usage: throwaway_signing_cert.py KEY_PATH CERT_PATH"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def main(key_path: str, cert_path: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deploy-check")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    Path(key_path).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    Path(cert_path).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main(*sys.argv[1:3])
