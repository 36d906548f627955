"""PDF with a text layer to a Book, read as the typesetter laid it out (pypdfium2: PDFium's text and layout).

The stages, one module each: `layout` (characters to lines in reading order, two columns included),
`furniture` (running heads and feet, page numbers and footnotes set aside), `blocks` (lines to paragraphs,
verse, headings and contents pages; hyphenation undone), `chapters` (the outline, else the headings' type, to
chapters with the EPUB reader's hierarchy and front-matter rules), `meta` (document info, XMP, title page).

What cannot be read is one InputError line: not a PDF at all (a renamed image), truncated or damaged,
encrypted (a password, or text extraction forbidden), a scan with no text layer (it needs OCR first).
The file is read once into memory within `limits.epub_max_total_mb` and never written.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ...errors import InputError
from ...records import Book, Paragraph, ParagraphKind
from ..text import smart_title
from .blocks import Block, book_words, join_lines, make_blocks
from .chapters import Entry, build_chapters, headings, is_heading
from .furniture import Note, body_metrics, strip_furniture
from .layout import Line, page_lines, reading_order

log = logging.getLogger(__name__)

_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a zip archive (an EPUB, DOCX or similar)"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0", "a Word 97 document"),
)
_PERMIT_COPY, _PERMIT_ACCESSIBILITY = 1 << 4, 1 << 9
_ENTRY_END = re.compile(r"(?:\s*(?:\.\s?){2,}|\s*\u2026+|\s)\s*(?:\d{1,4}|[ivxlcdm]{1,7})$")


def _load(path: str, limits) -> bytes:
    p = Path(path)
    cap = int(limits.epub_max_total_mb * 2**20)
    size = p.stat().st_size
    if size > cap:
        raise InputError(
            f"{path}: {size // 2**20} MB, over the limit of {cap // 2**20} MB for a book file "
            "(limits.epub_max_total_mb)"
        )
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    if b"%PDF-" not in data[:1024]:
        what = next((name for magic, name in _MAGIC if data.startswith(magic)), "")
        raise InputError(
            f"{path}: not a PDF"
            + (f" (it is {what} named .pdf)" if what else " (no %PDF- header); check the file")
        )
    if b"%%EOF" not in data.rstrip(b"\x00 \t\r\n")[-4096:]:  # padding after the marker is fine
        raise InputError(
            f"{path}: the PDF is truncated or damaged (no end-of-file marker); download or export it again"
        )
    return data


def _open(data: bytes, path: str):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise InputError(
                f"{path}: the PDF is encrypted and needs a password; only unlocked PDFs can be "
                "read (save an unlocked copy first)"
            ) from e
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise InputError(
                f"{path}: the PDF is DRM-protected (an unsupported security handler); only "
                "DRM-free PDFs can be read"
            ) from e
        raise InputError(
            f"{path}: the PDF is damaged and cannot be opened ({str(e)[:80]}); export it again"
        ) from e
    if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
        perms = pdfium_c.FPDF_GetDocPermissions(pdf.raw) & 0xFFFFFFFF
        if not perms & (_PERMIT_COPY | _PERMIT_ACCESSIBILITY):
            pdf.close()
            raise InputError(
                f"{path}: the PDF is encrypted and its owner forbids extracting its text (even for "
                "accessibility); only unrestricted PDFs can be read"
            )
    if len(pdf) == 0:
        pdf.close()
        raise InputError(f"{path}: the PDF has no pages")
    return pdf


def _pages(pdf, path: str) -> tuple[list[list[Line]], list[float], int]:
    """Each page's lines in reading order, each page's width, and how many pages hold images only."""
    import pypdfium2 as pdfium

    pages: list[list[Line]] = []
    widths: list[float] = []
    images = 0
    for i in range(len(pdf)):
        try:
            page = pdf[i]
            width, _ = page.get_size()
            textpage = page.get_textpage()
            lines = page_lines(textpage, i)
            if not any(ln.text.strip() for ln in lines) and any(
                True for _ in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2)
            ):
                images += 1
            textpage.close()
            page.close()
        except pdfium.PdfiumError as e:
            raise InputError(
                f"{path}: page {i + 1} of the PDF is damaged ({str(e)[:80]}); export it again"
            ) from e
        pages.append(reading_order(lines, width))
        widths.append(width)
    return pages, widths, images


def _outline(pdf, blocks: list[Block], max_entries: int, warnings: list[str]) -> list[Entry]:
    """The bookmarks as chapter starts: each at the first block at or below its destination on its page."""
    entries: list[Entry] = []
    first_on: dict[int, int] = {}
    for k, b in enumerate(blocks):
        for ln in b.lines:
            first_on.setdefault(ln.page, k)
    try:
        marks = list(pdf.get_toc(max_depth=16))
    except Exception as e:  # noqa: BLE001 - a broken outline: the headings are read instead
        warnings.append(f"the PDF's outline is unreadable ({type(e).__name__}); chapters from its headings")
        return []
    if len(marks) > max_entries:
        raise InputError(
            f"{len(marks)} outline entries, over the limit of {max_entries} (limits.max_toc_entries)"
        )
    for bm in marks:
        title = " ".join((bm.get_title() or "").split())
        dest = bm.get_dest()
        if dest is None or not title:
            continue
        page = dest.get_index()
        if page is None:
            continue
        _, pos = dest.get_view()
        top = pos[1] if len(pos) > 1 and pos[1] else None
        start = _locate(blocks, first_on, page, top, title)
        if start is None:
            warnings.append(f"outline entry '{title}' points to a page with no text after it; skipped")
            continue
        if entries and entries[-1].start == start and entries[-1].title == title:
            continue  # the same bookmark twice
        entries.append(Entry(title, bm.level, start))
    return entries


def _locate(
    blocks: list[Block], first_on: dict[int, int], page: int, top: float | None, title: str
) -> int | None:
    start = next((first_on[p] for p in sorted(first_on) if p >= page), None)
    if start is None:
        return None
    want = set(re.findall(r"\w+", title.lower()))
    k = start
    while k < len(blocks) and blocks[k].page == blocks[start].page and k < start + 60:
        b = blocks[k]
        if (top is None or b.first.top <= top + 2) and set(re.findall(r"\w+", b.text.lower())) & want:
            return k
        k += 1
    if top is not None:
        return next(
            (
                k
                for k in range(start, min(len(blocks), start + 60))
                if blocks[k].page != blocks[start].page or blocks[k].first.top <= top + 2
            ),
            start,
        )
    return start


def _paragraphs(notes: dict[int, list[Note]], size: float, include_front_matter: bool, read_notes: bool):
    def convert(blocks: list[Block]) -> list[Paragraph]:
        out: list[Paragraph] = []
        for b in blocks:
            if b.kind == "contents" and not include_front_matter:
                continue
            kind = (
                ParagraphKind.VERSE
                if b.kind == "verse"
                else ParagraphKind.HEADING
                if b.kind == "section" or is_heading(b, size)
                else ParagraphKind.TEXT
            )
            if b.kind == "contents":  # read as a list: each entry without its leader dots and page number
                entries = [_ENTRY_END.sub("", ln.text).strip() for ln in b.lines]
                b.text, kind = "\n".join(e for e in entries if e), ParagraphKind.VERSE
            if b.text.strip():
                out.append(Paragraph(b.text, kind, section_break_before=b.section_break))
            if read_notes:
                out += [Paragraph(n.text) for n in notes.get(id(b), []) if n.text.strip()]
        return out

    return convert


def _attach_notes(notes: list[Note], blocks: list[Block]) -> dict[int, list[Note]]:
    """Each footnote to the block that calls it (its marker on the note's page), else the page's last block."""
    out: dict[int, list[Note]] = {}
    by_page: dict[int, list[Block]] = {}
    for b in blocks:
        for p in {ln.page for ln in b.lines}:
            by_page.setdefault(p, []).append(b)
    for n in notes:
        on_page = by_page.get(n.page) or by_page.get(n.page - 1) or []
        if not on_page:
            continue
        target = next((b for b in on_page if n.mark and n.mark in "".join(b.marks)), on_page[-1])
        out.setdefault(id(target), []).append(n)
    return out


def read_pdf(
    path: str | Path, *, include_front_matter: bool = False, read_notes: bool = False, limits=None
) -> Book:
    """Read a PDF with a text layer into a Book. InputError with a one-line reason when it cannot be read."""
    from ...config import LimitsConfig
    from . import meta

    path = str(path)
    limits = limits or LimitsConfig()
    data = _load(path, limits)
    pdf = _open(data, path)
    try:
        pages, widths, images = _pages(pdf, path)
        chars = sum(len(ln.text) for lines in pages for ln in lines)
        if chars < 20 * len(pages) and images >= max(1, len(pages) // 2):
            raise InputError(
                f"{path}: a scanned PDF with no text layer ({images} of {len(pages)} pages are only "
                "images); it needs OCR first (for example: ocrmypdf in.pdf out.pdf)"
            )
        if chars == 0:
            raise InputError(f"{path}: the PDF has no text to read")
        warnings: list[str] = []
        pages, notes = strip_furniture(pages)
        size, gap = body_metrics(pages)
        blocks = make_blocks(pages, widths, size, gap)
        words = book_words(blocks)
        for b in blocks:
            b.text = join_lines([ln.text for ln in b.lines], words, verse=b.kind == "verse")
        entries = _outline(pdf, blocks, limits.max_toc_entries, warnings)
        doc_info, packet = meta.info(pdf), meta.xmp(data)
        lang = packet.get("language") or meta.language(pdf, data) or "en"
    except InputError as e:
        raise InputError(str(e) if str(e).startswith(str(path)) else f"{path}: {e}") from e
    finally:
        pdf.close()
    found = meta.title_page(blocks, size)
    title = packet.get("title") or doc_info.get("title") or found.get("title") or smart_title(Path(path).stem)
    if not entries:
        entries = headings(blocks, size)
        warnings.append("the PDF has no outline (bookmarks): chapters from its headings")
    if not entries:
        entries = [Entry(title, 0, 0)]
    authors = meta.authors(packet.get("creator") or doc_info.get("author") or found.get("author", ""))
    year = (re.search(r"\b(1[4-9]\d\d|20\d\d)\b", packet.get("date", "")) or [""])[
        0
    ] or meta.publication_year(blocks)
    known = set(re.findall(r"[a-z0-9]+", " ".join([title, *authors]).lower())) | {
        "by",
        "the",
        "a",
        "an",
        "and",
        "of",
        "novel",
        "edition",
        "illustrated",
        "with",
        "contents",
    }
    convert = _paragraphs(_attach_notes(notes, blocks), size, include_front_matter, read_notes)
    chapters = build_chapters(
        blocks, entries, convert, include_front_matter=include_front_matter, known=known, book_title=title
    )
    if not chapters:
        raise InputError(
            f"{path}: the PDF has no readable text (every page is empty or front matter; "
            "try --include-front-matter)"
        )
    return Book(
        title=title,
        authors=authors,
        chapters=chapters,
        language=lang,
        date=year,
        source=str(path),
        warnings=warnings,
    )


__all__ = ["read_pdf"]
