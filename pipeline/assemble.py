"""Assemble: a chapter's rendered segments into one track, with pauses by kind, at the book's rate.

Each segment's leading and trailing silence is trimmed to a consistent edge (a short fade over the kept
edge so a cut never clicks), then segments are laid into one preallocated buffer with the pause each one
asks for; the chapter gets clean silence at its head and tail; the result is resampled once (soxr) to the
output rate, padded to a whole number of codec frames, and brought to the loudness target.
"""

from __future__ import annotations

import numpy as np

from .audio import faded, frame_rms, pad_to_frames, resample
from .config import OutputConfig, PauseConfig
from .loudness import normalize_loudness
from .records import Chapter, ChapterAudio, Pause, RenderedSegment, SegmentTiming

TRIM_FRAME_S = 0.01


def trim_bounds(audio: np.ndarray, sample_rate: int, threshold_db: float, keep_s: float) -> tuple[int, int]:
    """(start, end) sample indices of `audio` without its leading and trailing silence, `keep_s` kept."""
    rms = frame_rms(audio, sample_rate, TRIM_FRAME_S)
    voiced = np.flatnonzero(rms >= 10 ** (threshold_db / 20))
    if voiced.size == 0:
        return 0, 0
    n = int(sample_rate * TRIM_FRAME_S)
    keep = int(sample_rate * keep_s)
    start = max(0, voiced[0] * n - keep)
    end = min(len(audio), (voiced[-1] + 1) * n + keep)
    return int(start), int(end)


def pause_seconds(pause: Pause, cfg: PauseConfig) -> float:
    return {
        Pause.SENTENCE: cfg.sentence_s,
        Pause.LINE: cfg.line_s,
        Pause.PARAGRAPH: cfg.paragraph_s,
        Pause.SECTION: cfg.section_s,
        Pause.TITLE: cfg.title_s,
        Pause.END: 0.0,
    }[pause]


def assemble_chapter(
    chapter: Chapter, rendered: list[RenderedSegment], pauses: PauseConfig, output: OutputConfig
) -> ChapterAudio:
    """Join a chapter's segments (in order) into mono float32 audio at `output.sample_rate`."""
    if not rendered:
        sr = output.sample_rate
        return ChapterAudio(
            chapter, pad_to_frames(np.zeros(int((pauses.head_s + pauses.tail_s) * sr), np.float32)), sr
        )
    sr = rendered[0].sample_rate
    bounds = [trim_bounds(r.audio, sr, pauses.silence_threshold_db, pauses.trim_keep_s) for r in rendered]
    gaps = [round(pause_seconds(r.segment.pause_after, pauses) * sr) for r in rendered]
    head, tail = round(pauses.head_s * sr), round(pauses.tail_s * sr)
    total = head + sum(e - s for s, e in bounds) + sum(gaps[:-1]) + tail
    buf = np.zeros(total, dtype=np.float32)
    pos = head
    marks: list[tuple[int, int]] = []
    fade = max(1, int(pauses.trim_keep_s * sr))
    for i, (r, (s, e)) in enumerate(zip(rendered, bounds, strict=True)):
        buf[pos : pos + e - s] = faded(r.audio[s:e], fade)
        marks.append((pos, pos + e - s))
        pos += e - s
        if i < len(rendered) - 1:
            pos += gaps[i]
    out = pad_to_frames(resample(buf, sr, output.sample_rate))
    del buf
    scale = output.sample_rate / sr
    timings = [
        SegmentTiming(r.segment, a * scale / output.sample_rate, b * scale / output.sample_rate)
        for r, (a, b) in zip(rendered, marks, strict=True)
    ]
    out = normalize_loudness(out, output, in_place=True)
    return ChapterAudio(chapter, out, output.sample_rate, timings, rendered)
