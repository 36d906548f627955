"""Build small EPUBs on the fly with zipfile: full control of every member, for normal and broken books."""
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
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
            f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{html.escape(title)}</title></head>'
            f'<body><section epub:type="chapter"><h2>{html.escape(title)}</h2>{body}</section></body></html>')


def write_epub(path: Path, chapters: list[tuple[str, list[str]]], *, title: str = "Test Book",
               author: str = "Test Author", raw: dict[int, str] | None = None,
               extra_members: dict[str, bytes | str] | None = None, skip_container: bool = False,
               toc_titles: list[str] | None = None) -> Path:
    """An EPUB 3 with a nav TOC: one XHTML file per chapter. `raw[i]` replaces chapter i's body markup."""
    raw = raw or {}
    items, spine, nav = [], [], []
    for i, (ch_title, paras) in enumerate(chapters, 1):
        items.append(f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="c{i}"/>')
        shown = toc_titles[i - 1] if toc_titles else ch_title
        nav.append(f'<li><a href="c{i}.xhtml">{html.escape(shown)}</a></li>')
    opf = f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:test:{html.escape(title)}</dc:identifier>
    <dc:title>{html.escape(title)}</dc:title><dc:creator>{html.escape(author)}</dc:creator>
    <dc:language>en</dc:language>
  </metadata>
  <manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    {''.join(items)}</manifest>
  <spine>{''.join(spine)}</spine>
</package>"""
    navdoc = (f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
              f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Contents</title></head><body>'
              f'<nav epub:type="toc" id="toc"><ol>{"".join(nav)}</ol></nav></body></html>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        if not skip_container:
            z.writestr("META-INF/container.xml", CONTAINER)
        z.writestr("OEBPS/content.opf", opf)
        z.writestr("OEBPS/nav.xhtml", navdoc)
        for i, (ch_title, paras) in enumerate(chapters, 1):
            z.writestr(f"OEBPS/c{i}.xhtml", chapter_xhtml(ch_title, paras, raw.get(i)), zipfile.ZIP_DEFLATED)
        for name, data in (extra_members or {}).items():
            z.writestr(name, data)
    return path


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
