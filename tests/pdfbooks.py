"""Typeset a `Book` as a printed PDF with reportlab, for the PDF reader's tests.

What a typesetter does to a book, and what the reader has to undo: a title page, a copyright page and a
contents page with dotted leaders (front matter, Roman page numbers), each chapter on a new page under a
number line and a title line, justified text hyphenated at line ends (pyphen), first-line indents,
running heads (the book's title on even pages, the chapter's on odd ones) and page numbers at the foot,
optionally PDF bookmarks, two columns, and the document info (title, author).
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.records import Book, ParagraphKind

PAGE = (432.0, 648.0)  # 6 x 9 in, a trade paperback


def _split_title(title: str) -> tuple[str, str]:
    """("I", "A Letter with a Postscript") from "I: A Letter with a Postscript"; ("", title) otherwise."""
    m = re.match(r"^([IVXLC]+|\d+|Chapter [IVXLC\d]+): (.+)$", title)
    return (m.group(1), m.group(2)) if m else ("", title)


def _styles(columns: int):
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle

    size = 9.5 if columns == 2 else 10.5
    body = ParagraphStyle(
        "body",
        fontName="Times-Roman",
        fontSize=size,
        leading=size * 1.3,
        alignment=TA_JUSTIFY,
        firstLineIndent=size * 1.5,
        hyphenationLang="en_US",
        embeddedHyphenation=1,
        uriWasteReduce=0.3,
    )
    return {
        "body": body,
        "first": ParagraphStyle("first", parent=body, firstLineIndent=0),
        "verse": ParagraphStyle(
            "verse",
            parent=body,
            alignment=0,
            leftIndent=size * 3,
            firstLineIndent=0,
            spaceBefore=size * 0.6,
            spaceAfter=size * 0.6,
            hyphenationLang="",
        ),
        "head": ParagraphStyle(
            "head", parent=body, fontName="Times-Bold", alignment=0, firstLineIndent=0, spaceBefore=size * 0.5
        ),
        "number": ParagraphStyle(
            "number", fontName="Times-Roman", fontSize=15, leading=20, alignment=TA_CENTER, spaceBefore=60
        ),
        "title": ParagraphStyle(
            "title",
            fontName="Times-Bold",
            fontSize=17,
            leading=22,
            alignment=TA_CENTER,
            spaceBefore=6,
            spaceAfter=28,
        ),
        "booktitle": ParagraphStyle(
            "booktitle",
            fontName="Times-Bold",
            fontSize=26,
            leading=32,
            alignment=TA_CENTER,
            spaceBefore=120,
            spaceAfter=30,
        ),
        "author": ParagraphStyle(
            "author", fontName="Times-Roman", fontSize=16, leading=20, alignment=TA_CENTER
        ),
        "small": ParagraphStyle(
            "small", fontName="Times-Roman", fontSize=9, leading=12, alignment=TA_CENTER, spaceBefore=300
        ),
        "toc": ParagraphStyle("toc", fontName="Times-Roman", fontSize=10, leading=14),
        "note": ParagraphStyle("note", fontName="Times-Roman", fontSize=8, leading=10),
    }


MARGIN = 54.0  # 0.75 in


def _roman(n: int) -> str:
    out = ""
    for v, s in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= v:
            out, n = out + s, n - v
    return out


def _decorate(canvas, doc, front: bool, book: Book, state: dict) -> None:
    """At each page's end: the running head (not on a chapter's opening page), the page number, and the
    footnotes of the paragraphs drawn on it, in the bottom margin under a short rule."""
    canvas.saveState()
    w, h = PAGE
    canvas.setFont("Times-Roman", 9)
    canvas.drawCentredString(w / 2, MARGIN * 0.35, _roman(doc.page) if front else str(doc.page))
    if not front and not state.get("opening"):
        canvas.setFont("Times-Italic", 9)
        head = book.title if doc.page % 2 == 0 else (state["chapter"] or book.title)
        canvas.drawCentredString(w / 2, h - MARGIN * 0.6, head)
    state["opening"] = False
    if state["notes"]:
        canvas.line(MARGIN, MARGIN - 3, MARGIN + 60, MARGIN - 3)
        canvas.setFont("Times-Roman", 7.5)
        for i, (mark, text) in enumerate(state["notes"]):
            canvas.drawString(MARGIN, MARGIN - 12 - 9 * i, f"{mark} {text}")
        state["notes"] = []
    canvas.restoreState()


def _doc(path: Path, book: Book, *, outline: bool, columns: int, info: bool, state: dict):
    """A reportlab document: front-matter pages (Roman numbers) and body pages (one or two columns, running
    heads), each chapter opening noted in the contents and, with `outline`, as a bookmark."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    class Doc(BaseDocTemplate):
        def afterFlowable(self, flowable):
            key = getattr(flowable, "_chapter", None)
            if key is None:
                return
            title, level = key
            state["chapter"] = title
            self.notify("TOCEntry", (0, title, self.page))
            if outline:
                name = f"c{id(flowable)}"
                self.canv.bookmarkPage(name)
                self.canv.addOutlineEntry(title, name, level=level)

    w, h = PAGE
    doc = Doc(
        str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=book.title if info else "",
        author=book.author if info else "",
        subject="",
        creator="reportlab (render's tests)",
    )
    fw, fh, gutter = w - 2 * MARGIN, h - 2 * MARGIN, 14
    half = (fw - gutter) / 2
    cols = (
        [Frame(MARGIN, MARGIN, fw, fh, id="one")]
        if columns == 1
        else [
            Frame(MARGIN, MARGIN, half, fh, id="left"),
            Frame(MARGIN + half + gutter, MARGIN, half, fh, id="right"),
        ]
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                "front",
                [Frame(MARGIN, MARGIN, fw, fh, id="f")],
                onPageEnd=lambda c, d: _decorate(c, d, True, book, state),
            ),
            PageTemplate("body", cols, onPageEnd=lambda c, d: _decorate(c, d, False, book, state)),
        ]
    )
    return doc


