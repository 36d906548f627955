"""Kindle books (.mobi, .azw, .azw3) without DRM to a Book.

No maintained, permissively licensed Python package reads them (the ones on PyPI derive from KindleUnpack,
GPL), so this is a small reader of the published container format:
- a Palm database (PDB) of records; record 0 holds the PalmDOC header (compression, text length, number of
  text records, encryption), the MOBI header (text encoding, full name, locale, first image record) and the
  EXTH metadata (100 author, 101 publisher, 103 description, 104 ISBN, 106 date, 201 cover, 503 title,
  524 language, 121 the KF8 part);
- text records, each PalmDOC (LZ77) compressed or stored, with trailing entries (flags in the MOBI header)
  cut off first. The text is HTML: a MOBI 6 book's, or a KF8 (AZW3) book's skeletons and fragments, which
  read in order as they are stored. In a combined file the KF8 part (after the BOUNDARY record) is read.
- The HTML is read by the one-file HTML reader (`ingest.html`): headings as chapters, notes, metadata.

Refused with one line: DRM (the encryption field set), HUFF/CDIC compression (Kindle store dictionaries:
not supported; Calibre converts such files), anything that is not a MOBI database. Sizes are bounded by the
`[limits]`: the file by `epub_max_total_mb`, the text by `max_book_chars`.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from ..errors import InputError
from ..records import Book

_HUFF = 17480
_EXTH = {
    100: "author",
    101: "publisher",
    103: "description",
    104: "isbn",
    106: "date",
    503: "title",
    524: "language",
}
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}


@dataclass(slots=True)
class MobiHeader:
    """What record 0 of a MOBI (or of its KF8 part) says: see the module's docstring."""

    compression: int
    text_length: int
    text_records: int
    encryption: int
    encoding: str
    title: str
    first_image: int
    extra_flags: int
    exth: dict[int, list[bytes]] = field(default_factory=dict)


def records(data: bytes, path: Path) -> list[bytes]:
    """The records of a Palm database, in order. InputError when `data` is not a MOBI book."""
    if len(data) < 78 or data[60:68] not in (b"BOOKMOBI",):
        raise InputError(
            f"{path}: not a Kindle book (no BOOKMOBI header); DRM-free .mobi/.azw3 files are read"
        )
    n = struct.unpack_from(">H", data, 76)[0]
    if n == 0 or 78 + 8 * n > len(data):
        raise InputError(f"{path}: truncated Kindle book ({n} records listed, {len(data)} bytes)")
    offsets = [struct.unpack_from(">I", data, 78 + 8 * i)[0] for i in range(n)] + [len(data)]
    if any(not 78 + 8 * n <= a <= b <= len(data) for a, b in pairwise(offsets)):
        raise InputError(f"{path}: corrupt Kindle book (record offsets out of order or past the end)")
    return [data[a:b] for a, b in pairwise(offsets)]


def header(rec0: bytes, path: Path) -> MobiHeader:
    """The PalmDOC, MOBI and EXTH headers of a record 0."""
    if len(rec0) < 16 + 132 or rec0[16:20] != b"MOBI":
        raise InputError(f"{path}: corrupt Kindle book (no MOBI header in record 0)")
    compression, _, text_length, text_records, _, encryption = struct.unpack_from(">HHIHHH", rec0, 0)
    mobi_len, _, encoding = struct.unpack_from(">III", rec0, 20)
    name_off, name_len = struct.unpack_from(">II", rec0, 0x54)
    first_image = struct.unpack_from(">I", rec0, 0x6C)[0]
    exth_flags = struct.unpack_from(">I", rec0, 0x80)[0]
    extra = struct.unpack_from(">H", rec0, 0xF2)[0] if mobi_len >= 0xE4 and len(rec0) >= 0xF4 else 0
    codec = "utf-8" if encoding == 65001 else "cp1252"
    h = MobiHeader(
        compression,
        text_length,
        text_records,
        encryption,
        codec,
        rec0[name_off : name_off + name_len].decode(codec, "replace"),
        first_image,
        extra,
    )
    at = 16 + mobi_len
    if exth_flags & 0x40 and rec0[at : at + 4] == b"EXTH" and len(rec0) >= at + 12:
        count = struct.unpack_from(">I", rec0, at + 8)[0]
        pos = at + 12
        for _ in range(min(count, 4096)):
            if pos + 8 > len(rec0):
                break
            kind, size = struct.unpack_from(">II", rec0, pos)
            if size < 8:
                break
            h.exth.setdefault(kind, []).append(rec0[pos + 8 : pos + size])
            pos += size
    return h


