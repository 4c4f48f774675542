"""The rubrics as data (data/gbt19580.yaml): GB/T 19580-2012 for organizations, the default
individual rubric (article 14). Issue 5 turns them into versioned rows per cycle; until then the
self-evaluation of the application form is structured by this file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent.parent / "data" / "gbt19580.yaml"


@dataclass(frozen=True)
class Item:
    code: str
    category: str
    name: str
    points: int
    type: str  # "process" | "result"


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    points: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Rubric:
    key: str
    applies_to: str
    name: str
    total_points: int
    categories: tuple[Category, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for c in self.categories for i in c.items)


@cache  # the file is read-only data shipped with the code: safe to share between requests
def rubric_for(applies_to: str) -> Rubric:
    """The rubric for "organization" or "individual"."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    for r in raw["rubrics"]:
        if r["applies_to"] != applies_to:
            continue
        items = [
            Item(i["code"], i["category"], i["name_zh"], int(i["points"]), i["type"])
            for i in r["items"]
        ]
        categories = tuple(
            Category(
                c["code"],
                c["name_zh"],
                int(c["points"]),
                tuple(i for i in items if i.category == c["code"]),
            )
            for c in r["categories"]
        )
        return Rubric(r["key"], applies_to, r["name_zh"], int(r["total_points"]), categories)
    raise LookupError(f"no rubric for {applies_to}")


@dataclass(frozen=True)
class Band:
    """A scoring band of GB/Z 19579 (percent range) with its guidance for each item type."""

    min: int
    max: int
    process: str  # 方法-展开-学习-整合 (A-D-L-I)
    result: str  # 水平-趋势-对比-整合 (Le-T-C-I)

    def text(self, item_type: str) -> str:
        return self.result if item_type == "result" else self.process

    def __str__(self) -> str:
        return f"{self.min}%–{self.max}%"


@cache  # read-only data shipped with the code, as `rubric_for`
def bands() -> tuple[Band, ...]:
    """The six scoring bands shown to scorers as guidance, lowest first."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return tuple(
        Band(int(b["min"]), int(b["max"]), str(b["process_zh"]), str(b["result_zh"]))
        for b in raw["bands"]
    )


def band_for(percent: float) -> Band:
    """The band a percentage falls into. Bands are written for multiples of 5 and leave gaps
    between them (65 and 70); a percentage in a gap, such as a category's 67.5, belongs to the
    band below it: a fraction of a step is not rounded up into a better band."""
    table = bands()
    return next((b for b in reversed(table) if percent >= b.min), table[0])
