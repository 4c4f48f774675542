"""Award certificates (A21.1) and their numbers (A25.1), without models: the decision stage
stores the number and calls `certificate_pdf` to print it.

Number format, e.g. ``RG2026-7KQ3-M9XD-2F8H-TW5C``:

- ``RG`` and the award year (4 digits);
- 15 characters drawn with `secrets` from Crockford's base32 alphabet
  (``0-9 A-Z`` without ``I L O U``): 75 random bits, so numbers can be neither guessed nor
  enumerated;
- one check character, Luhn mod 32 over ``RG``, the year and the 15 random characters: any single
  mistyped character, in the year too, makes the number invalid, and so does any swap of two
  neighbours except ``0``/``Z``;
- printed in groups of four after the year, joined by hyphens.

Reading a number back (`canonical`) forgives what people do when they type one: lower case,
full-width characters from a Chinese input method, spaces and hyphens anywhere, and Crockford's
look-alikes ``I``/``L`` for ``1`` and ``O`` for ``0``.

The PDF is drawn with fpdf2 in Noto Serif CJK SC, which Debian ships as OpenType/CFF inside .ttc
collections: fpdf2 reads the SC face of the collection and embeds a subset of it (CIDFontType0C)
with a ToUnicode map, so the page displays without CJK fonts and its text can be copied."""

from __future__ import annotations

import datetime
import io
import re
import secrets
import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from fpdf import FPDF

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
# Crockford's decoding rule: the letters left out of the alphabet read as the digits they resemble.
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
PREFIX = "RG"
RANDOM_CHARS = 15  # 75 bits
GROUP = 4
_SHAPE = re.compile(rf"{PREFIX}(\d{{4}})([{ALPHABET}]{{{RANDOM_CHARS + 1}}})")

FONT_DIR = Path("/usr/share/fonts")
# Debian's fonts-noto-cjk: one collection per weight, the SC face of each is picked by name.
FONT_FILES = {"": "NotoSerifCJK-Regular.ttc", "B": "NotoSerifCJK-Bold.ttc"}
FONT_FAMILY = "Noto Serif CJK SC"
_FONT = "serif"

# A4 landscape, in millimetres from the top left corner.
PAGE_W, PAGE_H = 297.0, 210.0
TEXT_LEFT, TEXT_RIGHT = 42.0, PAGE_W - 42.0
RED = (158, 27, 27)
GOLD = (184, 134, 11)
INK = (33, 33, 33)
GREY = (96, 96, 96)


def article_25(award: str = "市长质量奖", measures: str = "如皋市市长质量奖管理办法") -> str:
    """The reminder of article 25 printed at the foot, in the words of the program's own award
    and Measures (示例市's certificate does not cite 如皋's)."""
    return (
        f"获奖组织在其产品或包装上使用{award}标志的，必须按照获奖年度进行标识标注；"
        f"任何组织和个人不得伪造、冒用{award}证书和奖牌。（《{measures}》第二十五条）"
    )


ARTICLE_25 = article_25()
VERIFY_HINT = "扫码或访问核验页面验证证书真伪"
PT = 25.4 / 72  # one point in millimetres
REVOKED = "已撤销"
SPECIMEN = "样张"
REVOKED_RED = (210, 0, 0)
SEAL_SIZE = 42.0  # millimetres: the usual round seal of a government office
# An uploaded seal image: at least this many pixels across (42 mm at 240 dpi, sharp in print),
# at most SEAL_MAX_PIXELS on a side, roughly square (round or oval seals).
SEAL_MIN_PIXELS = 400
SEAL_MAX_PIXELS = 4000


def _check_char(payload: str) -> str:
    """Luhn mod 32: from the right, every other value is doubled and folded back below 32 (a
    bijection, so any single substitution changes the sum); the check makes the sum 0 mod 32."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        addend = _VALUE[char] * (2 if position % 2 == 0 else 1)
        total += addend // 32 + addend % 32
    return ALPHABET[-total % 32]


def new_number(year: int) -> str:
    """A new certificate number for the award `year` (format in the module docstring). Unique
    in practice (2**75 possibilities); the caller's unique constraint catches the impossible."""
    if not 1000 <= year <= 9999:
        raise ValueError(f"获奖年度 {year} 不是四位年份。")
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    body += _check_char(f"{PREFIX}{year}{body}")
    groups = [body[i : i + GROUP] for i in range(0, len(body), GROUP)]
    return "-".join([f"{PREFIX}{year}", *groups])