def _trailing(data: bytes, flags: int) -> bytes:
    """A text record without the trailing entries the MOBI header's extra-data flags say it carries."""
    bits = flags >> 1
    while bits:
        if bits & 1:
            size = 0
            for b in data[-4:]:
                size = 0 if b & 0x80 else size
                size = (size << 7) | (b & 0x7F)
            data = data[:-size] if 0 < size <= len(data) else data
        bits >>= 1
    if flags & 1 and data:
        data = data[: -((data[-1] & 3) + 1)]
    return data


def palmdoc(data: bytes, cap: int) -> bytes:
    """PalmDOC (LZ77) decompression of one record, at most `cap` bytes out. ValueError on a bad back-reference."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n and len(out) <= cap:
        c = data[i]
        i += 1
        if 1 <= c <= 8:
            out += data[i : i + c]
            i += c
        elif c < 0x80:
            out.append(c)
        elif c >= 0xC0:
            out += bytes((0x20, c ^ 0x80))
        elif i < n:
            pair = (c << 8) | data[i]
            i += 1
            dist, length = (pair >> 3) & 0x7FF, (pair & 7) + 3
            if not 0 < dist <= len(out):
                raise ValueError("back-reference before the start of the record")
            for _ in range(length):
                out.append(out[-dist])
    return bytes(out[: cap + 1])


def text_of(recs: list[bytes], base: int, h: MobiHeader, path: Path, cap: int) -> bytes:
    """The book's text (HTML bytes) from the text records after record `base`."""
    if h.encryption:
        raise InputError(
            f"{path}: the Kindle book is DRM-protected (encrypted); only DRM-free books can be read"
        )
    if h.compression == _HUFF:
        raise InputError(
            f"{path}: the Kindle book uses HUFF/CDIC compression, which is not supported; convert "
            "it to EPUB with Calibre"
        )
    if h.compression not in (1, 2):
        raise InputError(f"{path}: unknown Kindle text compression {h.compression}")
    out = bytearray()
    for rec in recs[base + 1 : base + 1 + h.text_records]:
        rec = _trailing(rec, h.extra_flags)
        try:
            out += palmdoc(rec, 1 << 16) if h.compression == 2 else rec
        except ValueError as e:
            raise InputError(f"{path}: corrupt Kindle text record ({e})") from None
        if len(out) > cap:
            raise InputError(
                f"{path}: the Kindle book's text is over {cap // 2**20} MB (limits.max_book_chars)"
            )
    return bytes(out)


def _cover(recs: list[bytes], h: MobiHeader, base: int) -> tuple[bytes | None, str]:
    for raw in h.exth.get(201, [])[:1]:
        if len(raw) == 4 and h.first_image != 0xFFFFFFFF:
            i = h.first_image + struct.unpack(">I", raw)[0]
            i += base if h.first_image < base else 0
            if 0 <= i < len(recs):
                kind = next((t for m, t in _IMAGE_MAGIC.items() if recs[i].startswith(m)), "")
                if kind:
                    return recs[i], kind
    return None, ""


_FILEPOS = re.compile(rb"<a\s+filepos=[\"']?0*(\d{1,10})[\"']?\s*/?>([^<]{1,300})</a>", re.I)
_GUIDE_TOC = re.compile(rb"<reference[^>]{0,200}type=[\"']?toc[^>]{0,200}filepos=[\"']?0*(\d{1,10})", re.I)
_PAGEBREAK = b"<mbp:pagebreak"


def _flatten_kf8(html: bytes) -> bytes:
    """KF8 text as stored: per file a skeleton (its own <html>, <head>, empty <body>) then its fragments. The
    skeletons' document tags go; what is left is the book's content, in order, in one page."""
    html = re.sub(
        rb"<\?xml[^>]{0,200}\?>|<head\b.*?</head\s*>|</?(?:html|body)\b[^>]{0,2000}>",
        b"",
        html,
        flags=re.S | re.I,
    )
    return b"<html><body>" + html + b"</body></html>"


