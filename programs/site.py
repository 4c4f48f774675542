"""Each program's public site (decision 0030, issue 18): the home page, the announcements, the
notices with the objection form and its receipt, the winners and certificate verification.

The default program's pages keep today's addresses (`/`, `/notices/2026/`: printed notices and
certificates point at them); every program's are also served under its slug (`/shili/`,
`/shili/notices/2026/`), by the patterns of `config/site_urls.py` in the namespace `site`, each
named as its unprefixed twin (`decision:notices` -> `site:notices`). The middleware takes the
slug off the view's arguments and acts in that program (404 for an unknown slug).

A link on a public page stays where the visitor is: under the prefix when the page was reached
under it, today's address otherwise (`public_url`, and the template tag of
`templatetags/public_site.py`). An address made outside a request (the QR code on a
certificate) is the program's own (`program_url`): today's for the default program, the
prefixed one for any other.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .context import current_program_or_none
from .models import AwardProgram

NAMESPACE = "site"
SLUG = "program_slug"  # the URL argument the middleware takes (programs.middleware)


def _twin(name: str) -> str:
    """`site:notices` for `decision:notices`: the prefixed pattern of an unprefixed one."""
    return f"{NAMESPACE}:{name.rpartition(':')[2]}"


def prefixed(request: HttpRequest | None) -> bool:
    """Whether the page was reached under a program's prefix (`/shili/…`)."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == NAMESPACE


def public_url(request: HttpRequest | None, name: str, **kwargs: Any) -> str:
    """The address of a public page for a link on this page: under the prefix the page was
    reached by (the program the middleware set from it), else today's address."""
    program = current_program_or_none() if prefixed(request) else None
    if program is not None:  # none: an unknown slug's 404 page, or no program at all
        return reverse(_twin(name), kwargs={SLUG: program.slug, **kwargs})
    return reverse(name, kwargs=kwargs or None)


def program_url(program: AwardProgram, name: str, **kwargs: Any) -> str:
    """A program's own address of a public page, for use outside a request: today's for the
    default program, under its slug for any other."""
    if program.is_default:
        return reverse(name, kwargs=kwargs or None)
    return reverse(_twin(name), kwargs={SLUG: program.slug, **kwargs})


def city(program: AwardProgram) -> str:
    """如皋市 from 如皋市人民政府: the notices' titles name the city (or province), as the
    government's portal does."""
    return program.government.removesuffix("人民政府")


def award_name(program: AwardProgram) -> str:
    """The award without its place: 市长质量奖 of 如皋市市长质量奖, 省长质量奖 of a province's."""
    return program.name.removeprefix(city(program)) or program.name


def taken_slugs() -> frozenset[str]:
    """The first segments of the other addresses (`accounts`, `notices`, `help`, ...): a
    program with one of them as its slug would have its site hidden behind them, since the
    prefixed patterns come last."""
    from django.urls import URLResolver, get_resolver

    taken: set[str] = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == NAMESPACE:
            continue
        nested = pattern.url_patterns if isinstance(pattern, URLResolver) else []
        route = str(pattern.pattern)
        if route:
            taken.add(route.lstrip("^").split("/")[0])
        else:  # an include at the root: its own first segments
            taken |= {str(p.pattern).lstrip("^").split("/")[0] for p in nested}
    return frozenset(t for t in taken if t and "<" not in t)


def home_url(request: HttpRequest | None) -> str:
    """The home page of the site the visitor is on (the header's 首页 and brand)."""
    return public_url(request, "programs:home")
