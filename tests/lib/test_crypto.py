"""lib/crypto.py: SM4-GCM sealed text and files, the key ring, the HMAC-SM3 blind index
(issue 15 part 5; GB/T 39786-2021 confidentiality and integrity of data in storage)."""

from __future__ import annotations

import base64
import hmac
import io
import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from lib import crypto

K1 = "k1:" + "11" * 16
K2 = "k2:" + "22" * 16
PURPOSE = "accounts.individual.id_number"
NUMBER = "32068219850315002X"


@pytest.fixture(autouse=True)
def _ring(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PII_KEYS = K1
    settings.BLIND_INDEX_KEY = "ab" * 32


def _flip(token: str, position: int) -> str:
    prefix, kid, body = token.split("$")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[position] ^= 0x01
    return f"{prefix}${kid}$" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.req("A26.1")
def test_text_round_trips_and_the_token_names_version_and_key_but_not_the_value() -> None:
    token = crypto.encrypt_text(NUMBER, purpose=PURPOSE)
    assert token.startswith("sm4g1$k1$")
    assert NUMBER not in token
    assert "320682" not in token
    assert crypto.decrypt_text(token, purpose=PURPOSE) == NUMBER
    # A random nonce: the same value never gives the same token (no equality leak).
    assert crypto.encrypt_text(NUMBER, purpose=PURPOSE) != token
    assert crypto.encrypt_text("", purpose=PURPOSE) == ""
    assert crypto.decrypt_text("", purpose=PURPOSE) == ""


@pytest.mark.req("A26.1")
def test_the_sm4_gcm_is_the_standard_one() -> None:
    """Decrypted independently with the cryptography package's SM4-GCM: not a home-made mode."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    token = crypto.encrypt_text("13905130000", purpose="p")
    body = token.split("$")[2]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    nonce, ciphertext, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(algorithms.SM4(bytes.fromhex("11" * 16)), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(b"p")
    assert decryptor.update(ciphertext) + decryptor.finalize() == b"13905130000"


@pytest.mark.req("A26.1")
@pytest.mark.parametrize("position", [0, 5, 12, -1])
def test_a_changed_byte_fails_closed(position: int) -> None:
    token = crypto.encrypt_text(NUMBER, purpose=PURPOSE)
    with pytest.raises(crypto.DecryptionError, match="校验失败"):
        crypto.decrypt_text(_flip(token, position), purpose=PURPOSE)


@pytest.mark.req("A26.1")
def test_a_token_moved_to_another_column_or_garbled_fails_closed() -> None:
    token = crypto.encrypt_text(NUMBER, purpose=PURPOSE)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(token, purpose="experts.expert.id_number")
    for bad in ("sm4g1$k1$!!!", "sm4g1$k1$AAAA", NUMBER, "sm4g1$k1"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_text(bad, purpose=PURPOSE)


@pytest.mark.req("A26.1")
def test_the_first_key_encrypts_every_key_decrypts_and_an_unknown_key_fails(settings) -> None:  # type: ignore[no-untyped-def]
    old = crypto.encrypt_text(NUMBER, purpose=PURPOSE)
    settings.PII_KEYS = f"{K2},{K1}"
    new = crypto.encrypt_text(NUMBER, purpose=PURPOSE)
    assert crypto.text_key_id(new) == "k2"
    assert crypto.decrypt_text(old, purpose=PURPOSE) == NUMBER
    assert crypto.needs_rotation(old)
    assert not crypto.needs_rotation(new)
    settings.PII_KEYS = K2
    with pytest.raises(crypto.DecryptionError, match="k1 不在 PII_KEYS"):
        crypto.decrypt_text(old, purpose=PURPOSE)
    # Same id, another key: the tag does not verify.
    settings.PII_KEYS = "k1:" + "33" * 16
    with pytest.raises(crypto.DecryptionError, match="校验失败"):
        crypto.decrypt_text(old, purpose=PURPOSE)


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ("", "未配置任何密钥"),
        ("k1", "格式应为"),
        ("k1:abcd", "32位十六进制"),
        ("k1:" + "zz" * 16, "32位十六进制"),
        (f"{K1},{K1}", "重复"),
        ("bad id:" + "11" * 16, "格式应为"),
    ],
)
def test_a_malformed_ring_is_refused_in_chinese(ring: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.KeyRing.parse(ring)


@pytest.mark.req("A26.1")
@pytest.mark.parametrize("size", [0, 1, crypto.CHUNK_SIZE - 1, crypto.CHUNK_SIZE, 150_000])
def test_bytes_round_trip_in_chunks_and_report_their_plain_size(size: int) -> None:
    data = os.urandom(size)
    blob = crypto.encrypt_bytes(data, purpose="backup")
    assert crypto.is_encrypted(blob)
    assert blob.startswith(crypto.MAGIC)
    assert crypto.decrypt_bytes(blob, purpose="backup") == data
    assert crypto.plaintext_size(len(blob), crypto.header_size(blob)) == size
    assert crypto.file_key_id(blob) == "k1"
    streamed = b"".join(crypto.decrypt_stream(io.BytesIO(blob), purpose="backup"))
    assert streamed == data


@pytest.mark.req("A26.1")
def test_a_tampered_truncated_extended_or_reordered_file_fails_closed() -> None:
    data = os.urandom(crypto.CHUNK_SIZE * 2 + 100)
    blob = crypto.encrypt_bytes(data, purpose="media")
    header = crypto.header_size(blob)
    sealed = crypto.CHUNK_SIZE + 16
    first, second = blob[header : header + sealed], blob[header + sealed : header + 2 * sealed]
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x80
    cases = {
        "flipped": bytes(flipped),
        "truncated at a chunk boundary": blob[: header + 2 * sealed],
        "truncated inside": blob[:-5],
        "extended": blob + b"\x00" * 16,
        "reordered": blob[:header] + second + first + blob[header + 2 * sealed :],
        "other purpose": None,
    }
    for name, bad in cases.items():
        blob_given, purpose = (blob, "backup") if bad is None else (bad, "media")
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_bytes(blob_given, purpose=purpose)
        assert name  # each case named above fails closed
    with pytest.raises(crypto.DecryptionError, match="不是加密文件"):
        crypto.decrypt_bytes(b"%PDF-1.4 plain", purpose="media")


@pytest.mark.req("A26.1")
def test_files_are_sealed_in_place_idempotently_and_resealed_under_a_new_key(
    tmp_path: Path,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4 MARKER-4711")
    assert crypto.file_needs_rotation(path)
    assert crypto.seal_file(path) is True
    stored = path.read_bytes()
    assert b"MARKER-4711" not in stored
    assert crypto.is_encrypted(stored)
    assert crypto.seal_file(path) is False
    assert path.read_bytes() == stored
    assert crypto.stored_size(path) == len(b"%PDF-1.4 MARKER-4711")
    settings.PII_KEYS = f"{K2},{K1}"
    assert crypto.file_needs_rotation(path)
    assert crypto.seal_file(path) is True
    assert crypto.file_key_id(path.read_bytes()) == "k2"
    settings.PII_KEYS = K2
    with crypto.open_file(path) as plain:
        assert plain.read() == b"%PDF-1.4 MARKER-4711"
    assert crypto.unseal_file(path) is True
    assert path.read_bytes() == b"%PDF-1.4 MARKER-4711"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.req("A26.1")
def test_the_blind_index_is_hmac_sm3_of_the_normalised_value() -> None:
    key = bytes.fromhex("ab" * 32)
    expected = hmac.new(key, b"id_number\x00" + NUMBER.encode(), "sm3").hexdigest()
    assert crypto.blind_index(NUMBER, kind="id_number") == expected
    assert len(expected) == 64
    # One person's number typed differently gives one index.
    for typed in (
        "32068219850315002x",
        " 320682 19850315 002X ",
        "３２０６８２１９８５０３１５００２Ｘ",
    ):
        assert crypto.blind_index(typed, kind="id_number") == expected
    phone = crypto.blind_index("13905130000", kind="phone")
    for typed in ("139-0513-0000", "+86 139 0513 0000", "8613905130000"):
        assert crypto.blind_index(typed, kind="phone") == phone
    email = crypto.blind_index("zhang@example.com", kind="email")
    assert crypto.blind_index(" Zhang@Example.COM ", kind="email") == email
    # The kind is part of the message; empty stays empty.
    assert crypto.blind_index("13905130000", kind="text") != phone
    assert crypto.blind_index("", kind="phone") == ""


@pytest.mark.req("A26.1")
def test_the_blind_index_depends_on_its_key(settings) -> None:  # type: ignore[no-untyped-def]
    before = crypto.blind_index(NUMBER, kind="id_number")
    settings.BLIND_INDEX_KEY = "cd" * 32
    assert crypto.blind_index(NUMBER, kind="id_number") != before
    settings.BLIND_INDEX_KEY = "abc"
    with pytest.raises(ImproperlyConfigured, match="BLIND_INDEX_KEY"):
        crypto.blind_index(NUMBER, kind="id_number")


@pytest.mark.req("A26.1")
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_round_trips(value: str) -> None:
    token = crypto.encrypt_text(value, purpose="p")
    assert crypto.decrypt_text(token, purpose="p") == value
