"""Plain text (.txt) to a Book; Markdown (.md) goes to `pipeline.ingest.markdown`.

Bytes are decoded by `decode_text` (BOMs, UTF-16/32, UTF-8, else cp1252), the same for files and stdin.

Front matter is not read as a chapter (unless `include_front_matter`): a Project Gutenberg wrapper (its
header with Title, Author, Language and Release/Original publication dates, the START/END markers old and
new, the 1990s "SMALL PRINT" header, the licence, "Produced by" credits), transcriber's notes, and before the
first chapter heading a title block (the title, "by AUTHOR" or "BY" over the name, an edition or imprint
line, a dedication) and contents or illustrations lists ("CONTENTS" and the entries under it, up to the
first heading the list names). The title and author found there become the book's metadata; the title from
the file name is the last resort. "[Illustration: ...]" placeholders, "[Pg 12]" page marks and "_italics_"
marks are never read.

Chapters start at heading lines ("CHAPTER IV", "Chapter 12: Title", "# Title", "PART ONE", "STAVE I.",
"Book the First", "I. The Period", a Roman numeral alone on its line, and runs of lone letters, numbers or
number words the book counts up with); a heading followed by a short title line, in its block or the next,
becomes one title ("Chapter I: The Beginning"); a heading with nothing under it heads the chapters after it
(their `parents`, and read before the first). Paragraphs are separated by blank lines; hard-wrapped lines
are joined (a word hyphenated across a line break is joined whole); blocks of short lines are verse;
"* * *" is a scene break. A file with no headings is one chapter titled by the book.
"""

from __future__ import annotations

import itertools
import re
from functools import partial
from pathlib import Path

from ..errors import InputError
from ..records import Book, Chapter, Paragraph, ParagraphKind
from .xhtml import clean_space

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|first|second|third|fourth|fifth|sixth|seventh|"
    r"eighth|ninth|tenth|last"
)
_ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_WORD_HEADING = re.compile(
    r"^(?:(?:chapter|part|book|volume|act|canto|stave|letter|section)\s+(?:\d{1,4}|"
    + _ROMAN
    + r"|(?i:"
    + _ROMAN
    + r")|"
    r"(?:the\s+)?(?i:" + _NUMBER_WORDS + r")(?:[- ](?i:" + _NUMBER_WORDS + r"))?)\b"
    r"(?:[.:]?|\s*[.:\u2014-]\s*\S.{0,100}|\s+(?-i:[A-Z\"\u201c\u2018'])\S*(?:\s.{0,100})?)"
    r"|(?:prologue|epilogue|preface|introduction|interlude|afterword|foreword|appendix|postscript|conclusion)"
    r"\b[.:]?"
    r"(?:\s*[:.\u2014-]\s*\S.{0,100})?)$",
    re.IGNORECASE,
)
_ROMAN_LINE = re.compile(r"^(?:" + _ROMAN + r")\.?$")
# "I. The Period", "XII. A Night Alone": a numeral and a short title on a line of its own
_ROMAN_TITLED = re.compile(r"^(" + _ROMAN + r")\.[ \t]+([A-Z\"'\u201c\u2018][^.!?;:\n]{0,80})\.?$")
_LETTER_LINE = re.compile(r"^[A-Z]\.?$")
_UNDERLINE = re.compile(r"^[ \t]*([=~^-])\1{2,}[ \t]*$")
_PAGE_MARK = re.compile(r"[ \t]*\[(?:Pg|Page|p\.)[ \t]*[\dIVXLCivxlc]{1,6}\][ \t]*|[ \t]*\{\d{1,4}\}[ \t]*")
_COUNT_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.{0,200}?)[ \t#]*$")
_SCENE_BREAK = re.compile(r"^(?:[*#~\u2022\u00b7=_-][ \t]*){1,9}$")
# the start: "*** START OF THE PROJECT GUTENBERG EBOOK X ***" (and "THIS", no spaces, one asterisk), or the
# 1990s header's last line "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*"
_GUTENBERG_START = re.compile(
    r"^[ \t]*(?:\*+ ?START OF (?:THE |THIS )?PROJECT GUTENBERG[^\n]*"
    r"|\*+ ?END\*? ?THE SMALL PRINT[^\n]*)$",
    re.M | re.I,
)
_GUTENBERG_END = re.compile(r"^[ \t]*\*+ ?END OF (?:THE |THIS )?PROJECT GUTENBERG[^\n]*$", re.M | re.I)
_GUTENBERG_END_OLD = re.compile(r"^[ \t]*End of (?:the |this )?Project Gutenberg[^\n]*$", re.M | re.I)
_GUTENBERG_FIRST = re.compile(
    r"^\W{0,3}The Project Gutenberg (?:e-?book|e-?text|etext)s? of (.{1,200}?)"
    r"(?:,? by ([^\n,]{1,120}))?\W{0,3}$",
    re.M | re.I,
)
_PRODUCED = re.compile(
    r"^(?:Produced by|E-?text prepared by|Etext prepared by|Prepared by|Transcribed (?:by|from)"
    r"|This (?:e-?text|e-?book|file) was (?:prepared|produced|created|made)|Scanned by"
    r"|HTML version by|Digitized by)\b",
    re.I,
)
_ILLUSTRATION = re.compile(
    r"\[(?:Illustration|Ill\.|Frontispiece)\b(?:[^\[\]]|\[[^\[\]]{0,500}\]){0,2000}\]", re.I
)
# Gutenberg's italics: "_To Mrs. Saville, England._" (never a blank written as underscores: "Miss ___")
_ITALICS = re.compile(r"(?<![\w_])_(?=[^\s_])|(?<=[^\s_])_(?![\w_])")
_TRANSCRIBER = re.compile(r"^\[?\s*(?:Transcriber'?s?|Transcription|Editor'?s)\s+Notes?\b", re.I)
_MD_INLINE = [
    (re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,500}\)"), ""),  # images
    (re.compile(r"\[([^\]\n]{0,300})\]\([^)\n]{0,500}\)"), r"\1"),  # links: their text
    (re.compile(r"(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)"), ""),  # emphasis marks
    (re.compile(r"`"), ""),
]


