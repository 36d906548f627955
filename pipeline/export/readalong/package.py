"""Packaging the read-along EPUB 3: from the source book itself (`build_from_source`, with the spans that
`align` placed) or from generated pages (`build_readalong`, from the book's paragraphs); each with a SMIL
overlay per content document, the chapters' MP3s inside and the Media Overlays metadata.
"""

from __future__ import annotations

import html
import io
import posixpath
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ...records import Book, ChapterRecord, ParagraphKind
from ...timecode import clock
from .align import OPF, XHTML_NS, Placement, Source, SourceUnusable, open_source, place_segments, wrap_range

ACTIVE_CLASS = "-epub-media-overlay-active"
_CSS = f"""body {{ font-family: serif; line-height: 1.5; margin: 1em; }}
h1 {{ font-size: 1.4em; margin: 1.5em 0 1em; }}
p {{ text-indent: 1.2em; margin: 0 0 0.4em; }}
p.verse {{ text-indent: 0; white-space: pre-line; margin-left: 2em; }}
.{ACTIVE_CLASS} {{ background-color: #fff3a8; color: #000; }}
"""
_E = html.escape
_PARAGRAPH_ENDS = {"paragraph", "section", "title", "end"}


def _mp3_seconds(path: Path) -> float:
    """The length of an MP3 as its frames say (mutagen)."""
    from mutagen.mp3 import MP3

    info = MP3(str(path)).info
    assert info is not None, f"{path}: no MPEG frames"
    return float(info.length)


@dataclass(slots=True)
class SourceBuild:
    """What building from the EPUB 3 source gave: the book, or no book and why not."""

    data: bytes | None = None  # the EPUB, when the source could be used
    unmatched: dict[int, int] = field(default_factory=dict)  # chapter index -> its segments the source lacks
    reason: str = ""  # why the source could not be used (no data)


def _xhtml(title: str, body: str, lang: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        f'xml:lang="{_E(lang)}" lang="{_E(lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{_E(title)}</title>\n'
        '<link rel="stylesheet" type="text/css" href="../style.css"/>\n</head>\n'
        f'<body>\n<section epub:type="chapter" role="doc-chapter">\n{body}\n</section>\n</body>\n</html>\n'
    )


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
        pars.append(
            f'<par id="{sid}p"><text src="../text/{doc}.xhtml#{sid}"/>'
            f'<audio src="../audio/{audio}" clipBegin="{begin:.3f}s" clipEnd="{stop:.3f}s"/></par>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n'
        f'<body>\n<seq id="{doc}seq" epub:textref="../text/{doc}.xhtml" epub:type="chapter">\n'
        + "\n".join(pars)
        + "\n</seq>\n</body>\n</smil>\n"
    )


def book_time(records: list[ChapterRecord], out: Path) -> datetime:
    """When the book's audio last changed (its newest chapter MP3), UTC to the second: the EPUB's
    `dcterms:modified` and its members' times, so the same chapters make the same bytes (a re-run that
    changes nothing rewrites nothing)."""
    times = [
        (out / r.files["mp3"]).stat().st_mtime
        for r in records
        if r.files.get("mp3") and (out / r.files["mp3"]).is_file()
    ]
    return datetime.fromtimestamp(int(max(times, default=315532800)), UTC)


_Doc = tuple[str, str, str | None, float]  # (doc id, title, smil id or None, duration)
_COVER_EXT = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
}


def build_readalong(book: Book, records: list[ChapterRecord], out: Path, narrator: str) -> bytes:
    """The EPUB as bytes. `records`: the finished chapters (manifest records, with their MP3 in `out`)."""

    lang = book.language or "en"
    files: dict[str, bytes] = {"OEBPS/style.css": _CSS.encode()}
    docs, total = _chapter_docs(book, records, out, lang, files)
    files["OEBPS/nav.xhtml"] = _nav(book, docs, lang)
    cover_item = _cover_item(book, files)
    meta = _opf_metadata(book, records, out, lang, docs, total, narrator)
    spine = "\n".join(f'<itemref idref="{d}"/>' for d, _, _, _ in docs)
    files["OEBPS/package.opf"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="{_E(lang)}">\n'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n' + "\n".join(meta) + "\n</metadata>\n"
        "<manifest>\n" + "\n".join(_opf_items(docs)) + "\n" + cover_item + "</manifest>\n"
        f"<spine>\n{spine}\n</spine>\n</package>\n"
    ).encode()
    return _zip_book(files, book_time(records, out))


