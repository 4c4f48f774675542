"""Certificates (A21.1) and their numbers, verifiable by anyone (A25.1): the PDF is read back
with PDFium (text, fonts, pixels) and its QR code decoded with zxing-cpp."""

from __future__ import annotations

import ctypes
import datetime
import re
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from lib import certificates
from lib.certificates import (
    ALPHABET,
    ARTICLE_25,
    VERIFY_HINT,
    canonical,
    certificate_pdf,
    chinese_date,
    is_well_formed,
    new_number,
)

NUMBER_SHAPE = re.compile(r"RG2026-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")
# A number made by new_number, fixed so that failures can be reproduced.
NUMBER = "RG2026-DTVW-Z5W1-2X7Z-2FVM"
URL = f"https://zlj.rugao.gov.cn/verify/{NUMBER}"
ORGANIZATION = "江苏如皋某某精密机械制造有限公司"
LONG_NAME = "如皋市某某某某某某某某某某新材料科技集团股份有限公司如皋分公司第一生产基地"
MM = 72 / 25.4  # points per millimetre


def _certificate(holder: str = ORGANIZATION, level: str = "如皋市市长质量奖") -> bytes:
    return certificate_pdf(
        holder=holder,
        level=level,
        year=2026,
        number=NUMBER,
        verify_url=URL,
        issued_on=datetime.date(2026, 12, 10),
        issuer="如皋市人民政府",
    )


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return _certificate()


