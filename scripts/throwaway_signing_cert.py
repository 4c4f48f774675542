"""A throwaway key and self-signed certificate (one PEM file, key first) for `make deploy-check`:
the check asks that CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT name files
(deploy.W004); what they hold is a deployment's own. Usage: throwaway_signing_cert.py PEM_PATH"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.signing import Identity, self_signed_pem  # the project's own generator

if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(self_signed_pem(Identity("deploy-check", "deploy-check")))
