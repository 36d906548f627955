"""Markdown (.md) to a Book, through markdown-it-py's CommonMark parser (tables enabled).

- YAML front matter (between `---` lines at the top) is the book's metadata (title, subtitle, author or
  authors, date, lang or language, publisher, description, identifier or isbn), never read aloud.
- Headings are chapters by level: the highest level used more than once is the chapter level; a single
  heading above it is the book's title; deeper headings are sections inside a chapter.
- Paragraphs and block quotes are read; a list or a table is one block whose items or rows are read as
  separate lines, with a short pause between them; links are read by their text, images by nothing.
- HTML (blocks and inline) is reduced to its text; fenced and indented code is skipped with a warning.
- Footnotes (`[^1]` and `[^1]: text`) are read the way EPUB notes are: the marker is never read; with
  `read_notes` the notes follow their chapter under "Notes.".
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..records import Book, Chapter, Paragraph, ParagraphKind
from .text import assemble_chapters, smart_title
from .xhtml import clean_space

log = logging.getLogger(__name__)

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\n]{1,40})\]:[ \t]*(.*(?:\n(?:[ \t]{2,}|\t)\S.*)*)", re.M)
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\n]{1,40})\]")
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)")
_BREAKING_TAGS = frozenset("br p div li tr td th hr section article blockquote h1 h2 h3 h4 h5 h6".split())
_NOTE_MARK = re.compile(r"[\d*\u2020\u2021\u00a7\[\]()]{1,4}")


def _front_matter(text: str, warnings: list[str]) -> tuple[str, dict]:
    m = _FRONT.match(text)
    if not m:
        return text, {}
    import yaml

    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        warnings.append(f"front matter is not valid YAML ({str(e).splitlines()[0]}); not used")
        data = None
    return text[m.end() :], data if isinstance(data, dict) else {}


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [a.strip() for a in re.split(r"\s+and\s+|;|&", str(value)) if a.strip()]


def _html_text(fragment: str) -> str:
    from lxml import html as lhtml
    from lxml.etree import ParserError

    try:
        el = lhtml.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError) as e:
        log.warning("an HTML block could not be parsed (%s); its text is not read: %r", e, fragment[:60])
        return ""
    for bad in el.xpath(".//script|.//style|.//code|.//pre"):
        bad.drop_tree()
    return " ".join(el.text_content().split())


def _inline_text(token) -> str:
    """An inline token's words: text, code spans, link text; no markup, no images, HTML reduced to text."""
    out: list[str] = []
    sup: list[str] | None = None  # the text inside <sup>...</sup>, while in one
    for child in token.children or []:
        t = child.type
        if t in ("text", "code_inline"):
            (out if sup is None else sup).append(child.content)
        elif t in ("softbreak", "hardbreak"):
            out.append(" ")
        elif t == "html_inline":  # tags go; the text between them is its own text token
            tag = _TAG.match(child.content)
            name = tag.group(2).lower() if tag else ""
            if name in _BREAKING_TAGS:
                out.append(" ")  # <br>, <p>, <div>...: words on either side are apart
            elif name == "sup" and tag is not None and not tag.group(1):
                sup = []
            elif name == "sup" and sup is not None:
                marker = "".join(sup)  # a note marker (<sup>2</sup>, <sup>*</sup>) is not read
                if not _NOTE_MARK.fullmatch(marker.strip()):
                    out.append(marker)
                sup = None
        elif t == "image":
            continue
    if sup:
        out.extend(sup)
    return "".join(out)


def read_markdown(
    text: str,
    path: Path,
    *,
    title: str | None = None,
    include_front_matter: bool = False,
    read_notes: bool = False,
) -> Book:
    warnings: list[str] = []
    text, meta = _front_matter(text, warnings)
    notes: dict[str, str] = {}
    for m in _FOOTNOTE_DEF.finditer(text):
        notes[m.group(1)] = " ".join(m.group(2).split())
    blocks, first_ref, code_blocks = _blocks(_FOOTNOTE_DEF.sub("", text))
    if code_blocks:
        warnings.append(f"{code_blocks} code block(s) skipped (code is not read aloud)")

    levels = [b[1] for b in blocks if b[0] == "heading"]
    chapter_level = min((lv for lv in set(levels) if levels.count(lv) > 1), default=min(levels, default=0))
    book_title = str(meta.get("title") or title or "").strip()
    first_heading = next((k for k, b in enumerate(blocks) if b[0] == "heading"), None)
    if first_heading is not None and levels and levels[0] < chapter_level and levels.count(levels[0]) == 1:
        book_title = book_title or blocks[first_heading][2]
        blocks[first_heading] = ("skip",)  # the book's title: it names the book, not a chapter
    book_title = book_title or smart_title(re.sub(r"[-_.]+", " ", path.stem).strip())

    chapters, preamble, chapter_at = _chapters(blocks, chapter_level, path)
    if read_notes and notes and chapters:
        _place_notes(notes, first_ref, chapter_at, chapters)
    if preamble and (chapters and not include_front_matter and all(len(p.text) < 160 for p in preamble)):
        warnings.append(
            "front matter before the first chapter heading not read; --include-front-matter reads it"
        )
        preamble = []
    chapters = assemble_chapters(chapters, preamble, book_title, path)
    date = meta.get("date")
    return Book(
        title=book_title,
        authors=_as_list(meta.get("authors") or meta.get("author")),
        chapters=chapters,
        source=str(path),
        language=str(meta.get("lang") or meta.get("language") or "en"),
        publisher=str(meta.get("publisher") or ""),
        date=str(date) if date else "",
        description=str(meta.get("description") or meta.get("subtitle") or ""),
        identifier=str(meta.get("identifier") or meta.get("isbn") or ""),
        warnings=warnings,
    )