def canonical(number: str) -> str | None:
    """The number as printed (upper case, hyphenated) if `number` is well formed and its check
    character matches, else None. Look certificates up by this form."""
    text = unicodedata.normalize("NFKC", number).upper().translate(_LOOK_ALIKES)
    text = re.sub(r"[\s\-\u2010-\u2015\u2212]", "", text)  # spaces and every kind of dash
    match = _SHAPE.fullmatch(text)
    if match is None:
        return None
    year, body = match.groups()
    if _check_char(f"{PREFIX}{year}{body[:-1]}") != body[-1]:
        return None
    groups = [body[i : i + GROUP] for i in range(0, len(body), GROUP)]
    return "-".join([f"{PREFIX}{year}", *groups])


def is_well_formed(number: str) -> bool:
    """Whether `number` has the shape of a certificate number and a matching check character
    (case, spaces and hyphens do not matter). Says nothing about whether it was issued."""
    return canonical(number) is not None


def chinese_date(day: datetime.date) -> str:
    """2026年12月10日: Arabic numerals, as GB/T 9704-2012 writes the date of official documents."""
    return f"{day.year}年{day.month}月{day.day}日"


@cache  # scanning the font folder and the collections' name tables once per process
def _font_faces() -> dict[str, tuple[Path, int]]:
    """The file and the index in its collection of the SC face, per style. Without them every
    Chinese character would print as an empty box, so their absence is an error."""
    from fontTools.ttLib import TTCollection

    faces = {}
    for style, name in FONT_FILES.items():
        found = sorted(FONT_DIR.rglob(name))
        if not found:
            raise RuntimeError(
                f"未找到中文字体 {name}（{FONT_DIR}）：证书无法显示中文。"
                "请安装 Debian 软件包 fonts-noto-cjk（make system-deps）。"
            )
        with TTCollection(found[0], lazy=True) as collection:  # closes the file it reads
            families = [font["name"].getBestFamilyName() for font in collection.fonts]
        if FONT_FAMILY not in families:
            raise RuntimeError(f"字体文件 {found[0]} 中没有 {FONT_FAMILY} 字形。")
        faces[style] = (found[0], families.index(FONT_FAMILY))
    return faces


def _fit_size(pdf: FPDF, text: str, *, style: str, size: float, width: float) -> float:
    """The largest font size up to `size` at which `text` fits `width` on one line."""
    pdf.set_font(_FONT, style, size)
    return min(size, size * width / pdf.get_string_width(text)) if text else size


def _put(pdf: FPDF, text: str, *, x: float, y: float, align: str = "L") -> None:
    """Write one line with its baseline at `y`, starting at `x` (L), centred on it (C) or ending
    at it (R), in the current font."""
    width = pdf.get_string_width(text)
    left = {"L": x, "C": x - width / 2, "R": x - width}[align]
    pdf.text(left, y, text)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break `text` into lines of at most `width` in the current font (Chinese has no spaces to
    break at, so any character may end a line)."""
    lines = [""]
    for char in text:
        if lines[-1] and pdf.get_string_width(lines[-1] + char) > width:
            lines.append("")
        lines[-1] += char
    return lines


def _frame(pdf: FPDF) -> None:
    """A red outer border, a gold inner line and gold corner squares."""
    pdf.set_draw_color(*RED)
    pdf.set_line_width(2.2)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.5)
    pdf.rect(13, 13, PAGE_W - 26, PAGE_H - 26)
    pdf.set_line_width(0.25)
    pdf.rect(14.2, 14.2, PAGE_W - 28.4, PAGE_H - 28.4)
    pdf.set_fill_color(*GOLD)
    for x in (13, PAGE_W - 13):
        for y in (13, PAGE_H - 13):
            pdf.rect(x - 2.2, y - 2.2, 4.4, 4.4, style="F")


def _qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code of `url` as vector squares in a white quiet zone of 4 modules, `size` wide
    with the quiet zone. One path for all dark modules, so no seams show between them."""
    import segno

    code = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rectangle(x + start * module, y + r * module, (c - start) * module, module)