def _chapter_docs(
    book: Book, records: list[ChapterRecord], out: Path, lang: str, files: dict[str, bytes]
) -> tuple[list[_Doc], float]:
    """Each chapter's page (with its audio and overlay when its MP3 is there) added to `files`; the docs and
    the book's total overlaid duration in seconds."""
    by_index = {r.index: r for r in records}
    docs: list[_Doc] = []
    total = 0.0
    for ch in book.chapters:
        doc = f"c{ch.index:03d}"
        rec = by_index.get(ch.index)
        mp3 = rec.files.get("mp3") if rec else None
        if rec and mp3 and (out / mp3).is_file():
            body, spans = _rendered_body(rec, doc)
            length = _mp3_seconds(out / mp3)
            end = round(min(float(rec.duration), length), 3)
            files[f"OEBPS/audio/{doc}.mp3"] = (out / mp3).read_bytes()
            files[f"OEBPS/smil/{doc}.smil"] = _smil(doc, spans, f"{doc}.mp3", end).encode()
            docs.append((doc, rec.display_title, f"{doc}smil", end))
            total += end
        else:
            body = _plain_body(ch)
            docs.append((doc, ch.display_title, None, 0.0))
        files[f"OEBPS/text/{doc}.xhtml"] = _xhtml(ch.display_title, body, lang).encode()
    return docs, total


def _nav(book: Book, docs: list[_Doc], lang: str) -> bytes:
    """The navigation document: one entry a chapter."""
    nav = "\n".join(f'<li><a href="text/{d}.xhtml">{_E(t)}</a></li>' for d, t, _, _ in docs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{_E(lang)}" '
        f'lang="{_E(lang)}">\n<head><meta charset="utf-8"/><title>{_E(book.title or "Contents")}</title></head>\n'
        f'<body>\n<nav epub:type="toc" id="toc"><h1>Contents</h1>\n<ol>\n{nav}\n</ol>\n</nav>\n</body>\n</html>\n'
    ).encode()


def _cover_item(book: Book, files: dict[str, bytes]) -> str:
    """The cover image added to `files` when the book has one of a core media type; its manifest item or ""."""
    if not (book.cover and book.cover_type in _COVER_EXT):
        return ""
    ext = _COVER_EXT[book.cover_type]
    files[f"OEBPS/images/cover.{ext}"] = book.cover
    return f'<item id="cover" href="images/cover.{ext}" media-type="{book.cover_type}" properties="cover-image"/>\n'


def _opf_metadata(
    book: Book,
    records: list[ChapterRecord],
    out: Path,
    lang: str,
    docs: list[_Doc],
    total: float,
    narrator: str,
) -> list[str]:
    """The package document's metadata lines: Dublin Core, the stable modified time, media durations."""
    ident = (
        book.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'render:{book.title}:{book.author}')}"
    )
    modified = book_time(records, out).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = [
        f'<dc:identifier id="uid">{_E(ident)}</dc:identifier>',
        f"<dc:title>{_E(book.title or 'Untitled')}</dc:title>",
        f"<dc:language>{_E(lang)}</dc:language>",
        f'<meta property="dcterms:modified">{modified}</meta>',
    ]
    meta += [f"<dc:creator>{_E(a)}</dc:creator>" for a in book.authors]
    if book.publisher:
        meta.append(f"<dc:publisher>{_E(book.publisher)}</dc:publisher>")
    if book.date:
        meta.append(f"<dc:date>{_E(book.date)}</dc:date>")
    if any(s for _, _, s, _ in docs):
        meta.append(f'<meta property="media:duration">{clock(total)}</meta>')
        meta += [
            f'<meta property="media:duration" refines="#{s}">{clock(d)}</meta>' for _, _, s, d in docs if s
        ]
        meta.append(f'<meta property="media:narrator">{_E(narrator)}</meta>')
        meta.append(f'<meta property="media:active-class">{ACTIVE_CLASS}</meta>')
    return meta