def _front(book: Book, st) -> list:
    """Title page, copyright page, contents page (dotted leaders, page numbers)."""
    from reportlab.platypus import NextPageTemplate, PageBreak, Paragraph
    from reportlab.platypus.tableofcontents import TableOfContents

    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [st["toc"]]
    return [
        Paragraph(escape(book.title), st["booktitle"]),
        Paragraph(escape(book.author), st["author"]),
        PageBreak(),
        Paragraph(
            f"Copyright {book.year or '1906'} by {escape(book.author)}. All rights reserved. "
            "Typeset for testing. Printed in nowhere.",
            st["small"],
        ),
        PageBreak(),
        Paragraph("Contents", st["title"]),
        toc,
        NextPageTemplate("body"),
    ]


def _chapter(ch, st, state: dict, pending: dict[str, str]) -> list:
    """A chapter on a new page: its number line and title line, then its paragraphs."""
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    class Opening(Spacer):
        def draw(self):
            state["opening"] = True

    number, title = _split_title(ch.title)
    mark = Spacer(1, 1)
    mark._chapter = (ch.title, ch.level)  # type: ignore[attr-defined]
    out: list = [PageBreak(), Opening(1, 1), mark]
    if number:
        out.append(Paragraph(escape(number), st["number"]))
    out.append(Paragraph(escape(title), st["title"] if number else _spaced(st["title"], 80)))
    first = True
    for para in ch.paragraphs[1:]:
        text = escape(para.text)
        if para.kind in (ParagraphKind.VERSE, ParagraphKind.HEADING):
            verse = para.kind == ParagraphKind.VERSE
            out.append(Paragraph(text.replace("\n", "<br/>"), st["verse" if verse else "head"]))
            first = True
            continue
        text, note = _footnote(text, pending)
        if para.section_break_before:
            out.append(Spacer(1, 14))
        out.append(Paragraph(text, st["first"] if first or para.section_break_before else st["body"]))
        if note:
            out.append(_NoteMark(state, note))
        first = False
    return out


def typeset(
    book: Book,
    path: Path,
    *,
    outline: bool = True,
    columns: int = 1,
    info: bool = True,
    chapters: int | None = None,
    footnotes: dict[str, str] | None = None,
) -> Path:
    """Write `book` as a PDF at `path`. `chapters`: only the first N; `footnotes`: word -> note text, a
    note marked "*" after the first occurrence of that word, at the foot of the page its paragraph ends on."""
    st = _styles(columns)
    state: dict = {"chapter": "", "notes": []}
    doc = _doc(path, book, outline=outline, columns=columns, info=info, state=state)
    story = _front(book, st)
    pending = dict(footnotes or {})
    for ch in book.chapters[:chapters] if chapters else book.chapters:
        story += _chapter(ch, st, state, pending)
    doc.multiBuild(story)
    return path


