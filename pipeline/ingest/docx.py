"""Word (.docx) to a Book, through python-docx (the package, styles and core properties).

- Chapters: paragraphs in the Title and Heading styles, or with an outline level (set on the paragraph or on
  its style or any style it is based on, so "Heading 1", "heading 1", "Titre 1" and a custom style based on a
  heading all count), under the same rules as EPUB (`ingest.outline`: parts, front matter, notes). A lone
  top-level heading first of all (a Title) names the book.
- Read: the body's paragraphs (line breaks make verse), tables row by row, content controls, hyperlinks'
  text, tracked insertions. Never read: page headers and footers (other parts), fields' codes and results
  (page numbers, a table of contents, cross-references; a hyperlink field's text is read), deleted text,
  drawings and text boxes, table-of-contents paragraphs and content controls.
- Footnotes and endnotes: their reference marks are not read; with `read_notes` each follows its chapter.
- Metadata: the core properties (title, author, language, created, subject, identifier, keywords).

The archive is opened within the `[limits]` of EPUB (`ingest.safety`: sizes, ratio, member count) before
python-docx sees it; the XML is parsed with no DTD, entities or network.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import InputError
from ..records import Book, Paragraph, ParagraphKind
from .html import headings
from .outline import build_chapters
from .safety import ArchiveLimits, open_archive
from .xhtml import Block, clean_space

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(
    r"^(?:heading|titre|überschrift|título|titolo|kop|nagłówek|заголовок|rubrik)\s*(\d)$", re.I
)
_TOC_NAME = re.compile(
    r"^(?:toc|contents|table of contents|inhaltsverzeichnis|verzeichnis|index)\s*(?:heading|"
    r"\d)?$|^(?:toc|index) ?heading$",
    re.I,
)
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(slots=True)
class _Fields:
    """Open fields (Word's { PAGE }, { TOC }, { HYPERLINK }), which span runs and paragraphs: [code, result?]."""

    stack: list[list] = field(default_factory=list)

    def readable(self) -> bool:
        return all(f[1] and f[0].split()[:1] == ["HYPERLINK"] for f in self.stack)


class _Styles:
    """Heading level by style id: -1 for none, 0 for Title, 1-9 for headings; and which styles are a TOC's."""

    def __init__(self, doc):
        self.by_id = {s.style_id: s for s in doc.styles if s.style_id}
        self.memo: dict[str, int] = {}

    def chain(self, sid: str):
        seen: set[str] = set()
        style = self.by_id.get(sid)
        while style is not None and style.style_id not in seen and len(seen) < 20:
            seen.add(style.style_id)
            yield style
            style = style.base_style

    def level(self, sid: str) -> int:
        if sid not in self.memo:
            self.memo[sid] = -1
            for s in self.chain(sid):
                name = (s.name or "").strip()
                if name.lower() == "title":
                    self.memo[sid] = 0
                    break
                lvl = s.element.find(f"{W}pPr/{W}outlineLvl")
                m = _HEADING_NAME.match(name) or _HEADING_NAME.match(s.style_id or "")
                if lvl is not None and (lvl.get(f"{W}val") or "").isdigit() and int(lvl.get(f"{W}val")) < 9:
                    self.memo[sid] = int(lvl.get(f"{W}val")) + 1
                    break
                if m:
                    self.memo[sid] = int(m.group(1))
                    break
        return self.memo[sid]

    def is_toc(self, sid: str) -> bool:
        return any(
            _TOC_NAME.match((s.name or "").strip()) or _TOC_NAME.match(s.style_id or "")
            for s in self.chain(sid)
        )


class _Reader:
    def __init__(self, styles: _Styles | None):
        self.styles = styles
        self.fields = _Fields()
        self.blocks: list[Block] = []
        self.heads: list[tuple[int, str, int]] = []
        self.brk = False
        self.warnings: list[str] = []

    def runs(self, el, out: list[str], refs: list[str]) -> None:
        """Text of a paragraph's content in order, within the rules of the module's docstring."""
        for c in el:
            tag = c.tag.rsplit("}", 1)[-1] if isinstance(c.tag, str) else ""
            if tag == "fldChar":
                kind = c.get(f"{W}fldCharType")
                if kind == "begin":
                    self.fields.stack.append(["", False])
                elif kind == "separate" and self.fields.stack:
                    self.fields.stack[-1][1] = True
                elif kind == "end" and self.fields.stack:
                    self.fields.stack.pop()
            elif tag == "instrText" and self.fields.stack:
                self.fields.stack[-1][0] += c.text or ""
            elif tag in ("footnoteReference", "endnoteReference"):
                refs.append(f"{tag[:2]}{c.get(f'{W}id')}")
            elif tag in (
                "del",
                "drawing",
                "pict",
                "object",
                "AlternateContent",
                "rPr",
                "pPr",
                "footnoteRef",
                "endnoteRef",
            ):
                continue
            elif tag == "fldSimple":
                if (c.get(f"{W}instr") or "").split()[:1] == ["HYPERLINK"]:
                    self.runs(c, out, refs)
            elif tag in ("t", "tab", "noBreakHyphen", "br", "cr"):
                if self.fields.readable():
                    out.append(
                        c.text or ""
                        if tag == "t"
                        else {"tab": " ", "noBreakHyphen": "-"}.get(
                            tag, " " if c.get(f"{W}type") == "page" else "\n"
                        )
                    )
            elif tag == "sdt" and self._toc_control(c):
                continue
            else:
                self.runs(c, out, refs)

    def _toc_control(self, sdt) -> bool:
        gallery = sdt.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
        return gallery is not None and "contents" in (gallery.get(f"{W}val") or "").lower()

    def paragraph(self, p, note: str = "") -> None:
        sid_el = p.find(f"{W}pPr/{W}pStyle")
        sid = sid_el.get(f"{W}val") if sid_el is not None else ""
        out: list[str] = []
        refs: list[str] = []
        self.runs(p, out, refs)
        if self.styles is not None and sid and self.styles.is_toc(sid):
            return
        text = clean_space("".join(out))
        if not any(ch.isalnum() for ch in text):
            self.brk = self.brk or (bool(text) and bool(self.blocks))  # "* * *": a scene break
            return
        level = self._level(p, sid) if self.styles is not None and not note else -1
        if level > 3:  # Heading 4 and deeper: a heading inside a chapter
            self.blocks.append(
                Block(Paragraph(text.replace("\n", " "), ParagraphKind.HEADING), [], False, refs)
            )
            return
        if level >= 0:
            self.heads.append((level, text.replace("\n", " "), len(self.blocks)))
            self.brk = False
            return
        kind = ParagraphKind.VERSE if "\n" in text else ParagraphKind.TEXT
        self.blocks.append(
            Block(
                Paragraph(text, kind, section_break_before=self.brk and not note),
                [note] if note else [],
                bool(note),
                refs,
            )
        )
        self.brk = False if not note else self.brk

    def _level(self, p, sid: str) -> int:
        lvl = p.find(f"{W}pPr/{W}outlineLvl")
        if lvl is not None and (lvl.get(f"{W}val") or "").isdigit():
            return int(lvl.get(f"{W}val")) + 1 if int(lvl.get(f"{W}val")) < 9 else -1
        return self.styles.level(sid) if sid and self.styles is not None else -1

    def body(self, el, note: str = "") -> None:
        for c in el:
            tag = c.tag.rsplit("}", 1)[-1] if isinstance(c.tag, str) else ""
            if tag == "p":
                self.paragraph(c, note)
            elif tag == "tbl":
                self.table(c, note)
            elif tag == "sdt" and not self._toc_control(c):
                content = c.find(f"{W}sdtContent")
                if content is not None:
                    self.body(content, note)
            elif tag in ("customXml", "ins"):
                self.body(c, note)

    def table(self, tbl, note: str) -> None:
        for row in tbl.iter(f"{W}tr"):
            cells = []
            for cell in row.iter(f"{W}tc"):
                out: list[str] = []
                for p in cell.iter(f"{W}p"):
                    self.runs(p, out, [])
                    out.append(" ")
                cells.append(clean_space("".join(out)).replace("\n", " "))
            cells = [c for c in cells if c]
            if cells:
                text = ", ".join(cells) + ("" if cells[-1][-1:] in ".!?" else ".")
                self.blocks.append(Block(Paragraph(text), [note] if note else [], bool(note), []))


def _notes(doc, reader: _Reader) -> None:
    """Footnotes and endnotes as note blocks with ids "fo<id>" and "en<id>" (what references point to)."""
    for rel in doc.part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind not in ("footnotes", "endnotes") or rel.is_external:
            continue
        try:
            root = etree.fromstring(rel.target_part.blob, _SAFE)
        except etree.XMLSyntaxError as e:
            reader.warnings.append(f"the {kind} part is not well-formed XML ({str(e)[:80]}); not read")
            continue
        for note in root:
            if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            before = len(reader.blocks)
            reader.body(note, f"{kind[:2]}{note.get(f'{W}id')}")
            if len(reader.blocks) > before + 1:  # a note of several paragraphs: one block
                merged = " ".join(b.paragraph.text for b in reader.blocks[before:])
                reader.blocks[before:] = [Block(Paragraph(merged), reader.blocks[before].ids, True, [])]


def _metadata(doc, book: Book) -> None:
    cp = doc.core_properties
    book.title = clean_space(cp.title or "")
    book.authors = [a.strip() for a in re.split(r";|\s+and\s+|&", cp.author or "") if a.strip()]
    book.language = (cp.language or "").strip() or "en"
    book.date = str(cp.created.year) if cp.created and cp.created.year > 1900 else ""
    book.description = clean_space(cp.subject or cp.comments or "")
    book.identifier = clean_space(cp.identifier or "")


def _open(path: Path, limits):
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a Word document (not a zip archive); save it as .docx and try again")
    archive = open_archive(str(path), ArchiveLimits.of(limits))
    import docx

    try:
        return docx.Document(io.BytesIO(archive.data))
    except Exception as e:  # noqa: BLE001 - python-docx raises many kinds (KeyError, ValueError, ...) on a bad package
        raise InputError(
            f"{path}: not a readable Word document ({type(e).__name__}: {str(e)[:100]}); "
            "check it opens in a word processor"
        ) from None


def read_docx(
    path: Path, *, include_front_matter: bool = False, read_notes: bool = False, limits=None
) -> Book:
    """Read a .docx into a Book. InputError with a one-line reason when it cannot be read."""
    from ..config import LimitsConfig

    limits = limits or LimitsConfig()
    doc = _open(path, limits)
    book = Book(title="", authors=[], chapters=[], source=str(path))
    _metadata(doc, book)
    reader = _Reader(_Styles(doc))
    reader.body(doc.element.body)
    heads, title = headings(reader.heads, book.title)
    reader.styles = None
    _notes(doc, reader)
    book.title = title or path.name.split(".")[0]
    book.warnings += reader.warnings
    book.chapters = build_chapters(
        reader.blocks,
        heads,
        path,
        book_title=book.title,
        authors=book.authors,
        include_front_matter=include_front_matter,
        read_notes=read_notes,
        warnings=book.warnings,
    )
    return book