def _opf_items(docs: list[_Doc]) -> list[str]:
    """The manifest items: navigation, style, and each chapter's page, overlay and audio."""
    items = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="css" href="style.css" media-type="text/css"/>',
    ]
    for d, _, s, _ in docs:
        overlay = f' media-overlay="{s}"' if s else ""
        items.append(f'<item id="{d}" href="text/{d}.xhtml" media-type="application/xhtml+xml"{overlay}/>')
        if s:
            items.append(f'<item id="{s}" href="smil/{d}.smil" media-type="application/smil+xml"/>')
            items.append(f'<item id="{d}audio" href="audio/{d}.mp3" media-type="audio/mpeg"/>')
    return items


def _zip_book(files: dict[str, bytes], when: datetime) -> bytes:
    """The EPUB container: mimetype first and stored, every member dated `when` so the bytes are stable."""
    container = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
        '<rootfiles><rootfile full-path="OEBPS/package.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles>\n</container>\n"
    )
    buf = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype", stamp), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        zf.writestr(
            zipfile.ZipInfo("META-INF/container.xml", stamp), container, compress_type=zipfile.ZIP_DEFLATED
        )
        for name, data in files.items():
            audio = name.endswith((".mp3", ".jpg", ".png"))
            zf.writestr(
                zipfile.ZipInfo(name, stamp),
                data,
                compress_type=zipfile.ZIP_STORED if audio else zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()


CSS_HREF = "rdr-readalong.css"  # the highlight style added to a source-made book


def build_from_source(book: Book, records: list[ChapterRecord], out: Path, narrator: str) -> SourceBuild:
    """The read-along book made from an EPUB 3 source: its documents, styles and images kept, a span with an
    id on every rendered segment found in its text, one overlay per content document; and what it could
    not place ({chapter: segments}). When the source cannot be used so, no book and why not (a sentence)."""
    try:
        src = open_source(book)
    except SourceUnusable as e:
        return SourceBuild(reason=str(e))
    audio_end, audio_path = _chapter_audio(records, out)
    place = place_segments(src, book, records, audio_end)
    if not any(place.pars.values()):
        return SourceBuild(reason="no rendered segment was found in the source's text")
    for href in src.order:
        for a, b, sid in sorted(place.ranges[href], reverse=True):  # last first: earlier offsets stay valid
            wrap_range(src.flats[href], a, b, sid)
        for el, sid in place.ids[href]:
            el.set("id", sid)
    made = _overlay_documents(src, place)
    for audio in made.used_audio:
        made.files[posixpath.join(src.base, audio)] = audio_path[audio].read_bytes()
    made.files[posixpath.join(src.base, CSS_HREF)] = (
        f".{ACTIVE_CLASS} {{ background-color: #fff3a8; color: #000; }}\n".encode()
    )
    stamp = book_time(records, out)
    made.files[src.opf_path] = _source_package(src, made, narrator, stamp)
    return SourceBuild(_zip_over_source(src, made.files, stamp), place.unmatched)


def _chapter_audio(
    records: list[ChapterRecord], out: Path
) -> tuple[dict[int, tuple[str, float]], dict[str, Path]]:
    """For each chapter with its MP3 in `out`: (its audio's name in the book, its end in seconds), and where
    each such MP3 is."""
    audio_end: dict[int, tuple[str, float]] = {}
    audio_path: dict[str, Path] = {}
    for rec in records:
        mp3 = rec.files.get("mp3")
        if not mp3 or not (out / mp3).is_file():
            continue
        audio = f"rdr-audio/c{rec.index:03d}.mp3"
        audio_end[rec.index] = (audio, round(min(float(rec.duration), _mp3_seconds(out / mp3)), 3))
        audio_path[audio] = out / mp3
    return audio_end, audio_path


@dataclass(slots=True)
class _Overlays:
    """What the overlays add to a source-made book: files (name in the zip -> bytes), the SMIL items, each
    overlay's duration, the overlay of each content document, the audio files in order of use."""

    files: dict[str, bytes] = field(default_factory=dict)
    smil_items: list[tuple[str, str]] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    overlay_of: dict[str, str] = field(default_factory=dict)
    used_audio: list[str] = field(default_factory=list)
    total: float = 0.0


def _overlay_documents(src: Source, place: Placement) -> _Overlays:
    """Each content document with placed segments, its spans wrapped, linked to the highlight style, with a
    SMIL overlay of a `par` per span; documents without any keep the source's own bytes."""
    from lxml import etree

    made = _Overlays()
    for n, href in enumerate(src.order):
        plist = place.pars[href]
        if not plist:
            continue  # not rendered: the source's own bytes, untouched
        root = src.trees[href]
        head = root.find(f"{{{XHTML_NS}}}head")
        if head is not None:  # the highlight style, linked from each document with audio
            etree.SubElement(
                head,
                f"{{{XHTML_NS}}}link",
                {
                    "rel": "stylesheet",
                    "type": "text/css",
                    "href": posixpath.relpath(CSS_HREF, posixpath.dirname(href) or "."),
                },
            )
        made.files[src.name(href)] = etree.tostring(
            root.getroottree(), xml_declaration=True, encoding="utf-8"
        )
        smil_href = f"rdr-smil/{n:03d}.smil"
        rel = posixpath.relpath(href, posixpath.dirname(smil_href))
        body = []
        dur = 0.0
        for par in plist:
            body.append(
                f'<par id="{_E(par.pid)}"><text src="{_E(rel)}#{_E(par.sid)}"/>'
                f'<audio src="{_E(posixpath.relpath(par.audio, posixpath.dirname(smil_href)))}" '
                f'clipBegin="{par.begin:.3f}s" clipEnd="{par.end:.3f}s"/></par>'
            )
            dur += par.end - par.begin
            if par.audio not in made.used_audio:
                made.used_audio.append(par.audio)
        sm_id = f"rdrsmil{n}"
        made.files[posixpath.join(src.base, smil_href)] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">\n'
            f'<body>\n<seq id="{sm_id}seq" epub:textref="{_E(rel)}">\n'
            + "\n".join(body)
            + "\n</seq>\n</body>\n</smil>\n"
        ).encode()
        made.smil_items.append((sm_id, smil_href))
        made.durations[sm_id] = dur
        made.overlay_of[href] = sm_id
        made.total += dur
    return made


