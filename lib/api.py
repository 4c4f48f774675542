"""Shared pieces of the JSON API (no models): pagination as DESIGN.md specifies it, and the
schemas several apps answer with (one class per name: the OpenAPI document names a schema by
its class, so two classes of one name would overwrite each other there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase


class Ok(Schema):
    """An action done; nothing more to say."""

    ok: bool = True


class ActionOut(Schema):
    """One action of a workflow table as this user may take it now, or why not (every
    `GET …/actions` of the API answers a list of these)."""

    action: str
    label: str
    allowed: bool
    reason: str
    article: str


class Page(PaginationBase):
    """`page` and `page_size` in, `count` and `results` out (DESIGN.md)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int = Field(20, ge=1, le=100)

    class Output(Schema):
        count: int
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(  # type: ignore[override]  # ninja passes request via **params
        self, queryset: Any, pagination: Input, **params: Any
    ) -> dict[str, Any]:
        size = max(1, min(pagination.page_size, 100))
        page = max(1, pagination.page)
        start = (page - 1) * size
        return {"count": queryset.count(), "results": list(queryset[start : start + size])}


class Mapped:
    """A query `Page` paginates as it is, each row of the page turned into its answer by `row`:
    the count and the page's slice run in the database, `row` only on the rows answered (a list
    endpoint whose answer is not a model's fields, issue 17)."""

    def __init__(self, queryset: Any, row: Callable[[Any], Any]) -> None:
        self.queryset = queryset
        self.row = row

    def count(self) -> int:
        return int(self.queryset.count())

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.row(obj) for obj in self.queryset[page]]
