"""The virus-scanning hook for uploads: ClamAV's daemon (clamd) when one is configured.

settings.CLAMD_SOCKET (a unix socket path, e.g. /run/clamav/clamd.ctl) or settings.CLAMD_ADDRESS
("host:port", e.g. 127.0.0.1:3310) names the daemon; CLAMD_TIMEOUT (seconds, default 10)
bounds each socket operation. Neither set: nothing is scanned (development; `check --deploy`
warns, deploy.W002 in audit/checks.py). Configured but unreachable, timing out or answering
anything but OK or FOUND: the file is refused (fail closed), never accepted unscanned. Hits
and failures are logged (the refusal itself is the user's message; no file is kept).

The protocol is clamd's INSTREAM: ``zINSTREAM\\0``, then the bytes in chunks each prefixed by
its length as a 4-byte big-endian integer, then a zero-length chunk; the daemon answers
``stream: OK`` or ``stream: <signature> FOUND`` (NUL-terminated with the z prefix). The chunk
size stays well under clamd's StreamMaxLength defaults; a file over that limit is answered
``INSTREAM size limit exceeded`` and refused like an unreachable scanner.
"""

from __future__ import annotations

import logging
import socket
import struct

from django.conf import settings

__all__ = [
    "UNAVAILABLE",
    "Infected",
    "ScannerUnavailable",
    "configured",
    "scan_bytes",
]

UNAVAILABLE = "病毒扫描服务暂不可用，文件未保存，请稍后再试。"
_CHUNK = 64 * 1024
_log = logging.getLogger(__name__)
_MAX_REPLY = 4096


class Infected(Exception):
    """The scanner found something; `signature` is its name (Eicar-Test-Signature)."""

    def __init__(self, signature: str) -> None:
        super().__init__(signature)
        self.signature = signature


class ScannerUnavailable(Exception):
    """A scanner is configured but gave no usable answer (down, timing out, refusing)."""


def configured() -> str:
    """The configured scanner as an operator reads it ("unix:/run/…", "tcp:host:port"), or ""."""
    if path := getattr(settings, "CLAMD_SOCKET", ""):
        return f"unix:{path}"
    if address := getattr(settings, "CLAMD_ADDRESS", ""):
        return f"tcp:{address}"
    return ""


def _connect() -> socket.socket:
    timeout = float(getattr(settings, "CLAMD_TIMEOUT", 10))
    if path := getattr(settings, "CLAMD_SOCKET", ""):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except BaseException:
            sock.close()
            raise
        return sock
    host, _, port = str(settings.CLAMD_ADDRESS).rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)


def _reply(sock: socket.socket) -> str:
    received = b""
    while b"\0" not in received and len(received) < _MAX_REPLY:
        part = sock.recv(_MAX_REPLY)
        if not part:
            break
        received += part
    return received.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def scan_bytes(data: bytes) -> None:
    """Scan `data` with clamd when configured; Infected on a hit, ScannerUnavailable when the
    configured scanner cannot answer. Returns None when clean or when no scanner is set."""
    if not configured():
        return
    try:
        with _connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            view = memoryview(data)
            for start in range(0, len(view), _CHUNK):
                piece = view[start : start + _CHUNK]
                sock.sendall(struct.pack(">I", len(piece)) + piece)
            sock.sendall(struct.pack(">I", 0))
            answer = _reply(sock)
    except (OSError, ValueError) as exc:  # refused, missing socket, timeout, bad address
        _log.error("clamd %s unavailable: %s", configured(), exc)
        raise ScannerUnavailable(str(exc)) from exc
    # "stream: OK" / "stream: Eicar-Test-Signature FOUND" / "... ERROR"
    verdict = answer.split(":", 1)[-1].strip()
    if verdict == "OK":
        return
    if verdict.endswith(" FOUND"):
        signature = verdict.removesuffix(" FOUND").strip() or "未知病毒"
        _log.warning("clamd found %s in an upload of %d bytes; refused", signature, len(data))
        raise Infected(signature)
    _log.error("clamd %s answered %r", configured(), answer)
    raise ScannerUnavailable(answer or "no answer")
