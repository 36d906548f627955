"""Resume and incremental re-render: what each finished chapter was made from.

After a chapter's files are written, its fingerprint (a hash of everything that shapes its files: the
segments' text, pauses, the engine's identity, the audio settings and the book's tags) and its manifest
record are saved in `<out>/.render-state.json`, atomically. A later run with the same fingerprint and
files still present reuses the chapter instead of assembling and encoding it again.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from .cache import atomic_write
from .records import Book, Chapter, Segment

log = logging.getLogger(__name__)

STATE_NAME = ".render-state.json"
STATE_VERSION = 1


def chapter_fingerprint(book: Book, chapter: Chapter, segments: list[Segment], engine: dict, settings: dict,
                        total_chapters: int) -> str:
    blob = json.dumps({
        "v": STATE_VERSION,
        "book": [book.title, book.authors, book.date, hashlib.sha256(book.cover or b"").hexdigest()],
        "chapter": [chapter.index, chapter.title, chapter.level, chapter.parents, total_chapters],
        "segments": [[s.text, s.normalized, s.pause_after.value] for s in segments],
        "engine": engine, "settings": settings,
    }, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class RenderState:
    def __init__(self, out: Path):
        self.path = Path(out) / STATE_NAME
        self.chapters: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == STATE_VERSION:
                self.chapters = dict(data.get("chapters", {}))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as e:
            log.warning("ignoring an unreadable %s (%s); chapters will be rebuilt", self.path.name, e)

    def reusable(self, index: int, fingerprint: str, out: Path) -> dict | None:
        """The saved record of chapter `index` if it was made from `fingerprint` and its files exist."""
        entry = self.chapters.get(str(index))
        if not entry or entry.get("fingerprint") != fingerprint:
            return None
        record = entry.get("record") or {}
        files = list((record.get("files") or {}).values()) + list(entry.get("extra_files", []))
        if not files or not all((Path(out) / f).is_file() for f in files):
            return None
        return record

    def files_of(self, index: int) -> list[str]:
        entry = self.chapters.get(str(index)) or {}
        return list(((entry.get("record") or {}).get("files") or {}).values()) + list(entry.get("extra_files", []))

    def save_chapter(self, index: int, fingerprint: str, record: dict, extra_files: list[str] = ()) -> None:
        self.chapters[str(index)] = {"fingerprint": fingerprint, "record": record, "extra_files": list(extra_files)}
        self.flush()

    def flush(self) -> None:
        atomic_write(self.path, json.dumps({"version": STATE_VERSION, "chapters": self.chapters},
                                           ensure_ascii=False).encode("utf-8"))
