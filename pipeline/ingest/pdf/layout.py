"""A PDF page's characters to lines, in reading order.

pdfium gives each character with its box and font size. Characters are gathered into lines by their
baseline (the font's loose box, the same for every glyph of one font and size), a line is cut where the
next character goes back to the left or jumps far to the right (another column), and small raised digits
and symbols (note markers) are set aside as `marks`. Lines are then put in reading order: top to bottom,
and on a two-column page the left column before the right one, with full-width lines (a chapter heading
over both columns) where they stand.

Coordinates are PDF points with y growing upwards: a line's `top` is greater than its `bottom`.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass, field

# what pdfium marks as a hyphen at a line end (U+FFFE in its text, U+0002 in older builds), and soft hyphens
HYPHENS = "\ufffe\x02\u00ad"
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_MARK_CHARS = set(
    "0123456789*\u2020\u2021\u00a7\u00b6\u2016#"
)  # digits, *, dagger, double dagger, section, ...
_BOLD = re.compile(r"bold|black|heavy|demi|semibold", re.I)
_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
    "\u0152": "OE",
    "\u0153": "oe",
}


@dataclass(slots=True)
class Line:
    """One line of type on a page: its text (ligatures and special spaces made plain, note markers taken
    out into `marks`), its extent in points, and its type (size in points, bold)."""

    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    size: float
    bold: bool = False
    page: int = 0
    marks: list[str] = field(default_factory=list)  # note markers raised in this line ("1", "*")
    hyphen: bool = False  # ends in a hyphen pdfium marks as a line-end hyphen

    @property
    def height(self) -> float:
        return self.top - self.bottom


# spacing accents (´ ` ˆ ˜ ¨ ˇ ˘ ˚ ˙ ˝) -> the combining marks they stand for
_COMBINING = dict(
    zip(
        "\u00b4\u0060\u02c6\u02dc\u00a8\u02c7\u02d8\u02da\u02d9\u02dd",
        "\u0301\u0300\u0302\u0303\u0308\u030c\u0306\u030a\u0307\u030b",
        strict=True,
    )
)
_ACCENT = re.compile("([" + "".join(_COMBINING) + "])([A-Za-z\u0131])")
_CEDILLA = re.compile("([CcSsTt])\u00b8|\u00b8([CcSsTt])")
_PAGE_NUMBER = re.compile(r"\W{0,2}(?:\d{1,4}|[ivxlcdm]{1,7}|[IVXLCDM]{1,7})\W{0,2}")
_PLAIN = str.maketrans({**_LIGATURES, "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200a": " "})


def plain(text: str) -> str:
    """Ligatures split into letters, special and invisible spaces made plain."""
    text = text.translate(_PLAIN)
    if text.isascii():
        return text
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    if _ACCENT.search(text):  # TeX's OT1 fonts set an accent as a glyph of its own before the letter
        text = _ACCENT.sub(lambda m: m.group(2) + _COMBINING[m.group(1)], text)
        text = _CEDILLA.sub(lambda m: (m.group(1) or m.group(2)) + "\u0327", text)
        text = re.sub("\u0131(?=[\u0300-\u030b])", "i", text)
    return unicodedata.normalize("NFC", text)


class _Builder:
    """Collects one page's characters into lines (each character's box and size kept until the line ends)."""

    def __init__(self, page: int):
        self.page = page
        self.lines: list[Line] = []
        self.chars: list[str] = []
        self.marks: list[str] = []
        self.boxes: list[tuple[float, float, float, float, float]] = []  # left, right, bottom, top, size
        self.bold = False

    def flush(self) -> None:
        text = "".join(self.chars).strip()
        hyphen = text[-1:] in HYPHENS or text.endswith("-")
        if hyphen:
            text = text.rstrip(HYPHENS + "-") + "-"
        text = text.replace("\u00ad", "").replace("\ufffe", "").replace("\x02", "")
        if (text or self.marks) and self.boxes:
            lefts, rights, bottoms, tops, sizes = zip(*self.boxes, strict=True)
            size = max(set(sizes), key=sizes.count)
            self.lines.append(
                Line(
                    plain(text),
                    min(lefts),
                    max(rights),
                    min(bottoms),
                    max(tops),
                    round(size, 1),
                    self.bold,
                    self.page,
                    self.marks,
                    hyphen,
                )
            )
        self.chars, self.marks, self.boxes = [], [], []

    @property
    def has_text(self) -> bool:
        return any(c != " " for c in self.chars)


def _raised(size: float, bottom: float, line_size: float, line_bottom: float) -> bool:
    """A character set small and above the line's baseline: a note marker or a superscript."""
    return size < 0.85 * line_size and bottom > line_bottom + 0.2 * line_size


