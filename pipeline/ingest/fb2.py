"""FictionBook 2 (.fb2, and .fb2.zip: a zip holding one) to a Book.

- `<description>`: title-info's book-title, authors, lang, date, annotation, sequence (the series and the
  book's number in it) and coverpage; publish-info's publisher, year and ISBN.
- The main `<body>`: nested `<section>`s with `<title>`s are the chapters, with parts and front matter as for
  EPUB (`ingest.outline`); paragraphs, subtitles, poems (verse), epigraphs, citations and tables are read;
  `<empty-line/>` is a scene break; images are not read.
- The notes body (`<body name="notes">`, or "comments"): each section a note; a `<a type="note">` reference
  is never read, and with `read_notes` its note follows the chapter.
- The cover: the `<binary>` the coverpage points to.

The XML is parsed strictly with no DTD, no entity expansion and no network: a malformed file is refused with
one line, as an e-reader would refuse it. A zipped one is read within the archive limits (`ingest.safety`).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from pathlib import Path

from lxml import etree

from ..errors import InputError
from ..records import Book, Paragraph, ParagraphKind
from .outline import Heading, build_chapters
from .safety import _DOCTYPE, ArchiveLimits, open_archive
from .xhtml import Block, clean_space, safe_char_refs

_XLINK = "{http://www.w3.org/1999/xlink}href"
_NOTE_BODIES = {"notes", "comments", "footnotes"}
_NOTE_MARK = re.compile(r"[\[(]?(?:\d{1,4}|[*\u2020\u2021]{1,3})[\])]?")


def _tag(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _tag(c) == name]


def _text(el) -> str:
    return clean_space(" ".join("".join(el.itertext()).split()))


def _href(el) -> str:
    return el.get(_XLINK) or el.get("href") or ""


class _Walker:
    def __init__(self):
        self.blocks: list[Block] = []
        self.heads: list[Heading] = []
        self.brk = False

    def inline(self, el) -> tuple[str, list[str]]:
        """An element's words without note references, and the note ids they point to."""
        parts: list[str] = [el.text or ""]
        refs: list[str] = []
        for c in el:
            if _tag(c) == "a" and (
                c.get("type") == "note" or (_href(c).startswith("#") and _NOTE_MARK.fullmatch(_text(c)))
            ):
                refs.append(_href(c).lstrip("#"))
            elif _tag(c) != "image":
                sub, more = self.inline(c)
                parts.append(sub)
                refs += more
            parts.append(c.tail or "")
        return "".join(parts), refs

    def emit(self, text: str, kind: ParagraphKind, refs: list[str] | None = None) -> None:
        text = clean_space(text)
        if text and any(ch.isalnum() for ch in text):
            self.blocks.append(
                Block(Paragraph(text, kind, section_break_before=self.brk), [], False, refs or [])
            )
            self.brk = False

    def block(self, el) -> None:
        tag = _tag(el)
        if tag in ("p", "text-author", "subtitle"):
            text, refs = self.inline(el)
            self.emit(text, ParagraphKind.HEADING if tag == "subtitle" else ParagraphKind.TEXT, refs)
        elif tag == "empty-line":
            self.brk = bool(self.blocks)
        elif tag == "poem":
            for c in el:
                if _tag(c) == "stanza":
                    lines = [self.inline(v) for v in c if _tag(v) == "v"]
                    self.emit(
                        "\n".join(t for t, _ in lines),
                        ParagraphKind.VERSE,
                        [r for _, rs in lines for r in rs],
                    )
                else:
                    self.block(c)
        elif tag in ("epigraph", "cite", "annotation"):
            for c in el:
                self.block(c)
        elif tag == "title":
            self.emit(_title(el), ParagraphKind.HEADING)
        elif tag == "table":
            for row in _kids(el, "tr"):
                cells = [_text(c) for c in row if _tag(c) in ("td", "th") and _text(c)]
                if cells:
                    self.emit(", ".join(cells) + ("" if cells[-1][-1:] in ".!?" else "."), ParagraphKind.TEXT)

    def section(self, el, depth: int) -> None:
        titles = _kids(el, "title") or _bold_title(el)
        if titles and _title(titles[0]):
            self.heads.append(Heading(_title(titles[0]), depth, len(self.blocks)))
            self.brk = False
        for c in el:
            if _tag(c) == "section":
                self.section(c, depth + 1 if titles else depth)
            elif c not in titles[:1]:
                self.block(c)


def _bold_p(p) -> bool:
    return (
        _tag(p) == "p"
        and len(p) == 1
        and _tag(p[0]) == "strong"
        and not (p.text or "").strip()
        and not (p[0].tail or "").strip()
        and 0 < len(_text(p)) <= 120
    )


def _bold_title(section) -> list:
    """A section without <title> that opens with up to three paragraphs each one short run of bold text
    (Calibre's FB2 writes its headings so): those paragraphs, as one title element."""
    kids = [c for c in section if _tag(c) not in ("empty-line", "image")]
    n = 0
    while n < min(3, len(kids)) and _bold_p(kids[n]):
        n += 1
    if not n:
        return []
    title = etree.Element("title")
    for p in kids[:n]:
        title.append(etree.fromstring(etree.tostring(p)))
        section.remove(p)
    section.insert(0, title)
    return [title]


