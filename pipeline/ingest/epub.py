"""EPUB 2 and 3 to a Book: chapters from the table of contents, front and back matter set aside.

ebooklib reads the package (OPF, spine, NCX or nav, metadata); content documents are parsed by
`pipeline.ingest.xhtml` with a safe parser. A TOC entry may point into the middle of a file
(`chapter.xhtml#ch2`): the file is cut at that element. Spine items between two TOC entries belong to
the earlier one. With no usable TOC, each linear spine item is a chapter titled by its first heading.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import urllib.parse
import warnings
import zipfile
from dataclasses import dataclass

from ..errors import InputError
from ..records import Book, Chapter, Paragraph, ParagraphKind
from .safety import ArchiveLimits, open_archive
from .xhtml import EPUB_TYPE, Block, body_types, clean_space, document_blocks, parse_xhtml

log = logging.getLogger(__name__)

# epub:type / guide types / landmarks that mark matter a listener does not want read by default
FRONT_BACK_TYPES = {
    "cover",
    "titlepage",
    "halftitlepage",
    "title-page",
    "fulltitle",
    "copyright-page",
    "imprint",
    "toc",
    "colophon",
    "loi",
    "lot",
    "index",
    "seriespage",
    "other-credits",
    "z3998:publisher-logo",
    "contributors",
    "errata",
    "revision-history",
    "se:uncopyright",
    "z3998:uncopyright",
    "uncopyright",
    "imprimatur",
    "landmarks",
    "page-list",
    "copyright",
    "license",
    "endnotes",
    "footnotes",
    "rearnotes",
    "other.ms-coverimage-standard",
    "other.ms-coverimage",
    "acknowledgments-page",
}
# EPUB 2 guide / landmarks types that mark where the book's own text begins
BODY_START_TYPES = {"text", "bodymatter", "start"}
FRONT_BACK_TITLES = {
    "cover",
    "title page",
    "titlepage",
    "half title",
    "halftitle",
    "copyright",
    "copyright page",
    "imprint",
    "table of contents",
    "contents",
    "toc",
    "colophon",
    "uncopyright",
    "about the publisher",
    "also by",
    "other books by",
    "index",
    "list of illustrations",
    "list of figures",
    "list of tables",
    "license",
    "the full project gutenberg license",
    "project gutenberg license",
    "landmarks",
    "endnotes",
    "notes",
    "footnotes",
    "also available",
    "books by the same author",
    "by the same author",
    "about this ebook",
    "about this e-book",
    "project gutenberg",
    "the project gutenberg ebook",
    "front cover",
    "back cover",
    "legal notice",
    "list of plates",
    "advertisements",
    "advertisement",
    "credits",
    "copyright notice",
}
# titles that begin like these are ads and boilerplate whatever follows ("Also by Ann Author")
FRONT_BACK_TITLE_STARTS = (
    "also by",
    "other books by",
    "other titles by",
    "books by",
    "more from",
    "praise for",
    "the project gutenberg",
    "the full project gutenberg",
    "copyright ",
    "about the publisher",
)
# the text of a copyright page or an imprint: a short document saying these things is not read
_IMPRINT = re.compile(
    r"copyright|all rights reserved|\bisbn\b|first published|printed in|published by|"
    r"public domain|creative commons|this ebook|this e-book|project gutenberg|cataloging|"
    r"library of congress|standard ebooks|typeset",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Entry:
    title: str
    href: str  # file path inside the package
    fragment: str
    level: int
    parents: list[str]
    children: int = 0


def _norm_title(title: str) -> str:
    return " ".join(title.lower().replace("’", "'").split()).strip(" .:")


def _flatten_toc(toc, base: str, level=0, parents=None) -> list[_Entry]:
    parents = parents or []
    out: list[_Entry] = []
    for node in toc:
        if isinstance(node, tuple | list):
            section, children = node[0], node[1]
            entry = _entry(section, base, level, parents)
            kids = _flatten_toc(children, base, level + 1, [*parents, entry.title] if entry else parents)
            if entry:
                entry.children = len(kids)
                out.append(entry)
            out.extend(kids)
        else:
            entry = _entry(node, base, level, parents)
            if entry:
                out.append(entry)
    return out


def _entry(node, base: str, level: int, parents: list[str]) -> _Entry | None:
    href = getattr(node, "href", "") or ""
    title = clean_space(getattr(node, "title", "") or "").replace("\n", " ")
    if not href:
        return _Entry(title, "", "", level, parents)
    path, _, frag = href.partition("#")
    path = urllib.parse.unquote(path)
    return _Entry(
        title, posixpath.normpath(posixpath.join(base, path)) if base else path, frag, level, parents
    )


def _guide_and_landmarks(book) -> dict[str, str]:
    """file path -> semantic type, from the EPUB 2 guide and the EPUB 3 landmarks nav."""
    out: dict[str, str] = {}
    for ref in getattr(book, "guide", []) or []:
        href = (ref.get("href") or "").partition("#")[0]
        if href:
            out[posixpath.normpath(urllib.parse.unquote(href))] = (ref.get("type") or "").lower()
    import ebooklib

    for item in book.get_items():
        if item.get_type() not in (ebooklib.ITEM_NAVIGATION, ebooklib.ITEM_DOCUMENT):
            continue
        data = item.get_content() or b""
        if b"landmarks" not in data:
            continue
        root = parse_xhtml(data)
        if root is None:
            continue
        base = posixpath.dirname(item.get_name())
        for nav in root.iter():
            if _local_tag(nav) != "nav" or "landmarks" not in (nav.get(EPUB_TYPE) or ""):
                continue
            for a in nav.iter():
                href = (a.get("href") or "").partition("#")[0] if _local_tag(a) == "a" else ""
                kind = (a.get(EPUB_TYPE) or "").lower()
                if href and kind:
                    out.setdefault(posixpath.normpath(posixpath.join(base, urllib.parse.unquote(href))), kind)
    return out


def _local_tag(el) -> str:
    return el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""


def _check_archive(zf: zipfile.ZipFile, path: str) -> None:
    """Archive-level checks before ebooklib reads the package: that it is an EPUB at all, and not DRM-locked.
    (Zip-safety limits, when present, are called from here too, before anything is extracted.)"""
    names = set(zf.namelist())
    if "META-INF/container.xml" not in names:
        raise InputError(f"{path}: not an EPUB (no META-INF/container.xml); re-export it as EPUB")
    if "META-INF/encryption.xml" in names:
        enc = zf.read("META-INF/encryption.xml")
        if b"EncryptedData" in enc and b"http://www.idpf.org/2008/embedding" not in enc:
            raise InputError(
                f"{path}: the EPUB is DRM-protected (META-INF/encryption.xml lists encrypted "
                "content); only DRM-free books can be rendered"
            )


def read_epub(
    path: str,
    *,
    include_front_matter: bool = False,
    read_notes: bool = False,
    limits: ArchiveLimits | None = None,
) -> Book:
    """Read an EPUB into a Book. Raises InputError with a one-line reason when it cannot be read."""
    # the archive is read once, in memory, within limits, hostile members refused (pipeline.ingest.safety)
    archive = open_archive(path, limits)
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        _check_archive(zf, path)
    try:
        from ebooklib import epub

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = epub.read_epub(io.BytesIO(archive.data), options={"ignore_ncx": False})
    except InputError:
        raise
    except Exception as e:  # ebooklib raises bare exceptions of many kinds on broken packages
        raise InputError(
            f"{path}: unreadable EPUB ({type(e).__name__}: {str(e)[:120]}); check it opens in an e-reader"
        ) from e
    limits = limits or ArchiveLimits.of()
    if len(book.spine) > limits.max_spine_items:
        raise InputError(
            f"{path}: {len(book.spine)} spine items, over the limit of {limits.max_spine_items} "
            "(limits.max_spine_items)"
        )
    toc_entries = _count_toc(book.toc)
    if toc_entries > limits.max_toc_entries:
        raise InputError(
            f"{path}: {toc_entries} table-of-contents entries, over the limit of "
            f"{limits.max_toc_entries} (limits.max_toc_entries)"
        )
    result = _build(book, path, include_front_matter=include_front_matter, read_notes=read_notes)
    result.warnings[:0] = archive.warnings
    _publication(result, book, archive.data)
    return result


_YEAR = re.compile(r"\b(1[4-9]\d\d|20\d\d)\b")
_PUBLISHED_IN = re.compile(
    r"(?:first |originally )?published (?:in |on )?(?:[A-Z][a-z]+ (?:\d{1,2}, )?)?"
    r"(1[4-9]\d\d|20\d\d)",
    re.I,
)
_OPF_NS = "{http://www.idpf.org/2007/opf}"


def _publication(out: Book, book, data: bytes) -> None:
    """The original publication year (not the ebook's release date) and the series, where the book says.

    Year, first found: a dc:date marked as the original publication (EPUB 2 opf:event), dcterms:issued or
    dcterms:created, then a colophon or imprint page's "published in 1921" (Standard Ebooks, Gutenberg);
    else the dc:date as given. Series: EPUB 3 belongs-to-collection (collection-type series, group-position)
    or calibre's series metadata."""
    from lxml import etree

    from .xhtml import safe_char_refs

    opf = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
            container = etree.fromstring(safe_char_refs(zf.read("META-INF/container.xml")), parser)
            opf_path = next(
                (
                    el.get("full-path")
                    for el in container.iter()
                    if isinstance(el.tag, str) and el.tag.endswith("rootfile") and el.get("full-path")
                ),
                None,
            )
            if opf_path:
                opf = etree.fromstring(safe_char_refs(zf.read(opf_path)), parser)
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, ValueError) as e:
        log.warning("EPUB package re-read for publication data failed (%s); using dc:date", e)
    year = ""
    metas: list = []
    if opf is not None:
        metas = [el for el in opf.iter() if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "meta"]
        for el in opf.iter():
            if not isinstance(el.tag, str) or el.tag.rsplit("}", 1)[-1] != "date":
                continue
            event = (el.get(f"{_OPF_NS}event") or el.get("event") or "").lower()
            if event in ("original-publication", "publication-original", "creation", "created") and el.text:
                m = _YEAR.search(el.text)
                year = year or (m.group(1) if m else "")
        for el in metas:
            if el.get("property") in ("dcterms:issued", "dcterms:created") and el.text and not year:
                m = _YEAR.search(el.text)
                year = m.group(1) if m else ""
    if not year:
        import ebooklib

        for item in book.get_items_of_type(ebooklib.ITEM_DOCUMENT):
            name = (item.get_name() or "").lower()
            if not any(k in name for k in ("colophon", "imprint", "copyright", "titlepage")):
                continue
            text = " ".join(re.sub(r"<[^>]+>", " ", item.get_content().decode("utf-8", "replace")).split())
            m = _PUBLISHED_IN.search(text)
            if m and not re.search(
                r"this ebook|transcription|produced", text[max(0, m.start() - 40) : m.start()], re.I
            ):
                year = m.group(1)
                break
    if year:
        out.date = year
    for el in metas:
        if el.get("property") == "belongs-to-collection" and el.text and el.text.strip():
            refines = [m for m in metas if m.get("refines") == f"#{el.get('id')}"]
            kind = next((m.text for m in refines if m.get("property") == "collection-type"), "series")
            if (kind or "").strip() not in ("series", "set"):
                continue
            out.series = clean_space(el.text)
            out.series_index = next(
                (m.text.strip() for m in refines if m.get("property") == "group-position" and m.text), ""
            )
            break
    if not out.series:
        named = {el.get("name"): el.get("content") for el in metas if el.get("name")}
        if named.get("calibre:series"):
            out.series = clean_space(named["calibre:series"])
            out.series_index = (named.get("calibre:series_index") or "").strip()
            if out.series_index.endswith(".0"):
                out.series_index = out.series_index[:-2]