def _mobi6_outline(text: bytes) -> bytes:
    """A MOBI 6 book's chapters from its HTML table of contents, whose links point at byte offsets
    (`filepos`) in the text: a heading (h1-h3 by the entry's nesting) is put at each offset, and the
    contents page itself is cut out. Text without such a page is returned as it is."""
    guide = _GUIDE_TOC.search(text[:4096])
    links = list(_FILEPOS.finditer(text))
    if not links:
        return text
    toc = int(guide.group(1)) if guide else text.rfind(_PAGEBREAK, 0, links[0].start()) + 1
    toc_links = [m for m in links if m.start() >= toc]
    if not 0 < toc < len(text) or not toc_links:
        return text
    end = text.find(_PAGEBREAK, toc_links[-1].end())
    nest = [
        text.count(b"<blockquote", toc, m.start()) - text.count(b"</blockquote", toc, m.start())
        for m in toc_links
    ]
    rank = {n: i for i, n in enumerate(sorted(set(nest)))}
    out = text[:toc]
    for m, n in sorted(zip(toc_links, nest, strict=True), key=lambda x: -int(x[0].group(1))):
        pos = int(m.group(1))
        if pos >= toc:
            continue
        lt, gt = out.rfind(b"<", 0, pos), out.rfind(b">", 0, pos)
        pos = lt if lt > gt else pos  # never inside a tag
        tag = b"h%d" % min(3, 1 + rank[n])
        out = out[:pos] + b"<" + tag + b">" + m.group(2) + b"</" + tag + b">" + out[pos:]
    return out + (text[end:] if end > 0 else b"")


def _drop_repeated_titles(book: Book) -> None:
    """Paragraphs opening a chapter that only repeat its title ("I", "A Letter with a Postscript" under
    "I: A Letter with a Postscript"): the title is read once."""
    for ch in book.chapters:
        want = set(re.findall(r"\w+", ch.title.lower()))
        i = 1
        while (
            i < min(4, len(ch.paragraphs)) and set(re.findall(r"\w+", ch.paragraphs[i].text.lower())) <= want
        ):
            i += 1
        if i < len(ch.paragraphs):
            del ch.paragraphs[1:i]


def _exth(h: MobiHeader, kind: int) -> list[str]:
    return [
        re.sub(r"<[^>]{0,300}>", " ", v.decode(h.encoding, "replace")).strip() for v in h.exth.get(kind, [])
    ]


def read_mobi(
    path: Path, *, include_front_matter: bool = False, read_notes: bool = False, limits=None
) -> Book:
    """Read a DRM-free Kindle book into a Book. InputError with a one-line reason when it cannot be read."""
    from ..config import LimitsConfig
    from .html import book_of_page, parse_page

    limits = limits or LimitsConfig()
    cap = int(limits.epub_max_total_mb * 2**20)
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"{path}: over {cap // 2**20} MB (limits.epub_max_total_mb)")
    recs = records(data, path)
    base = 0
    h = header(recs[0], path)
    boundary = h.exth.get(121, [b""])[0]
    if len(boundary) == 4 and 0 < struct.unpack(">I", boundary)[0] < len(recs):
        base = struct.unpack(">I", boundary)[0]  # a combined file: read its KF8 part
        h = header(recs[base], path)
    text = text_of(recs, base, h, path, limits.max_book_chars * 4)
    kf8 = text.lstrip()[:5] == b"<?xml" and text.count(b"<html") > 1
    text = _flatten_kf8(text) if kf8 else _mobi6_outline(text)
    html = text.decode(h.encoding, "replace").encode("utf-8")
    root = parse_page(b'<meta charset="utf-8">' + html, path)
    title = (_exth(h, 503) or [h.title])[0]
    book = book_of_page(
        root,
        path,
        include_front_matter=include_front_matter,
        read_notes=read_notes,
        title=title,
        authors=[a for a in _exth(h, 100) if a],
    )
    book.publisher = (_exth(h, 101) or [book.publisher])[0]
    book.description = " ".join((_exth(h, 103) or [book.description])[0].split())
    book.identifier = (_exth(h, 104) or [book.identifier])[0]
    book.date = (_exth(h, 106) or [book.date])[0]
    book.language = (_exth(h, 524) or [book.language])[0]
    book.cover, book.cover_type = _cover(recs, h, base)
    if not kf8:
        _drop_repeated_titles(book)
    return book