def certificate_pdf(
    *,
    holder: str,
    level: str,
    year: int,
    number: str,
    verify_url: str,
    issued_on: datetime.date,
    issuer: str,
    holder_note: str = "",
    seal: bytes | None = None,
    revoked_on: datetime.date | None = None,
    revoked_reason: str = "",
    specimen: bool = False,
    reminder: str = ARTICLE_25,
) -> bytes:
    """One A4 landscape page: 荣誉证书, the holder large, under it `holder_note` in small type
    (统一社会信用代码 of an organization, the employer of a person: who the holder was when the
    award was decided, whatever it is called later), 「荣获{year}年度{level}。特发此证。」, the
    issuer and the date, the number, a QR code to `verify_url` and the reminder of article 25.

    `seal` (the office's 电子印章, a PNG with transparency) is drawn over the issuer and the
    date, as a seal is stamped; without one nothing is drawn there. A certificate with
    `revoked_on` carries 已撤销 across the page in large red letters, and a red band at the top
    with the date and `revoked_reason`: whoever prints it sees it is no longer valid.

    `number` must be well formed (it is printed in its canonical form). The same arguments give
    the same bytes (the creation date is the day of issue), so a stored certificate can be
    reproduced. The PDF is not signed here (lib/signing.py signs it, after any stamp). Raises
    RuntimeError when the Chinese font is missing, ValueError on bad input."""
    from fpdf import FPDF

    printed = canonical(number)
    if printed is None:
        raise ValueError(f"证书编号 {number} 格式不正确。")
    if not holder.strip() or not level.strip() or not issuer.strip():
        raise ValueError("证书的获奖者、奖项和颁发单位不能为空。")
    holder = holder.strip()

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    for style, (path, index) in _font_faces().items():
        pdf.add_font(_FONT, style, path, collection_font_number=index)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margin(0)
    pdf.set_lang("zh-CN")
    pdf.set_title(f"荣誉证书 {printed}")
    pdf.set_subject(f"{year}年度{level}")
    pdf.set_author(issuer)
    pdf.set_creation_date(
        datetime.datetime.combine(issued_on, datetime.time(), ZoneInfo("Asia/Shanghai"))
    )
    pdf.add_page()
    _frame(pdf)

    # Title, with wide spacing as certificates are set, and a gold rule under it.
    pdf.set_text_color(*RED)
    pdf.set_font(_FONT, "B", 46)
    pdf.set_char_spacing(8)
    title = "荣誉证书"
    # The spacing follows every character, the last one too: centre on the inked part.
    _put(pdf, title, x=PAGE_W / 2 + 4, y=52, align="C")
    pdf.set_char_spacing(0)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.6)
    pdf.line(PAGE_W / 2 - 40, 60, PAGE_W / 2 + 40, 60)

    # The holder, then the wording indented by two characters, as Chinese certificates read.
    pdf.set_text_color(*INK)
    width = TEXT_RIGHT - TEXT_LEFT
    size = max(_fit_size(pdf, f"{holder}：", style="B", size=30, width=width), 20)
    pdf.set_font(_FONT, "B", size)
    y = 84.0
    for line in _wrap(pdf, f"{holder}：", width):
        _put(pdf, line, x=TEXT_LEFT, y=y)
        y += size * PT * 1.45
    if holder_note.strip():
        pdf.set_text_color(*GREY)
        pdf.set_font(_FONT, "", 12)
        _put(pdf, holder_note.strip(), x=TEXT_LEFT, y=y - size * PT * 0.5)
        pdf.set_text_color(*INK)
        y += 12 * PT
    body = 22.0
    pdf.set_font(_FONT, "", body)
    indent = 2 * body * PT
    y += 4
    for line in _wrap(pdf, f"荣获{year}年度{level}。", width - indent):
        _put(pdf, line, x=TEXT_LEFT + indent, y=y)
        y += body * PT * 1.8
    _put(pdf, "特发此证。", x=TEXT_LEFT + indent, y=y)

    # Issuer and date, centred on one axis at the right; the seal is stamped over them by hand.
    pdf.set_font(_FONT, "", 20)
    axis = TEXT_RIGHT - 30
    _put(pdf, issuer, x=axis, y=150, align="C")
    pdf.set_font(_FONT, "", 18)
    _put(pdf, chinese_date(issued_on), x=axis, y=162, align="C")
    if seal:
        _seal(pdf, seal, x=axis, y=153)

    # Verification block at the bottom left: the QR code, the number, the hint and the address.
    qr_size = 30.0
    qr_x, qr_y = 20.0, 146.0
    _qr(pdf, verify_url, x=qr_x, y=qr_y, size=qr_size)
    info_x = qr_x + qr_size + 2
    info_w = axis - 45 - info_x
    pdf.set_text_color(*INK)
    pdf.set_font(_FONT, "", 11)
    _put(pdf, f"证书编号：{printed}", x=info_x, y=qr_y + 10)
    pdf.set_text_color(*GREY)
    pdf.set_font(_FONT, "", 9)
    _put(pdf, VERIFY_HINT, x=info_x, y=qr_y + 17)
    pdf.set_font(_FONT, "", _fit_size(pdf, verify_url, style="", size=9, width=info_w))
    _put(pdf, verify_url, x=info_x, y=qr_y + 23)

    # Article 25, in small type along the bottom.
    pdf.set_font(_FONT, "", _fit_size(pdf, reminder, style="", size=8.5, width=PAGE_W - 40))
    _put(pdf, reminder, x=PAGE_W / 2, y=PAGE_H - 19, align="C")
    if revoked_on is not None:
        _revoked(pdf, revoked_on, revoked_reason)
    elif specimen:
        _diagonal(pdf, SPECIMEN)
    return bytes(pdf.output())


