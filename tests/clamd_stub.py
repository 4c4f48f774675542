"""A stand-in for ClamAV's daemon on a real socket: it speaks clamd's INSTREAM protocol.

It answers ``stream: Eicar-Test-Signature FOUND`` when the stream holds the EICAR test string
and ``stream: OK`` otherwise, as clamd does; `silent=True` accepts connections and never
answers (a hung scanner). Used by the upload tests (lib/scan.py).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The standard antivirus test file (eicar.org): harmless, detected by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        part = sock.recv(count - len(data))
        if not part:
            raise ConnectionError("closed")
        data += part
    return data


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        server: _Server = self.server  # type: ignore[assignment]
        command = b""
        while not command.endswith(b"\0"):
            part = sock.recv(1)
            if not part:
                return
            command += part
        if server.silent:
            server.stop.wait(30)
            return
        if command != b"zINSTREAM\0":
            sock.sendall(b"UNKNOWN COMMAND\0")
            return
        stream = b""
        while True:
            (length,) = struct.unpack(">I", _read_exact(sock, 4))
            if length == 0:
                break
            stream += _read_exact(sock, length)
        server.streams.append(stream)
        answer = b"stream: Eicar-Test-Signature FOUND" if EICAR in stream else b"stream: OK"
        sock.sendall(answer + b"\0")


class _Server:
    silent: bool
    streams: list[bytes]
    stop: threading.Event


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer, _Server):
    daemon_threads = True


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer, _Server):
    daemon_threads = True


@contextmanager
def clamd(*, unix: Path | None = None, silent: bool = False) -> Iterator[_Server]:
    """A running stub: on the unix socket `unix`, else on 127.0.0.1 at a free port (its
    ``server_address``). The streams it received are in ``.streams``."""
    server: _UnixServer | _TCPServer
    if unix is not None:
        server = _UnixServer(str(unix), _Handler)
    else:
        server = _TCPServer(("127.0.0.1", 0), _Handler)
    server.silent, server.streams, server.stop = silent, [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
