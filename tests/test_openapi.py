"""Schemathesis against our own OpenAPI schema: generated requests, valid and not, to every
operation as Office staff; the API must never answer with a server error.

(Driven by hand rather than through schemathesis' pytest plugin, which does not run under
pytest 9.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, get_args, get_type_hints

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from ninja.operation import Operation
from pydantic import BaseModel
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_wsgi

from accounts.models import Individual, User
from config.api import api
from config.wsgi import application
from experts.models import ExpertSanction
from programs.models import Cycle
from tests.conftest import ApiUser, api_call, api_client


@contextmanager
def connection_kept() -> Iterator[None]:
    """Requests go straight to the WSGI app, so Django would close the test's database
    connection after each one (the test client avoids that the same way, and reconnects the
    handler after each of its own requests: so no test client inside this block)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_api_never_answers_with_a_server_error(personas: dict[str, User]) -> None:
    _, headers = api_client("p_office")
    token = headers["Authorization"].removeprefix("Bearer ")
    with connection_kept():
        schema = from_wsgi("/api/v1/openapi.json", application)
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]  # an invalid schema fails here, as it should
        assert len(operations) > 20

        for operation in operations:

            @settings(
                max_examples=10,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            @given(case=operation.as_strategy())
            def check(case: Case) -> None:
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                case.validate_response(response, checks=[not_a_server_error])

            check()


# --- a truthful schema ---------------------------------------------------------------------------
# The document is what clients are generated from: each body documented as the operation's own,
# each public operation without credentials, each body with an example its schema accepts.
# Security plan #51 (schema conformance, declared auth enforced; ASVS 2.2.x, 8.2.1).


def _operations() -> list[tuple[str, str, Operation]]:
    """(method, OpenAPI path, operation) of every operation of the API."""
    found = []
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            path = "/api/v1" + re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", prefix + route)
            path = path.replace("//", "/")
            for operation in path_view.operations:
                found += [(method.lower(), path, operation) for method in operation.methods]
    return found


def _body_class(operation: Operation) -> type[BaseModel] | None:
    """The schema of the view function's body parameter, from its own signature."""
    hints = get_type_hints(operation.view_func, include_extras=True)
    bodies = [
        hint
        for name, hint in hints.items()
        if name != "return" and isinstance(hint, type) and issubclass(hint, BaseModel)
    ]
    assert len(bodies) <= 1, operation.view_func
    return bodies[0] if bodies else None


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> None:
    """Every pydantic model an annotation reaches (through lists, dicts, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for arg in get_args(annotation):
        _models_in(arg, seen)


def _schema() -> dict[str, Any]:
    return Client().get("/api/v1/openapi.json").json()  # type: ignore[no-any-return]


def test_no_two_schemas_share_a_component_name() -> None:
    """The document names a schema by its class: two classes of one name overwrite each other
    there (the sanctions of experts and of fraud, the site visit's and the winner's report did),
    and a generated client then sends the wrong body."""
    seen: set[type[BaseModel]] = set()
    for _, _, operation in _operations():
        _models_in(_body_class(operation), seen)
        for model in operation.response_models.values():
            _models_in(model, seen)
    # ninja's wrappers of a response (one per operation) are not components.
    named = [m for m in seen if m.__name__ != "NinjaResponseSchema"]
    by_name: dict[str, set[str]] = {}
    for model in named:
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}
    assert len(named) > 80


def test_each_request_body_is_documented_as_the_operations_own_schema() -> None:
    schema = _schema()
    components = schema["components"]["schemas"]
    checked = 0
    for method, path, operation in _operations():
        body = _body_class(operation)
        if body is None:
            continue
        documented = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert documented["schema"] == {"$ref": f"#/components/schemas/{body.__name__}"}, path
        own = body.model_json_schema(by_alias=True)["properties"]
        assert set(components[body.__name__]["properties"]) == set(own), path
        checked += 1
    assert checked > 40


def _fill(path: str, parameters: list[dict[str, Any]]) -> str:
    """A path with well-formed values: an enum's first, a year, a uuid, a number."""

    def value(match: re.Match[str]) -> str:
        spec = next(p["schema"] for p in parameters if p["name"] == match[1])
        if "enum" in spec:
            return str(spec["enum"][0])
        if spec.get("type") == "integer":
            return str(max(spec.get("minimum", 1), 1) if match[1] != "year" else 2026)
        if spec.get("format") == "uuid":
            return str(uuid.uuid4())
        return "x"

    return re.sub(r"\{(\w+)\}", value, path)


def test_public_operations_declare_no_security_and_the_others_declare_it(
    personas: dict[str, User],
) -> None:
    """Called without a token or a session: an operation that answers 401 declares its
    credentials; one that answers anything else declares none (no `security`, or the empty
    requirement among its alternatives: the public reads that also recognize a token)."""
    schema = _schema()
    public, private = [], []
    for path, item in schema["paths"].items():
        for method, spec in item.items():
            url = _fill(path, spec.get("parameters", []))
            client = Client()
            response = (
                client.get(url)
                if method == "get"
                else getattr(client, method)(url, "{}", content_type="application/json")
            )
            refused = response.status_code == 401 and response.json()["code"] == "unauthenticated"
            security = spec.get("security", [])
            if refused:
                private.append(path)
                assert security, f"{method} {path} needs a token"
                assert {} not in security, f"{method} {path} needs a token"
            else:
                public.append(path)
                assert not security or {} in security, f"{method} {path} answers anyone"
    assert {"/api/v1/notices/{year}", "/api/v1/cycles", "/api/v1/certificates/{number}"} <= set(
        public
    )
    assert "/api/v1/me" in private
    assert len(private) > 50


def _example(component: dict[str, Any]) -> dict[str, Any]:
    """The body's documented example: the schema's own, else its properties' examples (every
    required property must have one)."""
    if component.get("examples"):
        return component["examples"][0]  # type: ignore[no-any-return]
    properties = component["properties"]
    missing = [p for p in component.get("required", []) if "examples" not in properties[p]]
    assert missing == [], component["title"]
    return {name: p["examples"][0] for name, p in properties.items() if "examples" in p}


def _examples() -> list[tuple[str, str, type[BaseModel], dict[str, Any]]]:
    schema = _schema()
    components = schema["components"]["schemas"]
    return [
        (method, path, body, _example(components[body.__name__]))
        for method, path, operation in _operations()
        if (body := _body_class(operation)) is not None
    ]


def test_every_request_body_has_an_example_its_schema_accepts() -> None:
    """Every POST, PUT and PATCH with a JSON body documents an example, and the body's model
    accepts it (no live call: the state each needs is another test's)."""
    examples = _examples()
    for _, _, body, example in examples:
        body.model_validate(example)  # raises on a wrong example
    with_json = {
        (method, path)
        for path, item in _schema()["paths"].items()
        for method, spec in item.items()
        if "application/json" in spec.get("requestBody", {}).get("content", {})
    }
    assert {(m, p) for m, p, _, _ in examples} == with_json


def test_every_documented_example_passes_the_api_itself(personas: dict[str, User]) -> None:
    """Each example sent live, as the Office, to its operation (ids well-formed, mostly of
    nothing): the parser, the NUL guard and ninja's validation run before any lookup, so a 422
    here is an example the API refuses. A 404, 403 or 409 is the state's answer, not the body's.
    Operations on the Office's own data (no id in the path) succeed below."""
    office = api_client("p_office")
    parameters = {
        (method, path): spec.get("parameters", [])
        for path, item in _schema()["paths"].items()
        for method, spec in item.items()
    }
    refused = []
    for method, path, _, example in _examples():
        if path == "/api/v1/auth/token":
            continue  # signing in again as someone else is the token tests' business
        response = api_call(office, method, _fill(path, parameters[method, path])[7:], example)
        if response.status_code == 422:
            refused.append(f"{method} {path}: {response.json()['fields']}")
    assert refused == []


@pytest.mark.req("A8.1", "A26.2", "A24.1", "A29.1")
def test_documented_examples_succeed_where_the_state_allows(
    personas: dict[str, User], cycle: Cycle
) -> None:
    """A representative set, each as its role against a state where it can succeed: the
    Office's calendar, dates, pool, an expert's sanction (whose body the document showed
    wrong), prior awards and bans, an individual's 身份证; the public registrations; the
    applicant's own registration and contacts."""
    examples = {(m, p): e for m, p, _, e in _examples()}
    office = api_client("p_office")
    anyone: ApiUser = (Client(), {})

    def send(who: ApiUser, method: str, path: str, url: str | None = None) -> Any:
        response = api_call(who, method, url or path, examples[method, "/api/v1" + path])
        assert response.status_code in (200, 201), (path, response.json())
        return response.json()

    send(office, "put", "/cycles/{cycle_id}/dates", f"/cycles/{cycle.public_id}/dates")
    send(office, "post", "/cycles")
    send(office, "post", "/calendar-overrides")
    expert = send(office, "post", "/experts")
    send(office, "post", "/experts/{expert_id}/sanctions", f"/experts/{expert['id']}/sanctions")
    send(office, "post", "/award-records")
    send(office, "post", "/bans")
    send(anyone, "post", "/registrations/organization")
    send(anyone, "post", "/registrations/individual")
    person = Individual.objects.get()
    url = f"/individuals/{person.public_id}/reveal-id-number"
    assert send(office, "post", "/individuals/{individual_id}/reveal-id-number", url) == {
        "id_number": "320682198001011237"
    }
    applicant = api_client("p_applicant")
    send(applicant, "patch", "/organization")
    send(applicant, "post", "/organization/contacts")
    assert ExpertSanction.objects.get().kind == "warning"