def _count_toc(toc, depth: int = 0) -> int:
    if depth > 64:  # a TOC nested this deep is hostile; count it as over any limit
        return 1 << 30
    n = 0
    for node in toc:
        if isinstance(node, tuple | list) and len(node) == 2:
            n += 1 + _count_toc(node[1], depth + 1)
        else:
            n += 1
    return n


def _meta(book, name: str) -> list[str]:
    try:
        return [clean_space(str(v[0])) for v in book.get_metadata("DC", name) if v and v[0]]
    except Exception as e:  # noqa: BLE001 - ebooklib raises many kinds on a broken OPF
        log.warning(
            "EPUB metadata dc:%s unreadable (%s: %s); left empty", name, type(e).__name__, str(e)[:120]
        )
        return []


def _cover(book) -> tuple[bytes | None, str]:
    import ebooklib

    candidates = list(book.get_items_of_type(ebooklib.ITEM_COVER))
    for item in book.get_items():
        props = getattr(item, "properties", []) or []
        if "cover-image" in props:
            candidates.insert(0, item)
    try:
        for meta in book.get_metadata("OPF", "cover"):
            cid = (meta[1] or {}).get("content")
            item = book.get_item_with_id(cid) if cid else None
            if item is not None:
                candidates.append(item)
    except Exception as e:  # noqa: BLE001 - ebooklib raises many kinds on a broken OPF
        log.warning(
            'EPUB <meta name="cover"> unreadable (%s: %s); looking for the cover by name',
            type(e).__name__,
            str(e)[:120],
        )
    # EPUB 2 books name their cover in <meta name="cover">, which ebooklib does not always expose: an image
    # whose id or file name says "cover" is the next best witness
    candidates += [
        item
        for item in book.get_items()
        if "cover" in (item.get_id() or "").lower()
        or "cover" in posixpath.basename(item.get_name() or "").lower()
    ]
    for item in candidates:
        mime = getattr(item, "media_type", "") or ""
        if mime.startswith("image/"):
            return item.get_content(), mime
    return None, ""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _build(book, path: str, *, include_front_matter: bool, read_notes: bool) -> Book:
    title = (_meta(book, "title") or [""])[0]
    authors = _meta(book, "creator")
    out = Book(
        title=title,
        authors=authors,
        chapters=[],
        source=str(path),
        language=(_meta(book, "language") or ["en"])[0],
        publisher=(_meta(book, "publisher") or [""])[0],
        date=(_meta(book, "date") or [""])[0],
        description=clean_space(_strip_tags((_meta(book, "description") or [""])[0])).replace("\n", " "),
        identifier=(_meta(book, "identifier") or [""])[0],
    )
    out.cover, out.cover_type = _cover(book)
    docs = _Docs(book, path, out)
    entries = _resolve_entries(_flatten_toc(book.toc, ""), docs.spine, out.warnings)
    if not entries:
        entries = docs.entries_from_spine()
        out.warnings.append("the EPUB has no table of contents: one chapter per spine document")
    starts = docs.starts(entries)
    # every note in the book by id, for read_notes (endnotes often live in a file of their own)
    notes_by_id: dict[str, Paragraph] = {}
    if read_notes:
        for name in docs.docs:
            for b in docs.blocks(name):
                if b.is_note:
                    for note_id in b.ids:
                        notes_by_id.setdefault(note_id, b.paragraph)
    out.chapters = _chapters(docs, entries, starts, notes_by_id, include_front_matter, read_notes)
    if not out.chapters:
        raise InputError(
            f"{path}: the EPUB has no readable text (every document is empty or front matter; "
            "try --include-front-matter)"
        )
    return out


