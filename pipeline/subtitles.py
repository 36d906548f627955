"""Subtitles and chapter lists: SRT and WebVTT per chapter, one cue per sentence of the book's own text.

A segment can hold several sentences; its spoken span (from assembly) is split among them in proportion
to their length in characters, the best cheap proxy for speaking time. A cue stays up until the next one
starts, and the last stays to the end of the chapter file, so cues tile the chapter.

Cues follow subtitle conventions: at most two lines of about 42 characters. A sentence too long for one
cue is cut into several at natural points (after punctuation, else before a conjunction or preposition,
else between words), with pieces of even length; each cue's two lines are balanced the same way. A piece's
time is its share of the sentence's characters.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from . import defaults as D
from .records import ChapterAudio
from .timecode import stamp

# words a line or cue may start with when there is no punctuation to break after
_BREAK_BEFORE = frozenset(
    """and but or nor so yet for because although though while whereas when whenever where
wherever if unless until since after before as that which who whom whose what how why than then to of in on
at by with without into onto from about over under between through during against among upon""".split()
)
_CLAUSE_END = re.compile(r"[,;:.!?)\]—–…”’\"']$")


def _break_quality(prev: str, nxt: str) -> float:
    """How natural a break is between word `prev` and word `nxt`: 3 after punctuation, 2 before a
    conjunction or preposition, 0 elsewhere."""
    if _CLAUSE_END.search(prev) and not prev.endswith(("Mr.", "Mrs.", "Dr.", "St.")):
        return 3.0
    if nxt.lower().strip("\"'“‘(") in _BREAK_BEFORE:
        return 2.0
    return 0.0


def _split_even(words: list[str], parts: int, limit: int) -> list[list[str]]:
    """Cut `words` into `parts` runs of at most `limit` characters where possible, preferring natural breaks
    and even lengths (dynamic programming over break points; a run over the limit costs heavily)."""
    n = len(words)
    if parts <= 1 or n <= 1:
        return [words]
    lengths = [len(w) for w in words]
    prefix = [0]
    for ln in lengths:
        prefix.append(prefix[-1] + ln)

    def run_len(i: int, j: int) -> int:  # characters of words[i:j] joined by single spaces
        return prefix[j] - prefix[i] + (j - i - 1)

    target = run_len(0, n) / parts
    inf = float("inf")
    # best[k][j]: cost of cutting words[:j] into k runs
    best = [[inf] * (n + 1) for _ in range(parts + 1)]
    back = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for k in range(1, parts + 1):
        for j in range(k, n + 1):
            for i in range(k - 1, j):
                if best[k - 1][i] == inf:
                    continue
                length = run_len(i, j)
                cost = ((length - target) / max(target, 1.0)) ** 2
                if length > limit:
                    cost += 100.0 + (length - limit)
                if j < n:
                    cost -= 0.08 * _break_quality(words[j - 1], words[j])
                total = best[k - 1][i] + cost
                if total < best[k][j]:
                    best[k][j], back[k][j] = total, i
    runs: list[list[str]] = []
    j = n
    for k in range(parts, 0, -1):
        i = back[k][j]
        runs.append(words[i:j])
        j = i
    return [r for r in reversed(runs) if r]


def wrap_cue_text(
    text: str, line_chars: int = D.SUBTITLE_LINE_CHARS, max_lines: int = D.SUBTITLE_MAX_LINES
) -> list[str]:
    """A sentence as one or more cue texts, each at most `max_lines` lines of about `line_chars`
    characters (a single word longer than a line stays whole)."""
    words = text.split()
    if not words:
        return []
    full = " ".join(words)
    if len(full) <= line_chars:
        return [full]
    cue_chars = line_chars * max_lines
    n_cues = max(1, math.ceil(len(full) / cue_chars))
    while True:
        out = []
        for cue in _split_even(words, n_cues, cue_chars):
            joined = " ".join(cue)
            if len(joined) <= line_chars:
                out.append(joined)
            else:
                out.append("\n".join(" ".join(ln) for ln in _split_even(cue, max_lines, line_chars)))
        too_long = any(len(ln) > line_chars and " " in ln for c in out for ln in c.split("\n"))
        if not too_long or n_cues >= len(words):
            break
        n_cues += 1
    return out


@dataclass(slots=True)
class Cue:
    start: float  # seconds from the start of the chapter file
    end: float
    text: str  # one sentence as the book prints it


def chapter_cues(audio: ChapterAudio) -> list[Cue]:
    """One cue per sentence, in order, timed from the segment timings of an assembled chapter."""
    starts: list[float] = []
    texts: list[str] = []
    for t in audio.timings:
        sentences = [s for s in (t.segment.sentences or [t.segment.text]) if s.strip()]
        # each sentence as the cue texts that show it (one, or several for a long sentence)
        sentences = [piece for s in sentences for piece in wrap_cue_text(s)]
        if not sentences:
            continue
        weights = np.array([max(1, len(s)) for s in sentences], dtype=np.float64)
        edges = t.start + (t.end - t.start) * np.concatenate(([0.0], np.cumsum(weights) / weights.sum()))
        starts.extend(float(x) for x in edges[:-1])
        texts.extend(sentences)
    ends = [*starts[1:], audio.duration]
    return [Cue(s, max(s, e), text) for s, e, text in zip(starts, ends, texts, strict=True)]


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("-->", "->").split("\n")]
    return "\n".join(line for line in lines if line)


def to_srt(cues: list[Cue]) -> str:
    return "".join(
        f"{i}\n{stamp(c.start, ',')} --> {stamp(c.end, ',')}\n{_clean(c.text)}\n\n"
        for i, c in enumerate(cues, 1)
    )


def to_vtt(cues: list[Cue]) -> str:
    return "WEBVTT\n\n" + "".join(
        f"{stamp(c.start, '.')} --> {stamp(c.end, '.')}\n{_clean(c.text)}\n\n" for c in cues
    )


_VTT_CUE = re.compile(r"(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})\n((?:.+\n?)+)")


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file this module wrote."""
    out = []
    for m in _VTT_CUE.finditer(text):
        g = [int(x) for x in m.groups()[:8]]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        out.append(Cue(start, end, m.group(9).strip()))
    return out


def book_cues(chapters: list[tuple[float, float, list[Cue]]]) -> list[Cue]:
    """Every chapter's cues on the whole book's timeline: (chapter start, chapter end, its cues) each."""
    out = []
    for start, end, cues in chapters:
        for c in cues:
            a = start + c.start
            if a >= end:
                break
            out.append(Cue(a, min(start + c.end, end), c.text))
    return out


def chapters_txt(marks: list[tuple[float, str]]) -> str:
    """A whole-book chapter list, one "HH:MM:SS.mmm Title" line per chapter (the mp4chaps format, which
    mp4chaps, Audiobookshelf and most chapter editors import)."""
    return "".join(f"{stamp(start, '.')} {' '.join(title.split())}\n" for start, title in marks)
