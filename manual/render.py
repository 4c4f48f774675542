"""A chapter's Markdown as HTML: raw HTML is escaped, figures point to their URL, links to other
chapters to their page, tables fit a phone; the headings make the table of contents."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import markdown
from django.urls import reverse
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

FIGURE_NAME = re.compile(r"[0-9]{2}(?:-[a-z0-9]+)+")
_FIGURE_SRC = re.compile(r"figures/(" + FIGURE_NAME.pattern + r")\.jpg")
_CHAPTER_HREF = re.compile(r"([a-zA-Z]+)\.md(#[^\s]*)?")


@dataclass(frozen=True)
class Rendered:
    title: str
    html: str
    toc: list[tuple[str, str]]  # (anchor, heading) of each section (## headings)


class _Rewrite(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        from .chapters import BY_SLUG

        first = root[0] if len(root) else None
        if first is not None and first.tag == "h1":  # the page shows the title itself
            root.remove(first)
        tables = [
            (parent, i, child)
            for parent in root.iter()
            for i, child in enumerate(parent)
            if child.tag == "table"
        ]
        for parent, i, table in tables:  # each table scrolls inside its own box on a phone
            table.set("class", "table table-sm table-bordered")
            wrapper = ET.Element("div", {"class": "table-responsive"})
            parent.remove(table)
            wrapper.append(table)
            parent.insert(i, wrapper)
        for element in root.iter():  # CSP: no inline style (a table column's alignment)
            style = element.attrib.pop("style", "")
            if "text-align: center" in style:
                element.set("class", "text-center")
            elif "text-align: right" in style:
                element.set("class", "text-end")
        for img in root.iter("img"):
            src = img.get("src", "")
            if m := _FIGURE_SRC.fullmatch(src):
                img.set("src", reverse("manual:figure", args=[m.group(1)]))
            else:  # only the manual's own figures are shown
                img.set("src", "")
            img.set("class", "qa-manual-figure")
            img.set("loading", "lazy")
        # A paragraph holding only a figure becomes <figure>: the image opens full size, its
        # description is the caption.
        for p in root.iter("p"):
            if len(p) == 1 and p[0].tag == "img" and not (p.text or "").strip():
                img = p[0]
                p.remove(img)
                p.tag = "figure"
                p.set("class", "qa-manual-fig")
                link = ET.SubElement(p, "a", {"href": img.get("src", "")})
                link.append(img)
                img.tail = None
                caption = ET.SubElement(p, "figcaption", {"class": "small text-muted"})
                caption.text = "图：" + img.get("alt", "")
        for a in root.iter("a"):
            href = a.get("href", "")
            m = _CHAPTER_HREF.fullmatch(href)
            if m and (slug := "intro" if m.group(1) == "README" else m.group(1)) in BY_SLUG:
                a.set("href", reverse("manual:chapter", args=[slug]) + (m.group(2) or ""))
            elif not re.match(r"(https?://|/|#)", href):
                a.set("href", "#")


class _ManualExtension(Extension):
    def extendMarkdown(self, md: Any) -> None:
        # Our own text, yet no raw HTML gets through: it is shown as text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_Rewrite(md), "manual_rewrite", 1)


def _render(text: str) -> Rendered:
    md = markdown.Markdown(
        extensions=[
            "tables",
            "sane_lists",
            _ManualExtension(),
            "toc",
        ],
        extension_configs={"toc": {"slugify": slugify_unicode, "toc_depth": "2"}},
    )
    html = md.convert(text)
    tokens: list[dict[str, Any]] = getattr(md, "toc_tokens", [])
    title = tokens[0]["name"] if tokens and tokens[0]["level"] == 1 else ""
    sections = tokens[0]["children"] if title else tokens
    toc = [(t["id"], t["name"]) for t in sections if t["level"] == 2]
    return Rendered(title=title, html=html, toc=toc)


@lru_cache(maxsize=32)
def _cached(path: str, mtime: float) -> Rendered:
    return _render(Path(path).read_text(encoding="utf-8"))


def render_file(path: Path) -> Rendered:
    """The chapter at `path`, rendered once per version of the file."""
    return _cached(str(path), path.stat().st_mtime)
