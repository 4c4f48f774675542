"""Bounded ids and filters: one home for every number a URL, a query string or an API parameter
carries, and for the refusal of the NUL character (security plan #27, #51; 等保 入侵防范 d).

A row id travels as `<id:pk>` in the pages' routes (the converter below, registered when this
module is imported: every `urls.py` that uses it imports it) and as `RowId` in the API; a filter
of a page's query string is read by `query_int`. Each accepts 1 to 18 ASCII digits: 40 digits
would overflow PostgreSQL's bigint (a server error, where SQLite only finds nothing), and
`str.isdigit()` is no guard ("²" is a digit to it, not to `int()`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import register_converter
from ninja import Field

# 18 digits always fit PostgreSQL's bigint (9.2 * 10**18); serial ids never come close.
MAX_ID = 10**18 - 1
_DIGITS = re.compile(r"[0-9]{1,18}")

# The API's bounded integers (ninja answers 422 outside the bounds).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=2000, le=2100)]


def parse_int(value: object, *, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """`value` as an int when it is 1 to 18 ASCII digits within [lo, hi]; else None."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value.strip()):
        return None
    number = int(value)
    return number if lo <= number <= hi else None


def query_int(request: HttpRequest, name: str, *, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """A numeric filter of the query string (`?cycle=3`), or None when absent or malformed: a
    page then shows its default rather than failing."""
    return parse_int(request.GET.get(name), lo=lo, hi=hi)


class IdConverter:
    """`<id:pk>`: a row id of 1 to 18 digits (Django's `<int:pk>` takes any length)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


class YearConverter:
    """`<year:year>`: a four-digit year."""

    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
register_converter(YearConverter, "year")


# --- the NUL character -------------------------------------------------------------------------

NUL_MESSAGE = "提交的内容含有空字符（\\u0000），无法保存。"


def has_nul(data: object) -> bool:
    """Whether a parsed value (JSON or form data: strings, lists, dicts, keys too) holds NUL."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(has_nul(k) or has_nul(v) for k, v in data.items())
    if isinstance(data, list | tuple):
        return any(has_nul(v) for v in data)
    return False


def _querydict_has_nul(data: QueryDict) -> bool:
    return any(has_nul(k) or has_nul(data.getlist(k)) for k in data)


class RefuseNulMiddleware:
    """Refuses a request whose path, query string or form fields hold the NUL character: no
    page or API operation can use one, and PostgreSQL cannot store or even compare text
    holding it (a server error). JSON bodies are checked by the API's parser
    (`config.api.Parser`); form fields are read here only for form posts (the parsed fields
    are kept for the view)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._holds_nul(request):
            if request.path_info.startswith("/api/"):
                body: dict[str, Any] = {
                    "code": "invalid",
                    "message": NUL_MESSAGE,
                    "article": None,
                    "fields": {},
                }
                return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
            return HttpResponse(NUL_MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        response: HttpResponse = self.get_response(request)
        return response

    @staticmethod
    def _holds_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path_info or _querydict_has_nul(request.GET):
            return True
        content_type = request.content_type or ""
        form = content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        return request.method == "POST" and form and _querydict_has_nul(request.POST)
