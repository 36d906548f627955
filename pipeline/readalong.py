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
        mp3 = rec.files.get("mp3") if rec else None
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
    modified = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
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
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", container, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in files.items():
            audio = name.endswith((".mp3", ".jpg", ".png"))
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if audio else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# --- EPUB 3 input: the source book's own documents, styles and images, with a span on every segment ---------
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_SKIP = {"script", "style", "svg", "math", "head", "title"}


class _Flat:
    """A document's body text as one whitespace-collapsed string, each character mapped back to the text
    node it came from: (element, "text" or "tail", offset)."""

    def __init__(self, body):
        self.chars: list[str] = []
        self.where: list[tuple] = []
        self._space = True
        self._walk(body)
        self.text = "".join(self.chars)
        # letters and digits only, with their places in `text`: the fallback when the book's text and the
        # ingested text differ in punctuation or spacing (hgroup titles, word joiners, spaced ellipses)
        self.alnum_at = [i for i, ch in enumerate(self.text) if ch.isalnum()]
        self.alnum = "".join(self.text[i] for i in self.alnum_at)

    def find(self, needle: str, pos: int) -> tuple[int, int] | None:
        """(start, end) of `needle` in `text` at or after `pos`: exactly, else ignoring all but letters and
        digits."""
        at = self.text.find(needle, pos)
        if at >= 0:
            return at, at + len(needle)
        key = "".join(ch for ch in needle if ch.isalnum())
        if not key:
            return None
        import bisect
        k = self.alnum.find(key, bisect.bisect_left(self.alnum_at, pos))
        if k < 0:
            return None
        return self.alnum_at[k], self.alnum_at[k + len(key) - 1] + 1

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
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag in _SKIP or not isinstance(el.tag, str):      # skipped (and comments): only the text after it
            if el.getparent() is not None:
                self._add(el, "tail", el.tail)
            return
        if tag in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "blockquote", "section", "td"):
            if not self._space:
                self.chars.append(" ")
                self.where.append((el, "none", 0))
                self._space = True
        self._add(el, "text", el.text)
        for child in el:
            self._walk(child)
        if el.getparent() is not None:
            self._add(el, "tail", el.tail)


def _norm(s: str) -> str:
    return " ".join(s.replace("\u00ad", "").replace("\u200b", "").replace("\u2060", "").split())


def _wrap(runs: dict[tuple, list[tuple[int, int, str]]]) -> None:
    """Wrap character ranges of text nodes in spans. `runs`: (element, attr) -> [(start, end, id)]."""
    for (el, attr), pieces in runs.items():
        pieces.sort()
        source = el.text if attr == "text" else el.tail
        if source is None:
            continue
        plain = [source[: pieces[0][0]]]
        spans = []
        for k, (a, b, sid) in enumerate(pieces):
            nxt = pieces[k + 1][0] if k + 1 < len(pieces) else len(source)
            span = el.makeelement(f"{{{_XHTML_NS}}}span", {"id": sid} if sid else {"class": "rdr-cont"})
            span.text = source[a:b]
            span.tail = source[b:nxt]
            spans.append(span)
        if attr == "text":
            el.text = plain[0]
            for k, span in enumerate(spans):
                el.insert(k, span)
        else:
            el.tail = plain[0]
            parent = el.getparent()
            at = parent.index(el)
            for k, span in enumerate(spans):
                parent.insert(at + 1 + k, span)


