"""`{{ rule.article|cite }}`: a requirement ID as the Measures number it (lib.articles)."""

from __future__ import annotations

from django import template

from lib.articles import cite as _cite

register = template.Library()


@register.filter
def cite(code: str) -> str:
    return _cite(code or "")
