from __future__ import annotations

from collections.abc import Iterator

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

from lib import crypto


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files after collectstatic; plain names before it.

    Tests and a first run have no manifest yet: the files are then found by the staticfiles
    finders under their own names (WhiteNoise serves them from the app directories).
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)


class _Sealed(File):
    """An upload as the storage writes it: its bytes SM4-encrypted, chunk by chunk."""

    def __init__(self, content: File) -> None:
        super().__init__(None, getattr(content, "name", None))
        self._content = content

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if hasattr(self._content, "seek"):
            self._content.seek(0)  # a retry under another name starts again
        return crypto.encrypt_stream(self._content, purpose=crypto.MEDIA_PURPOSE)  # type: ignore[arg-type]


class EncryptedFileSystemStorage(FileSystemStorage):
    """The uploads (intake attachments, approval documents, objection evidence) under
    MEDIA_ROOT, SM4-encrypted at rest (lib/crypto.py; issue 15 part 5).

    Saving encrypts (the upload checks of lib/files.py read the upload before); opening
    decrypts and verifies the whole file before the caller reads a byte, and a tampered,
    truncated or plaintext file raises `lib.crypto.DecryptionError` (fails closed). `size`
    answers the plaintext size. Existing plaintext files are encrypted by the data migrations
    (intake 0009, decision 0005) and re-encrypted under a new key by `manage.py rotate_keys`."""

    encrypts_at_rest = True  # how `rotate_keys` finds the FileFields to re-encrypt

    def _save(self, name: str, content: File) -> str:
        return super()._save(name, _Sealed(content))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode not in ("rb", "r"):
            raise ValueError("encrypted uploads are written through save(), read-only here")
        return File(crypto.open_file(self.path(name)), name)

    def size(self, name: str) -> int:
        return crypto.stored_size(self.path(name))