class _Docs:
    """The spine's documents in reading order (file name -> content; non-linear ones, pop-up notes, only as
    notes), parsed into blocks once each, and what each is: front or back matter, or the text."""

    def __init__(self, book, path: str, out: Book) -> None:
        self.spine: list[str] = []
        self.docs: dict[str, bytes] = {}
        for idref, *rest in book.spine:
            item = book.get_item_with_id(idref)
            if item is None:
                continue
            name = posixpath.normpath(item.get_name())
            if name in self.docs:
                continue
            self.docs[name] = item.get_content()
            if (rest[0] if rest else "yes") != "no":
                self.spine.append(name)
        if not self.spine:
            raise InputError(f"{path}: the EPUB has no readable text (empty spine)")
        self.out = out
        self.guide = _guide_and_landmarks(book)
        self.body_start = min(
            (self.spine.index(h) for h, t in self.guide.items() if t in BODY_START_TYPES and h in self.spine),
            default=None,
        )
        self.known = set(_words(" ".join([out.title, *out.authors, out.publisher]))) | {
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
        }
        self._blocks: dict[str, list[Block]] = {}
        self._matter: dict[str, bool] = {}

    def blocks(self, href: str) -> list[Block]:
        if href not in self._blocks:
            self._blocks[href], warns = document_blocks(self.docs[href])
            self.out.warnings.extend(f"{href}: {w}" for w in warns)
        return self._blocks[href]

    def doc_is_matter(self, href: str) -> bool:
        """Front or back matter by its semantics (epub:type, guide, landmarks) or by what it says."""
        if href not in self._matter:
            types = body_types(self.docs[href]) | {self.guide.get(href, "")}
            verdict = bool(types & FRONT_BACK_TYPES)
            if not verdict and not types & {
                "dedication",
                "preface",
                "foreword",
                "introduction",
                "prologue",
                "epigraph",
                "chapter",
                "bodymatter",
                "part",
                "epilogue",
                "afterword",
            }:
                text = " ".join(b.paragraph.text for b in self.blocks(href) if not b.is_note)
                words = _words(text)
                if not words:
                    verdict = True  # images only: a cover, a plate
                elif len(words) < 200 and _IMPRINT.search(text):
                    verdict = True  # copyright page, imprint, licence
                elif len(words) < 40 and set(words) <= self.known:
                    verdict = True  # a title page: title, author, "a novel"
                elif (
                    self.body_start is not None
                    and self.spine.index(href) < self.body_start
                    and len(words) < 12
                ):
                    verdict = True  # a short page before the text begins
            self._matter[href] = verdict
        return self._matter[href]

    def entry_is_matter(self, entry: _Entry) -> bool:
        t = _norm_title(entry.title)
        if t in FRONT_BACK_TITLES or t.startswith(FRONT_BACK_TITLE_STARTS):
            return True
        if entry.fragment and not self._fragment_at_start(entry):
            return False  # a chapter inside a larger file
        return self.doc_is_matter(entry.href)

    def _fragment_at_start(self, entry: _Entry) -> bool:
        bl = self.blocks(entry.href)
        return bool(bl) and entry.fragment in bl[0].ids

    def entries_from_spine(self) -> list[_Entry]:
        """Without a table of contents: one entry per spine document with text, titled by its heading."""
        entries: list[_Entry] = []
        for name in self.spine:
            bl = self.blocks(name)
            if not bl:
                continue
            heading = next(
                (b.paragraph.text for b in bl[:5] if b.paragraph.kind == ParagraphKind.HEADING), ""
            )
            entries.append(_Entry(heading or f"Chapter {len(entries) + 1}", name, "", 0, []))
        return entries

    def starts(self, entries: list[_Entry]) -> list[tuple[int, int]]:
        """Each entry's cut point: (spine position, block index)."""
        spine_pos = {name: i for i, name in enumerate(self.spine)}
        starts: list[tuple[int, int]] = []
        for e in entries:
            bl = self.blocks(e.href)
            start = 0
            if e.fragment:
                found = next((i for i, b in enumerate(bl) if e.fragment in b.ids), None)
                if found is None:
                    self.out.warnings.append(
                        f"TOC entry '{e.title}' points to #{e.fragment}, which {e.href} does "
                        "not have; the chapter starts at the top of the file"
                    )
                start = found or 0
            starts.append((spine_pos[e.href], start))
        return starts

    def between(
        self, begin: tuple[int, int], end: tuple[int, int], include_front_matter: bool
    ) -> list[Block]:
        """The blocks from one cut point to the next, leaving out matter documents after the first."""
        collected: list[Block] = []
        for pos in range(begin[0], min(end[0], len(self.spine) - 1) + 1):
            if pos != begin[0] and self.doc_is_matter(self.spine[pos]) and not include_front_matter:
                continue  # a colophon after the last chapter
            bl = self.blocks(self.spine[pos])
            lo = begin[1] if pos == begin[0] else 0
            hi = end[1] if pos == end[0] else len(bl)
            collected.extend(bl[lo:hi])
        return collected


