"""Subtitles and chapter lists: SRT and WebVTT per chapter, one cue per sentence of the book's own text.

A segment can hold several sentences; its spoken span (from assembly) is split among them in proportion
to their length in characters, the best cheap proxy for speaking time. A cue stays up until the next one
starts, and the last stays to the end of the chapter file, so cues tile the chapter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .records import ChapterAudio


@dataclass(slots=True)
class Cue:
    start: float          # seconds from the start of the chapter file
    end: float
    text: str             # one sentence as the book prints it


def chapter_cues(audio: ChapterAudio) -> list[Cue]:
    """One cue per sentence, in order, timed from the segment timings of an assembled chapter."""
    starts: list[float] = []
    texts: list[str] = []
    for t in audio.timings:
        sentences = [s for s in (t.segment.sentences or [t.segment.text]) if s.strip()]
        if not sentences:
            continue
        weights = np.array([max(1, len(s)) for s in sentences], dtype=np.float64)
        edges = t.start + (t.end - t.start) * np.concatenate(([0.0], np.cumsum(weights) / weights.sum()))
        starts.extend(float(x) for x in edges[:-1])
        texts.extend(sentences)
    ends = [*starts[1:], audio.duration]
    return [Cue(s, max(s, e), text) for s, e, text in zip(starts, ends, texts, strict=True)]


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("-->", "->").split("\n")]
    return "\n".join(line for line in lines if line)


def to_srt(cues: list[Cue]) -> str:
    return "".join(f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_clean(c.text)}\n\n"
                   for i, c in enumerate(cues, 1))


def to_vtt(cues: list[Cue]) -> str:
    return "WEBVTT\n\n" + "".join(f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{_clean(c.text)}\n\n"
                                  for c in cues)


def chapters_txt(marks: list[tuple[float, str]]) -> str:
    """A whole-book chapter list, one "HH:MM:SS.mmm Title" line per chapter (the mp4chaps format, which
    mp4chaps, Audiobookshelf and most chapter editors import)."""
    return "".join(f"{_stamp(start, '.')} {' '.join(title.split())}\n" for start, title in marks)
