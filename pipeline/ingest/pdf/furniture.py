"""Page furniture: what a typesetter puts around the text, found by position and repetition, and set aside.

- **Page numbers** (Arabic or Roman, alone or beside a running title, "- 12 -", "Page 12"): a number at the
  start or end of a page's top or bottom line whose value keeps a constant distance to the page's index
  across the book (one distance for Arabic numbers, another for the Roman ones of the front matter).
- **Running heads and feet** (the book's title, the chapter's title): the top or bottom line of a page, set
  apart from the text by more than a line's spacing, whose words (numbers aside) repeat in the same place on
  other pages; or a line in the very place where the book's running heads stand.
- **Footnotes**: the lines at a page's foot, below the text and smaller than it, that begin with a note
  marker ("1", "*", a dagger), each note running on until the next marker.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from .layout import Line

_ROMAN = re.compile(r"^(?=[mdclxvi])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$")
_NUMBER_AT = re.compile(
    r"^\W*(?:page\s+)?(\d{1,4}|[ivxlcdmIVXLCDM]{1,8})\b\W*(?=\s|$)|"
    r"(?<=\s)\W*(?:page\s+)?(\d{1,4}|[ivxlcdmIVXLCDM]{1,8})(?:\s*(?:/|of)\s*\d{1,5})?\W*$",
    re.I,
)
_NOTE_START = re.compile(r"^([*\u2020\u2021\u00a7\u00b6#]{1,3}|\d{1,3}|\[\d{1,3}\])[.)]?\s+(?=\S)")


@dataclass(slots=True)
class Note:
    """A footnote from a page's foot: its marker and its text."""

    page: int
    mark: str
    text: str


def _roman_value(s: str) -> int:
    vals = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        v = vals[a]
        total += -v if vals.get(b, 0) > v else v
    return total


def _number(text: str) -> tuple[str, int, re.Match] | None:
    """("arabic" or "roman", value, match) for a page number at the start or end of `text`."""
    for m in _NUMBER_AT.finditer(text):
        token = m.group(1) or m.group(2)
        if token.isdigit():
            return "arabic", int(token), m
        low = token.lower()
        if _ROMAN.match(low) and (token.islower() or token.isupper()):
            return "roman", _roman_value(low), m
    return None


def _key(text: str) -> str:
    return " ".join(re.sub(r"[\W\d_]+", " ", text.lower()).split())


def _spot(ln: Line, band: str) -> int:
    """Where a head (its top) or a foot (its bottom) stands, to 3 points."""
    return round((ln.top if band == "head" else ln.bottom) / 3)