_GUTENBERG_FIELD = re.compile(
    r"^(Title|Author|Authors|Editor|Translator|Illustrator|Language|Release [Dd]ate|"
    r"Posting [Dd]ate|Original publication|Credits)[ \t]*:[ \t]*(\S[^\n]*(?:\n[ \t]+\S[^\n]*)*)$",
    re.M,
)
_LANGUAGES = {
    "english": "en",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "dutch": "nl",
    "portuguese": "pt",
    "latin": "la",
    "finnish": "fi",
    "swedish": "sv",
    "danish": "da",
}


def strip_gutenberg(text: str) -> tuple[str, dict[str, str]]:
    """Text between the Gutenberg START and END markers (the licence after END goes), and the header's
    fields, lower-cased: title (its first line; "subtitle" the lines under it), author, language, release
    date, original publication, credits. Without a Title field, the first line ("The Project Gutenberg
    EBook of X, by Y") gives title and author."""
    meta: dict[str, str] = {}
    end = min(
        (m.start() for m in (_GUTENBERG_END.search(text), _GUTENBERG_END_OLD.search(text)) if m),
        default=len(text),
    )
    starts = list(_GUTENBERG_START.finditer(text, 0, min(end, 400_000)))
    start = starts[-1] if starts else None  # a 1990s SMALL PRINT header may precede a later START line
    if start:
        header = text[: start.start()]
        for m in _GUTENBERG_FIELD.finditer(header):
            key, lines = m.group(1).lower(), [ln.strip() for ln in m.group(2).split("\n")]
            if key == "title" and len(lines) > 1:
                meta.setdefault("subtitle", " ".join(" ".join(lines[1:]).split()))
            meta.setdefault(key, " ".join((lines[0] if key == "title" else " ".join(lines)).split()))
        first = _GUTENBERG_FIRST.search(header[:2000])
        if first:
            meta.setdefault("title", first.group(1).strip())
            if first.group(2):
                meta.setdefault("author", first.group(2).strip())
        text = text[start.end() :]
    ends = [m.start() for m in (_GUTENBERG_END.search(text), _GUTENBERG_END_OLD.search(text)) if m]
    if ends:
        text = text[: min(ends)]  # older files say "End of the Project Gutenberg EBook" first
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
        parts = [
            re.sub(
                r"^(o'|mc)?([a-z])",
                lambda m: (m.group(1) or "").capitalize() + m.group(2).upper(),
                part,
                count=1,
            )
            if part
            else part
            for part in parts
        ]
        out.append("-".join(parts))
    return " ".join(out)


