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
_SKIP_TAGS = {"script", "style", "head", "title", "img", "svg", "figcaption", "nav", "audio", "video",
              "object", "iframe", "math", "rt", "rp", "template", "noscript", "button", "input", "select"}
_SKIP_TYPES = {"noteref", "pagebreak", "footnote", "endnote", "rearnote", "note", "footnotes", "endnotes",
               "rearnotes", "annoref", "annotation", "biblioref", "glossref", "z3998:pagebreak", "toc",
               "landmarks", "page-list", "loi", "lot"}
_NOTE_TYPES = {"footnote", "endnote", "rearnote", "note"}
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "pre", "blockquote", "div",
               "section", "article", "header", "footer", "hgroup", "table", "tr", "ul", "ol", "dl",
               "figure", "aside", "main", "body", "address", "details", "summary", "caption", "tbody",
               "thead", "tfoot"}
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
    if tag == "sup":
        txt = "".join(el.itertext()).strip().strip("[]()*†‡")
        if txt.isdigit() or (el.find(".//{*}a") is not None and len(txt) <= 4):
            return True
    return False


def parse_xhtml(data: bytes):
    """Parse untrusted XHTML: entities unexpanded, no DTD, no network; malformed markup recovered."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, recover=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        hparser = etree.HTMLParser(no_network=True, remove_comments=True, recover=True)
        root = etree.fromstring(data, hparser)
    return root


def clean_space(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


@dataclass(slots=True)
class Block:
    """A paragraph found in a document, with the id of every element that starts inside it (for anchors)."""

    paragraph: Paragraph
    ids: list[str] = field(default_factory=list)
    is_note: bool = False


class _Walker:
    def __init__(self):
        self.blocks: list[Block] = []
        self.pending_ids: list[str] = []
        self.pending_break = False
        self.warnings: list[str] = []

    def _emit(self, text: str, kind: ParagraphKind, is_note=False):
        text = clean_space(text)
        if not text:
            return
        para = Paragraph(text=text, kind=kind, section_break_before=self.pending_break)
        self.blocks.append(Block(para, self.pending_ids, is_note))
        self.pending_ids = []
        self.pending_break = False

    def inline_text(self, el) -> str:
        """Text of an element, skipping unread children; <br/> becomes a line break."""
        parts: list[str] = []

        def rec(e):
            tag = _local(e.tag)
            if tag in _SKIP_TAGS or is_noteref(e) or _types(e) & _SKIP_TYPES:
                if e.get("id"):
                    self.pending_ids.append(e.get("id"))
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
        if types & _NOTE_TYPES or (tag == "aside" and types & _SKIP_TYPES):
            # a note body: kept aside, read at the end of the chapter only when asked
            text = self.inline_text(el)
            self._emit(text, ParagraphKind.TEXT, is_note=True)
            return
        if types & _SKIP_TYPES or is_noteref(el):
            return
        if tag == "hr":
            self.pending_break = True
            return
        if tag == "table":
            self.table(el)
            return
        verse = verse or bool(types & _VERSE_TYPES)
        if tag in _HEADINGS:
            self._emit(self.inline_text(el).replace("\n", " "), ParagraphKind.HEADING)
            return
        if tag == "hgroup":
            texts = [self.inline_text(c).replace("\n", " ").strip() for c in el if _local(c.tag)]
            self._emit(": ".join(t for t in texts if t), ParagraphKind.HEADING)
            return
        has_block_child = any(_local(c.tag) in _BLOCK_TAGS for c in el)
        if tag in ("p", "li", "dt", "dd", "pre", "address", "summary", "caption") or not has_block_child:
            if tag in ("body", "section", "div", "blockquote", "article") and not has_block_child:
                text = self.inline_text(el)
            elif tag in ("li", "dd") and has_block_child:
                for child in el:
                    self.walk(child, verse, in_note)
                return
            else:
                text = self.inline_text(el)
            kind = ParagraphKind.VERSE if (verse or "\n" in clean_space(text)) else ParagraphKind.TEXT
            self._emit(text, kind)
            return
        # a container: its own text (rare) is a paragraph, then its children in order
        if el.text and el.text.strip():
            self._emit(el.text, ParagraphKind.VERSE if verse else ParagraphKind.TEXT)
        for child in el:
            self.walk(child, verse, in_note)
            if child.tail and child.tail.strip() and _local(child.tag):
                self._emit(child.tail, ParagraphKind.TEXT)

    def table(self, el):
        rows = el.findall(".//{*}tr") or el.findall(".//tr")
        if not rows:
            return
        for row in rows:
            cells = [clean_space(self.inline_text(c)).replace("\n", " ") for c in row
                     if _local(c.tag) in ("td", "th")]
            cells = [c for c in cells if c]
            if cells:
                self._emit(", ".join(cells) + ".", ParagraphKind.TEXT)


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
