"""Where each rendered segment stands in an EPUB 3 source's own markup (the DOM alignment of the read-along
book): the source opened and its content documents flattened to text, each segment's text found in order
(exactly, else ignoring all but letters and digits) and a span planned for it, then wrapped around it in
the tree (one span per piece where the text crosses elements, the first carrying the id).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...records import Book, ChapterRecord

Element = Any  # an lxml element: lxml ships no type stubs (lxml-stubs is a separate, partial package)


class SourceUnusable(Exception):
    """The source cannot carry the read-along book; the message says why (a sentence)."""


XHTML_NS = "http://www.w3.org/1999/xhtml"
OPF = "{http://www.idpf.org/2007/opf}"
_SKIP = {"script", "style", "svg", "math", "head", "title"}


class _Flat:
    """A document's body text as one whitespace-collapsed string, each character mapped back to the text
    node it came from: (element, "text" or "tail", offset). Text the ingester never reads (note references,
    page numbers, captions, scripts) is left out, so a sentence with a note mark inside is still found."""

    def __init__(self, body):
        self.chars: list[str] = []
        self.where: list[tuple] = []
        self.headings: list[tuple[int, int, Element]] = []  # (start, end, element) of each heading
        self.first_at: dict = {}  # element -> where its text starts
        self.last_at: dict = {}  # element -> where its text ends (before its tail)
        self._space = True
        self._walk(body)
        self.headings.sort(key=lambda h: (h[0], -h[1]))  # an hgroup before the h2 inside it
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
            whole = (a == 0 or not self.text[a - 1].isalnum()) and (
                b == len(self.text) or not self.text[b].isalnum()
            )
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
        from ...ingest.xhtml import is_unread

        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if not isinstance(el.tag, str) or tag in _SKIP or (el.getparent() is not None and is_unread(el)):
            if el.getparent() is not None:  # skipped (and comments): only the text after it
                self._add(el, "tail", el.tail)
            return
        if (
            tag
            in (
                "p",
                "div",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "li",
                "br",
                "blockquote",
                "section",
                "td",
                "hgroup",
                "header",
                "dt",
                "dd",
            )
            and not self._space
        ):
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


def pieces_of(flat: _Flat, a: int, b: int) -> list[tuple[Element, str, int, int]]:
    """The text-node pieces of flat range [a, b): (element, "text"|"tail", start, end) for each stretch of
    one text node that holds more than whitespace."""
    out = []
    while a < b:
        el, attr, off = flat.where[a]
        c = a
        while c + 1 < b and flat.where[c + 1][:2] == (el, attr):  # one text node (collapsed spaces,
            c += 1  # word joiners left out of `text`)
        piece = (el.text if attr == "text" else el.tail if attr == "tail" else None) or ""
        if attr in ("text", "tail") and piece[off : flat.where[c][2] + 1].strip():
            out.append((el, attr, off, flat.where[c][2] + 1))
        a = c + 1
    return out


def _wrap_pieces(pieces: list[tuple[Element, str, int, int]], sid: str) -> None:
    """A span around each piece (last first, so earlier offsets stay valid); the first carries the id, the
    others class `rdr-cont`."""
    for k in range(len(pieces) - 1, -1, -1):
        el, attr, a, b = pieces[k]
        span = el.makeelement(f"{{{XHTML_NS}}}span", {"id": sid} if k == 0 else {"class": "rdr-cont"})
        if attr == "text":
            span.text, span.tail = el.text[a:b], el.text[b:]
            el.text = el.text[:a]
            el.insert(0, span)
        else:
            span.text, span.tail = el.tail[a:b], el.tail[b:]
            el.tail = el.tail[:a]
            parent = el.getparent()
            parent.insert(parent.index(el) + 1, span)


def wrap_range(flat: _Flat, a: int, b: int, sid: str) -> None:
    """Wrap the text of flat range [a, b) in one span with id `sid` when it lies inside one element with
    only inline markup between its ends (italics, a note reference, a line break), so a reader lights up the
    whole passage; else (a passage across blocks) one span per text-node piece, the first with the id."""
    pieces = pieces_of(flat, a, b)
    if not pieces:
        return
    spot = _one_span_spot(flat, pieces, a, b)
    if spot is None:
        whole = _whole_element(flat, pieces, a, b)
        if whole is not None:  # a title across an hgroup's h2 and p: the hgroup itself is the text
            whole.set("id", sid)
        else:
            _wrap_pieces(pieces, sid)
        return
    common, (si, so), (ei, eo) = spot

    def text_at(i: int) -> str:
        return (common.text if i < 0 else common[i].tail) or ""

    head, rest = text_at(si), text_at(ei)
    span = common.makeelement(f"{{{XHTML_NS}}}span", {"id": sid})
    if si == ei:  # both ends in one text node
        span.text, span.tail = head[so:eo], head[eo:]
        moved = []
    else:
        moved = list(common)[si + 1 : ei + 1]
        span.text, span.tail = head[so:], rest[eo:]
    if si < 0:
        common.text = head[:so]
    else:
        common[si].tail = head[:so]
    for child in moved:
        span.append(child)  # moves it, with its tail
    if moved:
        moved[-1].tail = rest[:eo]
    common.insert(si + 1, span)


def _whole_element(flat: _Flat, pieces, a: int, b: int):
    """The element, without an id of its own, whose words are exactly those of flat range [a, b) (the
    lowest one holding both ends), or None."""
    common = _common_owner(pieces)
    if (
        common is None
        or common.get("id")
        or _local(common) in ("body", "html")
        or common not in flat.first_at
    ):
        return None
    outside = flat.text[flat.first_at[common] : a] + flat.text[b : flat.last_at[common]]
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
        if any(ch.isalnum() for ch in flat.text[flat.first_at.get(child, a) : a]):
            return None  # the child holds words before the range (punctuation may join it)
        k = common.index(child)
        start = (k - 1, len((common.text if k == 0 else common[k - 1].tail) or ""))
    if _owner(el_e, attr_e) is common:
        end = (-1, end_e) if attr_e == "text" else (common.index(el_e), end_e)
    else:
        child = top_child(_owner(el_e, attr_e))
        if any(ch.isalnum() for ch in flat.text[b : flat.last_at.get(child, b)]):
            return None
        end = (common.index(child), 0)
    if end[0] < start[0] or (end[0] == start[0] and end[1] < start[1]):
        return None
    for child in list(common)[start[0] + 1 : end[0] + 1]:
        if any(_local(d) in _BLOCKS for d in child.iter() if isinstance(d.tag, str)):
            return None
    return common, start, end


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


# where a span may not stand (only list items, rows... inside), and what a span may not hold
_NO_SPAN_INSIDE = {
    "html",
    "head",
    "ul",
    "ol",
    "dl",
    "table",
    "tr",
    "tbody",
    "thead",
    "tfoot",
    "hgroup",
    "select",
}
_BLOCKS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "hgroup",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "figure",
    "figcaption",
    "pre",
    "nav",
    "main",
    "address",
    "details",
    "summary",
    "body",
    "caption",
    "hr",
    "form",
    "fieldset",
}


@dataclass(slots=True)
class Source:
    """An EPUB 3 source, parsed: its package, and each content document of the spine (href relative to the
    package) with its tree and flattened text."""

    zin: zipfile.ZipFile
    opf: Element
    opf_path: str
    base: str
    order: list[str]
    trees: dict[str, Element]
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
        same = [
            i
            for i, href in enumerate(self.order)
            if posixpath.basename(unquote(href)) == posixpath.basename(want)
        ]
        return same[0] if len(same) == 1 else None


def open_source(book: Book) -> Source:
    """The book's EPUB source when it is an EPUB 3 whose documents parse as XML; else `SourceUnusable`
    saying why not."""
    import posixpath

    from lxml import etree

    from ...ingest.xhtml import safe_char_refs

    src = Path(book.source or "")
    if src.suffix.lower() != ".epub" or not src.is_file():
        raise SourceUnusable("the source is not an EPUB")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=False, remove_blank_text=False
    )
    try:
        zin = zipfile.ZipFile(src)
        container = etree.fromstring(zin.read("META-INF/container.xml"), parser)
        opf_path = next(
            el.get("full-path")
            for el in container.iter()
            if isinstance(el.tag, str) and el.tag.endswith("rootfile")
        )
        opf = etree.fromstring(zin.read(opf_path), parser)
    except (KeyError, StopIteration, zipfile.BadZipFile, etree.XMLSyntaxError, OSError, TypeError):
        raise SourceUnusable("the source's package document cannot be read") from None
    if not (opf.get("version") or "").startswith("3"):
        raise SourceUnusable("the source is an EPUB 2 (its XHTML 1.1 pages are not EPUB 3 content documents)")
    if opf.find(f"{OPF}metadata") is None or opf.find(f"{OPF}manifest") is None:
        raise SourceUnusable("the source's package document has no metadata or manifest")
    base = posixpath.dirname(opf_path)
    items = {it.get("id"): it for it in opf.iterfind(f"{OPF}manifest/{OPF}item")}
    spine = [
        items[r.get("idref")] for r in opf.iterfind(f"{OPF}spine/{OPF}itemref") if r.get("idref") in items
    ]
    docs = [
        it
        for it in spine
        if it.get("media-type") == "application/xhtml+xml"
        and it.get("href")
        and "nav" not in (it.get("properties") or "").split()
    ]
    source = Source(zin, opf, opf_path, base, [], {}, {})
    for it in docs:
        href = it.get("href")
        if href in source.trees:
            continue
        try:
            root = etree.fromstring(safe_char_refs(zin.read(source.name(href))), parser)
        except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, OSError):
            raise SourceUnusable(f"the source's {href} is not well-formed XHTML") from None
        body = root.find(f"{{{XHTML_NS}}}body")
        if body is None:
            raise SourceUnusable(f"the source's {href} has no XHTML body")
        source.order.append(href)
        source.trees[href] = root
        source.flats[href] = _Flat(body)
    if not source.order:
        raise SourceUnusable("the source has no content documents")
    return source


@dataclass(slots=True)
class Par:
    pid: str  # its own id in the overlay
    sid: str  # the id of the text it highlights
    audio: str  # its audio file in the EPUB, relative to the package
    begin: float  # seconds in that file
    end: float = 0.0  # the next par's begin in the same file, or the file's end


@dataclass(slots=True)
class Placement:
    pars: dict[str, list[Par]]  # content document href -> its pars, in order
    ranges: dict[str, list[tuple[int, int, str]]]  # href -> [(start, end, span id)] in its flat text
    ids: dict[str, list[tuple[Element, str]]]  # href -> [(element, id)] ids given to headings
    unmatched: dict[int, int]  # chapter -> segments whose text the source lacks


def place_segments(
    src: Source, book: Book, records: list[ChapterRecord], audio_end: dict[int, tuple[str, float]]
) -> Placement:
    """Find every rendered segment's text in the source's documents, in order, and plan a span for it.

    A chapter title the source writes differently (the TOC's wording) is given the chapter's heading
    element; a segment whose text the source lacks (a note read from elsewhere, a generated line) keeps no
    par of its own and its audio plays on with the passage before it (the first one's with the passage
    after), so the clips still tile the chapter's audio."""
    order = src.order
    by_index = {c.index: c for c in book.chapters}
    place = Placement({h: [] for h in order}, {h: [] for h in order}, {h: [] for h in order}, {})
    consumed: dict[str, int] = {}  # how far each document's text is taken by earlier chapters
    for rec in records:
        if rec.index not in audio_end:
            continue
        audio, end = audio_end[rec.index]
        ch = by_index.get(rec.index)
        start_doc, _, fragment = (ch.source if ch and ch.source else "").partition("#")
        found_doc = src.index_of(start_doc) if start_doc else None
        di = found_doc if found_doc is not None else 0
        window = 6 if found_doc is not None else len(order)  # unknown start: look everywhere after
        flat = src.flats[order[di]]
        pos = consumed.get(order[di], 0)
        if fragment:
            target = next((el for el in src.trees[order[di]].iter() if el.get("id") == fragment), None)
            pos = max(pos, flat.first_at.get(target, 0))
        chapter_pars: list[Par] = []
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
                    par = Par(f"rdr-c{rec.index:03d}s{k:04d}p", sid, audio, 0.0)
                    place.pars[order[di]].append(par)
                    chapter_pars.append(par)
                    continue  # pos stays: the heading's own words may be the next segment
            if found is None:
                unmatched += 1
                continue
            di, (at, stop) = found
            href = order[di]
            flat = src.flats[href]
            pos = stop
            consumed[href] = stop
            if not pieces_of(flat, at, stop):
                unmatched += 1  # nothing wrappable
                continue
            place.ranges[href].append((at, stop, sid))
            par = Par(f"{sid}p", sid, audio, begin if chapter_pars else 0.0)
            place.pars[href].append(par)
            chapter_pars.append(par)
        consumed[order[di]] = max(consumed.get(order[di], 0), pos)
        for par, nxt in zip(chapter_pars, [*chapter_pars[1:], None], strict=True):
            par.end = nxt.begin if nxt is not None else end
        if unmatched:
            place.unmatched[rec.index] = unmatched
    return place
