"""Charts drawn on the server for documents (Word has no charts of its own here): matplotlib's
Agg backend without pyplot (no global state, safe in a web worker), Chinese in Noto Sans CJK."""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

FONT_DIR = Path("/usr/share/fonts")
# Debian's fonts-noto-cjk ships one collection per weight; the SC face of it is picked by name.
CJK_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
CJK_FAMILY = "Noto Sans CJK SC"
# 960 x 840 px whatever the labels, placed 15 cm wide on A4 (text width 15.8 cm): ~160 dpi on
# paper, and the 10 pt labels print at about 8.5 pt.
RADAR_INCHES = (6.4, 5.6)
RADAR_DPI = 150


@cache  # registering a font is process-wide and needs doing once
def _cjk_family() -> str:
    """Register Noto Sans CJK with matplotlib and return the family to ask for. Without it the
    chart would print empty boxes for every Chinese character, so its absence is an error."""
    from matplotlib import font_manager

    found = [p for name in CJK_FILES for p in sorted(FONT_DIR.rglob(name))]
    if not found:
        raise RuntimeError(
            f"未找到中文字体 {CJK_FILES[0]}（{FONT_DIR}）：雷达图无法显示中文。"
            "请安装 Debian 软件包 fonts-noto-cjk（make system-deps）。"
        )
    for path in found:
        font_manager.fontManager.addfont(str(path))
    if not any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        raise RuntimeError(f"字体文件 {found[0]} 中没有 {CJK_FAMILY} 字形。")
    return CJK_FAMILY


def _wrap(label: str, width: int = 8) -> str:
    """Break each line of a label into lines of at most `width` characters (CJK has no spaces
    to break at)."""
    lines = []
    for line in label.splitlines() or [""]:
        lines += [line[i : i + width] for i in range(0, len(line), width)] or [""]
    return "\n".join(lines)


def _one_place(value: float) -> Decimal:
    """A percentage as the chart prints it: one decimal, half up like the report's tables
    (Python's format would print 66.25 as 66.2)."""
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def radar_png(labels: list[str], percents: list[float], *, title: str = "") -> bytes:
    """A radar chart of percentages (0-100) on three or more axes, as PNG bytes of a fixed size
    (RADAR_INCHES x RADAR_DPI), drawn off-screen with Agg in Noto Sans CJK. The first axis points
    up and the others follow clockwise, as the categories are read."""
    import math

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    if len(labels) != len(percents):
        raise ValueError("雷达图的标签与数值个数不一致。")
    if len(labels) < 3:
        raise ValueError("雷达图至少需要3个维度。")
    if any(not 0 <= p <= 100 for p in percents):
        raise ValueError("雷达图的数值应在0至100之间。")
    family = _cjk_family()
    font = FontProperties(family=family, size=10)
    small = FontProperties(family=family, size=8)

    # A Figure without pyplot: no global state, no display, safe in a web worker.
    figure = Figure(figsize=RADAR_INCHES, dpi=RADAR_DPI)
    FigureCanvasAgg(figure)
    # Room around the circle for labels of up to 8 characters a line, and above it for the title.
    figure.subplots_adjust(left=0.22, right=0.78, bottom=0.12, top=0.8 if title else 0.86)
    ax: Any = figure.add_subplot(projection="polar")
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    n = len(labels)
    angles = [2 * math.pi * i / n for i in range(n)]
    closed = [*angles, angles[0]]
    values = [float(p) for p in percents]
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.set_yticklabels(["20%", "40%", "60%", "80%", "100%"], fontproperties=small, color="#666")
    ax.set_rlabel_position(180 / n)  # between the first two axes, clear of the labels
    ax.set_xticks(angles)
    ax.set_xticklabels([])
    ax.grid(color="#bbb", linewidth=0.6)
    ax.spines["polar"].set_color("#888")
    ax.plot(closed, [*values, values[0]], color="#1f5fa8", linewidth=2)
    ax.fill(closed, [*values, values[0]], color="#1f5fa8", alpha=0.22)
    ax.scatter(angles, values, color="#1f5fa8", s=18, zorder=3)
    for angle, label, value in zip(angles, labels, values, strict=True):
        # The label sits just outside the circle, aligned away from it on either side.
        x, y = math.sin(angle), math.cos(angle)
        ha = "center" if abs(x) < 0.2 else ("left" if x > 0 else "right")
        va = "bottom" if y > 0.5 else ("top" if y < -0.5 else "center")
        ax.annotate(
            f"{_wrap(label)}\n{_one_place(value)}%",
            xy=(angle, 100),
            xytext=(8 * x, 8 * y),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontproperties=font,
            linespacing=1.2,
            annotation_clip=False,
        )
    if title:
        figure.suptitle(title, y=0.97, fontproperties=FontProperties(family=family, size=13))
    out = io.BytesIO()
    # No bbox_inches="tight": the image keeps the same pixel size whatever it shows.
    figure.savefig(out, format="png", dpi=RADAR_DPI, metadata={"Software": None})
    return out.getvalue()
