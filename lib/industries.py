"""GB/T 4754-2017 sections (门类) and divisions (大类), from data/gbt4754-2017.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent.parent / "data" / "gbt4754-2017.yaml"


@cache  # read-only data shipped with the code
def divisions() -> dict[str, tuple[str, str]]:
    """Division code -> (section letter, "C 制造业 · 34 通用设备制造业" style label)."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, str]] = {}
    for letter, section in raw["sections"].items():
        for code, name in section["divisions"].items():
            key = str(code).zfill(2)
            out[key] = (letter, f"{letter} {section['name']} · {key} {name}")
    return out


def choices() -> list[tuple[str, str]]:
    return sorted(((code, label) for code, (_, label) in divisions().items()), key=lambda c: c[0])


def label(code: str) -> str:
    return divisions().get(code, ("", code))[1]
