"""File and folder names from untrusted text (titles, authors): safe on every system, length-capped."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .. import defaults as D

EXTENSIONS = {"mp3": ".mp3", "m4b": ".m4b", "opus": ".opus", "flac": ".flac", "wav": ".wav"}
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(text: str, max_chars: int = D.TITLE_MAX_CHARS, fallback: str = "untitled") -> str:
    """A file-name component from untrusted text: no separators, no `..`, no leading dots, no control
    characters, no reserved device names, at most `max_chars` characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _UNSAFE.sub(" ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = " ".join(text.split()).strip(" .-")
    text = text[:max_chars].rstrip(" .-")
    if not text or text.split(".")[0].lower() in _RESERVED:
        text = f"{fallback} {text}".strip() if text else fallback
    return text


def chapter_stem(chapter_index: int, title: str, width: int = 2) -> str:
    """ "NN - Title": a chapter's file name without its extension."""
    return f"{chapter_index:0{width}d} - {safe_name(title)}"


def book_stem(title: str) -> str:
    """The whole-book files' name (M4B, read-along EPUB, book subtitles) without the extension."""
    return safe_name(title or "book")


def slug(text: str, max_chars: int = D.SLUG_MAX_CHARS) -> str:
    """ASCII, lower case, words joined by '-': safe as a folder name on every system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return out[:max_chars].rstrip("-") or "book"


def book_folder_name(title: str, authors: list[str], source: Path) -> str:
    """A book's folder in a shelf's output (`<author-title>`), from its first author and title."""
    author = authors[0] if authors else ""
    return slug(f"{author} {title}".strip() or Path(source).stem)
