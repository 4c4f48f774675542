"""操作手册 (/help/): public pages, no confidential data; the reader's own chapters first."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .chapters import BY_SLUG, CHAPTERS, FIGURES_DIR, ordered_for
from .render import FIGURE_NAME, render_file


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    own, others = ordered_for(request.user)
    return render(request, "manual/index.html", {"own": own, "others": others})


@require_safe
def chapter(request: HttpRequest, slug: str) -> HttpResponse:
    found = BY_SLUG.get(slug)
    if found is None or not found.path.is_file():
        raise Http404("没有这一章")
    rendered = render_file(found.path)
    return render(
        request,
        "manual/chapter.html",
        {"chapter": found, "rendered": rendered, "chapters": CHAPTERS},
    )


@require_safe
def figure(request: HttpRequest, name: str) -> FileResponse:
    """A figure of docs/manual/figures/, by a strict name (no path reaches outside it)."""
    if not FIGURE_NAME.fullmatch(name):
        raise Http404("没有这张图")
    path = FIGURES_DIR / f"{name}.jpg"
    if not path.is_file():
        raise Http404("没有这张图")
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
