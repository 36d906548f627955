"""Chapters from a flat run of blocks and the headings among them: the shared back half of the one-file readers
(HTML, DOCX, FictionBook, Kindle), under the same rules as an EPUB's table of contents (`ingest.epub`).

A reader lists its blocks (`xhtml.Block`: paragraphs, note bodies, note references) and its headings
(`Heading`: a title, an outline depth, the block index where its text begins). Then, as for EPUB:
- a heading's text runs to the next heading; headings one level deeper are its children;
- a heading with children and no text of its own is a part: not a chapter, its title lives on in its
  children's `parents` (a part with text of its own is a chapter too, one level up);
- front and back matter (title page, imprint, contents, colophon, licence) is set aside unless
  `include_front_matter`, by its title or by what it says;
- with `read_notes`, the notes a chapter refers to follow it under "Notes.".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..records import Chapter, Paragraph, ParagraphKind
from .epub import _IMPRINT, FRONT_BACK_TITLE_STARTS, FRONT_BACK_TITLES, _norm_title, _strip_title
from .xhtml import Block


@dataclass(slots=True)
class Heading:
    """A place where a chapter may begin: its title, its depth in the outline (0 = top) and the index of the
    first block after it. `matter` marks front or back matter a format says it is (FB2's notes body)."""

    title: str
    level: int
    start: int
    matter: bool = False


_FILLER = {
    "by",
    "the",
    "a",
    "an",
    "and",
    "of",
    "novel",
    "edition",
    "illustrated",
    "with",
    "written",
    "author",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def is_matter(title: str, paras: list[Paragraph], known: set[str]) -> bool:
    """Front or back matter by its title, or by what it says: nothing, an imprint, a title page."""
    t = _norm_title(title)
    if t in FRONT_BACK_TITLES or t.startswith(FRONT_BACK_TITLE_STARTS):
        return True
    text = " ".join([title, *(p.text for p in paras)])
    words = _words(" ".join(p.text for p in paras))
    if len(words) < 200 and _IMPRINT.search(text):
        return True
    return len(_words(text)) < 40 and set(_words(text)) <= known | _FILLER


def _notes(collected: list[Block], notes_by_id: dict[str, Paragraph], referred: set[str]) -> list[Paragraph]:
    """The notes a chapter refers to, in order, then the notes inside it that nothing in the book refers to."""
    out: list[Paragraph] = []
    seen: set[int] = set()
    for b in collected:
        for ref in b.noterefs:
            note = notes_by_id.get(ref)
            if note is not None and id(note) not in seen:
                seen.add(id(note))
                out.append(Paragraph(note.text, note.kind))
    out += [
        Paragraph(b.paragraph.text, b.paragraph.kind)
        for b in collected
        if b.is_note and not set(b.ids) & referred and id(b.paragraph) not in seen
    ]
    return out


_NUMBERED = re.compile(r"^(?:(?:chapter|part|book|section|letter)\s+)?(?:[ivxlcdm]+|\d{1,4})\.?$", re.I)


def subtitle(title: str, paras: list[Paragraph]) -> str:
    """(Where most headings of a level are numbers.) A heading that is only a number ("I", "Chapter 12") over a short line in title case that does not end
    a sentence ("A Letter with a Postscript"): the line is the chapter's name, returned to join the title."""
    if not _NUMBERED.match(title.strip()) or not paras or paras[0].kind == ParagraphKind.VERSE:
        return ""
    line = paras[0].text.strip()
    words = line.split()
    long_words = [w for w in words if len(w) > 3]
    if not 0 < len(words) <= 12 or line[-1] in '.!?…"”’:;,' or not line[0].isupper():
        return ""
    return line if sum(w[0].isupper() for w in long_words) * 2 >= len(long_words) else ""


_SECTION_NAMES = {
    "dedication",
    "preface",
    "foreword",
    "introduction",
    "prologue",
    "epilogue",
    "afterword",
    "acknowledgments",
    "acknowledgements",
    "author's note",
    "authors note",
}


def unstyled_headings(blocks: list[Block], heads: list[Heading], book_title: str = "") -> list[Heading]:
    """`heads` plus a heading for each lone paragraph that only names a book's part ("Dedication", "Colophon",
    "Imprint", "Contents"): converters often write those as plain text, and without them a colophon would be
    read at the end of the last chapter. Each takes the level of the heading after it (else before it). A line
    of a contents page (next to a chapter's title) is not one, nor a line between the first and last chapters
    (a heading that repeats the book's title, a title page, or a contents heading is not a chapter here)."""
    titles = {_norm_title(h.title) for h in heads}
    chapters = [h for h in heads if _norm_title(h.title) not in {_norm_title(book_title), *FRONT_BACK_TITLES}]
    found = []
    for i, b in enumerate(blocks):
        if chapters and chapters[0].start <= i < chapters[-1].start:
            continue  # only before the first chapter or after the last one
        if any(_norm_title(n.paragraph.text) in titles for n in blocks[max(0, i - 1) : i + 2]):
            continue  # a line of a contents list, beside chapters' titles
        name = _norm_title(b.paragraph.text)
        if (
            not b.is_note
            and b.paragraph.kind != ParagraphKind.VERSE
            and len(name.split()) <= 4
            and (name in FRONT_BACK_TITLES or name in _SECTION_NAMES)
            and not any(h.start in (i, i + 1) for h in heads)
        ):
            found.append(i)
    if not found or not heads:
        return heads
    out = list(heads)
    for i in found:
        level = next((h.level for h in heads if h.start > i), heads[-1].level)
        out.append(Heading(blocks[i].paragraph.text, level, i + 1))
    return sorted(out, key=lambda h: h.start)


def build_chapters(
    blocks: list[Block],
    heads: list[Heading],
    path: Path,
    *,
    book_title: str,
    authors: list[str],
    include_front_matter: bool,
    read_notes: bool,
    warnings: list[str],
) -> list[Chapter]:
    """The book's chapters from its blocks and headings (see the module's docstring). InputError when no text
    is left to read."""
    known = set(_words(" ".join([book_title, *authors])))
    notes_by_id: dict[str, Paragraph] = {}
    for b in blocks:
        if b.is_note:
            for note_id in b.ids:
                notes_by_id.setdefault(note_id, b.paragraph)
    referred = {r for b in blocks for r in b.noterefs}
    heads = unstyled_headings(blocks, heads, book_title)
    numbered = {
        lv: sum(bool(_NUMBERED.match(h.title.strip())) for h in heads if h.level == lv) * 3
        >= 2 * sum(h.level == lv for h in heads)
        for lv in {h.level for h in heads}
    }
    ends = [h.start for h in heads[1:]] + [len(blocks)]
    if not heads or heads[0].start > 0:
        heads = [Heading(book_title, 0, 0), *heads]  # text before the first heading: the book's opening
        ends = [heads[1].start if len(heads) > 1 else len(blocks), *ends]
    chapters: list[Chapter] = []
    stack: list[tuple[int, str, bool]] = []  # (level, title, skipped as matter) of open headings
    for i, h in enumerate(heads):
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        collected = blocks[h.start : ends[i]]
        paras = _strip_title([b.paragraph for b in collected if not b.is_note], h.title)
        sub = subtitle(h.title, paras) if numbered.get(h.level) else ""
        if sub:
            h = Heading(f"{h.title.rstrip('.')}: {sub}", h.level, h.start, h.matter)
            paras = paras[1:]
        parents = [s[1] for s in stack if not s[2] or include_front_matter]
        names_book = bool(book_title) and _norm_title(h.title) == _norm_title(book_title)
        title_page = names_book and len(_words(" ".join(p.text for p in paras))) < 100
        matter = h.matter or title_page or any(s[2] for s in stack) or is_matter(h.title, paras, known)
        if not names_book:  # a title page or half-title parents nothing
            stack.append((h.level, h.title, matter))
        if matter and not include_front_matter:
            if any(p.kind != ParagraphKind.HEADING for p in paras):
                warnings.append(
                    f"'{h.title[:60]}' not read as front or back matter; --include-front-matter reads it"
                )
            continue
        if not any(p.kind != ParagraphKind.HEADING for p in paras):
            continue  # a part's title page, or an empty heading
        if read_notes:
            notes = _notes(collected, notes_by_id, referred)
            if notes:
                paras.append(Paragraph("Notes.", ParagraphKind.HEADING, section_break_before=True))
                paras.extend(notes)
        chapters.append(
            Chapter(
                index=len(chapters) + 1,
                title=h.title,
                paragraphs=[Paragraph(h.title, ParagraphKind.TITLE), *paras],
                level=len(parents),
                parents=parents,
                source=f"{path.name}#{h.start}",
            )
        )
    if not chapters:
        raise InputError(
            f"{path}: no readable text (every section is empty or front matter; try --include-front-matter)"
        )
    return chapters
