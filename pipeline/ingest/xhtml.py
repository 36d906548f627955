"""XHTML content documents to paragraphs, in reading order.

Parsing is safe for untrusted input: no entity expansion, no DTD loading, no network, recover from
malformed markup. What a listener should not hear is dropped here: note references, note bodies (kept
aside), page-break markers, images, figure captions, scripts and styles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ..records import Paragraph, ParagraphKind

EPUB_NS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{EPUB_NS}}}type"

# Elements whose whole subtree is never read.
_SKIP_TAGS = {
    "script",
    "style",
    "head",
    "title",
    "img",
    "svg",
    "figcaption",
    "nav",
    "audio",
    "video",
    "object",
    "iframe",
    "math",
    "rt",
    "rp",
    "template",
    "noscript",
    "button",
    "input",
    "select",
}
_SKIP_TYPES = {
    "noteref",
    "pagebreak",
    "footnote",
    "endnote",
    "rearnote",
    "note",
    "footnotes",
    "endnotes",
    "rearnotes",
    "annoref",
    "annotation",
    "biblioref",
    "glossref",
    "z3998:pagebreak",
    "toc",
    "landmarks",
    "page-list",
    "loi",
    "lot",
    "backlink",
    "presentation",
}
_NOTE_TYPES = {"footnote", "endnote", "rearnote", "note"}
# class names publishers (Project Gutenberg above all) use for what epub:type would say
_SKIP_CLASSES = {
    "pagenum",
    "pagenumber",
    "page-number",
    "pageno",
    "page-num",
    "pg-boilerplate",
    "pgheader",
    "pgfooter",
    "caption",
    "figcaption",
    "illustration-caption",
    "noteref",
    "fnanchor",
    "footnote-ref",
    "backlink",
    "hidden",
    "visually-hidden",
    "sr-only",
}
_NOTE_CLASSES = {"footnote", "footnotes", "endnote", "endnotes", "note", "fn"}
_SKIP_IDS = {"pg-header", "pg-footer", "pg-machine-header", "pg-start-separator", "pg-end-separator"}
_NOTE_MARK = re.compile(r"^[\[(]?(?:\d{1,4}|[*\u2020\u2021\u00a7]{1,3}|[a-z])[\])]?$")
_BLOCK_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "dt",
    "dd",
    "pre",
    "blockquote",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "hgroup",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "figure",
    "aside",
    "main",
    "body",
    "address",
    "details",
    "summary",
    "caption",
    "tbody",
    "thead",
    "tfoot",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VERSE_TYPES = {"z3998:poem", "z3998:verse", "z3998:song", "z3998:hymn", "z3998:lyrics"}
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _types(el) -> set[str]:
    return set((el.get(EPUB_TYPE) or "").split()) | set((el.get("role") or "").replace("doc-", "").split())


def _classes(el) -> set[str]:
    return set((el.get("class") or "").lower().split())


def _skipped(el) -> bool:
    """An element never read: page numbers, Gutenberg boilerplate, captions (by type, class or id)."""
    return bool(_types(el) & _SKIP_TYPES or _classes(el) & _SKIP_CLASSES or (el.get("id") or "") in _SKIP_IDS)


def _is_note_body(el) -> bool:
    return bool(
        _types(el) & (_NOTE_TYPES | {"footnotes", "endnotes", "rearnotes"})
        or (_local(el.tag) in ("aside", "div", "section", "p", "li") and _classes(el) & _NOTE_CLASSES)
    )


def is_unread(el) -> bool:
    """An element whose text is never read wherever it stands: skipped tags, note references, page numbers,
    captions, boilerplate (note bodies, read with `read_notes`, are not counted here)."""
    return _local(el.tag) in _SKIP_TAGS or is_noteref(el) or _skipped(el)


def is_noteref(el) -> bool:
    """A link to a note: epub:type/role noteref, or a superscript link or a superscript that is a number."""
    tag = _local(el.tag)
    types = _types(el)
    if "noteref" in types:
        return True
    if tag == "a" and (el.get("href") or "").find("#") >= 0:
        parent = el.getparent()
        if parent is not None and _local(parent.tag) == "sup":
            return True
        if any(_local(c.tag) == "sup" for c in el):
            return True
        if _NOTE_MARK.match("".join(el.itertext()).strip()) and (
            el.get("id") or el.get("class") or "".join(el.itertext()).strip()[:1] in "[(*"
        ):
            return True  # <a id="fnref1" href="#fn1">[1]</a>, Gutenberg's footnote anchors
    if tag == "sup":
        txt = "".join(el.itertext()).strip().strip("[]()*†‡")
        if txt.isdigit() or (el.find(".//{*}a") is not None and len(txt) <= 4):
            return True
    return False


_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,16}));")


def _xml_char_ok(cp: int) -> bool:
    """A code point XML 1.0 allows (Char production): no NUL, C0 controls, surrogates, U+FFFE/FFFF."""
    return (
        cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF
    )


def safe_char_refs(data: bytes) -> bytes:
    """Character references to code points XML forbids (`&#xD800;`, `&#0;`) become U+FFFD: in recovery mode
    libxml2 would otherwise store them as invalid UTF-8 that fails later, when the text is read."""
    if b"&#" not in data:
        return data

    def fix(m: re.Match) -> bytes:
        cp = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return m.group(0) if _xml_char_ok(cp) else b"&#xFFFD;"

    return _CHAR_REF.sub(fix, data)


def parse_xhtml(data: bytes):
    """Parse untrusted XHTML: entities unexpanded, no DTD, no network; malformed markup recovered."""
    data = safe_char_refs(data)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        hparser = etree.HTMLParser(no_network=True, remove_comments=True, recover=True)
        root = etree.fromstring(data, hparser)
    return root


def clean_space(text: str) -> str:
    if "\u200b" in text:
        text = text.replace("\u200b", " ")  # a zero-width space separates words
    text = _INVISIBLE.sub("", text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


@dataclass(slots=True)
class Block:
    """A paragraph found in a document, with the id of every element that starts inside it (for anchors)
    and the note ids its note references point to (for reading notes at the end of a chapter)."""

    paragraph: Paragraph
    ids: list[str] = field(default_factory=list)
    is_note: bool = False
    noterefs: list[str] = field(default_factory=list)


class _Walker:
    def __init__(self):
        self.blocks: list[Block] = []
        self.pending_ids: list[str] = []
        self.pending_refs: list[str] = []
        self.pending_break = False
        self.warnings: list[str] = []
        self.tables = 0

    def _emit(self, text: str, kind: ParagraphKind, is_note=False):
        text = clean_space(text)
        if not text or not any(c.isalnum() for c in text):
            return
        para = Paragraph(text=text, kind=kind, section_break_before=self.pending_break and not is_note)
        self.blocks.append(Block(para, self.pending_ids, is_note, self.pending_refs))
        self.pending_ids = []
        self.pending_refs = []
        if not is_note:
            self.pending_break = False

    def _noteref(self, el) -> None:
        href = el.get("href") or ""
        if not href:
            a = el.find(".//{*}a")
            if a is None:
                a = el.find(".//a")
            href = (a.get("href") if a is not None else "") or ""
        if "#" in href:
            self.pending_refs.append(href.partition("#")[2])

    def inline_text(self, el) -> str:
        """Text of an element, skipping unread children; <br/> becomes a line break."""
        parts: list[str] = []

        def rec(e):
            tag = _local(e.tag)
            if e is not el and (tag in _SKIP_TAGS or is_noteref(e) or _skipped(e) or _is_note_body(e)):
                if e.get("id"):
                    self.pending_ids.append(e.get("id"))
                if is_noteref(e):
                    self._noteref(e)
                if e.tail:
                    parts.append(e.tail)
                return
            if e.get("id"):
                self.pending_ids.append(e.get("id"))
            if tag == "br":
                parts.append("\n")
            elif e.text:
                parts.append(e.text)
            for child in e:
                rec(child)
            if tag in _BLOCK_TAGS and tag not in ("body",):
                parts.append(" ")
            if e.tail and e is not el:
                parts.append(e.tail)

        rec(el)
        return "".join(parts)

    def walk(self, el, verse=False, in_note=False):
        tag = _local(el.tag)
        if not tag:
            return
        types = _types(el)
        if el.get("id"):
            self.pending_ids.append(el.get("id"))
        if tag in _SKIP_TAGS:
            return
        if is_noteref(el):
            self._noteref(el)
            return
        if not in_note and _is_note_body(el):
            # a note body: kept aside, read at the end of the chapter only when asked
            if types & {"footnotes", "endnotes", "rearnotes"} or any(
                _local(c.tag) in ("ol", "ul", "section", "aside", "li") for c in el
            ):
                for child in el:
                    self.walk(child, verse, True)
            else:
                self._emit(self.inline_text(el), ParagraphKind.TEXT, is_note=True)
            return
        if _skipped(el) and not (in_note and types & _NOTE_TYPES):
            return
        if tag == "hr":
            self.pending_break = True
            return
        if tag == "table":
            self.table(el, in_note)
            return
        verse = verse or bool(types & _VERSE_TYPES) or bool(_classes(el) & {"poem", "verse", "stanza"})
        if tag in _HEADINGS:
            self._emit(self.inline_text(el).replace("\n", " "), ParagraphKind.HEADING, in_note)
            return
        if tag == "hgroup":
            texts = [self.inline_text(c).replace("\n", " ").strip() for c in el if _local(c.tag)]
            self._emit(": ".join(t for t in texts if t), ParagraphKind.HEADING, in_note)
            return
        has_block_child = any(_local(c.tag) in _BLOCK_TAGS for c in el)
        if tag in ("li", "dd") and has_block_child:
            for child in el:
                self.walk(child, verse, in_note)
            return
        if tag in ("p", "li", "dt", "dd", "pre", "address", "summary", "caption") or not has_block_child:
            text = self.inline_text(el)
            kind = ParagraphKind.VERSE if (verse or "\n" in clean_space(text)) else ParagraphKind.TEXT
            self._emit(text, kind, in_note)
            return
        # a container: its own text (rare) is a paragraph, then its children in order
        if el.text and el.text.strip():
            self._emit(el.text, ParagraphKind.VERSE if verse else ParagraphKind.TEXT, in_note)
        for child in el:
            self.walk(child, verse, in_note)
            if child.tail and child.tail.strip() and _local(child.tag):
                self._emit(child.tail, ParagraphKind.TEXT, in_note)

    def table(self, el, in_note=False):
        """A table read row by row: "cell, cell, cell." per row, the header row included."""
        rows = [r for r in el.iter() if _local(r.tag) == "tr"]
        if not rows:
            return
        self.tables += 1
        for row in rows:
            cells = [
                clean_space(self.inline_text(c)).replace("\n", " ")
                for c in row
                if _local(c.tag) in ("td", "th")
            ]
            cells = [c for c in cells if c]
            if cells:
                last = cells[-1]
                self._emit(
                    ", ".join(cells) + ("" if last[-1:] in ".!?" else "."), ParagraphKind.TEXT, in_note
                )


def document_blocks(data: bytes) -> tuple[list[Block], list[str]]:
    """All blocks of a content document in reading order, and warnings about what was skipped."""
    root = parse_xhtml(data)
    if root is None:
        return [], ["unparseable document"]
    body = None
    for el in root.iter():
        if _local(el.tag) == "body":
            body = el
            break
    walker = _Walker()
    walker.walk(body if body is not None else root)
    return walker.blocks, walker.warnings


def body_types(data: bytes) -> set[str]:
    """epub:type values on <body> and its top-level sections (frontmatter, titlepage, colophon, ...)."""
    root = parse_xhtml(data)
    if root is None:
        return set()
    out: set[str] = set()
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "body":
            out |= _types(el)
            for child in el:
                if _local(child.tag) in ("section", "div", "article", "nav"):
                    out |= _types(child)
            break
    return out