def _chapters(
    docs: _Docs,
    entries: list[_Entry],
    starts: list[tuple[int, int]],
    notes_by_id: dict[str, Paragraph],
    include_front_matter: bool,
    read_notes: bool,
) -> list[Chapter]:
    """A chapter per TOC entry in reading order, from its cut point to the next; matter, part title pages and
    entries without text of their own left out (a part's title lives on in its chapters' parents)."""
    order = sorted(range(len(entries)), key=lambda i: (starts[i], i))
    skipped_parents: set[str] = set()
    chapters: list[Chapter] = []
    for rank, i in enumerate(order):
        e = entries[i]
        begin = starts[i]
        end = starts[order[rank + 1]] if rank + 1 < len(order) else (len(docs.spine), 0)
        matter = docs.entry_is_matter(e)
        if matter and e.children:
            skipped_parents.add(e.title)
        if matter and not include_front_matter:
            continue
        collected = docs.between(begin, end, include_front_matter)
        paras = [b.paragraph for b in collected if not b.is_note]
        paras = _strip_title(paras, e.title)
        if read_notes:
            notes = _chapter_notes(collected, notes_by_id)
            if notes:
                paras.append(Paragraph("Notes.", ParagraphKind.HEADING, section_break_before=True))
                paras.extend(notes)
        if not any(p.kind != ParagraphKind.HEADING for p in paras) and e.children:
            continue  # a part title page: its title lives on in its chapters' parents
        if not paras:
            if e.fragment or any(starts[j] == begin for j in order if j != i):
                docs.out.warnings.append(f"TOC entry '{e.title}' has no text of its own; skipped")
            continue
        parents = [p for p in e.parents if p not in skipped_parents]
        chapter_title = e.title or next(
            (p.text for p in paras if p.kind == ParagraphKind.HEADING), f"Chapter {len(chapters) + 1}"
        )
        chapters.append(
            Chapter(
                index=len(chapters) + 1,
                title=chapter_title,
                paragraphs=[Paragraph(chapter_title, ParagraphKind.TITLE), *paras],
                level=len(parents),
                parents=parents,
                source=e.href + (f"#{e.fragment}" if e.fragment else ""),
            )
        )
    return chapters


