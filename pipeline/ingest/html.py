"""One HTML file (.html, .htm, .xhtml) to a Book: h1-h3 as chapters, `<title>` and `<meta>` as metadata.

The page is parsed as EPUB content is (`xhtml`: no entities expanded, no DTD, no network; malformed markup
recovered) and walked by the EPUB reader's walker, so notes, page numbers, captions, tables and verse read the
same way. What is never read: navigation, page-level header, footer and aside (site chrome; a header inside an
article or section is that section's own, and is read), forms, scripts, styles, templates, and hidden
elements (`hidden`, `aria-hidden="true"`, an inline `display: none` or `visibility: hidden`).

Headings: a lone top-level heading before the rest is the book's title; the other heading levels (h1-h3)
make the outline, with parts and front matter as for EPUB (`ingest.outline`).
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ..errors import InputError
from ..records import Book, ParagraphKind
from .outline import Heading, build_chapters
from .xhtml import EPUB_TYPE, Block, _local, _Walker, clean_space, parse_xhtml

_CHAPTER_TAGS = {"h1": 1, "h2": 2, "h3": 3}
_CHROME = {"header", "footer", "aside"}
_SECTIONING = {"article", "section"}
_NEVER = {"nav", "form", "dialog", "menu", "template", "script", "style", "noscript", "button", "select"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "doc-toc", "doc-pagelist"}
_HIDDEN_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.I)
_NOTE_WORDS = ("footnote", "endnote", "rearnote", "note")
_KF8_TYPED = frozenset(("a", "aside", "section", "div", "span", "sup", "p", "body", "nav", "article"))
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _is_note(el) -> bool:
    words = " ".join(
        [el.get(EPUB_TYPE) or "", el.get("epub:type") or "", el.get("role") or "", el.get("class") or ""]
    ).lower()
    return any(w in words for w in _NOTE_WORDS)


def _never_read(el) -> bool:
    tag = _local(el.tag)
    if tag in _NEVER or el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    if _HIDDEN_STYLE.search(el.get("style") or "") or (el.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if tag in _CHROME and not _is_note(el):
        return tag == "aside" or not any(_local(a.tag) in _SECTIONING for a in el.iterancestors())
    return False


def prune(root) -> None:
    """Drop, in place, every element never read (chrome, hidden, scripts); copy `epub:type` written as a plain
    attribute (an HTML parser keeps the prefix) to the namespaced one the walker reads."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if el.get("epub:type") is not None and el.get(EPUB_TYPE) is None:
            el.set(EPUB_TYPE, el.get("epub:type"))
        elif _local(el.tag) in _KF8_TYPED and "/" not in el.get("type", "/") and el.get(EPUB_TYPE) is None:
            el.set(EPUB_TYPE, el.get("type"))  # a Kindle (KF8) book keeps epub:type as plain "type"
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and _never_read(el)]
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:  # the text after the element stays
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


class _OutlineWalker(_Walker):
    """The EPUB walker, noting which blocks are chapter headings (h1-h3, or an hgroup holding one)."""

    def __init__(self):
        super().__init__()
        self.heads: dict[int, int] = {}  # block index -> heading level (1-3)

    def walk(self, el, verse=False, in_note=False):
        tag = _local(el.tag)
        level = _CHAPTER_TAGS.get(tag)
        if tag == "hgroup":
            level = min(
                (_CHAPTER_TAGS[_local(c.tag)] for c in el.iter() if _local(c.tag) in _CHAPTER_TAGS),
                default=None,
            )
        before = len(self.blocks)
        super().walk(el, verse, in_note)
        if (
            level
            and not in_note
            and len(self.blocks) == before + 1
            and self.blocks[before].paragraph.kind == ParagraphKind.HEADING
        ):
            self.heads[before] = level


def outline(root) -> tuple[list[Block], list[tuple[int, str, int]], list[str]]:
    """The body's blocks without its chapter headings, and the headings as (level 1-3, title, first block)."""
    body = next((el for el in root.iter() if _local(el.tag) == "body"), root)
    walker = _OutlineWalker()
    walker.walk(body)
    blocks: list[Block] = []
    heads: list[tuple[int, str, int]] = []
    for i, b in enumerate(walker.blocks):
        if i in walker.heads:
            heads.append((walker.heads[i], b.paragraph.text, len(blocks)))
        else:
            blocks.append(b)
    return blocks, heads, walker.warnings


def headings(raw: list[tuple[int, str, int]], book_title: str) -> tuple[list[Heading], str]:
    """Outline headings from (level, title, start): a lone top heading first of all names the book (returned
    as the title when the metadata has none); the levels left become depths 0, 1, 2."""
    levels = [lv for lv, _, _ in raw]
    if len(set(levels)) > 1 and levels[0] == min(levels) and levels.count(levels[0]) == 1:
        book_title = book_title or raw[0][1]
        raw = raw[1:]
    depth = {lv: d for d, lv in enumerate(sorted({lv for lv, _, _ in raw}))}
    return [Heading(title, depth[lv], start) for lv, title, start in raw], book_title


