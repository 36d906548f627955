"""Lines to blocks: paragraphs rebuilt as the typesetter set them, across page and column breaks.

A new block begins where a line is indented like a paragraph's first line, where the space above it is
wider than the text's line spacing, where the type changes (a heading), and where the line before it ended
early with room for the first word of this one (the end of a paragraph in unjustified text). A page's first
line goes on with the paragraph the page before left open, unless one of those says otherwise. Lines set
further in than a paragraph indent, one under the other, are verse and keep their lines. A single large
letter beside the first lines of a paragraph is a drop cap and joins its word. Contents pages (entries with
dotted leaders or page numbers) are marked as such.

Words hyphenated at a line end are joined again ("admir-" + "ably"), unless the hyphen is a compound's
("well-" + "known"): the book decides first (the hyphenated or the joined form written elsewhere in it),
then a word list (Webster's Second, public domain, from the `english-words` package).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from .layout import Line

_LEADER = re.compile(r"(?:\.\s?){4,}\s*\S{1,8}$|(?:\u2026\s?){2,}\s*\S{1,8}$")
_ENDS_NUMBER = re.compile(r"\S\s+(\d{1,4}|[ivxlc]{1,7})$")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:[-\u2010][A-Za-z\u00c0-\u024f]+)*")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ness", "ment", "ments", "'s")


@dataclass(slots=True)
class Block:
    """A paragraph, heading or verse as set on the page. `size` in points; `page` 0-based."""

    lines: list[Line]
    kind: str = "text"  # text, verse, contents
    marks: list[str] = field(default_factory=list)
    section_break: bool = False  # a wider space above it than between paragraphs
    text: str = ""
    centred: bool = True  # every line centred in its column

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def page(self) -> int:
        return self.lines[0].page

    @property
    def size(self) -> float:
        return max(ln.size for ln in self.lines)

    @property
    def bold(self) -> bool:
        return all(ln.bold for ln in self.lines)


@dataclass(slots=True)
class _Column:
    left: float
    right: float


def _columns(lines: list[Line], width: float, size: float) -> dict[int, _Column]:
    """Each line's column: the left edge most of its lines start at, and the right edge they reach."""
    mid = width / 2
    groups: dict[str, list[Line]] = {"l": [], "r": [], "w": []}
    two = sum(ln.x1 <= mid + 2 for ln in lines) >= 4 and sum(ln.x0 >= mid - 2 for ln in lines) >= 4
    for ln in lines:
        side = "w" if not two else "l" if ln.x1 <= mid + 2 else "r" if ln.x0 >= mid - 2 else "w"
        groups[side].append(ln)
    out: dict[int, _Column] = {}
    for group in groups.values():
        body = [ln for ln in group if abs(ln.size - size) < 0.6] or group
        if not body:
            continue
        usual = Counter(round(ln.x0) for ln in body).most_common(1)[0][0]
        left = min((ln.x0 for ln in body if abs(ln.x0 - usual) < 1.0), default=float(usual))
        right = max(ln.x1 for ln in body)
        for ln in group:
            out[id(ln)] = _Column(left, right)
    return out


def _contents_page(lines: list[Line]) -> bool:
    entries = [ln for ln in lines if _LEADER.search(ln.text) or _ENDS_NUMBER.search(ln.text)]
    leaders = sum(bool(_LEADER.search(ln.text)) for ln in lines)
    return len(lines) > 0 and (leaders >= 3 or len(entries) >= 4) and len(entries) >= 0.4 * len(lines)


