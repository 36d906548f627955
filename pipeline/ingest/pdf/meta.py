"""A PDF's metadata: the document information dictionary, the XMP packet, the catalogue's /Lang, and, where
those are empty, the title page (its largest line is the title, a "by" line or the next line the author).

XMP is parsed as the EPUB's XML is: no DTD, no entities, no network. The document's creation date is when
the file was made, not when the book was published, so the year comes from XMP's dc:date or from the
copyright page ("First published 1906"), never from CreationDate.
"""

from __future__ import annotations

import ctypes
import re

from ..text import smart_title
from .blocks import Block

_XMP = re.compile(rb"<x:xmpmeta\b.{0,200000}?</x:xmpmeta>", re.S)
_LANG = re.compile(rb"/Lang\s*\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\)")
_BY = re.compile(r"^(?:by|written by)\s+(\S.{0,120})$", re.I)
_YEAR = re.compile(r"\b(1[4-9]\d\d|20\d\d)\b")
_PUBLISHED = re.compile(
    r"(?:first |originally )?published (?:in |on )?(?:[A-Z][a-z]+ (?:\d{1,2}, )?)?"
    r"(1[4-9]\d\d|20\d\d)|copyright (?:\u00a9 ?)?(1[4-9]\d\d|20\d\d)|\u00a9 ?(1[4-9]\d\d|20\d\d)",
    re.I,
)
_GENERIC = re.compile(r"^(?:untitled|microsoft word - .*|document\d*|.*\.(?:docx?|odt|tex|rtf|indd))$", re.I)


def info(pdf) -> dict[str, str]:
    """The document information dictionary: title, author, subject, keywords (empty where unset)."""
    try:
        meta = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # noqa: BLE001 - a broken info dictionary is no reason to refuse the book
        return {}
    out = {k.lower(): " ".join(str(v).split()) for k, v in meta.items() if v}
    if _GENERIC.match(out.get("title", "")):
        out.pop("title")
    return out


def xmp(data: bytes) -> dict[str, str]:
    """dc:title, dc:creator (joined by "; "), dc:language and dc:date from an uncompressed XMP packet."""
    m = _XMP.search(data)
    if not m:
        return {}
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(m.group(0), parser)
    except (etree.XMLSyntaxError, ValueError):
        return {}
    if root is None:
        return {}
    out: dict[str, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ns, _, name = el.tag.rpartition("}")
        if "purl.org/dc/elements" not in ns or name not in ("title", "creator", "language", "date"):
            continue
        values = [
            " ".join((li.text or "").split())
            for li in el.iter()
            if isinstance(li.tag, str) and li.tag.endswith("}li") and (li.text or "").strip()
        ]
        if values:
            out.setdefault(name, "; ".join(values) if name == "creator" else values[0])
    return out


def language(pdf, data: bytes) -> str:
    """The catalogue's /Lang ("en-GB"), or ""."""
    import pypdfium2.raw as pdfium_c

    try:
        n = pdfium_c.FPDFCatalog_GetLanguage(pdf.raw, None, 0)
        if 2 < n < 200:
            buf = (ctypes.c_ushort * (n // 2))()
            pdfium_c.FPDFCatalog_GetLanguage(pdf.raw, buf, n)
            return bytes(buf)[: n - 2].decode("utf-16-le", "replace").strip()
    except (AttributeError, OSError, TypeError, ctypes.ArgumentError):
        pass
    m = _LANG.search(data[:2_000_000])
    return m.group(1).decode("ascii") if m else ""


def title_page(blocks: list[Block], size: float) -> dict[str, str]:
    """Title and author from the first page that has text, when it is a title page (a few blocks, the
    largest set well above the text's `size`): that block is the title; a "by" line, or else the block
    under the title, the author."""
    if not blocks:
        return {}
    page = blocks[0].page
    first = [b for b in blocks[:40] if b.page == page and b.text]
    if not first or len(first) > 12:
        return {}
    big = max(first, key=lambda b: b.size)
    if big.size < 1.3 * size:
        return {}
    out = {"title": smart_title(big.text.replace("\n", " "))}
    for b in first:
        m = _BY.match(b.text)
        if m:
            out["author"] = m.group(1).strip(" .")
            break
    else:
        after = first[first.index(big) + 1 :]
        if after and len(after[0].text.split()) <= 6 and not _YEAR.search(after[0].text):
            out["author"] = after[0].text.strip(" .")
    return out


def publication_year(blocks: list[Block]) -> str:
    """The year a copyright page or imprint in the first pages gives ("First published in 1906")."""
    for b in blocks:
        if b.page > 8:
            break
        m = _PUBLISHED.search(b.text)
        if m:
            return next(g for g in m.groups() if g)
    return ""


def authors(value: str) -> list[str]:
    parts = re.split(r"\s*;\s*|\s+and\s+|\s*&\s*", value)
    return [p.strip() for p in parts if p.strip()]