_CONTENTS = re.compile(
    r"^(?:(?:table of )?contents(?: of (?:the )?(?:volume|vol\.|book|part)\b.{0,30})?"
    r"|(?:list of )?(?:illustrations|plates|maps|full-page illustrations)(?: in (?:the )?text)?)"
    r"[.:]?$",
    re.I,
)
_BY_LINE = re.compile(r"^(?:by|written by)\s+(\S.{0,120})$", re.I)
_BY_ALONE = re.compile(r"^(?:by|written by)[.:]?$", re.I)
_TITLE_BY = re.compile(r"^(\S.{1,80}?),?\s+(?:by|BY)\s+([A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*){0,4})$")
_EDITION = re.compile(
    r"edition|published|printed|copyright|all rights|illustrat|translated|\[illustration|"
    r"author of|\bpress\b|publishers?\b|\b(?:1[4-9]|20)\d\d\b",
    re.I,
)


def _is_prose(block: str) -> bool:
    """A block of running text (not a title line, a by-line or a contents entry)."""
    flat = " ".join(block.split())
    return len(flat) >= 160 or (len(flat) >= 60 and bool(re.search(r"[a-z][.!?][\"'\u201d\u2019]?$", flat)))


def _toc_like(block: str) -> bool:
    """A block of contents entries: short lines, none of them running text."""
    lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
    return (bool(lines) and all(len(ln) <= 90 for ln in lines) and not _is_prose(block)) or (
        len(lines) >= 3
        and sum(len(ln) <= 90 for ln in lines) >= 0.8 * len(lines)
        and sum(bool(re.search(r"\d+$|^[IVXLC]+\b|^chapter\b", ln, re.I)) for ln in lines) >= 0.6 * len(lines)
    )


# C0/C1 control characters other than tab and line breaks: never text a narrator reads or a subtitle shows
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")


