"""Typesetting an EPUB's text anew as DOCX (python-docx), one-file HTML and FictionBook 2 (lxml), and the word
error rate between two plans: what tests/ingest/test_formats.py compares.

The typesetter reads the EPUB's spine documents with lxml itself (not through render's readers) and writes
each block where a person making that kind of file would: headings as Heading styles / h1-h3 / titled
sections, paragraphs, verse with line breaks; plus what a reader must not read: a page header and footer with
a PAGE field and a table of contents field in the DOCX, site navigation, header, footer, a script and hidden
text in the HTML.
"""

from __future__ import annotations

import base64
import difflib
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

_BLOCKS = {"p", "cite", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "dt", "li", "td", "th"}
_SKIP = {"nav", "script", "style", "img", "svg", "figcaption", "head"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)


@dataclass
class Source:
    title: str
    authors: list[str]
    language: str
    docs: list[list[tuple[int, str]]] = field(
        default_factory=list
    )  # per spine document: (level, text), level 0 = body


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _text(el) -> str:
    parts: list[str] = []

    def rec(e):
        if _local(e) == "br":
            parts.append("\n")
        elif e.text:
            parts.append(e.text)
        for c in e:
            if _local(c) and _local(c) not in _SKIP:  # comments and processing instructions are not text
                rec(c)
            if c.tail:
                parts.append(c.tail)

    rec(el)
    lines = [" ".join(ln.split()) for ln in "".join(parts).replace("\u2060", "").split("\n")]
    return "\n".join(ln for ln in lines if ln)


def read_source(epub: Path, first: int = 0, last: int | None = None, also: tuple[int, ...] = ()) -> Source:
    """The EPUB's metadata and, per spine document (`first`..`last`, then the indexes `also`), its headings
    and paragraphs in order."""
    with zipfile.ZipFile(epub) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"), _PARSER)
        opf_path = next(el.get("full-path") for el in container.iter() if _local(el) == "rootfile")
        opf = etree.fromstring(z.read(opf_path), _PARSER)
        dc = {(_local(el)): (el.text or "").strip() for el in opf.iter() if "purl.org/dc" in str(el.tag)}
        authors = [(el.text or "").strip() for el in opf.iter() if _local(el) == "creator"]
        items = {el.get("id"): el.get("href") for el in opf.iter() if _local(el) == "item"}
        spine = [items[el.get("idref")] for el in opf.iter() if _local(el) == "itemref"]
        src = Source(dc.get("title", ""), authors, dc.get("language", "en"))
        for href in spine[first:last] + [spine[i] for i in also]:
            root = etree.fromstring(z.read(posixpath.join(posixpath.dirname(opf_path), href)), _PARSER)
            src.docs.append(_blocks(root))
    return src


def _blocks(root) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []

    def walk(el):
        tag = _local(el)
        if tag in _SKIP:
            return
        if tag in _BLOCKS and not (tag in ("li", "td") and any(_local(c) in _BLOCKS for c in el)):
            if tag == "hgroup":
                heads = [c for c in el if _local(c)]
                level = min((int(_local(c)[1]) for c in heads if re.fullmatch(r"h\d", _local(c))), default=2)
                out.append((level, ": ".join(_text(c).replace("\n", " ") for c in heads if _text(c))))
            elif re.fullmatch(r"h\d", tag):
                out.append((int(tag[1]), _text(el).replace("\n", " ")))
            elif _text(el):
                out.append((0, _text(el)))
            return
        for c in el:
            walk(c)

    body = next((el for el in root.iter() if _local(el) == "body"), root)
    walk(body)
    return [(lv, t) for lv, t in out if t]


# ----------------------------------------------------------------------------------------------- DOCX


