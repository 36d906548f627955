"""Plain text (.txt, .md) to a Book.

Chapters start at heading lines ("CHAPTER IV", "Chapter 12: Title", "# Title", "PART ONE"); paragraphs
are separated by blank lines; hard-wrapped lines are joined; a Project Gutenberg licence header and
footer are stripped. A file with no headings is one chapter titled by the book.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..records import Book, Chapter, Paragraph, ParagraphKind
from .xhtml import clean_space

_HEADING = re.compile(
    r"^(?:#{1,6}[ \t]+(?P<md>\S.{0,150})"
    r"|(?P<word>(?:chapter|part|book|prologue|epilogue|preface|introduction|interlude|afterword|foreword)"
    r"\b[^\n]{0,150}))$",
    re.IGNORECASE,
)
_GUTENBERG_START = re.compile(r"^\*\*\* ?START OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
_GUTENBERG_END = re.compile(r"^\*\*\* ?END OF (?:THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
_META = re.compile(r"^(Title|Author):[ \t]*(.+)$", re.M)


def strip_gutenberg(text: str) -> tuple[str, dict[str, str]]:
    """Text between the Gutenberg START and END markers, and Title/Author from the header."""
    meta: dict[str, str] = {}
    start = _GUTENBERG_START.search(text)
    if start:
        for m in _META.finditer(text[: start.start()]):
            meta.setdefault(m.group(1).lower(), m.group(2).strip())
        text = text[start.end():]
    end = _GUTENBERG_END.search(text)
    if end:
        text = text[: end.start()]
    return text, meta


def _is_heading(block: str) -> bool:
    if "\n" in block.strip():
        return False
    line = block.strip()
    if len(line) > 120:
        return False
    return bool(_HEADING.match(line))


def _heading_text(line: str) -> str:
    return line.strip().lstrip("#").strip()


def read_text(path: str | Path, title: str | None = None) -> Book:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    text, meta = strip_gutenberg(text)
    blocks = [b for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    book_title = meta.get("title") or title or p.stem.replace("_", " ").replace("-", " ").strip().title()
    authors = [meta["author"]] if "author" in meta else []

    chapters: list[Chapter] = []
    current: Chapter | None = None
    preamble: list[Paragraph] = []
    for block in blocks:
        if _is_heading(block):
            current = Chapter(index=len(chapters) + 1, title=_heading_text(block), paragraphs=[],
                              source=f"{p.name}")
            current.paragraphs.append(Paragraph(current.title, ParagraphKind.TITLE))
            chapters.append(current)
            continue
        lines = [ln.strip() for ln in block.split("\n")]
        short = sum(1 for ln in lines if ln and len(ln) < 40)
        if len(lines) > 2 and short >= len(lines) - 1 and not block.startswith("    "):
            para = Paragraph(clean_space("\n".join(lines)), ParagraphKind.VERSE)   # verse: keep lines
        else:
            para = Paragraph(clean_space(" ".join(lines)))
        if not para.text:
            continue
        if block.strip() in ("* * *", "***", "* * * * *", "#", "~"):
            if current:
                current.paragraphs  # noqa: B018  (scene break marker)
            continue
        (current.paragraphs if current else preamble).append(para)
    if preamble:
        first = Chapter(index=1, title=book_title, paragraphs=[Paragraph(book_title, ParagraphKind.TITLE),
                                                               *preamble], source=p.name)
        chapters.insert(0, first)
        for i, ch in enumerate(chapters, 1):
            ch.index = i
    chapters = [c for c in chapters if len(c.paragraphs) > 1]
    for i, ch in enumerate(chapters, 1):
        ch.index = i
    if not chapters:
        raise InputError(f"{path}: no readable text in the file")
    return Book(title=book_title, authors=authors, chapters=chapters, source=str(path))