def _title(el) -> str:
    """A title's paragraphs as one line: "I: A Letter with a Postscript", "Chapter One. The Start"."""
    out = ""
    for p in _kids(el, "p") or [el]:
        t = _text(p)
        if t:
            out = t if not out else out + (" " if out[-1] in ".:;!?" else ": ") + t
    return out


def _notes(bodies: list) -> list[Block]:
    out = []
    for body in bodies:
        for sec in body.iter():
            if _tag(sec) == "section" and sec.get("id"):
                text = " ".join(_text(p) for p in sec if _tag(p) in ("p", "poem", "cite", "epigraph"))
                if clean_space(text):
                    out.append(Block(Paragraph(clean_space(text)), [sec.get("id")], True, []))
    return out


def _person(el) -> str:
    parts = [_text(c) for name in ("first-name", "middle-name", "last-name") for c in _kids(el, name)]
    return " ".join(p for p in parts if p) or " ".join(_text(c) for c in _kids(el, "nickname"))


def _describe(root, book: Book) -> None:
    desc = next((c for c in root if _tag(c) == "description"), None)
    info = next((c for c in desc if _tag(c) == "title-info"), None) if desc is not None else None
    if info is None:
        return
    book.title = next((_text(c) for c in _kids(info, "book-title")), "")
    book.authors = [a for a in (_person(c) for c in _kids(info, "author")) if a]
    book.language = next((_text(c) for c in _kids(info, "lang") if _text(c)), "en")
    book.date = next(((c.get("value") or _text(c)) for c in _kids(info, "date")), "")
    book.description = next((_text(c) for c in _kids(info, "annotation")), "")
    for seq in _kids(info, "sequence"):
        if seq.get("name", "").strip():
            book.series, book.series_index = (
                clean_space(seq.get("name", "")),
                (seq.get("number") or "").strip(),
            )
            break
    pub = next((c for c in desc if _tag(c) == "publish-info"), None) if desc is not None else None
    if pub is not None:
        book.publisher = next((_text(c) for c in _kids(pub, "publisher")), "")
        book.identifier = next((_text(c) for c in _kids(pub, "isbn")), "")
        book.date = book.date or next((_text(c) for c in _kids(pub, "year")), "")
    cover = next((_href(img) for c in _kids(info, "coverpage") for img in c), "")
    if cover.startswith("#"):
        binary = next((b for b in root if _tag(b) == "binary" and b.get("id") == cover[1:]), None)
        if binary is not None:
            try:
                book.cover = base64.b64decode("".join((binary.text or "").split()), validate=True)
                book.cover_type = binary.get("content-type") or "image/jpeg"
            except (binascii.Error, ValueError):
                book.warnings.append(f"the cover image '{cover[1:]}' is not valid base64; no cover")


def _data(path: Path, limits) -> bytes:
    """The FictionBook's bytes: the file, or the .fb2 member of a zip read within the archive limits."""
    cap = int(limits.epub_max_member_mb * 2**20)
    if path.name.lower().endswith(".zip"):
        if not zipfile.is_zipfile(path):
            raise InputError(f"{path}: not a zipped FictionBook (not a zip archive)")
        archive = open_archive(str(path), ArchiveLimits.of(limits))
        with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
            name = next((n for n in archive.names if n.lower().endswith(".fb2")), None)
            if name is None:
                raise InputError(f"{path}: the zip holds no .fb2 file")
            return zf.read(name)
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"{path}: over {cap // 2**20} MB (limits.epub_max_member_mb)")
    return data


def read_fb2(
    path: Path, *, include_front_matter: bool = False, read_notes: bool = False, limits=None
) -> Book:
    """Read a FictionBook 2 file into a Book. InputError with a one-line reason when it cannot be read."""
    from ..config import LimitsConfig

    limits = limits or LimitsConfig()
    data = _DOCTYPE.sub(b"", safe_char_refs(_data(path, limits)))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise InputError(
            f"{path}: malformed FictionBook XML ({str(e)[:120]}); check the file opens in a reader"
        ) from None
    if _tag(root) != "FictionBook":
        raise InputError(f"{path}: not a FictionBook (the root element is <{_tag(root)[:40]}>)")
    book = Book(title="", authors=[], chapters=[], source=str(path))
    _describe(root, book)
    bodies = _kids(root, "body")
    main = [b for b in bodies if (b.get("name") or "").lower() not in _NOTE_BODIES][:1]
    walker = _Walker()
    for body in main:
        for c in body:
            if _tag(c) == "section":
                walker.section(c, 0)
            elif _tag(c) in ("epigraph", "image"):
                walker.block(c)
    blocks = walker.blocks + _notes([b for b in bodies if b not in main])
    book.title = book.title or path.name.split(".")[0]
    book.chapters = build_chapters(
        blocks,
        walker.heads,
        path,
        book_title=book.title,
        authors=book.authors,
        include_front_matter=include_front_matter,
        read_notes=read_notes,
        warnings=book.warnings,
    )
    return book
