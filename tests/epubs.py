"""Small EPUBs built on the fly with zipfile, for normal and broken books: one builder (`build_epub`:
EPUB 3 with a nav document, or EPUB 2 with an NCX and a guide; any extra member, hostile names included),
and `write_epub` / `story_book` on top of it for books of plain chapters.

`Toc` entries are (title, href) or (title, href, [children]). Content documents are body markup or whole
XHTML documents.
"""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""


def chapter_xhtml(title: str, paragraphs: list[str], raw_body: str | None = None) -> str:
    body = raw_body if raw_body is not None else "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
        f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{html.escape(title)}</title></head>'
        f'<body><section epub:type="chapter"><h2>{html.escape(title)}</h2>{body}</section></body></html>'
    )


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
        out.append(
            f'<navPoint id="np{n}" playOrder="{n}"><navLabel><text>{html.escape(entry[0])}</text></navLabel>'
            f'<content src="{entry[1]}"/>{kids}</navPoint>'
        )
    return "".join(out)


def build_epub(
    path: Path,
    docs: dict[str, str],
    toc=None,
    *,
    version: int = 3,
    title: str = "A Test Book",
    authors=("Ann Author",),
    spine: list[str] | None = None,
    nonlinear: tuple[str, ...] = (),
    guide: list[tuple[str, str]] = (),
    landmarks: list[tuple[str, str]] = (),
    body_types: dict[str, str] | None = None,
    cover: bytes | None = None,
    language: str = "en",
    extra_meta: str = "",
    identifier: str | None = None,
    items: list[tuple[str, str]] = (),
    extra_members: dict[str, bytes | str] | None = None,
    skip_container: bool = False,
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """Write an EPUB to `path`, the one builder every test uses. `docs`: file name (under OEBPS/) -> body
    markup, or a whole XHTML document (starting with "<?xml"); `toc` None writes no TOC. `items` lists
    (id, href) manifest and spine entries whose files come from `extra_members` (archive name -> data),
    which may hold anything, hostile names included; `skip_container` leaves out META-INF/container.xml."""
    body_types = body_types or {}
    spine = spine or [*docs, *(href for _, href in items)]
    manifest = [
        f'<item id="d{i}" href="{name}" media-type="application/xhtml+xml"/>' for i, name in enumerate(docs)
    ]
    manifest += [f'<item id="{i}" href="{h}" media-type="application/xhtml+xml"/>' for i, h in items]
    ids = {name: f"d{i}" for i, name in enumerate(docs)} | {h: i for i, h in items}
    files = {
        f"OEBPS/{name}": body
        if body.startswith("<?xml")
        else XHTML.format(
            title=name, body=body, body_attrs=f' epub:type="{body_types[name]}"' if name in body_types else ""
        )
        for name, body in docs.items()
    }
    no = ' linear="no"'
    spine_xml = "".join(f'<itemref idref="{ids[n]}"{no if n in nonlinear else ""}/>' for n in spine)
    toc_attr = ""
    if cover is not None:
        files["OEBPS/cover.png"] = cover
        manifest.append(
            '<item id="cover-img" href="cover.png" media-type="image/png" properties="cover-image"/>'
            if version == 3
            else '<item id="cover-img" href="cover.png" media-type="image/png"/>'
        )
    if version == 3:
        if toc is not None or landmarks:
            lm = "".join(f'<li><a epub:type="{t}" href="{h}">{t}</a></li>' for t, h in landmarks)
            nav = f'<nav epub:type="toc" id="toc"><ol>{_nav_ol(toc or [])}</ol></nav>' + (
                f'<nav epub:type="landmarks"><ol>{lm}</ol></nav>' if landmarks else ""
            )
            files["OEBPS/nav.xhtml"] = XHTML.format(title="Contents", body=nav, body_attrs="")
            manifest.append(
                '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
            )
    else:
        if toc is not None:
            ncx = (
                '<?xml version="1.0" encoding="utf-8"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
                f'version="2005-1"><head/><docTitle><text>{title}</text></docTitle>'
                f"<navMap>{_ncx_points(toc, [0])}</navMap></ncx>"
            )
            files["OEBPS/toc.ncx"] = ncx
            manifest.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
            toc_attr = ' toc="ncx"'
    creators = "".join(f"<dc:creator>{html.escape(a)}</dc:creator>" for a in authors)
    cover_meta = '<meta name="cover" content="cover-img"/>' if cover is not None and version == 2 else ""
    guide_xml = (
        (
            "<guide>"
            + "".join(f'<reference type="{t}" href="{h}" title="{t}"/>' for t, h in guide)
            + "</guide>"
        )
        if guide
        else ""
    )
    opf = (
        f'<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" '
        f'version="{"3.0" if version == 3 else "2.0"}" unique-identifier="uid">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="uid">{identifier or f"test-{abs(hash(title))}"}</dc:identifier><dc:title>{html.escape(title)}</dc:title>'
        f"<dc:language>{language}</dc:language>{creators}{cover_meta}{extra_meta}"
        '<meta property="dcterms:modified">2026-01-01T00:00:00Z</meta></metadata>'
        f"<manifest>{''.join(manifest)}</manifest><spine{toc_attr}>{spine_xml}</spine>{guide_xml}</package>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        if not skip_container:
            zf.writestr("META-INF/container.xml", CONTAINER)
        zf.writestr("OEBPS/content.opf", opf)
        for name, data in {**files, **(extra_members or {})}.items():
            zf.writestr(name, data)
    return path


def para(*texts: str) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


LOREM = (
    "The rain came down on the old house all night, and in the morning the river had risen to the garden "
    "wall. Nobody in the village could remember a flood like it."
)


def write_epub(
    path: Path,
    chapters: list[tuple[str, list[str]]],
    *,
    title: str = "Test Book",
    author: str = "Test Author",
    raw: dict[int, str] | None = None,
    extra_members: dict[str, bytes | str] | None = None,
    skip_container: bool = False,
    toc_titles: list[str] | None = None,
) -> Path:
    """An EPUB 3 with a nav TOC: one XHTML file per chapter (a section with an h2 title and its paragraphs).
    `raw[i]` replaces chapter i's body markup; `toc_titles` are the TOC's names for the chapters."""
    raw = raw or {}
    docs = {f"c{i}.xhtml": chapter_xhtml(t, paras, raw.get(i)) for i, (t, paras) in enumerate(chapters, 1)}
    toc = [(toc_titles[i - 1] if toc_titles else t, f"c{i}.xhtml") for i, (t, _) in enumerate(chapters, 1)]
    return build_epub(
        path,
        docs,
        toc,
        title=title,
        authors=(author,),
        identifier=f"urn:test:{html.escape(title)}",
        extra_members=extra_members,
        skip_container=skip_container,
        compression=zipfile.ZIP_DEFLATED,
    )


STORY = [
    "The river ran high that spring, and the ferryman counted the days until the water fell.",
    "Every morning he walked to the landing, looked at the marker post, and shook his head.",
    "The village baker sent bread across on the last good crossing of the week.",
    "By the end of the month the post stood dry again, and the ferry went back to work.",
]


def story_book(path: Path, chapters: int = 6, title: str = "The Ferryman") -> Path:
    """A small chapter-rich book: `chapters` chapters of four short paragraphs, each chapter different."""
    chs = []
    for i in range(1, chapters + 1):
        paras = [f"{p} This was day {i * 7 + j} of the season." for j, p in enumerate(STORY)]
        chs.append((f"Chapter {i}: Week {i}", paras))
    return write_epub(path, chs, title=title)
