"""`{% public_url 'decision:notices' %}`, `{% public_url 'decision:public_notice' year=2026 %}`:
a link of a public page that stays under the program's prefix the visitor came by
(`programs.site.public_url`). Arguments by name, as the patterns name them."""

from __future__ import annotations

from typing import Any

from django import template

from programs import site

register = template.Library()


@register.simple_tag(takes_context=True)
def public_url(context: template.Context, name: str, **kwargs: Any) -> str:
    return site.public_url(context.get("request"), name, **kwargs)
