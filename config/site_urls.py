"""Each program's public site under its slug (decision 0030; programs/site.py): the same
patterns as the default program's unprefixed public pages, included by config/urls.py under
`<slug:program_slug>/` in the namespace `site`, after every other address (so that no slug can
hide one of them)."""

from __future__ import annotations

from django.urls import URLPattern

from decision import urls as decision_urls
from programs import urls as program_urls

# The public pages by their unprefixed names (programs:home, decision:notices, ...): no login.
PUBLIC = {
    "programs": ("home", "announcement"),
    "decision": (
        "notices",
        "public_notice",
        "object_to",
        "receipt",
        "winners",
        "verify",
        "verified",
    ),
}


def _public(app: str, patterns: list[URLPattern]) -> list[URLPattern]:
    chosen = [p for p in patterns if p.name in PUBLIC[app]]
    assert len(chosen) == len(PUBLIC[app]), f"{app}: a public page's pattern is missing"
    return chosen


urlpatterns = [
    *_public("programs", program_urls.urlpatterns),  # type: ignore[arg-type]
    *_public("decision", decision_urls.urlpatterns),  # type: ignore[arg-type]
]
