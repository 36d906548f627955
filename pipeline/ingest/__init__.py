"""Ingest: a book file to a `Book` of chapters of paragraphs, within the limits an untrusted book gets."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

from ..errors import InputError
from ..records import Book
from .safety import ArchiveLimits

BOOK_SUFFIXES = (".epub", ".txt", ".md", ".pdf")


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
    """Read an EPUB or a plain-text book. Raises InputError with a one-line reason on bad input.
    `limits` is a `pipeline.config.LimitsConfig` (defaults when None)."""
    from ..config import LimitsConfig

    limits = limits or LimitsConfig()
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{path}: is a folder; pass a book file (.epub, .txt, .md)")
    suffix = p.suffix.lower()
    if suffix not in BOOK_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type '{p.suffix or '(none)'}'; render reads {', '.join(BOOK_SUFFIXES)}"
        )
    with time_budget(limits.ingest_seconds, str(path)):
        if suffix == ".pdf":
            from .pdf import read_pdf

            book = read_pdf(
                str(p), include_front_matter=include_front_matter, read_notes=read_notes, limits=limits
            )
        elif suffix == ".epub":
            from .epub import read_epub

            book = read_epub(
                str(p),
                include_front_matter=include_front_matter,
                read_notes=read_notes,
                limits=ArchiveLimits.of(limits),
            )
        else:
            if p.stat().st_size > limits.max_book_chars * 4:
                raise InputError(
                    f"{path}: {p.stat().st_size // 2**20} MB of text, over the limit "
                    f"(limits.max_book_chars = {limits.max_book_chars:,})"
                )
            from .text import read_text, read_text_file

            if suffix in (".md", ".markdown"):
                from .markdown import read_markdown

                book = read_markdown(
                    read_text_file(p), p, include_front_matter=include_front_matter, read_notes=read_notes
                )
            else:
                book = read_text(p, include_front_matter=include_front_matter, read_notes=read_notes)
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


__all__ = ["BOOK_SUFFIXES", "read_book", "time_budget"]