def _spaced(style, before: float):
    from reportlab.lib.styles import ParagraphStyle

    return ParagraphStyle(f"{style.name}-spaced", parent=style, spaceBefore=before)


def _footnote(text: str, pending: dict[str, str]) -> tuple[str, str]:
    """`text` with a superscript note number after the first word that `pending` names, and the note."""
    for word in list(pending):
        m = re.search(rf"\b{re.escape(word)}\b", text)
        if m:
            note = pending.pop(word)
            return text[: m.end()] + "<super>*</super>" + text[m.end() :], note
    return text, ""


def _NoteMark(state: dict, note: str):
    """A flowable of no size that, once drawn, puts its note at the foot of the page it landed on."""
    from reportlab.platypus import Spacer

    class NoteMark(Spacer):
        def draw(self):
            state["notes"].append(("*", note))

    return NoteMark(1, 0)


def draw(
    path: Path,
    pages: list[list[tuple]],
    *,
    outline: list[tuple[str, int, int]] = (),
    title: str = "",
    author: str = "",
    encrypt=None,
) -> Path:
    """A PDF drawn line by line: each page a list of (x, y, text) or (x, y, text, font, size), points from the bottom
    left; `outline` entries are (title, level, page index), each pointing at the top of its page."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=PAGE, encrypt=encrypt)
    c.setTitle(title)
    c.setAuthor(author)
    for i, items in enumerate(pages):
        for entry, lvl, page in outline:
            if page == i:
                key = f"o{len(entry)}-{lvl}-{page}-{abs(hash(entry))}"
                c.bookmarkPage(key)
                c.addOutlineEntry(entry, key, level=lvl)
        for x, y, text, *rest in items:
            font, size = rest if rest else ("Times-Roman", 11)
            c.setFont(font, size)
            c.drawString(x, y, text)
        c.showPage()
    c.save()
    return path


def prose(
    lines: list[str],
    *,
    top: float = 560,
    x: float = 54,
    size: float = 11,
    indent_first: bool = True,
    leading: float = 14,
) -> list[tuple]:
    """Lines of running text from `top` down, the first indented like a paragraph's first line."""
    return [
        (x + (16 if indent_first and k == 0 else 0), top - k * leading, ln, "Times-Roman", size)
        for k, ln in enumerate(lines)
    ]


_FODT_STYLES = """
<office:styles>
 <style:style style:name="Standard" style:family="paragraph"><style:text-properties fo:font-size="11pt"
  fo:language="en" fo:country="US"/></style:style>
 <style:style style:name="Body" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="justify" fo:text-indent="0.25in" fo:margin-top="0in"
   fo:margin-bottom="0in" fo:line-height="125%"/>
  <style:text-properties fo:hyphenate="true" fo:hyphenation-remain-char-count="2"
   fo:hyphenation-push-char-count="2"/></style:style>
 <style:style style:name="Verse" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:margin-left="0.6in" fo:margin-top="0.08in" fo:margin-bottom="0.08in"/></style:style>
 <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph"
  style:default-outline-level="1" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:break-before="page" fo:margin-top="0.9in"
   fo:margin-bottom="0.35in"/><style:text-properties fo:font-size="17pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="BookTitle" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center" fo:margin-top="2in" fo:margin-bottom="0.4in"/>
  <style:text-properties fo:font-size="26pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="BookAuthor" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="15pt"/></style:style>
 <style:style style:name="Furniture" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:text-align="center"/><style:text-properties fo:font-size="9pt"
   fo:font-style="italic"/></style:style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="6in" fo:page-height="9in"
  fo:margin-top="0.5in" fo:margin-bottom="0.5in" fo:margin-left="0.8in" fo:margin-right="0.8in"/>
  <style:header-style><style:header-footer-properties fo:min-height="0.2in" fo:margin-bottom="0.25in"/>
  </style:header-style><style:footer-style><style:header-footer-properties fo:min-height="0.2in"
  fo:margin-top="0.25in"/></style:footer-style></style:page-layout>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">
 <style:header><text:p text:style-name="Furniture"><text:title/></text:p></style:header>
 <style:footer><text:p text:style-name="Furniture"><text:page-number text:select-page="current"/></text:p>
 </style:footer></style:master-page></office:master-styles>
"""


