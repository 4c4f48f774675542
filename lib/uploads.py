"""Upload size limits that hold before the body is read (issue 16).

A view that takes files names its limit with `limit_uploads(view_name, limit)` (the limit is
read on each request, so its one home stays the app's own constant). `LimitedUploadHandler`,
first in settings FILE_UPLOAD_HANDLERS, then refuses an upload to that view in two ways:

- by its `Content-Length`: a body declared larger than the limit (plus the form's envelope) is
  not read at all; the request goes on with empty fields and files;
- by counting: a body that is chunked or lies about its length is cut off as soon as the files'
  bytes pass the limit (`StopUpload`, the connection is not drained).

Either way `refusal(request)` tells the view, which answers 413 with a Chinese message
(`too_large_message`). A refused body never reached the CSRF token it carried: the view reads
the refusal before its CSRF check (an answer that changes nothing needs none) and checks
CSRF for everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve
from django.utils.datastructures import MultiValueDict

__all__ = [
    "ENVELOPE",
    "LimitedUploadHandler",
    "UploadRefused",
    "limit_uploads",
    "refusal",
    "too_large_message",
]

# Room for the multipart envelope and the form's small fields around the file(s).
ENVELOPE = 64 * 1024

_LIMITS: dict[str, Callable[[], int]] = {}


def limit_uploads(view_name: str, limit: Callable[[], int]) -> None:
    """Uploads to the view `view_name` ("intake:attachment_add") may hold `limit()` bytes."""
    _LIMITS[view_name] = limit


@dataclass(frozen=True)
class UploadRefused:
    limit: int
    size: int | None  # the declared body size; None when cut off while counting


def refusal(request: HttpRequest) -> UploadRefused | None:
    """Why the request's upload was refused before it was read, if it was (reads the form
    first, so the handler has had its say)."""
    if request.method == "POST":
        request.FILES  # noqa: B018  # parses the body (or refuses to) if nothing has yet
    found: UploadRefused | None = getattr(request, "_upload_refused", None)
    return found


def too_large_message(refused: UploadRefused, name: str = "") -> str:
    """The Chinese refusal; the browser's own check (static/app/draft.js) says the same."""
    limit = f"{refused.limit // (1024 * 1024)} MB"
    what = f"文件“{name}”" if name else "文件"
    if refused.size is None:
        return f"{what}超过上限{limit}，未上传。请压缩或拆分后再上传。"
    return (
        f"{what}大小为{refused.size / 1048576:.1f} MB，超过上限{limit}，未上传。"
        "请压缩或拆分后再上传。"
    )


def _limit_for(request: HttpRequest | None) -> int | None:
    if request is None or not _LIMITS:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    limit = _LIMITS.get(match.view_name)
    return limit() if limit else None


class LimitedUploadHandler(FileUploadHandler):
    """Refuses an upload over its view's limit before reading it (see the module's note)."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = _limit_for(request)
        self.received = 0

    def _refuse(self, size: int | None) -> None:
        assert self.limit is not None
        if self.request is not None:
            self.request._upload_refused = UploadRefused(self.limit, size)  # type: ignore[attr-defined]

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # Django's name
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        if self.limit is not None and content_length > self.limit + ENVELOPE:
            self._refuse(content_length)
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.limit is not None:
            self.received += len(raw_data)
            if self.received > self.limit:
                self._refuse(None)
                raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