class BadSeal(ValueError):
    """The image cannot serve as the office's seal; the message says why, in Chinese."""


def check_seal(data: bytes) -> tuple[int, int]:
    """The width and height in pixels of `data` as the office's seal, or BadSeal: a PNG (the
    caller has checked the content with lib/files.py too), between SEAL_MIN_PIXELS and
    SEAL_MAX_PIXELS on each side, no more than twice as wide as high or the reverse, with
    transparent pixels (a seal on a white rectangle would hide the issuer and the date) and
    some ink. The header is read before any pixel, so a huge image costs nothing."""
    from PIL import Image, UnidentifiedImageError

    opaque = "印章图片没有透明背景：请上传背景透明的PNG图片，否则会遮住落款和日期。"
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise BadSeal("印章图片须为PNG格式。")
            width, height = image.size
            if min(width, height) < SEAL_MIN_PIXELS or max(width, height) > SEAL_MAX_PIXELS:
                raise BadSeal(
                    f"印章图片为{width}×{height}像素：每边须在{SEAL_MIN_PIXELS}至"
                    f"{SEAL_MAX_PIXELS}像素之间（打印清晰，又不过大）。"
                )
            if max(width, height) > 2 * min(width, height):
                raise BadSeal(
                    f"印章图片为{width}×{height}像素：印章应为圆形或椭圆形，请裁去多余的边。"
                )
            if image.mode not in {"RGBA", "LA", "PA"} and "transparency" not in image.info:
                raise BadSeal(opaque)
            alpha = image.convert("RGBA").getchannel("A")
            low, high = cast("tuple[int, int]", alpha.getextrema())  # one band: (min, max)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadSeal("无法读取印章图片，请重新导出为PNG后上传。") from exc
    if low > 0:
        raise BadSeal(opaque)
    if high == 0:
        raise BadSeal("印章图片完全透明，没有印章图案。")
    return width, height


def _seal(pdf: FPDF, seal: bytes, *, x: float, y: float) -> None:
    """The seal image centred on (x, y), SEAL_SIZE wide (its proportions kept), over the text
    drawn before it: its transparent parts let the issuer and the date show through."""
    pdf.image(
        io.BytesIO(seal),
        x=x - SEAL_SIZE / 2,
        y=y - SEAL_SIZE / 2,
        w=SEAL_SIZE,
        h=SEAL_SIZE,
        keep_aspect_ratio=True,
        alt_text="电子印章",
    )


def _diagonal(pdf: FPDF, word: str) -> None:
    """`word` across the page, diagonally, large and translucent red: the certificate stays
    legible under it, and no copy of it can be passed off without it."""
    size, spacing = 150.0, 20.0
    with pdf.local_context(fill_opacity=0.45, stroke_opacity=0.45):
        pdf.set_text_color(*REVOKED_RED)
        pdf.set_font(_FONT, "B", size)
        pdf.set_char_spacing(spacing)
        with pdf.rotation(angle=18, x=PAGE_W / 2, y=PAGE_H / 2):
            # Centred on the inked part (the spacing follows the last character too), the
            # baseline a third of the size below the centre.
            _put(
                pdf,
                word,
                x=PAGE_W / 2 + spacing * PT / 2,
                y=PAGE_H / 2 + size * PT * 0.35,
                align="C",
            )
        pdf.set_char_spacing(0)


def _revoked(pdf: FPDF, on: datetime.date, reason: str) -> None:
    """已撤销 across the page, and a solid red band at the top saying when and why."""
    _diagonal(pdf, REVOKED)
    band_top, band_left, band_w = 16.0, 16.0, PAGE_W - 32.0
    reason = " ".join(reason.split()) or "（未填写）"
    text = f"本证书已于{chinese_date(on)}撤销，不再有效。撤销原因：{reason}"
    pdf.set_font(_FONT, "B", 11)
    lines = _wrap(pdf, text, band_w - 8)
    if len(lines) > 2:  # the reason in full stays on the verification page and in the record
        lines = lines[:2]
        lines[1] = lines[1][:-1] + "…"
    band_h = 5.0 + 6.0 * len(lines)
    pdf.set_fill_color(*REVOKED_RED)
    pdf.rect(band_left, band_top, band_w, band_h, style="F")
    pdf.set_text_color(255, 255, 255)
    y = band_top + 7.0
    for line in lines:
        _put(pdf, line, x=PAGE_W / 2, y=y, align="C")
        y += 6.0