def build_from_source(book: Book, records: list[ChapterRecord], out: Path, narrator: str) -> bytes | None:
    """The read-along book made from an EPUB 3 source: its documents, styles and images kept, a span with an
    id on every rendered segment found in its text, one overlay per content document. None when the source
    is not an EPUB 3 (the generated book is used then)."""
    import posixpath

    from lxml import etree
    from mutagen.mp3 import MP3

    from .ingest.xhtml import safe_char_refs

    src = Path(book.source or "")
    if src.suffix.lower() != ".epub" or not src.is_file():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False,
                             remove_blank_text=False)
    try:
        zin = zipfile.ZipFile(src)
        container = etree.fromstring(zin.read("META-INF/container.xml"), parser)
        opf_path = next(el.get("full-path") for el in container.iter() if isinstance(el.tag, str)
                        and el.tag.endswith("rootfile"))
        opf = etree.fromstring(zin.read(opf_path), parser)
    except (KeyError, StopIteration, zipfile.BadZipFile, etree.XMLSyntaxError, OSError) as e:
        log.warning("read-along: the source EPUB could not be re-read (%s: %s); generating its pages",
                    type(e).__name__, str(e)[:120])
        return None
    if not (opf.get("version") or "").startswith("3"):
        return None
    base = posixpath.dirname(opf_path)
    ns = {"o": "http://www.idpf.org/2007/opf"}
    items = {it.get("id"): it for it in opf.iterfind(".//o:manifest/o:item", ns)}
    spine = [items[r.get("idref")] for r in opf.iterfind(".//o:spine/o:itemref", ns) if r.get("idref") in items]
    docs = [it for it in spine if it.get("media-type") == "application/xhtml+xml"
            and "nav" not in (it.get("properties") or "").split()]
    trees: dict[str, etree._Element] = {}
    flats: dict[str, _Flat] = {}
    for it in docs:
        name = posixpath.normpath(posixpath.join(base, it.get("href")))
        try:
            root = etree.fromstring(safe_char_refs(zin.read(name)), parser)
        except (KeyError, etree.XMLSyntaxError):
            return None
        body = root.find(f"{{{_XHTML_NS}}}body")
        if body is None:
            return None
        trees[it.get("href")] = root
        flats[it.get("href")] = _Flat(body)
    order = [it.get("href") for it in docs]
    by_index = {c.index: c for c in book.chapters}
    # (doc href) -> [(span id, audio name, start)] in document order; a segment not found extends the last par
    pars: dict[str, list[list]] = {h: [] for h in order}
    runs: dict[str, dict[tuple, list]] = {h: {} for h in order}
    audio_files: dict[str, tuple[Path, float]] = {}
    for rec in records:
        mp3 = rec.files.get("mp3")
        if not mp3 or not (out / mp3).is_file():
            continue
        audio = f"rdr-audio/c{rec.index:03d}.mp3"
        end = round(min(float(rec.duration), MP3(str(out / mp3)).info.length), 3)
        audio_files[audio] = (out / mp3, end)
        ch = by_index.get(rec.index)
        start_doc = (ch.source.split("#")[0] if ch and ch.source else "")
        di = order.index(start_doc) if start_doc in order else 0
        pos = 0
        for k, seg in enumerate(rec.segment_list):
            needle = _norm(seg.text)
            found = None
            for dj in range(di, min(di + 3, len(order))):
                hit = flats[order[dj]].find(needle, pos if dj == di else 0)
                if hit is not None:
                    found = (dj, hit)
                    break
            seg_start = float(seg.start) if k else 0.0
            if found is None or not needle:
                continue                     # its time stays with the par before it
            di, (at, stop) = found
            href = order[di]
            flat = flats[href]
            sid = f"rdr-c{rec.index:03d}s{k:04d}"
            first = True
            a = at
            while a < stop:
                el, attr, off = flat.where[a]
                b = a
                while b + 1 < stop and flat.where[b + 1][:2] == (el, attr) and \
                        flat.where[b + 1][2] == flat.where[b][2] + 1:
                    b += 1
                piece = (el.text if attr == "text" else el.tail if attr == "tail" else None) or ""
                if attr in ("text", "tail") and piece[off:flat.where[b][2] + 1].strip():
                    # whitespace between blocks (an hgroup's h2 and p) is never wrapped: a span is not allowed there
                    runs[href].setdefault((el, attr), []).append((off, flat.where[b][2] + 1, sid if first else ""))
                    first = False
                a = b + 1
            if first:
                continue                         # nothing wrappable: no par for it
            pars[href].append([sid, audio, seg_start, end])
            pos = stop
    if not any(pars.values()):
        return None
    for href in order:
        _wrap(runs[href])
    files: dict[str, bytes] = {}
    total = 0.0
    smil_items, durations = [], {}
    overlay_of: dict[str, str] = {}
    for n, href in enumerate(order):
        plist = pars[href]
        doc_name = posixpath.normpath(posixpath.join(base, href))
        files[doc_name] = etree.tostring(trees[href], xml_declaration=True, encoding="utf-8")
        if not plist:
            continue
        rel = posixpath.relpath(href, "rdr-smil")
        body = []
        dur = 0.0
        for k, (sid, audio, begin, end) in enumerate(plist):
            nxt = plist[k + 1] if k + 1 < len(plist) else None
            stop = nxt[2] if nxt is not None and nxt[1] == audio else end
            body.append(f'<par id="{sid}p"><text src="{_E(rel)}#{sid}"/><audio src="../{audio}" '
                        f'clipBegin="{begin:.3f}s" clipEnd="{stop:.3f}s"/></par>')
            dur += stop - begin
        sm_id = f"rdrsmil{n}"
        files[posixpath.join(base, f"rdr-smil/{n:03d}.smil")] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n'
            f'<body>\n<seq id="{sm_id}seq" epub:textref="{_E(rel)}">\n' + "\n".join(body)
            + "\n</seq>\n</body>\n</smil>\n").encode()
        smil_items.append(f'<item id="{sm_id}" href="rdr-smil/{n:03d}.smil" media-type="application/smil+xml"/>')
        durations[sm_id] = dur
        overlay_of[href] = sm_id
        total += dur
    for audio, (path, _) in audio_files.items():
        files[posixpath.join(base, audio)] = path.read_bytes()
    # the package: the source's items (its nav replaced by ours), the overlays, the audio
    meta = opf.find("o:metadata", ns)
    for el in list(meta):
        prop = el.get("property") or ""
        if prop.startswith("media:") or prop == "dcterms:modified":
            meta.remove(el)
    opf_ns = "{http://www.idpf.org/2007/opf}"

    def add_meta(prop: str, text: str, refines: str | None = None) -> None:
        el = etree.SubElement(meta, f"{opf_ns}meta", {"property": prop, **({"refines": refines} if refines else {})})
        el.text = text

    add_meta("dcterms:modified", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    add_meta("media:duration", clock(total))
    for sm_id, d in durations.items():
        add_meta("media:duration", clock(d), f"#{sm_id}")
    add_meta("media:narrator", narrator or "render")
    add_meta("media:active-class", ACTIVE_CLASS)
    manifest_el = opf.find("o:manifest", ns)
    for it in manifest_el:
        if it.get("href") in overlay_of:
            it.set("media-overlay", overlay_of[it.get("href")])
    for raw in smil_items:
        manifest_el.append(etree.fromstring(raw.replace("<item ", f'<item xmlns="{opf_ns[1:-1]}" ', 1)))
    for k, audio in enumerate(audio_files):
        etree.SubElement(manifest_el, f"{opf_ns}item", {"id": f"rdraudio{k}", "href": audio,
                                                         "media-type": "audio/mpeg"})
    css_href = "rdr-readalong.css"
    etree.SubElement(manifest_el, f"{opf_ns}item", {"id": "rdrcss", "href": css_href, "media-type": "text/css"})
    files[posixpath.join(base, css_href)] = f".{ACTIVE_CLASS} {{ background-color: #fff3a8; color: #000; }}\n".encode()
    for href, root in trees.items():            # the highlight style, linked from each document
        if not pars[href]:
            continue
        head = root.find(f"{{{_XHTML_NS}}}head")
        if head is not None:
            etree.SubElement(head, f"{{{_XHTML_NS}}}link", {"rel": "stylesheet", "type": "text/css",
                                                             "href": posixpath.relpath(css_href, posixpath.dirname(href) or ".")})
            files[posixpath.normpath(posixpath.join(base, href))] = etree.tostring(root, xml_declaration=True,
                                                                                   encoding="utf-8")
    files[opf_path] = etree.tostring(opf, xml_declaration=True, encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        zout.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        written = {"mimetype"}
        for info in zin.infolist():
            if info.filename in written or info.filename.endswith("/"):
                continue
            data = files.pop(info.filename, None)
            if data is None:
                data = zin.read(info.filename)
            zout.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
            written.add(info.filename)
        for name, data in files.items():
            zout.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".mp3")
                          else zipfile.ZIP_DEFLATED)
    return buf.getvalue()
