"""Odd ids and filters never answer with a server error: every page URL of the resolver and
every GET of the API's OpenAPI document, as the Office and as a supervisor, with the values of a
table (40 digits, past bigint, -1, 1e9, 'abc', NUL, unicode digits, empty…) in every query
parameter and every path parameter. A 4xx or a page with a message is right; 500 never. The
API gets every value everywhere; the pages, to keep the run near a minute, get the values that
broke them before everywhere and the rest in turn (half of them a page, a third a path
parameter).

It matters most on PostgreSQL, where 40 digits overflow bigint and NUL cannot be compared (CI
runs it on both databases). Security plan #27 (SQL injection via search/filter params, ASVS
1.2.4), #51 (crash on random API input, ASVS 2.2.x); 等保 入侵防范 d (数据有效性检验).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from programs.models import Cycle
from programs.services import publish_call
from tests.conftest import api_client, client_for

# Decoded values: quoted into the URL (so "\x00" travels as %00). Those that broke pages before
# go to every page's query string; the others to every other page in turn.
ALWAYS = [
    "9" * 40,  # overflows PostgreSQL's bigint
    "abc",
    "\x00",
    "²",  # str.isdigit() says yes, int() says no
]
IN_TURN = [
    "9223372036854775808",  # bigint's maximum + 1
    "2147483648",  # integer's maximum + 1 (years, revisions, counts)
    "-1",
    "1e9",
    "１２",  # full-width digits
    "灵",
    "",
    "' OR 1=1 --",
]
VALUES = ALWAYS + IN_TURN

# Every filter name a page or an operation reads (unknown names are ignored, as they must be).
QUERY_NAMES = [
    "cycle",
    "page",
    "page_size",
    "year",
    "stage",
    "state",
    "status",
    "kind",
    "unit",
    "q",
    "verify",
    "starts_on",
    "number",
    "version",
    "actor",
    "action",
    "object_type",
    "object_id",
    "date_from",
    "date_to",
    "category",
    "role",
    "person",
    "next",
]

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, route)
        else:
            yield route


def page_routes() -> list[str]:
    """Every page of the resolver; the admin (the system administrator's, Django's own) and
    the API (walked through its OpenAPI document below) aside."""
    return [r for r in _routes(get_resolver().url_patterns) if not r.startswith(("admin/", "api/"))]


def _fill(route: str, valid: dict[str, str], bad: tuple[str, str] | None = None) -> str:
    """The route with each parameter set: `bad` = (name, value) for one of them, the others
    from `valid` (or a well-formed stranger: an unknown id answers 404)."""

    def value(match: re.Match[str]) -> str:
        name, converter = match["name"], match["converter"] or "str"
        if bad and bad[0] == name:
            return quote(bad[1], safe="")
        if name in valid:
            return valid[name]
        return {"uuid": str(uuid.uuid4()), "id": "1", "year": "2026"}.get(converter, "x")

    return "/" + _PARAM.sub(value, route)


def _api_path(path: str, valid: dict[str, str], bad: tuple[str, str] | None = None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if bad and bad[0] == name:
            return quote(bad[1], safe="")
        return valid.get(name, str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", value, path)


def _server_errors(client: Client, urls: list[str], **headers: str) -> list[str]:
    """The URLs answered with a server error (shortened to their first query parameter)."""
    return [
        f"{status} {url.split('&')[0]}"
        for url in urls
        if (status := client.get(url, headers=headers).status_code) >= 500
    ]


def _queries(k: int) -> list[str]:
    """Query strings for the k-th page, one per value, every name at once (a name that fails
    shows in the list); half of IN_TURN for each page (all of them took half as long again)."""
    values = ALWAYS + IN_TURN[k % 2 :: 2]
    return ["?" + urlencode(dict.fromkeys(QUERY_NAMES, v)) for v in values]


@pytest.fixture
def published(cycle: Cycle, office: User) -> Cycle:
    publish_call(actor=office, cycle=cycle)
    return cycle


@pytest.mark.parametrize("role", ["office", "supervisor"])
def test_no_page_answers_a_server_error_to_odd_ids_or_filters(
    personas: dict[str, User], published: Cycle, role: str
) -> None:
    """Each page with each odd value in every query parameter (its path filled with the cycle
    where it names one, so the page reads its filters), and each path parameter set to each
    odd value (the bounded converters refuse numbers; strings reach the views)."""
    client = client_for(personas[role])
    client.raise_request_exception = False
    valid = {"pk": str(published.pk), "cycle_id": str(published.pk), "year": "2026"}
    routes = page_routes()
    assert len(routes) > 100
    # Filters are read only where the path names something that exists: a page of an unknown
    # application answers 404 before it reads its query string.
    readable = [r for r in routes if all(m["name"] in valid for m in _PARAM.finditer(r))]
    urls = [
        _fill(route, valid) + query for k, route in enumerate(readable) for query in _queries(k)
    ]
    # Each path parameter with a third of the table, in turn (every value reaches every kind of
    # parameter many times over; all of them at every one took twice as long).
    params = [(route, m["name"]) for route in routes for m in _PARAM.finditer(route)]
    urls += [
        _fill(route, valid, (name, value))
        for k, (route, name) in enumerate(params)
        for value in VALUES[k % 3 :: 3]
    ]
    errors = _server_errors(client, urls)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("role", ["office", "supervisor"])
def test_no_api_read_answers_a_server_error_to_odd_ids_or_filters(
    personas: dict[str, User], published: Cycle, role: str
) -> None:
    """Each GET of the OpenAPI document, with a token: each odd value in every query
    parameter it declares (and the common filters), and in each path parameter."""
    client, headers = api_client(f"p_{role}")
    client.raise_request_exception = False
    schema = client.get("/api/v1/openapi.json").json()
    valid = {"cycle_id": str(published.public_id), "year": "2026"}
    urls = []
    for path, item in schema["paths"].items():
        if "get" not in item:
            continue
        params = item["get"].get("parameters", [])
        names = {p["name"] for p in params if p["in"] == "query"} | set(QUERY_NAMES)
        for value in VALUES:
            urls.append(_api_path(path, valid) + "?" + urlencode(dict.fromkeys(names, value)))
            urls += [
                _api_path(path, valid, (p["name"], value)) for p in params if p["in"] == "path"
            ]
    assert len(urls) > 300
    errors = _server_errors(client, urls, **headers)
    assert not errors, "\n".join(errors)


@pytest.mark.django_db
def test_a_nul_in_a_path_query_or_form_field_is_refused_before_any_view() -> None:
    """PostgreSQL can neither store nor compare text holding NUL: one middleware refuses it,
    with a message, on the pages (400) and the API (422, the API's error body)."""
    client = Client()
    page = client.get("/verify/?number=%00")
    assert page.status_code == 400
    assert "空字符" in page.content.decode()
    form = client.post("/accounts/login/", {"username": "a\x00", "password": "x"})
    assert form.status_code == 400
    api = client.get("/api/v1/certificates/%00")
    assert api.status_code == 422
    assert api.json()["code"] == "invalid"
    assert "空字符" in api.json()["message"]
    # A multipart form to the API (an upload's fields), before any authentication.
    assert client.post("/api/v1/experts/import", {"section": "a\x00"}).status_code == 422
    # Text without NUL passes on (this certificate does not exist).
    assert client.get("/api/v1/certificates/abc").status_code == 404


def test_the_supervisors_notes_with_a_forty_digit_cycle_list_every_note(
    personas: dict[str, User], published: Cycle
) -> None:
    """The finding: `/supervision/notes/?cycle=` and 40 digits answered 500 (PostgreSQL's bigint
    overflowed; SQLite could not bind it either). A malformed filter is no filter."""
    client = client_for(personas["supervisor"])
    for value in ["9" * 40, "²", "-1"]:
        response = client.get("/supervision/notes/", {"cycle": value})
        assert response.status_code == 200
        assert response.context["selected"] == ""
    response = client.get("/supervision/notes/", {"cycle": str(published.pk)})
    assert response.context["selected"] == str(published.pk)
