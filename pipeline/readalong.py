"""The read-along book: an EPUB 3 with Media Overlays, so a reader plays the audio and lights up each piece
of text as it is spoken (EPUB 3.3 Media Overlays; played by Thorium, Storyteller, BookFusion, Readest...).

The renderer knows where every segment starts and ends in its chapter's audio, so the sync is exact, not
guessed: one content document per chapter, each segment of the book's own text in a `span` with an id,
one SMIL overlay per chapter with a `par` per segment whose `audio` clip runs from the segment's start to
the next one's (pauses included, so the clips tile the chapter file), and the chapter's MP3 inside the book
(a core media type). `media:duration` is given per overlay and in total, `media:active-class` names the CSS
class a reader adds to the span being read, and `media:narrator` names the voice. Chapters of the book not
rendered yet keep their text, without an overlay.

Limitation: the content documents are generated from the book's text (headings and paragraphs), for EPUB
input too; the source's own XHTML, styles and inline images are not carried over. The cover is.
"""
from __future__ import annotations

import html
import io
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from .records import Book, ParagraphKind

ACTIVE_CLASS = "-epub-media-overlay-active"
_CSS = f"""body {{ font-family: serif; line-height: 1.5; margin: 1em; }}
h1 {{ font-size: 1.4em; margin: 1.5em 0 1em; }}
p {{ text-indent: 1.2em; margin: 0 0 0.4em; }}
p.verse {{ text-indent: 0; white-space: pre-line; margin-left: 2em; }}
.{ACTIVE_CLASS} {{ background-color: #fff3a8; color: #000; }}
"""
_E = html.escape
_PARAGRAPH_ENDS = {"paragraph", "section", "title", "end"}


def clock(seconds: float) -> str:
    """SMIL clock value, as media:duration takes it: H:MM:SS.mmm."""
    ms = int(round(max(0.0, seconds) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h}:{m:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _xhtml(title: str, body: str, lang: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
            f'xml:lang="{_E(lang)}" lang="{_E(lang)}">\n<head>\n<meta charset="utf-8"/>\n<title>{_E(title)}</title>\n'
            '<link rel="stylesheet" type="text/css" href="../style.css"/>\n</head>\n'
            f'<body>\n<section epub:type="chapter" role="doc-chapter">\n{body}\n</section>\n</body>\n</html>\n')


def _rendered_body(rec: dict, doc: str) -> tuple[str, list[tuple[str, float]]]:
    """The chapter's text from its segments, each in a span; and (span id, start) per segment."""
    parts: list[str] = []
    spans: list[tuple[str, float]] = []
    para: list[str] = []
    for k, seg in enumerate(rec["segment_list"]):
        sid = f"{doc}s{k:04d}"
        spans.append((sid, float(seg["start"])))
        text = _E(" ".join(seg["text"].split()))
        if seg.get("pause_after") == "title" and k == 0:
            parts.append(f'<h1><span id="{sid}">{text}</span></h1>')
            continue
        para.append(f'<span id="{sid}">{text}</span>')
        if seg.get("pause_after") in _PARAGRAPH_ENDS:
            parts.append("<p>" + " ".join(para) + "</p>")
            para = []
    if para:
        parts.append("<p>" + " ".join(para) + "</p>")
    if not parts or not parts[0].startswith("<h1"):
        parts.insert(0, f"<h1>{_E(rec['title'])}</h1>")
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


def build_readalong(book: Book, records: list[dict], out: Path, narrator: str) -> bytes:
    """The EPUB as bytes. `records`: the finished chapters (manifest records, with their MP3 in `out`)."""
    from mutagen.mp3 import MP3

    lang = book.language or "en"
    by_index = {r["index"]: r for r in records}
    docs: list[tuple[str, str, str | None, float]] = []      # (doc id, title, smil id or None, duration)
    files: dict[str, bytes] = {"OEBPS/style.css": _CSS.encode()}
    total = 0.0
    for ch in book.chapters:
        doc = f"c{ch.index:03d}"
        rec = by_index.get(ch.index)
        mp3 = (rec or {}).get("files", {}).get("mp3")
        if rec and mp3 and (out / mp3).is_file():
            body, spans = _rendered_body(rec, doc)
            length = MP3(str(out / mp3)).info.length
            end = round(min(float(rec["duration"]), length), 3)
            files[f"OEBPS/audio/{doc}.mp3"] = (out / mp3).read_bytes()
            files[f"OEBPS/smil/{doc}.smil"] = _smil(doc, spans, f"{doc}.mp3", end).encode()
            docs.append((doc, rec["title"], f"{doc}smil", end))
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