def _source_package(src: Source, made: _Overlays, narrator: str, stamp: datetime) -> bytes:
    """The source's package document with the Media Overlays metadata, and the overlays, the audio and the
    highlight style among its items."""
    from lxml import etree

    opf = src.opf
    meta = opf.find(f"{OPF}metadata")
    for el in list(meta):
        prop = el.get("property") or ""
        if prop.startswith("media:") or prop == "dcterms:modified":
            meta.remove(el)

    def add_meta(prop: str, text: str, refines: str | None = None) -> None:
        el = etree.SubElement(
            meta, f"{OPF}meta", {"property": prop, **({"refines": refines} if refines else {})}
        )
        el.text = text

    add_meta("dcterms:modified", stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
    add_meta("media:duration", clock(made.total))
    for sm_id, d in made.durations.items():
        add_meta("media:duration", clock(d), f"#{sm_id}")
    add_meta("media:narrator", narrator or "render")
    add_meta("media:active-class", ACTIVE_CLASS)
    manifest_el = opf.find(f"{OPF}manifest")
    for it in manifest_el:
        if it.get("href") in made.overlay_of:
            it.set("media-overlay", made.overlay_of[it.get("href")])
    for sm_id, smil_href in made.smil_items:
        etree.SubElement(
            manifest_el, f"{OPF}item", {"id": sm_id, "href": smil_href, "media-type": "application/smil+xml"}
        )
    for k, audio in enumerate(made.used_audio):
        etree.SubElement(
            manifest_el, f"{OPF}item", {"id": f"rdraudio{k}", "href": audio, "media-type": "audio/mpeg"}
        )
    etree.SubElement(manifest_el, f"{OPF}item", {"id": "rdrcss", "href": CSS_HREF, "media-type": "text/css"})
    result: bytes = etree.tostring(opf.getroottree(), xml_declaration=True, encoding="utf-8")
    return result


def _zip_over_source(src: Source, files: dict[str, bytes], when: datetime) -> bytes:
    """The source's zip with `files` in place of its members of the same name and added after them; the
    mimetype first and stored, as EPUB requires."""
    files = dict(files)
    buf = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(buf, "w") as zout:
        zout.writestr(
            zipfile.ZipInfo("mimetype", stamp), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
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
            zout.writestr(
                zipfile.ZipInfo(name, stamp),
                data,
                compress_type=zipfile.ZIP_STORED if name.endswith(".mp3") else zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()