def _field(paragraph, code: str, shown: str) -> None:
    """A complex field (begin, code, separate, result, end) in a python-docx paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, code), ("separate", None), (None, shown), ("end", None)):
        run = paragraph.add_run()
        if kind:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            run._r.append(fc)
        elif text == code:
            it = OxmlElement("w:instrText")
            it.text = code
            run._r.append(it)
        else:
            run.text = text


def write_docx(src: Source, path: Path, heading_style: str = "Heading {}") -> Path:
    import docx

    doc = docx.Document()
    doc.core_properties.title = src.title
    doc.core_properties.author = "; ".join(src.authors)
    doc.core_properties.language = src.language
    section = doc.sections[0]
    section.header.paragraphs[0].text = src.title
    _field(section.footer.paragraphs[0], " PAGE ", "7")
    _field(doc.add_paragraph(), ' TOC \\o "1-3" \\h ', "Contents ... 3")
    for blocks in src.docs:
        for level, text in blocks:
            if level:
                doc.add_paragraph(text, style=heading_style.format(min(level, 3)))
            else:
                p = doc.add_paragraph()
                lines = text.split("\n")
                for i, line in enumerate(lines):
                    run = p.add_run(line)
                    if i < len(lines) - 1:
                        run.add_break()
        doc.add_page_break()
    doc.save(str(path))
    return path


# ----------------------------------------------------------------------------------------------- HTML


def write_html(src: Source, path: Path) -> Path:
    from lxml.html import builder as E

    body = E.BODY(
        E.HEADER(E.P("A website of old books"), E.NAV(E.A("Home", href="/"), E.A("Next", href="#")))
    )
    main = E.MAIN()
    for blocks in src.docs:
        sec = E.SECTION()
        for level, text in blocks:
            if level:
                sec.append(etree.Element(f"h{min(level, 3)}"))
                sec[-1].text = text
            else:
                p = E.P()
                lines = text.split("\n")
                p.text = lines[0]
                for line in lines[1:]:
                    br = E.BR()
                    br.tail = line
                    p.append(br)
                sec.append(p)
        main.append(sec)
    main.append(E.P("A hidden note for robots.", hidden="hidden"))
    body.append(main)
    body.append(E.FOOTER(E.P("Copyright the website; all rights reserved.")))
    body.append(E.SCRIPT("document.title = 'x';"))
    head = E.HEAD(
        E.TITLE(src.title),
        E.META(name="author", content=", ".join(src.authors)),
        E.META(name="dc.language", content=src.language),
    )
    page = E.HTML(head, body, lang=src.language)
    path.write_bytes(b"<!DOCTYPE html>\n" + etree.tostring(page, method="html", encoding="utf-8"))
    return path


# ----------------------------------------------------------------------------------------------- FB2

FB = "http://www.gribuser.ru/xml/fictionbook/2.0"
XL = "http://www.w3.org/1999/xlink"


def _sub(parent, tag: str, text: str | None = None, **attrs):
    el = etree.SubElement(parent, f"{{{FB}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def write_fb2(
    src: Source, path: Path, cover: bytes | None = None, series: tuple[str, str] | None = None
) -> Path:
    root = etree.Element(f"{{{FB}}}FictionBook", nsmap={None: FB, "l": XL})
    info = _sub(_sub(root, "description"), "title-info")
    _sub(info, "genre", "prose")
    for a in src.authors:
        names = a.split()
        au = _sub(info, "author")
        _sub(au, "first-name", " ".join(names[:-1]))
        _sub(au, "last-name", names[-1])
    _sub(info, "book-title", src.title)
    _sub(info, "lang", src.language)
    if series:
        _sub(info, "sequence", name=series[0], number=series[1])
    if cover:
        img = _sub(_sub(info, "coverpage"), "image")
        img.set(f"{{{XL}}}href", "#cover.png")
    body = _sub(root, "body")
    for blocks in src.docs:
        section = _sub(body, "section")
        stack = [(0, section)]
        for level, text in blocks:
            if level:
                while len(stack) > 1 and stack[-1][0] >= level:
                    stack.pop()
                sec = _sub(stack[-1][1], "section") if len(stack) > 1 or len(section) else section
                _sub(_sub(sec, "title"), "p", text)
                stack.append((level, sec))
            elif "\n" in text:
                stanza = _sub(_sub(stack[-1][1], "poem"), "stanza")
                for line in text.split("\n"):
                    _sub(stanza, "v", line)
            else:
                _sub(stack[-1][1], "p", text)
    if cover:
        _sub(
            root, "binary", base64.b64encode(cover).decode(), id="cover.png", **{"content-type": "image/png"}
        )
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    return path


# ----------------------------------------------------------------------------------------------- comparing plans


def plan_words(plan: dict) -> list[list[str]]:
    """Per chapter, the normalized words the plan would read (titles included), lower-case, no punctuation."""
    return [
        re.findall(r"[a-z0-9']+", " ".join(s["normalized"] for s in ch["segments"]).lower().replace("’", "'"))
        for ch in plan["chapters"]
    ]


def wer(ref: list[str], hyp: list[str]) -> float:
    """Word error rate of `hyp` against `ref`: (substitutions + deletions + insertions) / len(ref), counted on
    difflib's alignment (an upper bound of the edit distance, so never flattering)."""
    edits = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if op != "equal":
            edits += max(i2 - i1, j2 - j1)
    return edits / max(len(ref), 1)


def norm_title(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 12), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def sample_epub(path: Path, epub: Path, spine: tuple[int, int] = (4, 6)) -> Path:
    """A small EPUB of a few spine documents of a corpus book (headings and paragraphs only): what the
    committed Kindle samples in tests/data/ were converted from (see tests/data/README.md)."""
    from tests.epubs import build_epub

    src = read_source(epub, *spine)
    docs = {}
    toc = []
    for i, blocks in enumerate(src.docs, 1):
        title = next((t for lv, t in blocks if lv), f"Part {i}")
        body = "".join(
            f"<h2>{_esc(t)}</h2>" if lv else "<p>" + "<br/>".join(_esc(x) for x in t.split("\n")) + "</p>"
            for lv, t in blocks
        )
        docs[f"c{i}.xhtml"] = body
        toc.append((title, f"c{i}.xhtml"))
    return build_epub(path, docs, toc, title=src.title, authors=tuple(src.authors), language=src.language)


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=False)