def write_fodt(book: Book, path: Path, *, chapters: int | None = None) -> Path:
    """`book` as a flat OpenDocument text for LibreOffice: a title page, Heading 1 chapters on new pages,
    justified hyphenated paragraphs, verse, the title as a running head and page numbers at the foot."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
    )
    body = [
        f'<text:p text:style-name="BookTitle">{escape(book.title)}</text:p>',
        f'<text:p text:style-name="BookAuthor">{escape(book.author)}</text:p>',
    ]
    for ch in book.chapters[:chapters] if chapters else book.chapters:
        body.append(
            f'<text:h text:style-name="Heading_20_1" text:outline-level="1">{escape(ch.title)}</text:h>'
        )
        for para in ch.paragraphs[1:]:
            if para.kind == ParagraphKind.VERSE:
                lines = "<text:line-break/>".join(escape(ln) for ln in para.text.split("\n"))
                body.append(f'<text:p text:style-name="Verse">{lines}</text:p>')
            else:
                body.append(f'<text:p text:style-name="Body">{escape(para.text)}</text:p>')
    doc = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document {ns} office:version="1.3" '
        'office:mimetype="application/vnd.oasis.opendocument.text">'
        f"<office:meta><dc:title>{escape(book.title)}</dc:title><dc:creator>{escape(book.author)}</dc:creator>"
        f"<meta:initial-creator>{escape(book.author)}</meta:initial-creator></office:meta>"
        f"{_FODT_STYLES}<office:body><office:text>{''.join(body)}</office:text></office:body></office:document>"
    )
    path.write_text(doc, encoding="utf-8")
    return path


def libreoffice_pdf(source: Path, *, bookmarks: bool = True, timeout: float = 300) -> Path:
    """Convert `source` to PDF with LibreOffice (`soffice`), beside it; FileNotFoundError when absent."""
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise FileNotFoundError("soffice")
    options = '{"ExportBookmarks":{"type":"boolean","value":"%s"}}' % ("true" if bookmarks else "false")
    with tempfile.TemporaryDirectory(prefix="render-lo-") as profile:
        subprocess.run(
            [
                exe,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                f"pdf:writer_pdf_Export:{options}",
                "--outdir",
                str(source.parent),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    return source.with_suffix(".pdf")


_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "%": r"\%",
}
_TEX_LATIN = (
    set(range(32, 127)) | {0x2018, 0x2019, 0x201C, 0x201D, 0x2013, 0x2014, 0x2026} | set(range(0xC0, 0x100))
)


def _tex(text: str) -> str:
    text = "".join(c if ord(c) in _TEX_LATIN else " " for c in text)
    return "".join(_TEX_SPECIALS.get(c, c) for c in text)


def write_latex(book: Book, path: Path, *, bookmarks: bool = True, chapters: int | None = None) -> Path:
    """`book` as LaTeX (book class): a title page, a contents page, chapters on new pages with running heads
    (the chapter title and the page number in the header), justified text hyphenated by TeX, verse."""
    head = [
        r"\documentclass[11pt,openany]{book}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[paperwidth=6in,paperheight=9in,margin=0.8in]{geometry}",
        rf"\usepackage[bookmarks={'true' if bookmarks else 'false'},hidelinks,pdfusetitle]{{hyperref}}",
        rf"\title{{{_tex(book.title)}}}",
        rf"\author{{{_tex(book.author)}}}",
        r"\date{}",
        r"\pagestyle{headings}",
        r"\begin{document}",
        r"\maketitle",
        r"\tableofcontents",
    ]
    body: list[str] = []
    for ch in book.chapters[:chapters] if chapters else book.chapters:
        t = _tex(ch.title)
        body += [
            rf"\chapter*{{{t}}}",
            rf"\addcontentsline{{toc}}{{chapter}}{{{t}}}",
            rf"\markboth{{{t}}}{{{t}}}",
        ]
        for para in ch.paragraphs[1:]:
            if para.kind == ParagraphKind.VERSE:
                body.append(
                    r"\begin{verse}"
                    + " \\\\\n".join(_tex(ln) for ln in para.text.split("\n"))
                    + r"\end{verse}"
                )
            else:
                body.append(_tex(para.text) + "\n")
    path.write_text("\n".join([*head, *body, r"\end{document}"]) + "\n", encoding="utf-8")
    return path


def latex_pdf(source: Path, timeout: float = 300) -> Path:
    """Typeset `source` with pdflatex (twice, for the contents page); FileNotFoundError when absent."""
    import shutil
    import subprocess

    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError("pdflatex")
    for _ in range(2):
        subprocess.run(
            [exe, "-interaction=nonstopmode", "-halt-on-error", source.name],
            cwd=source.parent,
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    return source.with_suffix(".pdf")
