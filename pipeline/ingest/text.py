"""Plain text (.txt, .md) to a Book.

Chapters start at heading lines ("CHAPTER IV", "Chapter 12: Title", "# Title", "PART ONE", a Roman numeral
alone on its line); a heading line followed by a short title line becomes one title ("Chapter I: The
Beginning"). Paragraphs are separated by blank lines; hard-wrapped lines are joined (a word hyphenated
across a line break is joined whole); blocks of short lines are verse; "* * *" is a scene break. A Project
Gutenberg licence header and footer are stripped, and the header's Title and Author kept. A file with no
headings is one chapter titled by the book. In Markdown, the chapter level is the highest heading level
used more than once; a single heading above it is the book's title, deeper ones are sections.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..records import Book, Chapter, Paragraph, ParagraphKind
from .xhtml import clean_space

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|first|second|third|fourth|fifth|sixth|seventh|"
                 r"eighth|ninth|tenth|last")
_ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_WORD_HEADING = re.compile(
    r"^(?:(?:chapter|part|book|volume|act|canto|stave|letter)\s+(?:\d{1,4}|" + _ROMAN + r"|(?i:" + _ROMAN + r")|"
    r"(?i:" + _NUMBER_WORDS + r")(?:[- ](?i:" + _NUMBER_WORDS + r"))?)\b"
    r"(?:[.:]?|\s*[.:\u2014-]\s*\S.{0,100}|\s+(?-i:[A-Z\"\u201c\u2018'])\S*(?:\s.{0,100})?)"
    r"|(?:prologue|epilogue|preface|introduction|interlude|afterword|foreword|appendix|postscript)\b[.:]?"
    r"(?:\s*[:.\u2014-]\s*\S.{0,100})?)$",
    re.IGNORECASE,
)
_ROMAN_LINE = re.compile(r"^(?:" + _ROMAN + r")\.?$")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.{0,200}?)[ \t#]*$")
_SCENE_BREAK = re.compile(r"^(?:[*#~\u2022\u00b7=_-][ \t]*){1,9}$")
_GUTENBERG_START = re.compile(r"^\*\*\* ?START OF (?:THE|THIS) PROJECT GUTENBERG[^\n]*$", re.M | re.I)
_GUTENBERG_END = re.compile(r"^\*\*\* ?END OF (?:THE|THIS) PROJECT GUTENBERG[^\n]*$", re.M | re.I)
_GUTENBERG_END_OLD = re.compile(r"^End of (?:the )?Project Gutenberg[^\n]*$", re.M | re.I)
_META = re.compile(r"^(Title|Author):[ \t]*(\S[^\n]*)$", re.M)
_PRODUCED = re.compile(r"^(?:Produced by|E-text prepared by|Transcribed by)[^\n]*(?:\n[^\n]+)*", re.I)
_MD_INLINE = [(re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,500}\)"), ""),          # images
              (re.compile(r"\[([^\]\n]{0,300})\]\([^)\n]{0,500}\)"), r"\1"),      # links: their text
              (re.compile(r"(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)"), ""),  # emphasis marks
              (re.compile(r"`"), "")]


def strip_gutenberg(text: str) -> tuple[str, dict[str, str]]:
    """Text between the Gutenberg START and END markers, and Title/Author from the header."""
    meta: dict[str, str] = {}
    start = _GUTENBERG_START.search(text)
    if start:
        for m in _META.finditer(text[: start.start()]):
            meta.setdefault(m.group(1).lower(), m.group(2).strip())
        text = text[start.end():]
        text = _PRODUCED.sub("", text.lstrip("\n"), count=1)
    end = _GUTENBERG_END.search(text) or _GUTENBERG_END_OLD.search(text)
    if end:
        text = text[: end.start()]
    return text, meta


# C0/C1 control characters other than tab and line breaks: never text a narrator reads or a subtitle shows
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")


def _decode(raw: bytes, path) -> str:
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: looks like a binary file, not text; pass a .txt, .md or .epub book")
    for enc in ("utf-8-sig", "utf-16") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            return _CONTROLS.sub(" ", raw.decode(enc))
        except UnicodeDecodeError:
            pass
    return _CONTROLS.sub(" ", raw.decode("cp1252", errors="replace"))   # older Gutenberg files, Windows editors


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def _heading_of(block: str, markdown: bool) -> tuple[str, int] | None:
    """(title, markdown level or 0) when `block` is a heading: one line, or a heading line and a title line."""
    lines = [ln.strip() for ln in block.strip().split("\n")]
    if len(lines) > 2 or len(block) > 240:
        return None
    first = lines[0]
    m = _MD_HEADING.match(first) if markdown or first.startswith("#") else None
    if m and len(lines) == 1:
        return _md_inline(m.group(2)).strip(), len(m.group(1))
    if _WORD_HEADING.match(first) or _ROMAN_LINE.match(first):
        title = first.rstrip(".")
        if len(lines) == 2:
            sub = lines[1]
            if len(sub) > 100 or sub[-1:] in ",;" or (sub[-1:] == "." and len(sub.split()) > 12):
                return None
            title = f"{title}: {sub.rstrip('.')}"
        return title, 0
    return None


def _join_lines(lines: list[str]) -> str:
    out = ""
    for ln in lines:
        if not out:
            out = ln
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and ln[:1].islower():
            out = out + ln                     # a word hyphenated at the line end: joined whole
        else:
            out = f"{out} {ln}"
    return out


def read_text(path: str | Path, title: str | None = None) -> Book:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    markdown = p.suffix.lower() == ".md"
    text = _decode(raw, path).replace("\r\n", "\n").replace("\r", "\n")
    text, meta = strip_gutenberg(text)
    blocks = []
    for b in re.split(r"\n[ \t]*\n", text):
        if not b.strip():
            continue
        first, _, rest = b.strip().partition("\n")
        if rest and _heading_of(b, markdown) is None and _heading_of(first, markdown) is not None:
            blocks.extend([first, rest])       # a heading line with its first paragraph under it
        else:
            blocks.append(b)
    book_title = meta.get("title") or title or ""
    authors = [a.strip() for a in re.split(r"\s+and\s+|;", meta["author"]) if a.strip()] if "author" in meta else []

    headings = [_heading_of(b, markdown) for b in blocks]
    md_levels = [h[1] for h in headings if h and h[1]]
    chapter_level = min((lv for lv in set(md_levels) if md_levels.count(lv) > 1), default=min(md_levels, default=0))
    if md_levels and md_levels[0] < chapter_level and md_levels.count(md_levels[0]) == 1:
        first = next(i for i, h in enumerate(headings) if h and h[1])
        book_title = book_title or headings[first][0]
        headings[first] = None
        blocks[first] = ""                     # the book's title: it names the book, not a chapter
    book_title = book_title or p.stem.replace("_", " ").replace("-", " ").strip().title()

    chapters: list[Chapter] = []
    current: Chapter | None = None
    preamble: list[Paragraph] = []
    scene_break = False
    for block, heading in zip(blocks, headings):
        if not block.strip():
            continue
        if heading and (heading[1] == 0 or heading[1] <= chapter_level):
            current = Chapter(index=len(chapters) + 1, title=heading[0], paragraphs=[], source=p.name)
            current.paragraphs.append(Paragraph(current.title, ParagraphKind.TITLE))
            chapters.append(current)
            scene_break = False
            continue
        target = current.paragraphs if current else preamble
        if heading:                            # a deeper Markdown heading: a section inside the chapter
            target.append(Paragraph(heading[0], ParagraphKind.HEADING, section_break_before=True))
            continue
        if _SCENE_BREAK.match(block.strip()):
            scene_break = True
            continue
        raw_lines = block.split("\n")
        lines = [ln.strip() for ln in raw_lines if ln.strip()]
        if markdown:
            lines = [_md_inline(re.sub(r"^(?:>\s?|[-*+]\s+|\d{1,3}[.)]\s+)", "", ln)) for ln in lines]
        short = sum(1 for ln in lines if len(ln) < 55)
        capital = sum(1 for ln in lines if ln[:1].isupper() or ln[:1] in "\"'\u201c\u2018(")
        indented = all(ln[:1] in " \t" for ln in raw_lines if ln.strip())
        if len(lines) > 1 and short == len(lines) and (capital >= 0.75 * len(lines) or indented):
            para = Paragraph(clean_space("\n".join(lines)), ParagraphKind.VERSE)      # verse: keep its lines
        else:
            para = Paragraph(clean_space(_join_lines(lines)))
        if not para.text:
            continue
        para.section_break_before = scene_break
        scene_break = False
        target.append(para)
    if preamble:
        chapters.insert(0, Chapter(index=1, title=book_title, source=p.name,
                                   paragraphs=[Paragraph(book_title, ParagraphKind.TITLE), *preamble]))
    chapters = [c for c in chapters if len(c.paragraphs) > 1]
    for i, ch in enumerate(chapters, 1):
        ch.index = i
    if not chapters:
        raise InputError(f"{path}: no readable text in the file")
    return Book(title=book_title, authors=authors, chapters=chapters, source=str(path))