class _Reader:
    def __init__(self, size: float, gap: float, indent: float):
        self.size, self.gap, self.indent = size, gap, indent
        self.blocks: list[Block] = []
        self.prev: Line | None = None
        self.prev_col: _Column | None = None

    def new_block(self, ln: Line, col: _Column) -> bool:
        prev, pcol = self.prev, self.prev_col
        if prev is None or pcol is None:
            return True
        size = self.size
        if abs(ln.size - prev.size) > 0.6 or (ln.bold != prev.bold and min(ln.size, prev.size) > size * 1.1):
            return True
        offset = ln.x0 - col.left
        if abs(ln.x0 - col.left - self.indent) < max(1.5, 0.15 * size) and self.indent > 1:
            return True  # a paragraph's first-line indent
        if _centered(ln, col, size) and ln.size > size * 1.1:
            return True
        same_column = ln.page == prev.page and prev.bottom > ln.top - 2 and abs(col.left - pcol.left) < 2
        if same_column and prev.bottom - ln.top > self.gap + 0.45 * size:
            return True  # a wider space: a new paragraph
        room = pcol.right - prev.x1
        first_word = len(ln.text.split(" ", 1)[0]) * 0.5 * ln.size + 0.25 * ln.size
        if room > first_word + 0.5 * size and not prev.hyphen and not prev.text.endswith("-"):
            return True  # the line before ended early: a paragraph end
        return offset > self.indent + 2 and abs(ln.x0 - prev.x0) > 2

    def section_break(self, ln: Line) -> bool:
        prev = self.prev
        return prev is not None and ln.page == prev.page and prev.bottom - ln.top > self.gap + 1.5 * self.size


def _centered(ln: Line, col: _Column, size: float) -> bool:
    return ln.x0 - col.left > 2 * size and abs((ln.x0 + ln.x1) / 2 - (col.left + col.right) / 2) < 0.6 * size


def make_blocks(pages: list[list[Line]], widths: list[float], size: float, gap: float) -> list[Block]:
    """The blocks of the book's pages (lines already in reading order, furniture and notes removed)."""
    cols: dict[int, _Column] = {}
    contents: set[int] = set()
    after_contents = False
    for lines, width in zip(pages, widths, strict=True):
        cols.update(_columns(lines, width, size))
        entries = sum(bool(_LEADER.search(ln.text) or _ENDS_NUMBER.search(ln.text)) for ln in lines)
        if _contents_page(lines) or (after_contents and lines and entries >= 0.5 * len(lines)):
            contents.update(id(ln) for ln in lines)  # a contents page, or the one it runs on to
            after_contents = True
        elif lines:
            after_contents = False
    indent = _indent([ln for lines in pages for ln in lines], cols, size)
    r = _Reader(size, gap, indent)
    for lines in pages:
        lines = _drop_caps(lines, size)
        for ln in lines:
            col = cols.get(id(ln)) or _Column(ln.x0, ln.x1)
            verse = _verse_line(ln, col, indent, size)
            cur = r.blocks[-1] if r.blocks else None
            if (
                cur is not None
                and verse
                and cur.kind == "verse"
                and abs(ln.x0 - cur.lines[-1].x0) < 2 * size
                and ln.page == cur.page
                and cur.lines[-1].bottom - ln.top < gap + 0.45 * size
            ):
                cur.lines.append(ln)
            elif cur is None or r.new_block(ln, col) or (verse and cur.kind != "verse"):
                r.blocks.append(Block([ln], "verse" if verse else "text", section_break=r.section_break(ln)))
            else:
                cur.lines.append(ln)
            if id(ln) in contents:
                r.blocks[-1].kind = "contents"
            if not _centered(ln, col, size):
                r.blocks[-1].centred = False
            r.blocks[-1].marks += ln.marks
            r.prev, r.prev_col = ln, col
    return r.blocks


def _verse_line(ln: Line, col: _Column, indent: float, size: float) -> bool:
    """A line set further in than a paragraph's indent and ending well short of the measure."""
    inset = ln.x0 - col.left
    return (
        inset > max(indent, size) + 0.8 * size
        and col.right - ln.x1 > 2 * size
        and not _centered(ln, col, size)
        and abs(ln.size - size) < 0.6
    )


