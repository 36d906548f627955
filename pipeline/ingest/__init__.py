"""Ingest: a book file to a `Book` of chapters of paragraphs, within the limits an untrusted book gets."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path

from ..errors import InputError
from ..records import Book
from .safety import ArchiveLimits

# suffix -> "module:function" of its reader in this package (":function" for one defined here), imported when a
# book of that kind is read. Every reader is f(path: Path, *, include_front_matter, read_notes, limits) -> Book,
# `limits` a `LimitsConfig`.
READERS: dict[str, str] = {
    ".epub": ":read_epub_book",
    ".txt": ":read_text_book",
    ".md": ":read_markdown_book",
    ".markdown": ":read_markdown_book",
    ".docx": "docx:read_docx",
    ".html": "html:read_html",
    ".htm": "html:read_html",
    ".xhtml": "html:read_html",
    ".fb2": "fb2:read_fb2",
    ".fb2.zip": "fb2:read_fb2",
    ".mobi": "mobi:read_mobi",
    ".azw3": "mobi:read_mobi",
    ".azw": "mobi:read_mobi",
    ".pdf": "pdf:read_pdf",
}
BOOK_SUFFIXES = tuple(READERS)
_IMAGES = {
    b"\xff\xd8\xff": "a JPEG image",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF",
}


def book_suffix(path: str | Path) -> str:
    """The suffix that picks a reader: ".fb2.zip" for a zipped FictionBook, else the last suffix, lower-case."""
    name = Path(path).name.lower()
    return ".fb2.zip" if name.endswith(".fb2.zip") else Path(name).suffix


def _not_its_kind(p: Path, suffix: str) -> str:
    """Why a file is plainly not the kind its suffix says (an image renamed), or "". InputError when the
    file cannot be read at all (no permission), as every reader says it."""
    if suffix in (".txt", ".md", ".markdown"):
        return ""
    try:
        with open(p, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror or e})") from e
    kind = next((k for magic, k in _IMAGES.items() if head.startswith(magic)), "")
    if kind and not (kind == "a PDF" and suffix == ".pdf"):
        return f"{p}: the file is {kind}, not a {suffix} book; pass the book itself"
    return ""


def _reader(suffix: str):
    import importlib

    module, _, func = READERS[suffix].partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}") if module else sys.modules[__name__], func)


@contextlib.contextmanager
def time_budget(seconds: float, what: str):
    """Raise InputError if the block runs longer than `seconds` (main thread only: SIGALRM).

    This stops Python-level stalls; work inside C code (a parse, one regex match) is bounded instead by the
    size limits, and every regex of the text front end is linear-time (tests/test_hostile.py)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or seconds <= 0
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):  # an enclosing budget is already running
        yield
        return

    def expired(signum, frame):
        raise InputError(
            f"{what}: reading the book took longer than {seconds:.0f} s (limits.ingest_seconds); "
            "it was skipped"
        )

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_book(
    path: str | Path, *, include_front_matter: bool = False, read_notes: bool = False, limits=None
) -> Book:
    """Read a book file by its suffix (`READERS`; other kinds through Calibre's ebook-convert where it is
    installed, `ingest.convert`). Raises InputError with a one-line reason on bad input.
    `limits` is a `pipeline.config.LimitsConfig` (defaults when None)."""
    from ..config import LimitsConfig

    limits = limits or LimitsConfig()
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{path}: is a folder; pass a book file ({', '.join(BOOK_SUFFIXES)})")
    suffix = book_suffix(p)
    with time_budget(limits.ingest_seconds, str(path)):
        if suffix in READERS:
            why = _not_its_kind(p, suffix)
            if why:
                raise InputError(why)
            book = _reader(suffix)(
                p, include_front_matter=include_front_matter, read_notes=read_notes, limits=limits
            )
        else:
            from .convert import read_converted

            book = read_converted(
                p,
                include_front_matter=include_front_matter,
                read_notes=read_notes,
                limits=limits,
                readable=", ".join(BOOK_SUFFIXES),
            )
    total = 0
    for ch in book.chapters:
        n = sum(len(para.text) for para in ch.paragraphs)
        if n > limits.max_chapter_chars:
            raise InputError(
                f"{path}: chapter {ch.index} has {n:,} characters, over the limit of "
                f"{limits.max_chapter_chars:,} (limits.max_chapter_chars)"
            )
        total += n
    if total > limits.max_book_chars:
        raise InputError(
            f"{path}: {total:,} characters, over the limit of {limits.max_book_chars:,} "
            "(limits.max_book_chars)"
        )
    return book


def read_epub_book(p: Path, *, include_front_matter: bool, read_notes: bool, limits) -> Book:
    from .epub import read_epub

    return read_epub(
        str(p),
        include_front_matter=include_front_matter,
        read_notes=read_notes,
        limits=ArchiveLimits.of(limits),
    )


def _text_size(p: Path, limits) -> None:
    if p.stat().st_size > limits.max_book_chars * 4:
        raise InputError(
            f"{p}: {p.stat().st_size // 2**20} MB of text, over the limit "
            f"(limits.max_book_chars = {limits.max_book_chars:,})"
        )


def read_text_book(p: Path, *, include_front_matter: bool, read_notes: bool, limits) -> Book:
    from .text import read_text

    _text_size(p, limits)
    return read_text(p, include_front_matter=include_front_matter, read_notes=read_notes)


def read_markdown_book(p: Path, *, include_front_matter: bool, read_notes: bool, limits) -> Book:
    from .markdown import read_markdown
    from .text import read_text_file

    _text_size(p, limits)
    return read_markdown(
        read_text_file(p), p, include_front_matter=include_front_matter, read_notes=read_notes
    )


__all__ = ["BOOK_SUFFIXES", "READERS", "book_suffix", "read_book", "time_budget"]
