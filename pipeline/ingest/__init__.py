"""Ingest: a book file to a `Book` of chapters of paragraphs."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..records import Book

BOOK_SUFFIXES = (".epub", ".txt", ".md")


def read_book(path: str | Path, *, include_front_matter: bool = False, read_notes: bool = False) -> Book:
    """Read an EPUB or a plain-text book. Raises InputError with a one-line reason on bad input."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{path}: is a folder; pass a book file (.epub, .txt, .md)")
    suffix = p.suffix.lower()
    if suffix == ".epub":
        from .epub import read_epub
        return read_epub(str(p), include_front_matter=include_front_matter, read_notes=read_notes)
    if suffix in (".txt", ".md"):
        from .text import read_text
        return read_text(p)
    raise InputError(f"{path}: unsupported file type '{p.suffix or '(none)'}'; "
                     f"render reads {', '.join(BOOK_SUFFIXES)}")


__all__ = ["read_book", "BOOK_SUFFIXES"]
