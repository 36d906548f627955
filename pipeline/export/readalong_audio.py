"""The read-along EPUB's audio at a size for phones: each chapter's MP3 made again at `[output]
readalong_bitrate` (64 kbps by default), mono, an EPUB 3 core media type (MP3), from the chapter's own MP3.

The chapter files stay at their delivery quality (ACX: 192 kbps); the EPUB carries these smaller copies,
kept in `<out>/.readalong-<bitrate>/` and made again only when their chapter's MP3 changed. The time line is
the chapter's (same sample rate, encoder delay marked in the LAME header), so the overlays' clips hold.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

from ..ffmpeg import run_ffmpeg
from ..files import atomic_path, inside, write_json
from ..loudness import measure_file
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
        if not mp3 or not (out / mp3).is_file():
            made.append(rec)
            continue
        source = out / mp3
        rel = f"{folder}/{Path(mp3).name}"
        copy = inside(out, out / rel)
        if _stale(copy, source) or not _levels_path(copy).is_file():
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
            write_json(
                _levels_path(copy), {**measure_file(copy, lufs=True).to_json(), "seconds": rec.duration}
            )
        made.append(dataclasses.replace(rec, files={**rec.files, "mp3": rel}))
    return made


def _levels_path(copy: Path) -> Path:
    return copy.with_suffix(".levels.json")


def audio_levels(out: Path, records: list[ChapterRecord], bitrate: str) -> dict | None:
    """The EPUB's audio as a whole, from each copy's levels (measured when it was made): {"bitrate",
    "rms_db" (energy mean over time), "peak_db" (highest), "lufs" (energy mean of the chapters' integrated
    loudness), "bytes"}; None when there is none."""
    levels, size = [], 0
    for rec in records:
        mp3 = rec.files.get("mp3")
        copy = out / audio_dir(bitrate) / Path(mp3).name if mp3 else None
        if copy is None or not _levels_path(copy).is_file() or not copy.is_file():
            continue
        levels.append(json.loads(_levels_path(copy).read_text(encoding="utf-8")))
        size += copy.stat().st_size
    if not levels:
        return None
    return {"bitrate": bitrate, **combine(levels), "bytes": size}


def combine(levels: list[dict]) -> dict:
    """Whole-book levels from per-chapter ones ({"rms_db", "peak_db", "lufs", "seconds"}): RMS and LUFS as
    energy means weighted by duration, the peak as the highest."""

    def mean_db(key: str) -> float | None:
        parts = [(10 ** (x[key] / 10), x.get("seconds") or 0.0) for x in levels if x.get(key) is not None]
        total = sum(w for _, w in parts)
        if not parts or total <= 0:
            return None
        return round(10 * math.log10(max(sum(e * w for e, w in parts) / total, 1e-30)), 2)

    peaks = [x["peak_db"] for x in levels if x.get("peak_db") is not None]
    return {"rms_db": mean_db("rms_db"), "peak_db": max(peaks) if peaks else None, "lufs": mean_db("lufs")}
