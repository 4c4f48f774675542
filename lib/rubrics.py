"""The rubrics as data (data/gbt19580.yaml): GB/T 19580-2012 for organizations, the default
individual rubric (article 14): the rubric of a policy that holds none (`rubric_in`). A cycle's
review copies its policy's rubric (review.Rubric); the application form's self-evaluation reads
the same policy's (`intake.schema.self_evaluation_rubric`), never this file directly.

A program's pack (programs/packs.py, issue 18) names its rubric per kind, by reference to a file
under data/ or inline; `rubric_data` reads either into one plain dict (what `Policy.rubrics`
stores), `rubric_problems` checks it and `from_data` turns it back into a `Rubric`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DATA = DATA_DIR / "gbt19580.yaml"
KINDS = ("organization", "individual")
ITEM_TYPES = ("process", "result")  # review.models.RubricItem.Type (lib sits below review)
# libyaml's safe loader when PyYAML was built with it (5x faster on a pack), else the Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """The rubric of data/gbt19580.yaml for "organization" or "individual": the default of a
    policy without its own. An application's or a cycle's rubric is its policy's (`rubric_in`)."""
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


def _read_file(name: str) -> Any:
    path = (DATA_DIR / name).resolve()
    if DATA_DIR.resolve() not in path.parents or path.suffix not in (".yaml", ".yml"):
        raise LookupError(f"评价准则文件“{name}”应为 data/ 目录下的 YAML 文件。")
    if not path.is_file():
        raise LookupError(f"评价准则文件“{name}”不存在（data/{name}）。")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - safe


def file_rubric(name: str, key: str) -> dict[str, Any]:
    """The rubric `key` of a file under data/ (the format of gbt19580.yaml), as plain data with
    its source; LookupError in Chinese when the file or the key is not there."""
    raw = _read_file(name)
    for r in raw.get("rubrics", []) if isinstance(raw, dict) else []:
        if r.get("key") == key:
            return {
                "key": key,
                "applies_to": r.get("applies_to"),
                "name": r.get("name_zh"),
                "total_points": r.get("total_points"),
                "categories": [
                    {
                        "code": str(c.get("code")),
                        "name": c.get("name_zh"),
                        "points": c.get("points"),
                    }
                    for c in r.get("categories", [])
                ],
                "items": [
                    {
                        "code": str(i.get("code")),
                        "category": str(i.get("category")),
                        "name": i.get("name_zh"),
                        "points": i.get("points"),
                        "type": i.get("type"),
                    }
                    for i in r.get("items", [])
                ],
                "source": name,
            }
    raise LookupError(f"评价准则文件“{name}”中没有代码为“{key}”的评价准则。")


def rubric_problems(data: Mapping[str, Any], *, total_points: int | None = None) -> list[str]:
    """What is wrong with a rubric as data, in Chinese: names present, codes unique, points
    positive integers summing to their category's points and to the total (and to the policy's
    `total_points` when given), types process or result."""
    errors: list[str] = []
    for key in ("key", "name"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            errors.append(f"缺少{key}（{'准则代码' if key == 'key' else '名称'}）。")
    total = data.get("total_points")
    if not _positive(total):
        errors.append("total_points（总分）应为正整数。")
    categories, items = data.get("categories"), data.get("items")
    if not isinstance(categories, list) or not categories:
        return [*errors, "categories（类目）应为非空列表。"]
    if not isinstance(items, list) or not items:
        return [*errors, "items（条款）应为非空列表。"]
    category_codes = [str(c.get("code", "")) if isinstance(c, dict) else "" for c in categories]
    if len(set(category_codes)) != len(category_codes) or "" in category_codes:
        errors.append("类目编号为空或重复。")
    for c in categories:
        if not isinstance(c, dict) or not _positive(c.get("points")) or not c.get("name"):
            errors.append(
                f"类目{c.get('code') if isinstance(c, dict) else c}应有名称和正整数分值。"
            )
    codes = [str(i.get("code", "")).strip() if isinstance(i, dict) else "" for i in items]
    if "" in codes:
        errors.append("每个条款都应有编号。")
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        errors.append(f"条款编号重复：{'、'.join(dup)}。")
    for i in items:
        if not isinstance(i, dict):
            errors.append(f"条款{i}应为映射。")
            continue
        code = i.get("code")
        if not _positive(i.get("points")):
            errors.append(f"条款{code}的分值应为正整数。")
        if i.get("type") not in ITEM_TYPES:
            errors.append(f"条款{code}的类型应为 process（过程）或 result（结果）。")
        if str(i.get("category")) not in category_codes:
            errors.append(f"条款{code}所属类目{i.get('category')}不存在。")
        if not i.get("name"):
            errors.append(f"条款{code}缺少名称。")
    if errors:
        return errors
    item_sum = sum(int(i["points"]) for i in items)
    if item_sum != total:
        errors.append(f"各条款分值之和为{item_sum}分，与总分{total}分不符。")
    for c in categories:
        in_category = sum(int(i["points"]) for i in items if str(i["category"]) == str(c["code"]))
        if in_category != int(c["points"]):
            errors.append(
                f"类目{c['code']}{c['name']}的条款分值之和为{in_category}分，与该类目{c['points']}分不符。"
            )
    if total_points is not None and total != total_points:
        errors.append(f"评价准则总分{total}分与办法规定的评审总分{total_points}分不符。")
    return errors


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def from_data(applies_to: str, data: Mapping[str, Any]) -> Rubric:
    """A rubric stored as data (`Policy.rubrics[kind]`, checked when it was loaded)."""
    items = [
        Item(str(i["code"]), str(i["category"]), str(i["name"]), int(i["points"]), str(i["type"]))
        for i in data["items"]
    ]
    categories = tuple(
        Category(
            str(c["code"]),
            str(c["name"]),
            int(c["points"]),
            tuple(i for i in items if i.category == str(c["code"])),
        )
        for c in data["categories"]
    )
    return Rubric(
        str(data["key"]), applies_to, str(data["name"]), int(data["total_points"]), categories
    )


def rubric_in(stored: Mapping[str, Any], applies_to: str) -> Rubric:
    """The rubric a policy holds for a kind (loaded from its program's pack), or the default of
    data/gbt19580.yaml for a policy that holds none (one entered before packs)."""
    data = stored.get(applies_to) if isinstance(stored, Mapping) else None
    return from_data(applies_to, data) if data else rubric_for(applies_to)


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
