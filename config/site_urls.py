"""Each program's public site under its slug (decision 0030; programs/site.py): the same
patterns as the default program's unprefixed public pages, included by config/urls.py under
`<slug:program_slug>/` in the namespace `site`, after every other address (so that no slug can
hide one of them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from accounts import urls as accounts_urls
from decision import urls as decision_urls
from programs import urls as program_urls

# The public pages by their unprefixed names (programs:home, decision:notices, ...): no login.
# Registration too: the form offers the program's recommending units (its own, decision 0030).
PUBLIC = {
    "accounts": ("register_organization", "register_individual"),
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
    # At the same path as unprefixed (/accounts/register/…), the site's prefix before it.
    *(
        path(f"accounts/{p.pattern}", p.callback, name=str(p.name))
        for p in _public("accounts", accounts_urls.urlpatterns)  # type: ignore[arg-type]
    ),
    *_public("programs", program_urls.urlpatterns),  # type: ignore[arg-type]
    *_public("decision", decision_urls.urlpatterns),  # type: ignore[arg-type]
]