def _indent(lines: list[Line], cols: dict[int, _Column], size: float) -> float:
    """The paragraph indent, in points: the commonest small inset of a body line (0 when there is none)."""
    insets = Counter(
        round(ln.x0 - cols[id(ln)].left)
        for ln in lines
        if id(ln) in cols and abs(ln.size - size) < 0.6 and 0.5 * size < ln.x0 - cols[id(ln)].left < 4 * size
    )
    if not insets:
        return 0.0
    value, n = insets.most_common(1)[0]
    return float(value) if n >= 3 else 0.0


def _drop_caps(lines: list[Line], size: float) -> list[Line]:
    """A large initial letter beside the first lines of a paragraph joined to the line it begins."""
    out = list(lines)
    for cap in lines:
        if len(cap.text) > 2 or cap.size < 1.8 * size or not cap.text[:1].isalpha():
            continue
        beside = [
            ln
            for ln in out
            if ln is not cap
            and ln.page == cap.page
            and ln.x0 >= cap.x1 - 1
            and ln.x0 - cap.x1 < 2 * size
            and cap.bottom - 2 <= ln.bottom
            and ln.top <= cap.top + 0.5 * size
        ]
        if not beside:
            continue
        first = max(beside, key=lambda ln: ln.top)
        first.text = cap.text + first.text
        first.x0 = cap.x0
        out = [ln for ln in out if ln is not cap]
    return out


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    try:
        from english_words import get_english_words_set
    except ImportError:  # the word list is a convenience: the book's own words decide without it
        return frozenset()
    return frozenset(get_english_words_set(["web2"], lower=True))


def book_words(blocks: list[Block]) -> Counter[str]:
    """How often each word (lower case, compounds with their hyphen) stands whole inside a line."""
    words: Counter[str] = Counter()
    for b in blocks:
        for ln in b.lines:
            text = ln.text[:-1] if ln.text.endswith(("-", "\u2010")) else ln.text
            words.update(w.lower().replace("\u2010", "-") for w in _WORD.findall(text))
    return words


def _known(word: str, words: Counter[str] | frozenset[str]) -> bool:
    """Whether `word`, or its stem without a common ending, is in `words`."""
    stems = (word[: -len(s)] for s in _SUFFIXES if word.endswith(s) and len(word) > len(s) + 2)
    return any(w in words and (not isinstance(words, Counter) or words[w] > 0) for w in (word, *stems))


def keep_hyphen(head: str, tail: str, words: Counter[str]) -> bool:
    """Whether "head-" at a line end and "tail" at the next line's start are a compound ("well-known")
    rather than one word the typesetter hyphenated ("admir-ably"). In this order: the hyphenated form
    written elsewhere in the book keeps the hyphen; the joined form written elsewhere joins; the joined form
    (or its stem) in the word list joins; two halves the book uses as words of their own keep it; else join."""
    h, t = head.lower(), tail.lower()
    if not h or not t or not t[0].isalpha() or tail[0].isupper() or h[-1].isdigit():
        return True
    if words.get(f"{h}-{t}", 0) > 0:
        return True
    if words.get(h + t, 0) > 0 or _known(h + t, _dictionary()):
        return False
    return len(h) > 1 and len(t) > 1 and _known(h, words) and _known(t, words)


def join_lines(lines: list[str], words: Counter[str], verse: bool = False) -> str:
    """The lines of one block as running text: hyphenated words joined, dashes kept tight."""
    out = ""
    for ln in lines:
        ln = ln.strip()
        if not out:
            out = ln
            continue
        if verse:
            out = f"{out}\n{ln}"
            continue
        m = re.search(r"([A-Za-z\u00c0-\u024f]+)[-\u2010]$", out)
        if m and ln[:1].isalpha():
            tail = re.match(r"[A-Za-z\u00c0-\u024f]+", ln)
            if tail and keep_hyphen(m.group(1), tail.group(0), words):
                out = out[:-1] + "-" + ln
            else:
                out = out[:-1] + ln
        elif out.endswith(("\u2014", "\u2013\u2013", "/")) or ln.startswith("\u2014"):
            out = out + ln
        else:
            out = f"{out} {ln}"
    return out
