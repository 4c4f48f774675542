"""Personal data encrypted at rest with SM4 (GB/T 32907) and looked up by a keyed SM3 blind index.

Issue 15 part 5 (GB/T 39786-2021 confidentiality of important data in storage; 等保三级
8.1.4.8 保密性). Three primitives, one home:

- **Text** (an identity number, a phone, an email, an objector's contact): `encrypt_text` gives
  ``"sm4g1$<kid>$<base64url(nonce | ciphertext | tag)>"``: SM4 in GCM mode (a 12-byte random
  nonce, a 16-byte tag), the key named by its id so a rotated ring still decrypts older rows, and
  the *purpose* (the column, e.g. ``"accounts.individual.id_number"``) bound as associated data,
  so a ciphertext copied into another column does not decrypt there.
- **Bytes** (an uploaded file, a backup): `encrypt_bytes` / `encrypt_stream` give a header
  ``MAGIC | len(kid) | kid | 8-byte nonce prefix`` and then the data in 64 KiB chunks, each
  sealed with SM4-GCM under the nonce ``prefix | chunk counter`` and the associated data
  ``purpose | header | counter | last-chunk flag``: a chunk cannot be reordered, dropped, moved
  to another file or purpose, and a truncated file fails. `is_encrypted` recognises the header
  so files stored in plaintext before can be found and encrypted (`manage.py rotate_keys`).
- **Blind index** (`blind_index`): HMAC-SM3 (GB/T 32905) of the normalised value with a separate
  key, hex. Equal values give equal indexes, so uniqueness and lookups run on the index column
  while the value itself stays encrypted; without the key the index cannot be tested against
  guesses (an identity number has too few possibilities for a plain hash).

Anything that does not decrypt (a changed byte, a wrong or missing key, another purpose) raises
`DecryptionError`: the code fails closed and never returns garbage.

**Keys** (config/settings.py; docs/deployment.md):

- ``PII_KEYS``: a ring ``"<kid>:<32 hex digits>,<kid>:<32 hex digits>,..."`` (an SM4 key is 16
  bytes). The FIRST key encrypts; every key in the ring decrypts. A key id is 1-16 letters,
  digits, ``-`` or ``_``. Without the environment variable one key is generated once into
  ``var/pii_keys`` (edit that file, or set the variable, to rotate).
- ``BLIND_INDEX_KEY``: 64 hex digits (32 bytes), same pattern (``var/blind_index_key``). It is
  NOT rotated as a ring: changing it requires a full recompute, which ``manage.py rotate_keys``
  does (it decrypts every value and writes its index again with the current key); until that has
  run, lookups and the uniqueness checks miss the rows not yet recomputed, so rotate it in a
  maintenance window.

Neither key is ever written to the database.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import os
import re
import struct
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "CHUNK_SIZE",
    "MAGIC",
    "MEDIA_PURPOSE",
    "DecryptionError",
    "KeyRing",
    "blind_index",
    "decrypt_bytes",
    "decrypt_stream",
    "decrypt_text",
    "encrypt_bytes",
    "encrypt_stream",
    "encrypt_text",
    "file_key_id",
    "file_needs_rotation",
    "header_size",
    "is_encrypted",
    "is_encrypted_text",
    "key_ring",
    "needs_rotation",
    "needs_rotation_bytes",
    "normalise",
    "open_file",
    "plaintext_size",
    "reset_keys",
    "seal_file",
    "stored_size",
    "text_key_id",
    "unseal_file",
]

TEXT_VERSION = "sm4g1"
MAGIC = b"\x00QAE\x01\r\n\x1a"  # never the start of a PDF, an image, an Office or a text file
CHUNK_SIZE = 64 * 1024
_TAG = 16
_TEXT_NONCE = 12
_FILE_NONCE_PREFIX = 8
_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class DecryptionError(ValueError):
    """The data does not decrypt: changed, truncated, under an unknown key or another purpose."""


@dataclass(frozen=True)
class KeyRing:
    """The SM4 keys by id; `current` encrypts, every key decrypts."""

    current: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``"kid1:<32 hex>,kid2:<32 hex>"``; raises ImproperlyConfigured naming the problem."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for entry in (e.strip() for e in text.split(",")):
            if not entry:
                continue
            kid, sep, hexkey = entry.partition(":")
            kid, hexkey = kid.strip(), hexkey.strip()
            if not sep or not _KID.match(kid):
                raise ImproperlyConfigured(
                    "PII_KEYS 格式应为“密钥编号:32位十六进制,…”，密钥编号为1-16位字母、数字、-或_"
                )
            try:
                key = bytes.fromhex(hexkey)
            except ValueError:
                key = b""
            if len(key) != 16:
                raise ImproperlyConfigured(
                    f"PII_KEYS 中密钥 {kid} 应为32位十六进制（16字节SM4密钥）"
                )
            if kid in keys:
                raise ImproperlyConfigured(f"PII_KEYS 中密钥编号 {kid} 重复")
            keys[kid] = key
            order.append(kid)
        if not order:
            raise ImproperlyConfigured("PII_KEYS 未配置任何密钥，个人信息无法加密，系统拒绝启动。")
        return cls(current=order[0], keys=keys)

    def key(self, kid: str) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise DecryptionError(f"密钥 {kid} 不在 PII_KEYS 中，数据无法解密") from None


_lock = threading.Lock()
_ring: KeyRing | None = None
_ring_source: str | None = None
_index_key: bytes | None = None
_index_source: str | None = None


def key_ring() -> KeyRing:
    """The ring from settings.PII_KEYS (parsed once per value, so tests may override it)."""
    global _ring, _ring_source
    text = settings.PII_KEYS
    with _lock:
        if _ring is None or _ring_source != text:
            _ring, _ring_source = KeyRing.parse(text), text
        return _ring


def _blind_key() -> bytes:
    global _index_key, _index_source
    text = settings.BLIND_INDEX_KEY
    with _lock:
        if _index_key is None or _index_source != text:
            try:
                key = bytes.fromhex(text.strip())
            except ValueError:
                key = b""
            if len(key) < 16:
                raise ImproperlyConfigured("BLIND_INDEX_KEY 应为至少32位（建议64位）十六进制")
            _index_key, _index_source = key, text
        return _index_key


def reset_keys() -> None:
    """Forget the parsed keys (they are re-read from settings on the next use)."""
    global _ring, _ring_source, _index_key, _index_source
    with _lock:
        _ring = _ring_source = _index_key = _index_source = None


def _purpose(purpose: str) -> bytes:
    if not purpose:
        raise ValueError("purpose is required: it binds the ciphertext to its column or use")
    return purpose.encode()


# --- text -------------------------------------------------------------------------------------


def encrypt_text(value: str, *, purpose: str) -> str:
    """`value` sealed under the current key: ``sm4g1$<kid>$<base64url>``. Empty stays empty."""
    if value == "":
        return ""
    ring = key_ring()
    nonce = os.urandom(_TEXT_NONCE)
    enc = Cipher(algorithms.SM4(ring.keys[ring.current]), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(_purpose(purpose))
    body = enc.update(value.encode()) + enc.finalize()
    token = base64.urlsafe_b64encode(nonce + body + enc.tag).decode().rstrip("=")
    return f"{TEXT_VERSION}${ring.current}${token}"


def is_encrypted_text(token: str) -> bool:
    return isinstance(token, str) and token.startswith(TEXT_VERSION + "$")


def text_key_id(token: str) -> str:
    """The key id a token was sealed under ("" for an empty value)."""
    if token == "":
        return ""
    parts = token.split("$")
    if len(parts) != 3 or parts[0] != TEXT_VERSION:
        raise DecryptionError("不是加密数据（格式无法识别）")
    return parts[1]


def decrypt_text(token: str, *, purpose: str) -> str:
    """The value sealed in `token`; raises DecryptionError unless it verifies."""
    if token == "":
        return ""
    kid = text_key_id(token)
    raw_b64 = token.split("$")[2]
    try:
        raw = base64.urlsafe_b64decode(raw_b64 + "=" * (-len(raw_b64) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("加密数据已损坏（编码错误）") from None
    if len(raw) < _TEXT_NONCE + _TAG:
        raise DecryptionError("加密数据已损坏（长度不足）")
    nonce, body, tag = raw[:_TEXT_NONCE], raw[_TEXT_NONCE:-_TAG], raw[-_TAG:]
    dec = Cipher(algorithms.SM4(key_ring().key(kid)), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(_purpose(purpose))
    try:
        plain = dec.update(body) + dec.finalize()
    except InvalidTag:
        raise DecryptionError("加密数据校验失败（被篡改、密钥不符或用途不符）") from None
    try:
        return plain.decode()
    except UnicodeDecodeError:  # pragma: no cover - authenticated, so only our own bug
        raise DecryptionError("加密数据解密后不是文本") from None


def needs_rotation(token: str) -> bool:
    """Whether a stored text value is not yet under the current key (plaintext counts)."""
    if token == "":
        return False
    if not is_encrypted_text(token):
        return True
    return text_key_id(token) != key_ring().current


# --- bytes and files --------------------------------------------------------------------------


def is_encrypted(head: bytes) -> bool:
    """Whether data (or its first bytes) starts with the header of `encrypt_bytes`."""
    return head[: len(MAGIC)] == MAGIC


def _chunk_cipher(key: bytes, prefix: bytes, counter: int, tag: bytes | None = None) -> Cipher:
    nonce = prefix + struct.pack(">I", counter)
    return Cipher(algorithms.SM4(key), modes.GCM(nonce, tag))


def _chunk_aad(purpose: bytes, header: bytes, counter: int, last: bool) -> bytes:
    return b"%s\x00%s%s%s" % (
        purpose,
        header,
        struct.pack(">I", counter),
        b"\x01" if last else b"\x00",
    )


def encrypt_stream(source: BinaryIO, *, purpose: str) -> Iterator[bytes]:
    """The encrypted form of a readable binary stream, in pieces (constant memory)."""
    ring = key_ring()
    kid = ring.current.encode()
    key = ring.keys[ring.current]
    prefix = os.urandom(_FILE_NONCE_PREFIX)
    header = MAGIC + bytes([len(kid)]) + kid + prefix
    aad_purpose = _purpose(purpose)
    yield header
    counter = 0
    chunk = _read_full(source, CHUNK_SIZE)
    while True:
        following = _read_full(source, CHUNK_SIZE) if len(chunk) == CHUNK_SIZE else b""
        last = not following
        if counter >= 2**32 - 1:
            raise ValueError("file too large to encrypt")
        enc = _chunk_cipher(key, prefix, counter).encryptor()
        enc.authenticate_additional_data(_chunk_aad(aad_purpose, header, counter, last))
        yield enc.update(chunk) + enc.finalize() + enc.tag
        if last:
            return
        chunk = following
        counter += 1


def _read_full(source: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining:
        part = source.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _read_header(source: BinaryIO) -> tuple[bytes, str, bytes]:
    head = _read_full(source, len(MAGIC) + 1)
    if len(head) < len(MAGIC) + 1 or not is_encrypted(head):
        raise DecryptionError("不是加密文件（文件头无法识别）")
    kid_len = head[-1]
    rest = _read_full(source, kid_len + _FILE_NONCE_PREFIX)
    if len(rest) != kid_len + _FILE_NONCE_PREFIX:
        raise DecryptionError("加密文件已损坏（文件头不完整）")
    try:
        kid = rest[:kid_len].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("加密文件已损坏（密钥编号无法识别）") from None
    return head + rest, kid, rest[kid_len:]


def file_key_id(head: bytes) -> str:
    """The key id in the header of an encrypted file (its first bytes)."""
    _header, kid, _prefix = _read_header(io.BytesIO(head[: len(MAGIC) + 1 + 255 + 8]))
    return kid


def decrypt_stream(source: BinaryIO, *, purpose: str) -> Iterator[bytes]:
    """The plaintext of an encrypted stream, chunk by chunk; every chunk is verified before it
    is given, and a truncated or extended stream raises DecryptionError at its end."""
    header, kid, prefix = _read_header(source)
    key = key_ring().key(kid)
    aad_purpose = _purpose(purpose)
    counter = 0
    sealed = _read_full(source, CHUNK_SIZE + _TAG)
    while True:
        if len(sealed) < _TAG:
            raise DecryptionError("加密文件已损坏（数据被截断）")
        following = (
            _read_full(source, CHUNK_SIZE + _TAG) if len(sealed) == CHUNK_SIZE + _TAG else b""
        )
        last = not following
        body, tag = sealed[:-_TAG], sealed[-_TAG:]
        dec = _chunk_cipher(key, prefix, counter, tag).decryptor()
        dec.authenticate_additional_data(_chunk_aad(aad_purpose, header, counter, last))
        try:
            plain = dec.update(body) + dec.finalize()
        except InvalidTag:
            raise DecryptionError("加密文件校验失败（被篡改、截断、密钥不符或用途不符）") from None
        yield plain
        if last:
            return
        sealed = following
        counter += 1


def encrypt_bytes(data: bytes, *, purpose: str) -> bytes:
    """`data` encrypted (the chunked file format; starts with MAGIC)."""
    return b"".join(encrypt_stream(io.BytesIO(data), purpose=purpose))


def decrypt_bytes(blob: bytes, *, purpose: str) -> bytes:
    """The plaintext of `encrypt_bytes`; raises DecryptionError unless every chunk verifies."""
    return b"".join(decrypt_stream(io.BytesIO(blob), purpose=purpose))


def needs_rotation_bytes(head: bytes) -> bool:
    """Whether a stored file (its first bytes) is plaintext or under an older key."""
    if not is_encrypted(head):
        return True
    return file_key_id(head) != key_ring().current


def plaintext_size(encrypted_size: int, header_size: int) -> int:
    """The plaintext length of an encrypted file of `encrypted_size` bytes."""
    body = encrypted_size - header_size
    full = (body - _TAG) // (CHUNK_SIZE + _TAG)
    return full * CHUNK_SIZE + (body - _TAG - full * (CHUNK_SIZE + _TAG))


def header_size(head: bytes) -> int:
    """The header length of an encrypted file, from its first bytes."""
    if len(head) < len(MAGIC) + 1 or not is_encrypted(head):
        raise DecryptionError("不是加密文件（文件头无法识别）")
    return len(MAGIC) + 1 + head[len(MAGIC)] + _FILE_NONCE_PREFIX


# --- blind index ------------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D")
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise(value: str, *, kind: str) -> str:
    """The canonical form that is indexed: the same person's number typed twice gives one form.

    ``id_number``: no white space, full-width to half-width, upper-case (a lower-case x is X).
    ``phone``: digits only, a leading 86 country code dropped from an 13-digit mainland mobile.
    ``email``: trimmed, lower-case. Anything else: trimmed.
    """
    text = value.translate(_HALF_WIDTH)
    if kind == "id_number":
        return "".join(c for c in text if not c.isspace()).upper()
    if kind == "phone":
        digits = _NON_DIGITS.sub("", text)
        if len(digits) == 13 and digits.startswith("861"):
            digits = digits[2:]
        return digits
    if kind == "email":
        return text.strip().lower()
    return text.strip()


def blind_index(value: str, *, kind: str) -> str:
    """HMAC-SM3 (BLIND_INDEX_KEY) of the normalised value, 64 hex digits; "" for an empty value.

    `kind` is part of the message, so one phone number and one ID number never share an index.
    """
    text = normalise(value or "", kind=kind)
    if not text:
        return ""
    message = kind.encode() + b"\x00" + text.encode()
    return hmac.new(_blind_key(), message, "sm3").hexdigest()


# --- files on disk (the uploaded attachments: config.storage.EncryptedFileSystemStorage) -------

# The purpose bound into every stored upload (intake attachments, approval documents, objection
# evidence). Not the file's name: Django may pick another name while saving.
MEDIA_PURPOSE = "media"
_SPOOL = 8 * 1024 * 1024


def open_file(path: str | os.PathLike[str], *, purpose: str = MEDIA_PURPOSE) -> BinaryIO:
    """The plaintext of an encrypted file on disk, as a readable binary file positioned at 0.

    Every chunk is verified before the file is returned (so a caller never serves part of a
    tampered file); large files spill to a temporary file. A plaintext file raises
    DecryptionError too: after the migration every stored upload is encrypted."""
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - returned open
    try:
        with Path(path).open("rb") as source:
            for piece in decrypt_stream(source, purpose=purpose):
                out.write(piece)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out  # type: ignore[return-value]


def _replace(path: str | os.PathLike[str], pieces: Iterator[bytes]) -> None:
    """Write `pieces` next to `path`, then swap it in atomically (a crash leaves either)."""
    target = Path(path)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".qa-seal-")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in pieces:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(target.stat().st_mode & 0o777)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _head(path: str | os.PathLike[str]) -> bytes:
    with Path(path).open("rb") as f:
        return f.read(len(MAGIC) + 1 + 255 + _FILE_NONCE_PREFIX)


def seal_file(path: str | os.PathLike[str], *, purpose: str = MEDIA_PURPOSE) -> bool:
    """Encrypt a file in place under the current key unless it already is under it; a file under
    an older key is re-encrypted (key rotation). Whether it changed (idempotent)."""
    head = _head(path)
    if not needs_rotation_bytes(head):
        return False
    if is_encrypted(head):
        with open_file(path, purpose=purpose) as plain:
            _replace(path, encrypt_stream(plain, purpose=purpose))
    else:
        with Path(path).open("rb") as plain_file:
            _replace(path, encrypt_stream(plain_file, purpose=purpose))
    return True


def unseal_file(path: str | os.PathLike[str], *, purpose: str = MEDIA_PURPOSE) -> bool:
    """Decrypt a file in place (the reverse migration). Whether it changed."""
    if not is_encrypted(_head(path)):
        return False
    with open_file(path, purpose=purpose) as plain:
        _replace(path, iter(lambda: plain.read(CHUNK_SIZE), b""))
    return True


def file_needs_rotation(path: str | os.PathLike[str]) -> bool:
    """Whether a stored file is plaintext or under an older key (`rotate_keys --dry-run`)."""
    return needs_rotation_bytes(_head(path))


def stored_size(path: str | os.PathLike[str]) -> int:
    """The plaintext size of an encrypted file on disk."""
    return plaintext_size(Path(path).stat().st_size, header_size(_head(path)))