def page_lines(textpage, page: int) -> list[Line]:
    """The lines of one page (a `pypdfium2.PdfTextPage`), in the order the page draws them."""
    import pypdfium2.raw as pdfium_c

    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    text = textpage.get_text_range()
    if len(text) != count:  # characters outside the BMP: ask for each one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, k) or 32) for k in range(count))
    rect = pdfium_c.FS_RECTF()
    rect_p = ctypes.byref(rect)
    name = ctypes.create_string_buffer(96)
    b = _Builder(page)
    line_size = line_bottom = line_top = 0.0
    last_right: float | None = None
    bold = False
    get_box, get_size = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetFontSize
    for k, ch in enumerate(text):
        if ch in "\r\n":
            continue
        if ch == " " or ch == "\x00":
            if b.chars and b.chars[-1] != " ":
                b.chars.append(" ")
            continue
        get_box(raw, k, rect_p)
        size = get_size(raw, k)
        left, right, bottom, top = rect.left, rect.right, rect.bottom, rect.top
        if b.boxes or b.marks:
            if (
                size < 0.85 * line_size
                and bottom > line_bottom + 0.2 * line_size
                and bottom < line_top
                and ch in _MARK_CHARS
                and (last_right is None or left >= last_right - 1)
            ):
                b.marks.append(ch)  # a note marker: not read, remembered for the note it calls
                last_right = right
                continue
            small = size if size < line_size else line_size
            same_line = abs(bottom - line_bottom) < 0.45 * (small if small > 1.0 else 1.0)
            jump = last_right is not None and (
                left < last_right - (size if size > 2.0 else 2.0)
                or left - last_right > 2.5 * (size if size > line_size else line_size)
            )
            if b.marks and top >= line_bottom and not b.has_text:
                same_line, jump = True, False  # a note's own marker, raised, then its text
                line_bottom, line_size = bottom, size
            if not same_line or jump:
                b.flush()
        if not b.boxes and not b.marks:
            bold = _is_bold(pdfium_c, raw, k, name)
            b.bold = bold
            line_size, line_bottom, line_top, last_right = size, bottom, top, None
            if size < 7.5 and ch in _MARK_CHARS:  # a line (a footnote) that starts with its marker
                b.marks.append(ch)
                last_right = right
                continue
        b.chars.append(ch)
        b.boxes.append((left, right, bottom, top, size))
        if size > line_size and abs(bottom - line_bottom) < 0.45 * size:
            line_size, line_top = size, max(line_top, top)
        last_right = right
    b.flush()
    return b.lines


def _is_bold(pdfium_c, raw, k: int, buf) -> bool:
    weight = pdfium_c.FPDFText_GetFontWeight(raw, k)
    if weight >= 600:
        return True
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(raw, k, buf, len(buf), ctypes.byref(flags))
    return bool(_BOLD.search(buf.value.decode("latin-1", "replace"))) or bool(flags.value & (1 << 18))


def reading_order(lines: list[Line], width: float) -> list[Line]:
    """`lines` top to bottom; a page set in two columns, left column first (full-width lines above or below
    the columns, such as a heading over both, stay where they are)."""
    mid = width / 2
    lines = _join_level(lines)
    left = [ln for ln in lines if ln.x1 <= mid + 2 and ln.x1 - ln.x0 > 0]
    right = [ln for ln in lines if ln.x0 >= mid - 2]
    by_top = sorted(lines, key=lambda ln: (-round(ln.top, 0), ln.x0))
    if len(left) < 4 or len(right) < 4 or min(ln.x0 for ln in right) < mid - 2:
        return by_top
    # the columns hold most lines: order each band between full-width lines column by column
    in_column = {id(ln) for ln in left} | {id(ln) for ln in right}
    wide = {id(ln) for ln in by_top if id(ln) not in in_column}
    if len(wide) > 0.3 * len(lines):
        return by_top
    out: list[Line] = []
    band: list[Line] = []
    for ln in by_top:
        if id(ln) in wide:
            out += [*_columns(band, mid), ln]
            band = []
        else:
            band.append(ln)
    return out + _columns(band, mid)


def _join_level(lines: list[Line]) -> list[Line]:
    """Pieces of one line set apart on the same baseline, one of them a number (a contents entry and its
    page number after a tab, a running title and its page number), as one line. The number stands at the
    page's outer edge (its right-most or left-most text), never a short line of a second column."""
    if not lines:
        return lines
    left_edge, right_edge = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    order = sorted(lines, key=lambda ln: (-round(ln.bottom), ln.x0))
    out: list[Line] = []
    for ln in order:
        cur = out[-1] if out else None
        if (
            cur is not None
            and abs(ln.bottom - cur.bottom) < 1.5
            and ln.x0 >= cur.x1 - 1
            and (
                (_PAGE_NUMBER.fullmatch(cur.text) and cur.x0 <= left_edge + 2)
                or (_PAGE_NUMBER.fullmatch(ln.text) and ln.x1 >= right_edge - 2)
            )
            and abs(ln.size - cur.size) < 1.0
        ):
            out[-1] = Line(
                f"{cur.text} {ln.text}",
                cur.x0,
                ln.x1,
                min(cur.bottom, ln.bottom),
                max(cur.top, ln.top),
                cur.size if len(cur.text) >= len(ln.text) else ln.size,
                cur.bold and ln.bold,
                cur.page,
                cur.marks + ln.marks,
                ln.hyphen,
            )
        else:
            out.append(ln)
    return out


def _columns(band: list[Line], mid: float) -> list[Line]:
    return [ln for ln in band if ln.x1 <= mid + 2] + [ln for ln in band if ln.x1 > mid + 2]
