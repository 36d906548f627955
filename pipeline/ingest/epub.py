"""EPUB 2 and 3 to a Book: chapters from the table of contents, front and back matter set aside.

ebooklib reads the package (OPF, spine, NCX or nav, metadata); content documents are parsed by
`pipeline.ingest.xhtml` with a safe parser. A TOC entry may point into the middle of a file
(`chapter.xhtml#ch2`): the file is cut at that element. Spine items between two TOC entries belong to
the earlier one. With no usable TOC, each linear spine item is a chapter titled by its first heading.
"""
from __future__ import annotations

import logging
import posixpath
import urllib.parse
import warnings
import zipfile
from dataclasses import dataclass

from ..errors import InputError
from ..records import Book, Chapter, Paragraph, ParagraphKind
from .xhtml import Block, body_types, clean_space, document_blocks

log = logging.getLogger(__name__)

# epub:type / guide types / landmarks that mark matter a listener does not want read by default
FRONT_BACK_TYPES = {
    "cover", "titlepage", "halftitlepage", "title-page", "fulltitle", "copyright-page", "imprint", "toc",
    "colophon", "loi", "lot", "index", "seriespage", "other-credits", "z3998:publisher-logo",
    "contributors", "errata", "revision-history", "se:uncopyright", "z3998:uncopyright", "uncopyright",
    "imprimatur", "landmarks", "page-list", "copyright", "license",
}
FRONT_BACK_TITLES = {
    "cover", "title page", "titlepage", "half title", "halftitle", "copyright", "copyright page", "imprint",
    "table of contents", "contents", "toc", "colophon", "uncopyright", "about the publisher", "also by",
    "other books by", "index", "list of illustrations", "list of figures", "list of tables", "license",
    "the full project gutenberg license", "project gutenberg license", "landmarks",
}


@dataclass(slots=True)
class _Entry:
    title: str
    href: str            # file path inside the package
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
    return _Entry(title, posixpath.normpath(posixpath.join(base, path)) if base else path, frag, level, parents)


def _guide_and_landmarks(book) -> dict[str, str]:
    """file path -> type, from the EPUB 2 guide and the EPUB 3 landmarks nav."""
    out = {}
    for ref in getattr(book, "guide", []) or []:
        href = (ref.get("href") or "").partition("#")[0]
        if href:
            out[urllib.parse.unquote(href)] = (ref.get("type") or "").lower()
    return out


