"""Small EPUBs built on the fly with zipfile: EPUB 3 with a nav document, or EPUB 2 with an NCX and a guide.

`Toc` entries are (title, href) or (title, href, [children]). Content documents are given as body markup.
"""
from __future__ import annotations

import html
import zipfile
from pathlib import Path

XHTML = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en">
<head><title>{title}</title></head>
<body{body_attrs}>{body}</body>
</html>"""


def _nav_ol(toc) -> str:
    items = []
    for entry in toc:
        title, href = entry[0], entry[1]
        kids = f"<ol>{_nav_ol(entry[2])}</ol>" if len(entry) > 2 and entry[2] else ""
        items.append(f'<li><a href="{href}">{html.escape(title)}</a>{kids}</li>')
    return "".join(items)


def _ncx_points(toc, counter) -> str:
    out = []
    for entry in toc:
        counter[0] += 1
        n = counter[0]
        kids = _ncx_points(entry[2], counter) if len(entry) > 2 and entry[2] else ""
        out.append(f'<navPoint id="np{n}" playOrder="{n}"><navLabel><text>{html.escape(entry[0])}</text></navLabel>'
                   f'<content src="{entry[1]}"/>{kids}</navPoint>')
    return "".join(out)


def build_epub(path: Path, docs: dict[str, str], toc=None, *, version: int = 3, title: str = "A Test Book",
               authors=("Ann Author",), spine: list[str] | None = None, nonlinear: tuple[str, ...] = (),
               guide: list[tuple[str, str]] = (), landmarks: list[tuple[str, str]] = (),
               body_types: dict[str, str] | None = None, cover: bytes | None = None, language: str = "en",
               extra_meta: str = "") -> Path:
    """Write an EPUB to `path`. `docs`: file name (under OEBPS/) -> body markup; `toc` None writes no TOC."""
    body_types = body_types or {}
    spine = spine or list(docs)
    manifest = [f'<item id="d{i}" href="{name}" media-type="application/xhtml+xml"/>' for i, name in enumerate(docs)]
    ids = {name: f"d{i}" for i, name in enumerate(docs)}
    files = {f"OEBPS/{name}": XHTML.format(title=name, body=body,
                                           body_attrs=f' epub:type="{body_types[name]}"' if name in body_types else "")
             for name, body in docs.items()}
    no = ' linear="no"'
    spine_xml = "".join(f'<itemref idref="{ids[n]}"{no if n in nonlinear else ""}/>' for n in spine)
    toc_attr = ""
    if cover is not None:
        files["OEBPS/cover.png"] = cover
        manifest.append('<item id="cover-img" href="cover.png" media-type="image/png" properties="cover-image"/>'
                        if version == 3 else '<item id="cover-img" href="cover.png" media-type="image/png"/>')
    if version == 3:
        if toc is not None or landmarks:
            lm = "".join(f'<li><a epub:type="{t}" href="{h}">{t}</a></li>' for t, h in landmarks)
            nav = (f'<nav epub:type="toc" id="toc"><ol>{_nav_ol(toc or [])}</ol></nav>'
                   + (f'<nav epub:type="landmarks"><ol>{lm}</ol></nav>' if landmarks else ""))
            files["OEBPS/nav.xhtml"] = XHTML.format(title="Contents", body=nav, body_attrs="")
            manifest.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
    else:
        if toc is not None:
            ncx = ('<?xml version="1.0" encoding="utf-8"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
                   f'version="2005-1"><head/><docTitle><text>{title}</text></docTitle>'
                   f'<navMap>{_ncx_points(toc, [0])}</navMap></ncx>')
            files["OEBPS/toc.ncx"] = ncx
            manifest.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
            toc_attr = ' toc="ncx"'
    creators = "".join(f"<dc:creator>{html.escape(a)}</dc:creator>" for a in authors)
    cover_meta = '<meta name="cover" content="cover-img"/>' if cover is not None and version == 2 else ""
    guide_xml = ("<guide>" + "".join(f'<reference type="{t}" href="{h}" title="{t}"/>' for t, h in guide)
                 + "</guide>") if guide else ""
    opf = (f'<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" '
           f'version="{"3.0" if version == 3 else "2.0"}" unique-identifier="uid">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
           f'<dc:identifier id="uid">test-{abs(hash(title))}</dc:identifier><dc:title>{html.escape(title)}</dc:title>'
           f'<dc:language>{language}</dc:language>{creators}{cover_meta}{extra_meta}'
           '<meta property="dcterms:modified">2026-01-01T00:00:00Z</meta></metadata>'
           f'<manifest>{"".join(manifest)}</manifest><spine{toc_attr}>{spine_xml}</spine>{guide_xml}</package>')
    container = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                 '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                 '</rootfiles></container>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        zf.writestr("META-INF/container.xml", container)
        zf.writestr("OEBPS/content.opf", opf)
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def para(*texts: str) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


LOREM = ("The rain came down on the old house all night, and in the morning the river had risen to the garden "
         "wall. Nobody in the village could remember a flood like it.")