def _edges(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """The lines in the top band and the bottom band of a page (those level with its top or bottom line)."""
    if len(lines) < 2:
        return [], []
    top = max(ln.top for ln in lines)
    bottom = min(ln.bottom for ln in lines)
    heads = [ln for ln in lines if ln.top >= top - 1.5]
    feet = [ln for ln in lines if ln.bottom <= bottom + 1.5 and all(ln is not h for h in heads)]
    return heads, feet


def _apart(line: Line, lines: list[Line], gap: float, above: bool) -> bool:
    """Whether `line` stands more than `gap` points away from the nearest other line below (or above) it."""
    others = [
        ln
        for ln in lines
        if ln is not line and (ln.top <= line.bottom + 0.5 if above else ln.bottom >= line.top - 0.5)
    ]
    if not others:
        return True
    if above:
        return line.bottom - max(ln.top for ln in others) > gap
    return min(ln.bottom for ln in others) - line.top > gap


def body_metrics(pages: list[list[Line]]) -> tuple[float, float]:
    """(the text's type size, the usual gap in points between two of its lines)."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for ln in lines:
            sizes[round(ln.size, 1)] += len(ln.text)
    size = sizes.most_common(1)[0][0] if sizes else 10.0
    gaps: Counter[float] = Counter()
    for lines in pages:
        body = sorted((ln for ln in lines if abs(ln.size - size) < 0.2), key=lambda ln: -ln.top)
        for a, b in itertools.pairwise(body):
            if b.top < a.bottom and a.x0 < b.x1 and b.x0 < a.x1:
                gaps[round(a.bottom - b.top, 1)] += 1
    gap = gaps.most_common(1)[0][0] if gaps else size * 0.3
    return size, max(gap, 0.5)


def strip_furniture(pages: list[list[Line]]) -> tuple[list[list[Line]], list[Note]]:
    """The pages without their running heads, feet and page numbers, and the footnotes taken off them."""
    size, gap = body_metrics(pages)
    apart = max(3 * gap, 0.5 * size)
    edges = [_edges(lines) for lines in pages]
    offsets: dict[str, Counter[int]] = {"arabic": Counter(), "roman": Counter()}
    for i, (heads, feet) in enumerate(edges):
        for ln in heads + feet:
            found = _number(ln.text)
            if found:
                offsets[found[0]][found[1] - i] += 1
    # an offset is the book's (or its front matter's) when it holds for a fair share of the numbers found
    wanted = {
        kind: {off for off, n in c.items() if n >= 2 and n >= 0.2 * sum(c.values())}
        for kind, c in offsets.items()
    }
    drop: set[int] = set()
    keys: Counter[tuple[str, str, int]] = Counter()
    rests: dict[int, str] = {}
    for i, (heads, feet) in enumerate(edges):
        for band, group in (("head", heads), ("foot", feet)):
            for ln in group:
                if ln.size > 1.1 * size or not _apart(ln, pages[i], apart, above=band == "head"):
                    continue  # furniture is set apart from the text, and no larger than it
                rest = ln.text
                found = _number(rest)
                if found and found[1] - i in wanted[found[0]]:
                    rest = (rest[: found[2].start()] + " " + rest[found[2].end() :]).strip()
                    if not _key(rest):
                        drop.add(id(ln))
                        continue
                rests[id(ln)] = rest
                keys[(band, _key(rest), _spot(ln, band))] += 1
    places: dict[str, list[float]] = {"head": [], "foot": []}
    for heads, feet in edges:
        for band, group in (("head", heads), ("foot", feet)):
            for ln in group:
                k = _key(rests.get(id(ln), ""))
                if id(ln) in rests and k and keys[(band, k, _spot(ln, band))] >= 2:
                    drop.add(id(ln))
                    places[band].append(ln.top if band == "head" else ln.bottom)
    _same_place(edges, rests, places, drop, size)
    kept = [[ln for ln in lines if id(ln) not in drop] for lines in pages]
    notes: list[Note] = []
    for i, lines in enumerate(kept):
        kept[i], on_page = _footnotes(lines, size, gap, i)
        notes += on_page
    return kept, notes


def _same_place(
    edges, rests: dict[int, str], places: dict[str, list[float]], drop: set[int], size: float
) -> None:
    """A head or foot line, set apart, in the very place where this book's running heads (feet) stand,
    not larger than the text: a running title that happens to appear once (a chapter one page long)."""
    for band, ys in places.items():
        if len(ys) < 2:
            continue
        spot = Counter(round(y) for y in ys).most_common(1)[0][0]
        for heads, feet in edges:
            for ln in heads if band == "head" else feet:
                y = ln.top if band == "head" else ln.bottom
                if id(ln) in rests and abs(y - spot) <= 1.5 and ln.size <= size * 1.05:
                    drop.add(id(ln))


def _footnotes(lines: list[Line], size: float, gap: float, page: int) -> tuple[list[Line], list[Note]]:
    """Split a page's lines into its text and its footnotes (small lines at the foot that start with a
    marker, set apart from the text above them)."""
    order = sorted(lines, key=lambda ln: -ln.top)
    k = len(order)
    while k > 0 and order[k - 1].size <= 0.9 * size and order[k - 1].size > 0:
        k -= 1
    foot = order[k:]
    if not foot or k == 0 or len(foot) > 0.6 * len(order):
        return lines, []
    if not (foot[0].marks or _NOTE_START.match(foot[0].text)):
        return lines, []
    if order[k - 1].bottom - foot[0].top < 1.5 * gap:
        return lines, []
    notes: list[Note] = []
    for ln in foot:
        m = _NOTE_START.match(ln.text)
        if ln.marks or m or not notes:
            mark = "".join(ln.marks) or (m.group(1) if m else "")
            text = ln.text[m.end() :] if m and not ln.marks else ln.text
            notes.append(Note(page, mark, text))
        else:
            last = notes[-1]
            last.text = (
                last.text[:-1] + ln.text
                if last.text.endswith("-") and ln.text[:1].islower()
                else f"{last.text} {ln.text}"
            )
    body = {id(ln) for ln in foot}
    return [ln for ln in lines if id(ln) not in body], notes