def _resolve_entries(entries: list[_Entry], spine: list[str], warnings: list[str]) -> list[_Entry]:
    """TOC entries whose file is in the spine. A href written relative to a nav document in another folder
    ("../text/c1.xhtml") is matched by its file name when that name is unique in the spine."""
    by_name: dict[str, list[str]] = {}
    for name in spine:
        by_name.setdefault(posixpath.basename(name), []).append(name)
    out = []
    for e in entries:
        if e.href and e.href not in spine:
            found = by_name.get(posixpath.basename(e.href), [])
            if len(found) == 1:
                e.href = found[0]
        if e.href in spine:
            out.append(e)
        elif e.href:
            warnings.append(
                f"TOC entry '{e.title}' points to {e.href}, which is not in the reading order; skipped"
            )
    return out


def _chapter_notes(collected: list[Block], notes_by_id: dict[str, Paragraph]) -> list[Paragraph]:
    """The notes a chapter refers to, in the order it refers to them, then notes inside it not referred to."""
    seen: set[int] = set()
    out: list[Paragraph] = []
    for b in collected:
        for ref in b.noterefs:
            note = notes_by_id.get(ref)
            if note is not None and id(note) not in seen:
                seen.add(id(note))
                out.append(Paragraph(note.text, note.kind))
    for b in collected:
        if b.is_note and id(b.paragraph) not in seen:
            seen.add(id(b.paragraph))
            out.append(Paragraph(b.paragraph.text, b.paragraph.kind))
    return out


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]{0,500}>", " ", text)


def _strip_title(paras: list[Paragraph], title: str) -> list[Paragraph]:
    """Drop the leading heading(s) that repeat the chapter title (the title is read from the TOC)."""
    want = _norm_title(title).replace(":", "").split()
    i = 0
    while i < len(paras) and i < 3 and paras[i].kind == ParagraphKind.HEADING:
        got = _norm_title(paras[i].text).replace(":", "").split()
        if got and (got == want or set(got) <= set(want) or set(want) <= set(got)):
            i += 1
            continue
        break
    rest = paras[i:]
    if rest and rest[0].kind == ParagraphKind.HEADING:
        return rest
    if rest:
        rest[0].section_break_before = False
    return rest
