"""Resume and incremental re-render: what each finished chapter was made from.

After a chapter's files are written, its fingerprint (a hash of everything that shapes its files: the
segments' text, pauses, the engine's identity, the audio settings and the book's tags) and its manifest
record are saved in `<out>/.render-state.json`, atomically, with the size and SHA-256 of every file the
chapter wrote (its audio files, subtitles and the AAC part the M4B is copied from). A later run reuses the
chapter only when the fingerprint matches and every file still has that size and hash; otherwise it says
which file changed and makes the chapter again (from the segment cache). The state file carries a checksum
of its own content: a damaged one is ignored with a warning and every chapter is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from .errors import OutputError
from .files import atomic_write
from .records import STATE_SCHEMA_VERSION, Book, Chapter, ChapterRecord, ChapterState, RenderState, Segment
from .serialize import from_json, to_json

log = logging.getLogger(__name__)

STATE_NAME = ".render-state.json"
STATE_VERSION = STATE_SCHEMA_VERSION
_HASH_CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex) of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _state_checksum(chapters: dict) -> str:
    return hashlib.sha256(
        json.dumps(chapters, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def chapter_fingerprint(
    book: Book, chapter: Chapter, segments: list[Segment], engine: dict, settings: dict, total_chapters: int
) -> str:
    blob = json.dumps(
        {
            "v": STATE_VERSION,
            "book": [book.title, book.authors, book.date, hashlib.sha256(book.cover or b"").hexdigest()],
            "chapter": [chapter.index, chapter.title, chapter.level, chapter.parents, total_chapters],
            "segments": [[s.text, s.normalized, s.pause_after.value] for s in segments],
            "engine": engine,
            "settings": settings,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class StateStore:
    """The output folder's `RenderState`, loaded once, saved atomically after every finished chapter."""

    def __init__(self, out: Path):
        self.path = Path(out) / STATE_NAME
        self.state = RenderState(STATE_VERSION)
        self.last_reason = ""  # why the last `reusable` call said no, when a file was the cause
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "version" in data and "schema_version" not in data:
                data["schema_version"] = data.pop("version")  # written before the key was renamed
            if not isinstance(data, dict) or data.get("schema_version") != STATE_VERSION:
                return  # an older renderer's state: rebuild
            chapters = data.get("chapters")
            if not isinstance(chapters, dict) or data.get("sha256") != _state_checksum(chapters):
                raise ValueError("checksum mismatch")
            self.state = from_json(RenderState, data)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise OutputError(
                f"{self.path}: a folder stands where the render keeps its resume state; move it "
                "away and run the same command again"
            ) from None
        except (OSError, ValueError, AttributeError, TypeError, KeyError) as e:
            log.warning("ignoring a damaged %s (%s); its chapters will be made again", self.path.name, e)
            self.state = RenderState(STATE_VERSION)

    @property
    def chapters(self) -> dict[str, ChapterState]:
        return self.state.chapters

    def reusable(self, index: int, fingerprint: str, out: Path) -> ChapterRecord | None:
        """The saved record of chapter `index` if it was made from `fingerprint` and every file it wrote is
        still there with the size and hash recorded when it was moved into place; else None, with the
        reason in `last_reason` when a file was missing or changed."""
        self.last_reason = ""
        entry = self.chapters.get(str(index))
        if entry is None or entry.fingerprint != fingerprint:
            return None
        files = self.files_of(index)
        if not files:
            return None
        for name in files:
            want = entry.digests.get(name)
            try:
                got = list(file_digest(Path(out) / name))
            except FileNotFoundError:
                self.last_reason = f"{name} is missing"
                return None
            except OSError as e:
                self.last_reason = f"{name} cannot be read ({e.strerror or e})"
                return None
            if want != got:
                sizes = (
                    f"{got[0]:,} bytes where {want[0]:,} were written"
                    if isinstance(want, list) and want and want[0] != got[0]
                    else "its content hash differs"
                )
                self.last_reason = f"{name} changed since it was written ({sizes})"
                return None
        return entry.record

    def files_of(self, index: int) -> list[str]:
        """Every file chapter `index` wrote, relative to the output folder."""
        entry = self.chapters.get(str(index))
        if entry is None:
            return []
        return [str(f) for f in [*entry.record.files.values(), *entry.extra_files]]

    def save_chapter(
        self, index: int, fingerprint: str, record: ChapterRecord, out: Path | None = None
    ) -> None:
        """Record a finished chapter; `out` is the folder its files were moved into (hashed now)."""
        entry = ChapterState(fingerprint, record, list(record.extra_files))
        self.chapters[str(index)] = entry
        folder = Path(out) if out is not None else self.path.parent
        entry.digests = {name: list(file_digest(folder / name)) for name in self.files_of(index)}
        self.flush()

    def flush(self) -> None:
        chapters = to_json(self.chapters)
        atomic_write(
            self.path,
            json.dumps(
                {"schema_version": STATE_VERSION, "chapters": chapters, "sha256": _state_checksum(chapters)},
                ensure_ascii=False,
            ).encode("utf-8"),
        )
