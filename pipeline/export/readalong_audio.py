"""The read-along EPUB's audio at a size for phones: each chapter's MP3 made again at `[output]
readalong_bitrate` (64 kbps by default), mono, an EPUB 3 core media type (MP3), from the chapter's own MP3.

The chapter files stay at their delivery quality (ACX: 192 kbps); the EPUB carries these smaller copies,
kept in `<out>/.readalong-<bitrate>/` and made again only when their chapter's MP3 changed. The time line is
the chapter's (same sample rate, encoder delay marked in the LAME header), so the overlays' clips hold.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..ffmpeg import run_ffmpeg
from ..files import atomic_path, inside
from ..records import ChapterRecord


def audio_dir(bitrate: str) -> str:
    return f".readalong-{bitrate}"


def _stale(copy: Path, source: Path) -> bool:
    return not copy.is_file() or os.stat(copy).st_mtime_ns < os.stat(source).st_mtime_ns


def phone_records(out: Path, records: list[ChapterRecord], bitrate: str) -> list[ChapterRecord]:
    """`records` with each MP3 replaced by its copy at `bitrate`, mono (made where missing or older than the
    chapter's MP3). A record without an MP3 is returned as it is."""
    folder = audio_dir(bitrate)
    made: list[ChapterRecord] = []
    for rec in records:
        mp3 = rec.files.get("mp3")
        source = out / mp3 if mp3 else None
        if source is None or not source.is_file():
            made.append(rec)
            continue
        rel = f"{folder}/{Path(mp3).name}"
        copy = inside(out, out / rel)
        if _stale(copy, source):
            with atomic_path(copy) as tmp:
                run_ffmpeg(
                    [
                        "-i",
                        str(source),
                        "-map",
                        "0:a:0",
                        "-map_metadata",
                        "-1",
                        "-ac",
                        "1",
                        "-codec:a",
                        "libmp3lame",
                        "-b:a",
                        bitrate,
                        "-fflags",
                        "+bitexact",
                        "-flags:a",
                        "+bitexact",
                        "-f",
                        "mp3",
                        str(tmp),
                    ]
                )
        made.append(dataclasses.replace(rec, files={**rec.files, "mp3": rel}))
    return made