# a block: ("heading", level, text) | ("para", kind, text) | ("break",) | ("skip",)
Block = tuple[Any, ...]


def _blocks(text: str) -> tuple[list[Block], dict[str, int], int]:
    """The document's blocks in order (CommonMark and tables, by markdown-it-py); for each footnote key the
    index of the block that first refers to it; how many code blocks were skipped."""
    from markdown_it import MarkdownIt

    first_ref: dict[str, int] = {}  # note key -> index of the block that first refers to it
    blocks: list[Block] = []

    def drop_refs(s: str) -> str:
        for m in _FOOTNOTE_REF.finditer(s):
            first_ref.setdefault(m.group(1), len(blocks))
        return _FOOTNOTE_REF.sub("", s)

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    code_blocks = 0
    i = 0
    list_depth = 0
    items: list[str] = []
    rows: list[list[str]] = []
    row: list[str] | None = None
    in_table = False
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        if t == "heading_open":
            blocks.append(("heading", int(tok.tag[1]), clean_space(drop_refs(_inline_text(tokens[i + 1])))))
            i += 3
            continue
        if t in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
            if list_depth == 0 and items:
                blocks.append(("para", ParagraphKind.VERSE, "\n".join(items)))
                items = []
        elif t == "table_open":
            in_table, rows = True, []
        elif t == "tr_open":
            row = []
        elif t == "tr_close" and row is not None:
            if any(c for c in row):
                rows.append(row)
            row = None
        elif t == "table_close":
            in_table = False
            if rows:
                blocks.append(
                    ("para", ParagraphKind.VERSE, "\n".join(", ".join(c for c in r if c) for r in rows))
                )
        elif t in ("inline", "html_block"):
            words = clean_space(drop_refs(_inline_text(tok) if t == "inline" else _html_text(tok.content)))
            if t == "inline" and in_table and row is not None:
                row.append(words)
            elif words and list_depth:
                items.append(words)
            elif words:
                blocks.append(("para", ParagraphKind.TEXT, words))
        elif t in ("fence", "code_block"):
            code_blocks += 1
        elif t == "hr":
            blocks.append(("break",))
        i += 1
    return blocks, first_ref, code_blocks


def _chapters(
    blocks: list[Block], chapter_level: int, path: Path
) -> tuple[list[Chapter], list[Paragraph], list[Chapter | None]]:
    """Chapters at headings of `chapter_level` or above, the paragraphs before the first, and the chapter each
    block falls in."""
    chapters: list[Chapter] = []
    current: Chapter | None = None
    preamble: list[Paragraph] = []
    scene_break = False
    chapter_at: list[Chapter | None] = []
    for b in blocks:
        chapter_at.append(current)
        if b[0] == "skip":
            continue
        if b[0] == "break":
            scene_break = True
            continue
        if b[0] == "heading" and b[1] <= chapter_level:
            current = Chapter(
                index=len(chapters) + 1,
                title=b[2],
                paragraphs=[Paragraph(b[2], ParagraphKind.TITLE)],
                source=path.name,
            )
            chapters.append(current)
            scene_break = False
            continue
        target = current.paragraphs if current else preamble
        if b[0] == "heading":
            target.append(Paragraph(b[2], ParagraphKind.HEADING, section_break_before=True))
            continue
        target.append(Paragraph(b[2], b[1], section_break_before=scene_break))
        scene_break = False
    return chapters, preamble, chapter_at


def _place_notes(
    notes: dict[str, str],
    first_ref: dict[str, int],
    chapter_at: list[Chapter | None],
    chapters: list[Chapter],
) -> None:
    """Each note after the chapter that first refers to it; notes nobody refers to go with the last."""
    placed: dict[int, list[str]] = {}
    for key, text_ in notes.items():
        k = first_ref.get(key)
        owner = (chapter_at[k] if k is not None and k < len(chapter_at) else None) or chapters[-1]
        placed.setdefault(id(owner), []).append(text_)
    for ch in chapters:
        if placed.get(id(ch)):
            ch.paragraphs.append(Paragraph("Notes.", ParagraphKind.HEADING, section_break_before=True))
            ch.paragraphs.extend(
                Paragraph(clean_space(_FOOTNOTE_REF.sub("", n))) for n in placed[id(ch)] if n
            )
