"""The one way the system hands a file to a browser or an API client."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """A download: saved under its (Chinese) name, never sniffed into another type, never
    cached by a shared proxy (the files are applicants' confidential materials)."""
    response = HttpResponse(data, content_type=content_type)
    # Never None when as_attachment is true; the fallback keeps the type checker honest.
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    response["Content-Disposition"] = disposition or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
