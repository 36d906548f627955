"""Blocks to chapters: from the PDF's outline (bookmarks) when it has one, else from the headings' type.

Headings are blocks set larger than the text, or bold and centred; a heading and the one right under it
on the same page are one title ("I" over "A Letter with a Postscript" is "I: A Letter with a Postscript").
Heading levels follow their size (the largest is a part, level 0). The hierarchy rules are the EPUB
reader's: an entry with no text of its own (a part's title page) is not a chapter, its title lives on as its
chapters' `parents`; front and back matter (title page, copyright page, contents, by title or by what they
say) is not read unless `include_front_matter`. Headings of the smallest size that are only numbers ("I",
"2", "* * *") inside a chapter are its sections (read as headings), not chapters of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...records import Chapter, Paragraph, ParagraphKind
from ..epub import _IMPRINT, FRONT_BACK_TITLE_STARTS, FRONT_BACK_TITLES, _norm_title
from ..text import _ROMAN_LINE, _WORD_HEADING
from .blocks import Block

_LABEL = re.compile(
    r"^(?:(?:chapter|part|book|volume|section|act|canto|stave|letter)\s+)?"
    r"(?:[IVXLCDM]{1,7}|\d{1,4}|[A-Z]|(?i:one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|first|second|third|fourth|fifth))\.?$",
    re.I,
)
_SECTION = re.compile(r"^(?:[IVXLCDM]{1,7}|\d{1,3})\.?$|^(?:[*\u2022\u00b7#~]\s*){1,5}$")


@dataclass(slots=True)
class Entry:
    """A chapter start: its title, its level (0 top), and the index of its first block."""

    title: str
    level: int
    start: int
    children: int = 0


def is_heading(b: Block, size: float) -> bool:
    """A block set as a heading: short, and larger than the text or bold and centred."""
    if b.kind != "text" or len(b.lines) > 4 or len(b.text) > 200:
        return False
    if b.size >= size * 1.15 or (b.bold and b.centred and b.size >= size - 0.6):
        return True
    # in the text's own type, centred: only what says it is a heading ("CHAPTER IV", "Chapter 2: Title", "XII")
    return b.centred and len(b.lines) <= 2 and bool(_WORD_HEADING.match(b.text) or _ROMAN_LINE.match(b.text))


def headings(blocks: list[Block], size: float) -> list[Entry]:
    """Chapter starts from the headings' type, title pages' headings included (the caller sorts out matter)."""
    found = [i for i, b in enumerate(blocks) if is_heading(b, size)]
    entries: list[Entry] = []
    sizes: list[float] = []
    k = 0
    while k < len(found):
        i = found[k]
        title, last = blocks[i].text, i
        while (
            k + 1 < len(found)
            and found[k + 1] == last + 1
            and blocks[last + 1].page == blocks[last].page
            and blocks[last].lines[-1].bottom - blocks[last + 1].first.top < 5 * size
        ):
            k += 1
            last = found[k]
            nxt = blocks[last].text
            if _LABEL.match(title):
                title = f"{title}: {nxt}"
            else:  # a title broken over lines (a compound's hyphen at the break stays)
                title = title + nxt if title.endswith(("-", "\u2010")) else f"{title} {nxt}"
        entries.append(Entry(_clean(title), 0, i))
        sizes.append(max(b.size for b in blocks[i : last + 1]))
        k += 1
    ranks = sorted({round(s * 2) / 2 for s in sizes}, reverse=True)
    for e, s in zip(entries, sizes, strict=True):
        e.level = ranks.index(round(s * 2) / 2)
    entries = _sections(entries, sizes, blocks)
    _nest_empty(entries, blocks, size)
    return entries


def _nest_empty(entries: list[Entry], blocks: list[Block], size: float) -> None:
    """A heading with no text under it before a heading of its own level (a part's title page, in the
    chapters' type) holds the headings after it, up to the next such heading."""

    def empty(k: int) -> bool:
        end = entries[k + 1].start if k + 1 < len(entries) else len(blocks)
        return (
            k + 1 < len(entries)
            and entries[k + 1].level == entries[k].level
            and all(is_heading(b, size) or b.kind == "contents" for b in blocks[entries[k].start : end])
        )

    holder: Entry | None = None
    for k, e in enumerate(entries):
        if holder is not None and e.level == holder.level and empty(k):
            holder = e
            continue
        if (
            holder is None
            and empty(k)
            and k + 2 < len(entries)
            and not empty(k + 1)
            and not is_matter_title(e.title)
        ):
            holder = e
            continue
        if holder is not None and e.level >= holder.level:
            e.level += 1


def _sections(entries: list[Entry], sizes: list[float], blocks: list[Block]) -> list[Entry]:
    """Headings of the smallest size that are all bare numbers are sections inside chapters, not chapters."""
    if not entries:
        return entries
    smallest = min(sizes)
    small = [e for e, s in zip(entries, sizes, strict=True) if s == smallest]
    if len(small) == len(entries) or not all(_SECTION.match(e.title) for e in small):
        return entries
    for e in small:
        blocks[e.start].kind = "section"
    return [e for e, s in zip(entries, sizes, strict=True) if s != smallest]


def _clean(title: str) -> str:
    return " ".join(title.split()).strip()


def count_children(entries: list[Entry]) -> None:
    for i, e in enumerate(entries):
        n = 0
        for f in entries[i + 1 :]:
            if f.level <= e.level:
                break
            n += 1
        e.children = n


def is_matter_title(title: str) -> bool:
    t = _norm_title(title)
    return t in FRONT_BACK_TITLES or t.startswith(FRONT_BACK_TITLE_STARTS)


def is_matter_text(paras: list[Paragraph], known: set[str]) -> bool:
    """A title page (only the title, the author and such words) or a copyright page."""
    text = " ".join(p.text for p in paras)
    words = re.findall(r"[a-z0-9]+", text.lower())
    return (
        not words
        or (len(words) < 200 and bool(_IMPRINT.search(text)))
        or (len(words) < 40 and set(words) <= known)
    )


def build_chapters(
    blocks: list[Block],
    entries: list[Entry],
    paragraphs,
    *,
    include_front_matter: bool,
    known: set[str],
    book_title: str = "",
) -> list[Chapter]:
    """Chapters from entries over blocks. `paragraphs(blocks)` turns a slice of blocks into paragraphs."""
    entries = sorted(entries, key=lambda e: e.start)
    while len(entries) > 1 and set(re.findall(r"[a-z0-9]+", entries[0].title.lower())) <= known:
        entries = entries[1:]  # the title page's heading (the book's title and author): front matter
    count_children(entries)
    order = sorted(range(len(entries)), key=lambda i: (entries[i].start, i))
    chapters: list[Chapter] = []
    skipped: set[str] = set()
    first_start = min((e.start for e in entries), default=len(blocks))
    front = _front(blocks[:first_start], paragraphs, known, include_front_matter, book_title)
    if front is not None:
        chapters.append(front)
    for rank, i in enumerate(order):
        e = entries[i]
        end = entries[order[rank + 1]].start if rank + 1 < len(order) else len(blocks)
        paras = _strip_title(paragraphs(blocks[e.start : end]), e.title)
        title_words = set(re.findall(r"[a-z0-9]+", e.title.lower()))
        if paras:
            matter = is_matter_title(e.title) or is_matter_text(paras, known | title_words)
        else:  # a heading alone: a title page says only the book's title and author
            matter = is_matter_title(e.title) or title_words <= known
        if matter and e.children:
            skipped.add(e.title)
        if matter and not include_front_matter:
            continue
        if not any(p.kind != ParagraphKind.HEADING for p in paras) and (e.children or not paras):
            continue
        parents = _parents(entries, i, skipped)
        chapters.append(
            Chapter(
                0,
                e.title,
                [Paragraph(e.title, ParagraphKind.TITLE), *paras],
                level=len(parents),
                parents=parents,
                source=f"page {blocks[e.start].page + 1}" if e.start < len(blocks) else "",
            )
        )
    for n, ch in enumerate(chapters, 1):
        ch.index = n
    return chapters


def _front(
    blocks: list[Block], paragraphs, known: set[str], include: bool, book_title: str
) -> Chapter | None:
    """What stands before the first chapter: all of it with `include` ("Front matter"); else only pages
    that are not a title page, an imprint or contents, such as a dedication set without a heading (then
    titled "Dedication" when it begins "To ..." or "For ...", else by the book's title)."""
    if include:
        paras = paragraphs(blocks)
        return (
            Chapter(0, "Front matter", [Paragraph("Front matter", ParagraphKind.TITLE), *paras])
            if paras
            else None
        )
    pages: dict[int, list[Block]] = {}
    for b in blocks:
        pages.setdefault(b.page, []).append(b)
    kept: list[Paragraph] = []
    for group in pages.values():
        paras = paragraphs(group)
        if paras and not is_matter_text(paras, known):
            kept += paras
    if sum(len(p.text.split()) for p in kept) < 20:
        return None
    title = "Dedication" if re.match(r"(?:To|For)\s+\S", kept[0].text) else book_title or "Front matter"
    return Chapter(0, title, [Paragraph(title, ParagraphKind.TITLE), *kept])


def _parents(entries: list[Entry], i: int, skipped: set[str]) -> list[str]:
    """The titles of the entries that enclose entry i (lower levels before it), skipped matter aside."""
    out: list[str] = []
    level = entries[i].level
    for e in reversed(entries[:i]):
        if e.level < level:
            out.insert(0, e.title)
            level = e.level
    return [t for t in out if t not in skipped]


def _strip_title(paras: list[Paragraph], title: str) -> list[Paragraph]:
    """Without the leading headings that repeat the chapter's title (it is read from the entry)."""
    want = set(re.findall(r"\w+", title.lower()))
    i = 0
    while i < len(paras) and i < 4 and paras[i].kind == ParagraphKind.HEADING:
        got = set(re.findall(r"\w+", paras[i].text.lower()))
        if got and (got <= want or want <= got):
            i += 1
            continue
        break
    rest = paras[i:]
    if rest:
        rest[0].section_break_before = False
    return rest