def read_epub(path: str, *, include_front_matter: bool = False, read_notes: bool = False) -> Book:
    """Read an EPUB into a Book. Raises InputError with a one-line reason when it cannot be read."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise InputError(f"{path}: not an EPUB (not a zip archive); export the book as EPUB and try again") from e
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    with zf:
        names = set(zf.namelist())
        if "META-INF/container.xml" not in names:
            raise InputError(f"{path}: not an EPUB (no META-INF/container.xml); re-export it as EPUB")
        if "META-INF/encryption.xml" in names:
            enc = zf.read("META-INF/encryption.xml")
            if b"EncryptedData" in enc and b"http://www.idpf.org/2008/embedding" not in enc:
                raise InputError(f"{path}: the EPUB is DRM-protected (META-INF/encryption.xml lists encrypted "
                                 "content); only DRM-free books can be rendered")
    try:
        from ebooklib import epub
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = epub.read_epub(path, options={"ignore_ncx": False})
    except InputError:
        raise
    except Exception as e:   # ebooklib raises bare exceptions of many kinds on broken packages
        raise InputError(f"{path}: unreadable EPUB ({type(e).__name__}: {str(e)[:120]}); "
                         "check it opens in an e-reader") from e
    return _build(book, path, include_front_matter=include_front_matter, read_notes=read_notes)


def _meta(book, name: str) -> list[str]:
    try:
        return [clean_space(str(v[0])) for v in book.get_metadata("DC", name) if v and v[0]]
    except Exception:
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
    except Exception:
        pass
    for item in candidates:
        mime = getattr(item, "media_type", "") or ""
        if mime.startswith("image/"):
            return item.get_content(), mime
    return None, ""


def _build(book, path: str, *, include_front_matter: bool, read_notes: bool) -> Book:
    title = (_meta(book, "title") or [""])[0]
    authors = _meta(book, "creator")
    out = Book(title=title, authors=authors, chapters=[], source=str(path),
               language=(_meta(book, "language") or ["en"])[0],
               publisher=(_meta(book, "publisher") or [""])[0],
               date=(_meta(book, "date") or [""])[0],
               description=(_meta(book, "description") or [""])[0],
               identifier=(_meta(book, "identifier") or [""])[0])
    out.cover, out.cover_type = _cover(book)

    # spine documents in reading order (file name -> content)
    spine: list[str] = []
    docs: dict[str, bytes] = {}
    for idref, *rest in book.spine:
        item = book.get_item_with_id(idref)
        if item is None:
            continue
        linear = (rest[0] if rest else "yes") != "no"
        name = item.get_name()
        if not linear and name in docs:
            continue
        spine.append(name)
        docs[name] = item.get_content()
    if not spine:
        raise InputError(f"{path}: the EPUB has no readable text (empty spine)")

    entries = [e for e in _flatten_toc(book.toc, "") if e.href in docs]
    guide = _guide_and_landmarks(book)
    types_cache: dict[str, set[str]] = {}

    def is_matter(entry_title: str, href: str) -> bool:
        if href not in types_cache:
            types_cache[href] = body_types(docs[href]) | {guide.get(href, "")}
        types = types_cache[href]
        if types & FRONT_BACK_TYPES:
            return True
        return _norm_title(entry_title) in FRONT_BACK_TITLES

    blocks_cache: dict[str, list[Block]] = {}

    def blocks(href: str) -> list[Block]:
        if href not in blocks_cache:
            blocks_cache[href], warns = document_blocks(docs[href])
            out.warnings.extend(f"{href}: {w}" for w in warns)
        return blocks_cache[href]

    if not entries:
        entries = []
        for name in spine:
            bl = blocks(name)
            heading = next((b.paragraph.text for b in bl if b.paragraph.kind == ParagraphKind.HEADING), "")
            entries.append(_Entry(heading or posixpath.splitext(posixpath.basename(name))[0], name, "", 0, []))

    # cut points: (spine position, block index) for each entry
    spine_pos = {name: i for i, name in enumerate(spine)}
    starts: list[tuple[int, int]] = []
    for e in entries:
        bl = blocks(e.href)
        start = 0
        if e.fragment:
            start = next((i for i, b in enumerate(bl) if e.fragment in b.ids), 0)
        starts.append((spine_pos[e.href], start))
    order = sorted(range(len(entries)), key=lambda i: (starts[i], i))

    skipped_parents: set[str] = set()
    chapters: list[Chapter] = []
    for rank, i in enumerate(order):
        e = entries[i]
        begin = starts[i]
        end = starts[order[rank + 1]] if rank + 1 < len(order) else (len(spine), 0)
        collected: list[Block] = []
        for pos in range(begin[0], min(end[0], len(spine) - 1) + 1):
            bl = blocks(spine[pos])
            lo = begin[1] if pos == begin[0] else 0
            hi = end[1] if pos == end[0] else len(bl)
            collected.extend(bl[lo:hi])
        matter = is_matter(e.title, e.href)
        if matter and e.children:
            skipped_parents.add(e.title)
        if matter and not include_front_matter:
            continue
        paras = [b.paragraph for b in collected if not b.is_note]
        notes = [b.paragraph for b in collected if b.is_note]
        paras = _strip_title(paras, e.title)
        if read_notes and notes:
            paras.append(Paragraph("Notes.", ParagraphKind.HEADING, section_break_before=True))
            paras.extend(notes)
        if not any(p.kind != ParagraphKind.HEADING for p in paras) and e.children:
            continue   # a part title page: its title lives on in its chapters' parents
        parents = [p for p in e.parents if p not in skipped_parents]
        chapter_title = e.title or (paras[0].text if paras else f"Chapter {len(chapters) + 1}")
        if not paras:
            continue
        chapters.append(Chapter(index=len(chapters) + 1, title=chapter_title,
                                paragraphs=[Paragraph(chapter_title, ParagraphKind.TITLE), *paras],
                                level=len(parents), parents=parents, source=e.href +
                                (f"#{e.fragment}" if e.fragment else "")))
    if not chapters:
        raise InputError(f"{path}: the EPUB has no readable text (every document is empty or front matter; "
                         "try --include-front-matter)")
    out.chapters = chapters
    return out


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
