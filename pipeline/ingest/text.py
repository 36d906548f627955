"""Plain text (.txt) to a Book; Markdown (.md) goes to `pipeline.ingest.markdown`.

Bytes are decoded by `decode_text` (BOMs, UTF-16/32, UTF-8, else cp1252), the same for files and stdin.

Front matter is not read as a chapter (unless `include_front_matter`): a Project Gutenberg wrapper (its
header with Title, Author, Language and Release/Original publication dates, the START/END markers, the
licence, "Produced by" credits), and before the first chapter heading a title block (the title, "by
AUTHOR", an edition line, a dedication) and a contents list ("CONTENTS" and the entries under it). The title
and author found there become the book's metadata; the title from the file name is the last resort.

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


_GUTENBERG_FIELD = re.compile(r"^(Title|Author|Authors|Editor|Translator|Language|Release [Dd]ate|"
                              r"Original publication|Credits)[ \t]*:[ \t]*(\S[^\n]*(?:\n[ \t]+\S[^\n]*)*)$", re.M)
_LANGUAGES = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "dutch": "nl",
              "portuguese": "pt", "latin": "la", "finnish": "fi", "swedish": "sv", "danish": "da"}


def strip_gutenberg(text: str) -> tuple[str, dict[str, str]]:
    """Text between the Gutenberg START and END markers (the licence after END goes), and the header's
    fields, lower-cased: title, author, language, release date, original publication, credits."""
    meta: dict[str, str] = {}
    start = _GUTENBERG_START.search(text)
    if start:
        for m in _GUTENBERG_FIELD.finditer(text[: start.start()]):
            meta.setdefault(m.group(1).lower(), " ".join(m.group(2).split()))
        text = text[start.end():]
        text = _PRODUCED.sub("", text.lstrip("\n"), count=1)
    ends = [m.start() for m in (_GUTENBERG_END.search(text), _GUTENBERG_END_OLD.search(text)) if m]
    if ends:
        text = text[: min(ends)]            # older files say "End of the Project Gutenberg EBook" first
    return text, meta


_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or over the to upon with".split())


def smart_title(text: str) -> str:
    """Title case for a title that arrived in capitals or as a file name: "THE TIME MACHINE" -> "The Time
    Machine", "war_and_peace" -> "War and Peace", "o'brien's tale" -> "O'Brien's Tale"; mixed case kept."""
    text = " ".join(text.replace("_", " ").split())
    if any(c.islower() for c in text) and any(c.isupper() for c in text):
        return text
    words = text.lower().split(" ")
    out = []
    for i, w in enumerate(words):
        if 0 < i < len(words) - 1 and w in _SMALL_WORDS:
            out.append(w)
            continue
        parts = w.split("-")
        parts = [re.sub(r"^(o'|mc)?([a-z])", lambda m: (m.group(1) or "").capitalize() + m.group(2).upper(),
                        part, count=1) if part else part for part in parts]
        out.append("-".join(parts))
    return " ".join(out)


_CONTENTS = re.compile(r"^(?:table of )?contents\.?$|^list of (?:illustrations|plates)\.?$", re.I)
_BY_LINE = re.compile(r"^(?:by|written by)\s+(\S.{0,120})$", re.I)
_EDITION = re.compile(r"edition|published|printed|copyright|all rights|illustrat|translated|\[illustration",
                      re.I)


def _is_prose(block: str) -> bool:
    """A block of running text (not a title line, a by-line or a contents entry)."""
    flat = " ".join(block.split())
    return len(flat) >= 160 or (len(flat) >= 60 and bool(re.search(r"[a-z][.!?][\"'\u201d\u2019]?$", flat)))


def _toc_like(block: str) -> bool:
    """A block of contents entries: short lines, none of them running text."""
    lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
    return bool(lines) and all(len(ln) <= 90 for ln in lines) and not _is_prose(block) or \
        len(lines) >= 3 and sum(len(ln) <= 90 for ln in lines) >= 0.8 * len(lines) and \
        sum(bool(re.search(r"\d+$|^[IVXLC]+\b|^chapter\b", ln, re.I)) for ln in lines) >= 0.6 * len(lines)