def metadata(root) -> dict[str, list[str]]:
    """`<title>`, `<html lang>` and `<meta>` (name or property: author, description, dc.*, dcterms.*, og:*,
    article:*, book:*) as lists of values by lower-case key."""
    meta: dict[str, list[str]] = {}
    for el in root.iter():
        tag = _local(el.tag)
        if (
            tag == "title"
            and "title" not in meta
            and any(_local(a.tag) == "head" for a in el.iterancestors())
        ):
            meta["title"] = [clean_space("".join(el.itertext()))]
        elif tag == "meta":
            key = (el.get("name") or el.get("property") or "").strip().lower()
            value = clean_space(el.get("content") or "").replace("\n", " ")
            if key and value:
                meta.setdefault(key, []).append(value)
        elif tag == "html":
            lang = el.get("lang") or el.get("{http://www.w3.org/XML/1998/namespace}lang")
            if lang:
                meta["lang"] = [lang.strip()]
    return meta


def _first(meta: dict[str, list[str]], *keys: str) -> list[str]:
    return next((meta[k] for k in keys if meta.get(k)), [])


def book_of_page(
    root,
    path: Path,
    *,
    include_front_matter: bool,
    read_notes: bool,
    title: str = "",
    authors: list[str] | None = None,
) -> Book:
    """A parsed page to a Book (shared with the Kindle reader, whose text is HTML)."""
    meta = metadata(root)
    title = title or (_first(meta, "dc.title", "dcterms.title", "og:title", "title") or [""])[0]
    if authors is None:
        authors = _first(meta, "author", "dc.creator", "dcterms.creator", "article:author", "book:author")
    prune(root)
    blocks, raw, warnings = outline(root)
    heads, title = headings(raw, title)
    title = title or re.sub(r"[-_.]+", " ", path.name.split(".")[0]).strip() or "Untitled"
    chapters = build_chapters(
        blocks,
        heads,
        path,
        book_title=title,
        authors=authors,
        include_front_matter=include_front_matter,
        read_notes=read_notes,
        warnings=warnings,
    )
    return Book(
        title=title,
        authors=authors,
        chapters=chapters,
        source=str(path),
        language=(_first(meta, "dc.language", "dcterms.language", "og:locale", "lang") or ["en"])[0],
        publisher=(_first(meta, "dc.publisher", "dcterms.publisher", "og:site_name") or [""])[0],
        date=(
            _first(
                meta,
                "dc.date",
                "dcterms.date",
                "dcterms.issued",
                "article:published_time",
                "book:release_date",
                "date",
            )
            or [""]
        )[0],
        description=(_first(meta, "description", "dc.description", "og:description") or [""])[0],
        identifier=(_first(meta, "dc.identifier", "dcterms.identifier", "book:isbn") or [""])[0],
        warnings=warnings,
    )


def parse_page(data: bytes, path: Path, xml: bool = False):
    """Parse untrusted HTML (or XHTML when `xml`): no entities, DTD or network. InputError for binary data."""
    head = data[:4096]
    if _BINARY.search(head.replace(b"\x00", b"") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head):
        raise InputError(f"{path}: not an HTML document (binary data); pass the book's HTML or EPUB file")
    if xml or data.lstrip()[:5] == b"<?xml":
        root = parse_xhtml(data)
    else:
        try:  # no charset declared is common: bytes that are UTF-8 are read as UTF-8
            data.decode("utf-8")
            encoding: str | None = "utf-8"
        except UnicodeDecodeError:
            encoding = None  # libxml2 follows the page's <meta charset>, else Latin-1
        parser = etree.HTMLParser(
            no_network=True, remove_comments=True, remove_pis=True, recover=True, encoding=encoding
        )
        root = etree.fromstring(data, parser)
    if root is None:
        raise InputError(f"{path}: no HTML in the file")
    return root


def read_html(
    path: Path, *, include_front_matter: bool = False, read_notes: bool = False, limits=None
) -> Book:
    """Read one HTML file into a Book. InputError with a one-line reason when it cannot be read."""
    from ..config import LimitsConfig

    limits = limits or LimitsConfig()
    cap = int(limits.epub_max_member_mb * 2**20)
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"{path}: over {cap // 2**20} MB of HTML (limits.epub_max_member_mb)")
    root = parse_page(data, path, xml=path.suffix.lower() in (".xhtml", ".xht"))
    return book_of_page(root, path, include_front_matter=include_front_matter, read_notes=read_notes)
