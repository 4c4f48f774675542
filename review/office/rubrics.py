"""The cycle's rubric for one kind of applicant (A9.1): editable by the Office until review starts
(never in a closed year), read-only afterwards and for supervisors."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from intake.models import Kind
from lib import rubrics
from lib.access import actor, perm_required
from lib.errors import ServiceError
from lib.params import parse_int

from .. import boundaries, services
from ..models import RubricItem
from . import selectors
from .common import KINDS, MANAGE, OVERSEE


def _number(raw: str) -> int | str:
    """Points as typed: an integer when it is one; otherwise the text, which the service refuses
    with the item's code."""
    raw = raw.strip()
    number = parse_int(raw, lo=0)
    return raw if number is None else number


def _posted_rubric(request: HttpRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    post = request.POST
    categories = [
        {"code": code, "name": name.strip(), "points": _number(points)}
        for code, name, points in zip(
            post.getlist("cat_code"),
            post.getlist("cat_name"),
            post.getlist("cat_points"),
            strict=False,
        )
    ]
    items = []
    for code, category, name, points, type_ in zip(
        post.getlist("item_code"),
        post.getlist("item_category"),
        post.getlist("item_name"),
        post.getlist("item_points"),
        post.getlist("item_type"),
        strict=False,
    ):
        if not code.strip() and not name.strip():
            continue  # an empty row: a deleted item or an unused blank line
        items.append(
            {
                "code": code.strip(),
                "category": category,
                "name": name.strip(),
                "points": _number(points),
                "type": type_,
            }
        )
    return categories, items


@perm_required(OVERSEE)
def rubric(request: HttpRequest, cycle_id: int, kind: str) -> HttpResponse:
    """The cycle's rubric for one kind (A9.1): editable by the Office until review starts, each
    error listed when the items do not add up; read-only afterwards, in a closed year and for
    supervisors, with the reason (`boundaries.rubric_refusal`)."""
    if kind not in KINDS:
        raise Http404
    cycle = selectors.cycle_or_404(cycle_id)
    can_manage = request.user.has_perm(MANAGE)
    refusal = boundaries.rubric_refusal(cycle)
    stored, categories, items = selectors.stored_rubric(cycle, kind)
    errors: list[str] = []
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        categories, items = _posted_rubric(request)
        try:
            saved = services.save_rubric(
                actor=actor(request), cycle=cycle, kind=kind, categories=categories, items=items
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            errors = exc.fields.get("items") or [exc.message]
            if exc.article:
                errors = [ServiceError(e, article=exc.article).display for e in errors]
            refusal = boundaries.rubric_refusal(cycle)
        else:
            messages.success(
                request, f"已保存{cycle.year}年度{saved.name}（第{saved.version}版）。"
            )
            return redirect("review:rubric", cycle_id=cycle.pk, kind=kind)
    sums: dict[str, int] = defaultdict(int)
    for item in items:
        if isinstance(item["points"], int):
            sums[str(item["category"])] += item["points"]
    for c in categories:
        c["sum"] = sums.get(str(c["code"]), 0)
    default = rubrics.rubric_in(cycle.policy.rubrics, kind)
    return render(
        request,
        "review/rubric.html",
        {
            "cycle": cycle,
            "kind": kind,
            "kind_label": KINDS[kind],
            "other_kind": next(k for k in KINDS if k != kind),
            "kinds": Kind.choices,
            "stored": stored,
            "name": stored.name if stored else default.name,
            "total": stored.total_points if stored else default.total_points,
            "items_total": sum(sums.values()),
            "categories": categories,
            "items": items,
            "blank_rows": range(3),
            "types": RubricItem.Type.choices,
            "editable": can_manage and refusal is None,
            "refusal": refusal,
            "errors": errors,
        },
        status=400 if errors else 200,
    )