@pytest.fixture(scope="module")
def document(pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    doc = pdfium.PdfDocument(pdf)
    yield doc
    doc.close()


@pytest.fixture(scope="module")
def image(document: pdfium.PdfDocument) -> Image.Image:
    """The page at 200 dpi in grey levels."""
    return document[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")


def _text(document: pdfium.PdfDocument) -> str:
    return str(document[0].get_textpage().get_text_range())


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.req("A25.1")
def test_number_has_year_groups_and_a_valid_check() -> None:
    number = new_number(2026)
    assert NUMBER_SHAPE.fullmatch(number)
    assert is_well_formed(number)
    assert canonical(number) == number
    assert is_well_formed(NUMBER)


@pytest.mark.req("A25.1")
def test_number_is_unique_and_uses_the_whole_alphabet_over_many_draws() -> None:
    numbers = [new_number(2026) for _ in range(20_000)]
    assert len(set(numbers)) == len(numbers)
    random_parts = "".join(n.replace("-", "")[6:-1] for n in numbers)
    assert set(random_parts) == set(ALPHABET)
    # 75 random bits: no character dominates (each is expected 1/32 of the time).
    assert max(random_parts.count(c) for c in ALPHABET) / len(random_parts) < 1.2 / 32


@pytest.mark.req("A25.1")
@given(st.integers(min_value=1000, max_value=9999))
def test_number_of_any_year_is_well_formed(year: int) -> None:
    number = new_number(year)
    assert number.startswith(f"RG{year}-")
    assert is_well_formed(number)


@pytest.mark.parametrize("year", [999, 10_000, -2026])
def test_number_refuses_a_year_that_is_not_four_digits(year: int) -> None:
    with pytest.raises(ValueError, match="四位年份"):
        new_number(year)


@pytest.mark.req("A25.1")
def test_number_with_one_mistyped_character_is_detected() -> None:
    for number in [NUMBER, *(new_number(2026) for _ in range(20))]:
        compact = number.replace("-", "")
        for position in range(2, len(compact)):  # the year and everything after it
            for typo in ALPHABET:
                if typo != compact[position]:
                    wrong = compact[:position] + typo + compact[position + 1 :]
                    assert not is_well_formed(wrong), (number, wrong)


@pytest.mark.req("A25.1")
def test_number_with_two_neighbours_swapped_is_detected_except_zero_and_z() -> None:
    missed = set()
    for number in [new_number(2026) for _ in range(200)]:
        compact = number.replace("-", "")
        for i in range(2, len(compact) - 1):
            a, b = compact[i], compact[i + 1]
            if a != b and is_well_formed(compact[:i] + b + a + compact[i + 2 :]):
                missed.add(frozenset((a, b)))
    assert missed <= {frozenset("0Z")}


@pytest.mark.req("A25.1")
def test_number_is_read_as_people_type_it() -> None:
    assert canonical(NUMBER.lower()) == NUMBER
    assert canonical(" rg 2026 dtvw z5w1 2x7z 2fvm ") == NUMBER
    assert canonical("RG2026DTVWZ5W12X7Z2FVM") == NUMBER
    assert canonical("RG2026—DTVW－Z5WI-2X7Z-2FVM") == NUMBER  # dashes of an IME, I for 1
    assert (
        canonical("ＲＧ２０２６ＤＴＶＷＺ５Ｗｌ２Ｘ７Ｚ２ＦＶＭ") == NUMBER
    )  # full width, l for 1
    assert canonical("RG2O26-DTVW-Z5W1-2X7Z-2FVM") == NUMBER  # O for 0


@pytest.mark.req("A25.1")
@pytest.mark.parametrize(
    "number",
    [
        "",
        "RG2026",
        "RG2026-DTVW-Z5W1-2X7Z-2FV",  # one character short
        "RG2026-DTVW-Z5W1-2X7Z-2FVMM",  # one too many
        "XG2026-DTVW-Z5W1-2X7Z-2FVM",  # another prefix
        "RG2026-DTVW-Z5W1-2X7Z-2FVU",  # U is not in the alphabet
        "RG2026-DTVW-Z5W1-2X7Z-2FV*",
        "RG20X6-DTVW-Z5W1-2X7Z-2FVM",
        "RG2027-DTVW-Z5W1-2X7Z-2FVM",  # the year is under the check too
    ],
)
def test_number_malformed_or_forged_is_refused(number: str) -> None:
    assert canonical(number) is None
    assert not is_well_formed(number)


# --- the certificate -------------------------------------------------------------------------


@pytest.mark.req("A21.1")
def test_certificate_is_one_a4_landscape_page(document: pdfium.PdfDocument) -> None:
    assert len(document) == 1
    width, height = document[0].get_size()
    assert (round(width / MM), round(height / MM)) == (297, 210)


@pytest.mark.req("A21.1", "A25.1")
def test_certificate_text_reads_back_exactly(document: pdfium.PdfDocument) -> None:
    """Extracted text equal to what was drawn proves each glyph maps to its character."""
    lines = _text(document).splitlines()
    assert lines[0] == "荣誉证书"
    assert f"{ORGANIZATION}：" in lines
    assert "荣获2026年度如皋市市长质量奖。" in lines
    assert "特发此证。" in lines
    assert "如皋市人民政府" in lines
    assert "2026年12月10日" in lines
    assert f"证书编号：{NUMBER}" in lines
    assert VERIFY_HINT in lines
    assert URL in lines
    assert ARTICLE_25 in lines
    assert "按照获奖年度进行标识标注" in ARTICLE_25
    assert "《如皋市市长质量奖管理办法》第二十五条" in ARTICLE_25


@pytest.mark.req("A21.1")
def test_certificate_nomination_award_and_individual_read_back() -> None:
    nomination = pdfium.PdfDocument(_certificate(level="如皋市市长质量奖提名奖"))
    person = pdfium.PdfDocument(_certificate(holder="张三"))
    assert "荣获2026年度如皋市市长质量奖提名奖。" in _text(nomination).splitlines()
    assert "张三：" in _text(person).splitlines()


@pytest.mark.req("A21.1")
def test_certificate_embeds_a_subset_of_noto_serif_cjk(document: pdfium.PdfDocument) -> None:
    fonts = set()
    for obj in document[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        length = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buffer = ctypes.create_string_buffer(length)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, length)
        data_size = ctypes.c_size_t()
        pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(data_size))
        embedded = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
        fonts.add((buffer.value.decode(), embedded, data_size.value))
    assert {name.split("+")[1] for name, _, _ in fonts} == {
        "NotoSerifCJKSC",
        "NotoSerifCJKSCBold",
    }
    for name, embedded, size in fonts:
        assert embedded, name
        assert re.fullmatch(r"[A-Z]{6}\+\w+", name), "a subset carries a tag"
        assert 0 < size < 200_000, "a subset, not the 26 MB collection"


@pytest.mark.req("A21.1")
def test_certificate_renders_ink_inside_the_frame(document: pdfium.PdfDocument) -> None:
    textpage = document[0].get_textpage()
    width, height = document[0].get_size()
    inner = 14.2 * MM  # the inner gold line of the frame
    for i in range(textpage.count_chars()):
        left, bottom, right, top = textpage.get_charbox(i)
        if right > left:  # generated spaces and line breaks have no box
            assert inner < left, i
            assert right < width - inner, i
            assert inner < bottom, i
            assert top < height - inner, i


@pytest.mark.req("A21.1")
def test_certificate_long_holder_wraps_inside_the_frame() -> None:
    doc = pdfium.PdfDocument(_certificate(holder=LONG_NAME, level="如皋市市长质量奖提名奖"))
    text = _text(doc)
    assert f"{LONG_NAME}：" in re.sub(r"\s", "", text)
    textpage = doc[0].get_textpage()
    width, _ = doc[0].get_size()
    right = max(textpage.get_charbox(i)[2] for i in range(textpage.count_chars()))
    assert right < width - 14.2 * MM


@pytest.mark.req("A21.1")
def test_certificate_page_is_not_blank_and_the_qr_area_is_dark(image: Image.Image) -> None:
    def dark(box: tuple[float, float, float, float]) -> float:
        dpmm = image.width / 297
        left, top, right, bottom = (round(v * dpmm) for v in box)
        crop = image.crop((left, top, right, bottom))
        histogram = crop.histogram()
        return sum(histogram[:128]) / sum(histogram)

    assert 0.02 < dark((0, 0, 297, 210)) < 0.3
    # The QR code without its quiet zone of 4 modules (30 mm with it, at 20 mm, 146 mm).
    qr = dark((25, 151, 45, 171))
    assert 0.35 < qr < 0.65
    assert dark((60, 25, 90, 40)) == 0  # blank paper left of the title


@pytest.mark.req("A25.1")
def test_certificate_qr_code_leads_to_the_verification_page(image: Image.Image) -> None:
    codes = zxingcpp.read_barcodes(image)
    assert [(c.format, c.text) for c in codes] == [(zxingcpp.BarcodeFormat.QRCode, URL)]


@pytest.mark.req("A21.1")
def test_certificate_is_reproducible_from_its_record(pdf: bytes) -> None:
    assert _certificate() == pdf
    assert pdf.startswith(b"%PDF-")


def test_certificate_prints_the_number_in_its_canonical_form() -> None:
    data = certificate_pdf(
        holder="张三",
        level="如皋市市长质量奖",
        year=2026,
        number=NUMBER.lower().replace("-", " "),
        verify_url=URL,
        issued_on=datetime.date(2026, 12, 10),
        issuer="如皋市人民政府",
    )
    assert f"证书编号：{NUMBER}" in _text(pdfium.PdfDocument(data)).splitlines()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": "RG2026-DTVW-Z5W1-2X7Z-2FVN"}, "格式不正确"),
        ({"holder": "  "}, "不能为空"),
        ({"level": ""}, "不能为空"),
    ],
)
def test_certificate_refuses_bad_input(changes: dict[str, str], message: str) -> None:
    arguments = {
        "holder": "张三",
        "level": "如皋市市长质量奖",
        "year": 2026,
        "number": NUMBER,
        "verify_url": URL,
        "issued_on": datetime.date(2026, 12, 10),
        "issuer": "如皋市人民政府",
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        certificate_pdf(**arguments)  # type: ignore[arg-type]  # mixed values on purpose


def test_certificate_without_the_font_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    certificates._font_faces.cache_clear()
    monkeypatch.setattr(certificates, "FONT_DIR", tmp_path)
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            _certificate()
    finally:
        certificates._font_faces.cache_clear()


def test_chinese_date_uses_arabic_numerals() -> None:
    assert chinese_date(datetime.date(2026, 12, 10)) == "2026年12月10日"
    assert chinese_date(datetime.date(2027, 1, 5)) == "2027年1月5日"


def test_article_25_is_printed_in_the_words_of_the_programs_award_and_measures() -> None:
    """Issue 18: 示例市's or a province's certificate cites its own Measures, not 如皋's."""
    from lib.certificates import article_25

    text = article_25("省长质量奖", "江苏省省长质量奖管理办法")
    assert "使用省长质量奖标志" in text
    assert "《江苏省省长质量奖管理办法》第二十五条" in text
    assert "如皋" not in text
    drawn = certificate_pdf(
        holder=ORGANIZATION,
        level="省长质量奖",
        year=2026,
        number=NUMBER,
        verify_url=URL,
        issued_on=datetime.date(2026, 12, 10),
        issuer="江苏省人民政府",
        reminder=text,
    )
    doc = pdfium.PdfDocument(drawn)
    try:
        assert text in _text(doc).splitlines()
    finally:
        doc.close()
