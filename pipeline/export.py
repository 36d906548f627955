"""Export: chapter audio to encoded, tagged files, and the book's manifest.

Every file is written under a temporary name in its own folder and moved into place with `os.replace`
only when complete, so a chapter file exists only when it is whole. Paths are built from sanitized
names and checked to resolve inside the output folder.
"""
from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from . import defaults as D
from .cache import atomic_write
from .config import OutputConfig
from .errors import OutputError
from .ffmpeg import run_ffmpeg
from .records import Book, ChapterAudio

log = logging.getLogger(__name__)

EXTENSIONS = {"mp3": ".mp3", "m4b": ".m4a", "opus": ".opus", "flac": ".flac", "wav": ".wav"}
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
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


def inside(root: Path, path: Path) -> Path:
    """`path` resolved, after checking it lies inside `root` (raises OutputError otherwise)."""
    root_r = root.resolve()
    resolved = path.resolve()
    if resolved != root_r and root_r not in resolved.parents:
        raise OutputError(f"refusing to write outside the output folder: {path}")
    return resolved


def chapter_stem(chapter_index: int, title: str, width: int = 2) -> str:
    return f"{chapter_index:0{width}d} - {safe_name(title)}"


def _codec_args(fmt: str, cfg: OutputConfig) -> list[str]:
    return {
        "mp3": ["-c:a", "libmp3lame", "-b:a", cfg.mp3_bitrate, "-f", "mp3"],
        "m4b": ["-c:a", "aac", "-b:a", cfg.aac_bitrate, "-f", "ipod"],
        "opus": ["-c:a", "libopus", "-b:a", cfg.opus_bitrate, "-f", "ogg"],
        "flac": ["-c:a", "flac", "-f", "flac"],
        "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    }[fmt]


def encode(audio: np.ndarray, sample_rate: int, path: Path, fmt: str, cfg: OutputConfig) -> None:
    """Encode mono float32 audio, shape (T,), to `path` atomically (temporary name, then os.replace)."""
    tmp = path.with_name(f".{path.name}.part")
    out_rate = 48_000 if fmt == "opus" else cfg.sample_rate
    args = ["-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0", "-ar", str(out_rate),
            *_codec_args(fmt, cfg), str(tmp)]
    try:
        run_ffmpeg(args, input=np.ascontiguousarray(audio, dtype="<f4").tobytes())
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def tag_mp3(path: Path, book: Book, title: str, track: int, total: int, comment: str) -> None:
    from mutagen.id3 import COMM, ID3, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TRCK, ID3NoHeaderError
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TALB(encoding=3, text=book.title))
    tags.add(TPE1(encoding=3, text=book.author))
    tags.add(TPE2(encoding=3, text=book.author))
    tags.add(TRCK(encoding=3, text=f"{track}/{total}"))
    tags.add(TCON(encoding=3, text="Audiobook"))
    if book.year:
        tags.add(TDRC(encoding=3, text=book.year))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=comment))
    tags.save(path, v2_version=3)


def chapter_record(audio: ChapterAudio, files: dict[str, str]) -> dict:
    ch = audio.chapter
    return {
        "index": ch.index, "title": ch.title, "level": ch.level, "parents": ch.parents,
        "files": files, "file": next(iter(files.values()), ""),
        "duration": round(audio.duration, 3), "segments": len(audio.rendered),
        "segment_list": [
            {"id": t.segment.id, "text": t.segment.text, "normalized": t.segment.normalized,
             "start": round(t.start, 3), "duration": round(t.end - t.start, 3),
             "pause_after": t.segment.pause_after.value, "seed": r.seed, "attempts": r.attempts,
             "cached": r.cached, "checks": {c.name: {"passed": c.passed, "value": c.value} for c in r.checks}}
            for t, r in zip(audio.timings, audio.rendered, strict=True)
        ],
    }


class BookExporter:
    """Writes a book's outputs as its chapters finish: chapter files in every format, then the book-level
    files. The orchestrator (`pipeline.render`) calls `chapter(audio)` per chapter and `finish()` once."""

    def __init__(self, book: Book, out: Path, cfg: OutputConfig, comment: str, total_chapters: int):
        self.book = book
        self.out = Path(out)
        self.cfg = cfg
        self.comment = comment
        self.total = total_chapters
        self.width = max(2, len(str(total_chapters)))
        self.formats = [f for f in cfg.formats if f != "m4b"]

    def chapter_stem(self, chapter) -> str:
        return chapter_stem(chapter.index, chapter.title, self.width)

    def chapter(self, audio: ChapterAudio) -> dict:
        """Encode and tag one chapter in every chapter format; returns its manifest record."""
        ch = audio.chapter
        files: dict[str, str] = {}
        for fmt in self.formats:
            target = inside(self.out, self.out / f"{self.chapter_stem(ch)}{EXTENSIONS[fmt]}")
            encode(audio.audio, audio.sample_rate, target, fmt, self.cfg)
            if fmt == "mp3":
                tag_mp3(target, self.book, ch.title, ch.index, self.total, self.comment)
            files[fmt] = target.name
        return chapter_record(audio, files)

    def finish(self, chapters: list[dict]) -> dict:
        """Book-level outputs once every chapter is done; returns what to add to the manifest."""
        return {}
