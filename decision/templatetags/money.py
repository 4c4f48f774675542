"""`{{ amount|yuan }}`: whole yuan grouped by thousands, as financial statements write them
(200,000元). Django's zh-hans locale defines no thousands separator, so `intcomma` would not."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def yuan(amount: int | None) -> str:
    if amount is None:
        return "—"
    return f"{int(amount):,}元"