def decode_text(raw: bytes, name: str = "input") -> str:
    """Text bytes as a person's editor would read them: a BOM decides (UTF-8, UTF-16, UTF-32); UTF-16
    without a BOM is recognised by its zero bytes; else UTF-8, else cp1252 (older Gutenberg files, Windows
    editors). Control characters other than tab and line breaks become spaces. InputError for binary data."""
    boms = (
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    )
    enc = next((e for bom, e in boms if raw.startswith(bom)), None)
    if enc is None and len(raw) >= 4:
        head = raw[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 0.4 * len(head) / 2 and even == 0:
            enc = "utf-16-le"  # ASCII-range text in UTF-16 without a BOM
        elif even > 0.4 * len(head) / 2 and odd == 0:
            enc = "utf-16-be"
    if enc is not None:
        try:
            return _CONTROLS.sub(" ", raw.decode(enc))
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw[:4096]:
        raise InputError(f"{name}: looks like a binary file, not text; pass a book in a format render reads")
    try:
        return _CONTROLS.sub(" ", raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _CONTROLS.sub(" ", raw.decode("cp1252", errors="replace"))


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def _heading_of(block: str, markdown: bool, marks: frozenset[str] = frozenset()) -> tuple[str, int] | None:
    """(title, markdown level or 0) when `block` is a heading: one line, or a heading line and a title line.
    `marks`: lone lines this book uses as headings (a run of "A", "B", "C", of "1", "2", "3", of "ONE",
    "TWO"; see `_run_headings`)."""
    lines = [ln.strip() for ln in block.strip().split("\n")]
    if len(lines) > 2 or len(block) > 240:
        return None
    first = lines[0]
    m = _MD_HEADING.match(first) if markdown or first.startswith("#") else None
    if m and len(lines) == 1:
        return _md_inline(m.group(2)).strip(), len(m.group(1))
    titled = _ROMAN_TITLED.match(first) if len(lines) == 1 else None
    if titled and len(titled.group(2).split()) <= 10:
        return f"{titled.group(1)}: {titled.group(2).strip()}", 0
    if _WORD_HEADING.match(first) or _ROMAN_LINE.match(first) or first in marks:
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
            out = out + ln  # a word hyphenated at the line end: joined whole
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


def _text_metadata(
    meta: dict[str, str], found: dict[str, str], title: str | None, p: Path
) -> tuple[str, list[str], str, str]:
    """Title, authors, language and year of a text book: from its Gutenberg header or field lines (`meta`),
    else its title block (`found`), else the file name."""
    book_title = smart_title(meta.get("title") or title or found.get("title") or "") or smart_title(
        re.sub(r"[-_.]+", " ", p.stem).strip()
    )
    author = meta.get("author") or meta.get("authors") or found.get("author", "")
    authors = (
        [smart_title(a.strip()) for a in re.split(r"\s+and\s+|;|&", author) if a.strip()] if author else []
    )
    language = meta.get("language", "en").split(",")[0].strip()
    language = _LANGUAGES.get(language.lower(), language.lower() if len(language) <= 3 else "en")
    year = None
    for source in (
        meta.get("original publication", ""),
        found.get("year", ""),
        meta.get("release date", ""),
        meta.get("posting date", ""),
    ):
        year = re.search(r"\b(1[4-9]\d\d|20\d\d)\b", source)
        if year:
            break
    return book_title, authors, language, year.group(1) if year else ""


def _text_chapters(blocks: list[str], heading, p: Path) -> tuple[list[Chapter], list[Paragraph]]:
    """The chapters the headings open (an empty heading becomes the part of the ones after it), and the
    paragraphs before the first heading."""
    headings = [heading(b) for b in blocks]
    chapters: list[Chapter] = []
    current: Chapter | None = None
    preamble: list[Paragraph] = []
    scene_break = False
    part: list[str] = []  # the title of an empty heading ("BOOK THE FIRST") over the chapters after it
    for block, found_heading in zip(blocks, headings, strict=True):
        if not block.strip():
            continue
        if found_heading:
            said: list[str] = []
            if current is not None and len(current.paragraphs) == 1:
                chapters.pop()  # a heading with nothing under it: the part the next ones are in
                part = [current.title]
                said = [current.title]
            current = Chapter(
                index=len(chapters) + 1,
                title=_ITALICS.sub("", found_heading[0]),
                paragraphs=[],
                source=p.name,
                parents=list(part),
            )
            current.paragraphs += [Paragraph(t, ParagraphKind.TITLE) for t in (*said, current.title)]
            chapters.append(current)
            scene_break = False
            continue
        target = current.paragraphs if current else preamble
        if _SCENE_BREAK.match(block.strip()):
            scene_break = True
            continue
        para = _paragraph(_ITALICS.sub("", block))
        if not para.text:
            continue
        para.section_break_before = scene_break
        scene_break = False
        target.append(para)
    return chapters, preamble


def read_text(
    path: str | Path,
    title: str | None = None,
    *,
    include_front_matter: bool = False,
    read_notes: bool = False,
) -> Book:
    """A plain-text book (Markdown is `pipeline.ingest.markdown.read_markdown`)."""
    p = Path(path)
    text = read_text_file(p)
    text, meta = strip_gutenberg(text)
    text = _ILLUSTRATION.sub("", text)  # "[Illustration: ...]" placeholders of the printed pictures
    text = _PAGE_MARK.sub(" ", text)  # page numbers of the printed book: "[Pg 12]", "{12}"
    blocks, gaps = _blocks(text)
    if not meta:
        blocks, gaps, meta = _field_header(blocks, gaps)
    heading = partial(_heading_of, markdown=False, marks=_run_headings(blocks))
    blocks, gaps = _drop_notes_and_credits(blocks, gaps, heading)
    blocks = _merge_subtitles(blocks, heading)
    warnings: list[str] = []
    blocks, front = _front_matter(blocks, heading)
    book_title, authors, language, year = _text_metadata(meta, _title_block(front), title, p)
    chapters, preamble = _text_chapters(blocks, heading, p)
    if include_front_matter and front:
        paras = [q for q in (_paragraph(b) for b in front if not _SCENE_BREAK.match(b.strip())) if q.text]
        preamble = paras + preamble
    elif front:
        warnings.append(
            f"front matter not read ({len(front)} block(s): title page, contents, credits); "
            "--include-front-matter reads it"
        )
    chapters = assemble_chapters(chapters, preamble, book_title, p)
    return Book(
        title=book_title,
        authors=authors,
        chapters=chapters,
        source=str(path),
        language=language,
        date=year,
        warnings=warnings,
    )


def assemble_chapters(
    chapters: list[Chapter], preamble: list[Paragraph], book_title: str, path: Path
) -> list[Chapter]:
    """The book's chapters: text before the first heading (`preamble`) as a chapter titled by the book,
    empty chapters dropped, indexes from 1. InputError when nothing is left to read."""
    if preamble:
        chapters.insert(
            0,
            Chapter(
                index=1,
                title=book_title,
                source=path.name,
                paragraphs=[Paragraph(book_title, ParagraphKind.TITLE), *preamble],
            ),
        )
    chapters = [c for c in chapters if len(c.paragraphs) > 1]
    for i, ch in enumerate(chapters, 1):
        ch.index = i
    if not chapters:
        raise InputError(f"{path}: no readable text in the file")
    return chapters


def _blocks(text: str) -> tuple[list[str], list[int]]:
    """The blank-line separated blocks of `text`, and how many blank lines stand before each (Gutenberg
    files put one between paragraphs, more between sections). A heading line with its first paragraph
    right under it is two blocks."""
    blocks: list[str] = []
    gaps: list[int] = []
    cur: list[str] = []
    blank = 0
    for ln in text.split("\n"):
        if cur and _UNDERLINE.match(ln) and not _UNDERLINE.match(cur[-1]):
            continue  # "Chapter 1" underlined with "=====" or "-----"
        if ln.strip():
            if not cur:
                gaps.append(blank)
                blank = 0
            cur.append(ln)
            continue
        if cur:
            blocks.append("\n".join(cur))
            cur = []
        blank += 1
    if cur:
        blocks.append("\n".join(cur))
    out: list[str] = []
    out_gaps: list[int] = []
    for k, (b, gap) in enumerate(zip(blocks, gaps, strict=True)):
        first, _, rest = b.strip().partition("\n")
        if k == 0 and rest and first.isupper() and len(first) <= 80 and _is_prose(rest):
            out += [first, rest]  # the title line right above the story's first paragraph
            out_gaps += [gap, 0]
        elif rest and _heading_of(b, False) is None and _heading_of(first, False) is not None:
            out += [first, rest]
            out_gaps += [gap, 0]
        else:
            out.append(b)
            out_gaps.append(gap)
    return out, out_gaps


_FIELD_LINE = re.compile(
    r"^(Title|Author|Authors|Language|Date|Year|Translator)[ \t]*:[ \t]*(\S.{0,200})$", re.I
)


def _field_header(blocks: list[str], gaps: list[int]) -> tuple[list[str], list[int], dict[str, str]]:
    """A header of "Title: X" / "Author: Y" lines at the very top (as Gutenberg's, without its markers):
    the fields as metadata, the header not read."""
    meta: dict[str, str] = {}
    n = 0
    while n < min(len(blocks), 6):
        lines = [ln.strip() for ln in blocks[n].split("\n") if ln.strip()]
        matches = [_FIELD_LINE.match(ln) for ln in lines]
        fields = [m for m in matches if m is not None]
        if len(fields) < len(matches):
            break
        for m in fields:
            meta.setdefault(
                m.group(1)
                .lower()
                .replace("year", "original publication")
                .replace("date", "original publication"),
                m.group(2).strip(),
            )
        n += 1
    if "title" not in meta:
        return blocks, gaps, {}
    return blocks[n:], gaps[n:], meta


def _run_headings(blocks: list[str]) -> frozenset[str]:
    """Lone lines that are this book's chapter headings because they count up through it: capital letters
    (a dictionary: "A", "B", "C"; not only the Roman-numeral letters I, V, X), numbers ("1", "2."), or
    number words ("ONE", "Two"). A run is at least three (two for numbers from 1), mostly rising."""
    lone = [b.strip() for b in blocks if "\n" not in b.strip() and len(b.strip()) <= 12]

    def rising(vals: list) -> bool:
        return sum(1 for a, b in itertools.pairwise(vals) if b > a) >= 0.8 * (len(vals) - 1)

    out: set[str] = set()
    letters = [b for b in lone if _LETTER_LINE.match(b)]
    keys = [b.rstrip(".") for b in letters]
    if len(set(keys)) >= 3 and not set(keys) <= set("IVXLCDM") and rising(keys):
        out.update(letters)
    numbers = [b for b in lone if re.fullmatch(r"\d{1,3}\.?", b)]
    values = [int(b.rstrip(".")) for b in numbers]
    if (len(set(values)) >= 3 or values[:2] == [1, 2]) and rising(values) and values[0] <= 2:
        out.update(numbers)
    words = [b for b in lone if b.rstrip(".").lower() in _COUNT_WORDS and (b.isupper() or b.istitle())]
    ranks = [_COUNT_WORDS.index(b.rstrip(".").lower()) for b in words]
    if len(set(ranks)) >= 3 and rising(ranks) and ranks[0] <= 1:
        out.update(words)
    return frozenset(out)


def _drop_notes_and_credits(blocks: list[str], gaps: list[int], heading) -> tuple[list[str], list[int]]:
    """Without the blocks no reader of the book reads aloud: transcriber's notes ("[Transcriber's Note: ...]",
    or a "TRANSCRIBER'S NOTES" line and what follows it up to the next heading or section gap) and, before
    the first heading, the e-text's credits ("Produced by ...")."""
    out: list[str] = []
    out_gaps: list[int] = []
    i = 0
    seen_heading = False
    while i < len(blocks):
        b = blocks[i].strip()
        if _TRANSCRIBER.match(b):
            j = i
            if b.startswith("["):
                while j < min(len(blocks) - 1, i + 40) and not blocks[j].rstrip().endswith("]"):
                    j += 1
            elif len(b) <= 40 and "\n" not in b:  # a heading line: the notes are the blocks under it
                while j + 1 < len(blocks) and heading(blocks[j + 1]) is None and gaps[j + 1] < 2:
                    j += 1
            i = j + 1
            continue
        if not seen_heading and _PRODUCED.match(b):
            i += 1
            continue
        if heading(blocks[i]) is not None:
            seen_heading = True
        out.append(blocks[i])
        out_gaps.append(gaps[i])
        i += 1
    return out, out_gaps


def _subtitle_like(block: str, heading) -> bool:
    """A short title line under a chapter heading ("MARLEY'S GHOST", "The Storm"), not a first sentence."""
    line = block.strip()
    if "\n" in line or len(line) > 70 or len(line.split()) > 12 or heading(line) is not None:
        return False
    if not (line[:1].isupper() or line[:1].isdigit() or line[:1] in "\"'\u201c\u2018("):
        return False
    if _SCENE_BREAK.match(line) or _CONTENTS.match(line) or _BY_LINE.match(line):
        return False
    bare = line.rstrip("\"'\u201d\u2019)")
    words = bare.rstrip(".").split()
    title_case = all(w[:1].isupper() or not w[:1].isalpha() or w.lower() in _SMALL_WORDS for w in words)
    if (
        bare.endswith(".")
        and not bare.endswith("..")
        and (line.isupper() or (title_case and 2 <= len(words) <= 8))
    ):
        bare = bare[:-1]  # "MARLEY'S GHOST.", "The Storm." (not "It rained.")
    return bool(bare) and bare[-1] not in ".!?,;:\u2014-"


def _merge_subtitles(blocks: list[str], heading) -> list[str]:
    """A one-line heading and the short title line in the block after it become one two-line heading
    block ("STAVE I." / "MARLEY'S GHOST" -> "STAVE I: MARLEY'S GHOST") when text follows."""
    out: list[str] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if (
            "\n" not in b.strip()
            and i + 2 < len(blocks)
            and heading(b) is not None
            and _heading_of(b, False) is not None
            and _ROMAN_TITLED.match(b.strip()) is None
            and _subtitle_like(blocks[i + 1], heading)
        ):
            out.append(f"{b.strip()}\n{blocks[i + 1].strip()}")
            i += 2
            continue
        out.append(b)
        i += 1
    return out


def _paragraph(block: str) -> Paragraph:
    raw_lines = block.split("\n")
    lines = [ln.strip() for ln in raw_lines if ln.strip()]
    short = sum(1 for ln in lines if len(ln) < 55)
    capital = sum(1 for ln in lines if ln[:1].isupper() or ln[:1] in "\"'\u201c\u2018(")
    indented = all(ln[:1] in " \t" for ln in raw_lines if ln.strip())
    if len(lines) > 1 and short == len(lines) and (capital >= 0.75 * len(lines) or indented):
        return Paragraph(clean_space("\n".join(lines)), ParagraphKind.VERSE)  # verse: keep its lines
    return Paragraph(clean_space(_join_lines(lines)))


def _named(key: str, listed: set[str]) -> bool:
    """Whether a contents entry names the heading `key` ("stave i" names "stave i. marley's ghost 1")."""
    return any(e == key or (e.startswith(key) and not e[len(key)].isalnum()) for e in listed)


def _front_matter(blocks: list[str], heading=None) -> tuple[list[str], list[str]]:
    """(the book's blocks, its front matter): a contents list wherever it stands, and the title block
    before the first chapter heading or the first running text."""
    heading = heading or partial(_heading_of, markdown=False)
    front: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if _CONTENTS.match(b.strip().split("\n")[0].strip()):
            front.append(b)
            i += 1
            listed: set[str] = set()  # the entries' lines: the text repeats them as its headings
            # the entries: short lines and headings, up to the first heading that has text under it, or the
            # first heading the list already named
            while i < len(blocks):
                nb = blocks[i]
                nxt = blocks[i + 1] if i + 1 < len(blocks) else ""
                key = " ".join(nb.split()).rstrip(".").lower()
                if heading(nb) is not None and (
                    _named(key, listed) or (nxt and heading(nxt) is None and not _toc_like(nxt))
                ):
                    break
                listed.update(" ".join(ln.split()).rstrip(".").lower() for ln in nb.split("\n") if ln.strip())
                if heading(nb) is None and not _toc_like(nb):
                    break
                front.append(nb)
                i += 1
            continue
        out.append(b)
        i += 1
    # the title block: what stands before the first heading or the first running text
    lead = 0
    while lead < len(out) and heading(out[lead]) is None and not _is_prose(out[lead]):
        lead += 1
    if lead < len(out) or any(heading(b) for b in out):
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
    if lines and not any(_BY_LINE.match(ln) or _BY_ALONE.match(ln) for ln in lines):
        m = _TITLE_BY.match(lines[0])  # "The Lighthouse Keeper, by Ada Finch" on one line
        if m:
            lines = [m.group(1), f"by {m.group(2)}", *lines[1:]]
    for i, ln in enumerate(lines):
        m = _BY_LINE.match(ln)
        if m:
            found.setdefault("author", m.group(1).strip(" ."))
        elif _BY_ALONE.match(ln) and i + 1 < len(lines):  # "BY" on its own line, the name under it
            found.setdefault("author", lines[i + 1].strip(" ."))
        elif (
            "title" not in found
            and len(ln) <= 80
            and not _EDITION.search(ln)
            and ln[:1].isalnum()
            and not (i and _BY_ALONE.match(lines[i - 1]))
        ):
            found["title"] = ln.strip(" .")
        year = re.search(r"\b(1[4-9]\d\d|20\d\d)\b", ln)
        if year and "title" in found and not _BY_LINE.match(ln):
            found.setdefault("year", year.group(1))  # an imprint's year: "LONDON: 1843"
    return found