# C0/C1 control characters other than tab and line breaks: never text a narrator reads or a subtitle shows
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")


def decode_text(raw: bytes, name: str = "input") -> str:
    """Text bytes as a person's editor would read them: a BOM decides (UTF-8, UTF-16, UTF-32); UTF-16
    without a BOM is recognised by its zero bytes; else UTF-8, else cp1252 (older Gutenberg files, Windows
    editors). Control characters other than tab and line breaks become spaces. InputError for binary data."""
    boms = ((b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
            (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    enc = next((e for bom, e in boms if raw.startswith(bom)), None)
    if enc is None and len(raw) >= 4:
        head = raw[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 0.4 * len(head) / 2 and even == 0:
            enc = "utf-16-le"                      # ASCII-range text in UTF-16 without a BOM
        elif even > 0.4 * len(head) / 2 and odd == 0:
            enc = "utf-16-be"
    if enc is not None:
        try:
            return _CONTROLS.sub(" ", raw.decode(enc))
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:4096]:
        raise InputError(f"{name}: looks like a binary file, not text; pass a .txt, .md or .epub book")
    try:
        return _CONTROLS.sub(" ", raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _CONTROLS.sub(" ", raw.decode("cp1252", errors="replace"))


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


def read_text_file(path: Path) -> str:
    """A text file's content, decoded (`decode_text`), with "\n" line ends."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    return decode_text(raw, str(path)).replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | Path, title: str | None = None, *, include_front_matter: bool = False,
              read_notes: bool = False) -> Book:
    """A plain-text book (Markdown is `pipeline.ingest.markdown.read_markdown`)."""
    p = Path(path)
    text = read_text_file(p)
    text, meta = strip_gutenberg(text)
    blocks = []
    for b in re.split(r"\n[ \t]*\n", text):
        if not b.strip():
            continue
        first, _, rest = b.strip().partition("\n")
        if rest and _heading_of(b, False) is None and _heading_of(first, False) is not None:
            blocks.extend([first, rest])       # a heading line with its first paragraph under it
        else:
            blocks.append(b)
    warnings: list[str] = []
    blocks, front = _front_matter(blocks)
    found = _title_block(front)
    book_title = smart_title(meta.get("title") or title or found.get("title") or "") or \
        smart_title(re.sub(r"[-_.]+", " ", p.stem).strip())
    author = meta.get("author") or meta.get("authors") or found.get("author", "")
    authors = [smart_title(a.strip()) for a in re.split(r"\s+and\s+|;|&", author) if a.strip()] if author else []
    language = meta.get("language", "en").split(",")[0].strip()
    language = _LANGUAGES.get(language.lower(), language.lower() if len(language) <= 3 else "en")
    year = re.search(r"\b(1[4-9]\d\d|20\d\d)\b", meta.get("original publication", ""))

    headings = [_heading_of(b, False) for b in blocks]
    chapters: list[Chapter] = []
    current: Chapter | None = None
    preamble: list[Paragraph] = []
    scene_break = False
    for block, heading in zip(blocks, headings):
        if not block.strip():
            continue
        if heading:
            current = Chapter(index=len(chapters) + 1, title=heading[0], paragraphs=[], source=p.name)
            current.paragraphs.append(Paragraph(current.title, ParagraphKind.TITLE))
            chapters.append(current)
            scene_break = False
            continue
        target = current.paragraphs if current else preamble
        if _SCENE_BREAK.match(block.strip()):
            scene_break = True
            continue
        para = _paragraph(block)
        if not para.text:
            continue
        para.section_break_before = scene_break
        scene_break = False
        target.append(para)
    if include_front_matter and front:
        paras = [q for q in (_paragraph(b) for b in front if not _SCENE_BREAK.match(b.strip())) if q.text]
        preamble = paras + preamble
    elif front:
        warnings.append(f"front matter not read ({len(front)} block(s): title page, contents, credits); "
                        "--include-front-matter reads it")
    chapters = assemble_chapters(chapters, preamble, book_title, p)
    return Book(title=book_title, authors=authors, chapters=chapters, source=str(path), language=language,
                date=year.group(1) if year else "", warnings=warnings)


def assemble_chapters(chapters: list[Chapter], preamble: list[Paragraph], book_title: str,
                      path: Path) -> list[Chapter]:
    """The book's chapters: text before the first heading (`preamble`) as a chapter titled by the book,
    empty chapters dropped, indexes from 1. InputError when nothing is left to read."""
    if preamble:
        chapters.insert(0, Chapter(index=1, title=book_title, source=path.name,
                                   paragraphs=[Paragraph(book_title, ParagraphKind.TITLE), *preamble]))
    chapters = [c for c in chapters if len(c.paragraphs) > 1]
    for i, ch in enumerate(chapters, 1):
        ch.index = i
    if not chapters:
        raise InputError(f"{path}: no readable text in the file")
    return chapters


def _paragraph(block: str) -> Paragraph:
    raw_lines = block.split("\n")
    lines = [ln.strip() for ln in raw_lines if ln.strip()]
    short = sum(1 for ln in lines if len(ln) < 55)
    capital = sum(1 for ln in lines if ln[:1].isupper() or ln[:1] in "\"'\u201c\u2018(")
    indented = all(ln[:1] in " \t" for ln in raw_lines if ln.strip())
    if len(lines) > 1 and short == len(lines) and (capital >= 0.75 * len(lines) or indented):
        return Paragraph(clean_space("\n".join(lines)), ParagraphKind.VERSE)      # verse: keep its lines
    return Paragraph(clean_space(_join_lines(lines)))


def _front_matter(blocks: list[str]) -> tuple[list[str], list[str]]:
    """(the book's blocks, its front matter): a contents list wherever it stands, and the title block
    before the first chapter heading or the first running text."""
    front: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if _CONTENTS.match(b.strip().split("\n")[0].strip()):
            front.append(b)
            i += 1
            listed: set[str] = set()           # the entries' lines: the text repeats them as its headings
            # the entries: short lines and headings, up to the first heading that has text under it, or the
            # first heading the list already named
            while i < len(blocks):
                nb = blocks[i]
                nxt = blocks[i + 1] if i + 1 < len(blocks) else ""
                key = " ".join(nb.split()).rstrip(".").lower()
                if _heading_of(nb, False) is not None and (key in listed or nxt and _heading_of(nxt, False) is None
                                                           and not _toc_like(nxt)):
                    break
                listed.update(" ".join(ln.split()).rstrip(".").lower() for ln in nb.split("\n") if ln.strip())
                if _heading_of(nb, False) is None and not _toc_like(nb):
                    break
                front.append(nb)
                i += 1
            continue
        out.append(b)
        i += 1
    # the title block: what stands before the first heading or the first running text
    lead = 0
    while lead < len(out) and _heading_of(out[lead], False) is None and not _is_prose(out[lead]):
        lead += 1
    if lead < len(out) or any(_heading_of(b, False) for b in out):
        front = out[:lead] + front
        out = out[lead:]
    return out, front


def _title_block(front: list[str]) -> dict[str, str]:
    """Title and author from a title block: its first short line that is not a credit, and a "by" line."""
    lines: list[str] = []
    for b in front:
        if _CONTENTS.match(b.strip().split("\n")[0].strip()):
            break
        lines += [ln.strip() for ln in b.split("\n") if ln.strip()]
    found: dict[str, str] = {}
    for ln in lines:
        m = _BY_LINE.match(ln)
        if m:
            found.setdefault("author", m.group(1).strip(" ."))
        elif "title" not in found and len(ln) <= 80 and not _EDITION.search(ln) and ln[:1].isalnum():
            found["title"] = ln.strip(" .")
    return found
