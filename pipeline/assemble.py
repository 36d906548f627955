"""Assemble: a chapter's rendered segments into one track, with pauses by kind, at the book's rate.

Each segment's leading and trailing silence is trimmed to a consistent edge (a short fade over the kept
edge so a cut never clicks), then segments are laid into one preallocated buffer with the pause each one
asks for; the chapter gets clean silence at its head and tail; the result is resampled once (soxr) to the
output rate, padded to a whole number of codec frames, and brought to the loudness target.
"""
from __future__ import annotations

import math

import numpy as np

from .config import OutputConfig, PauseConfig
from .loudness import integrated_lufs
from .records import Chapter, ChapterAudio, Pause, RenderedSegment, SegmentTiming
from .validate import frame_rms

FRAME_SAMPLES = 1024                 # AAC frame: chapters are padded to a multiple, so M4B marks are exact
LIMITER_MARGIN_DB = 0.5              # the in-memory limiter aims this far under the ceiling (codec overshoot)
LOUDNESS_TOLERANCE_DB = 0.1
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


def faded(audio: np.ndarray, n: int) -> np.ndarray:
    """A copy of `audio` with linear fades of `n` samples in and out (the edges kept by trimming)."""
    out = np.array(audio, dtype=np.float32)
    n = min(n, len(out) // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        out[:n] *= ramp
        out[-n:] *= ramp[::-1]
    return out


def pad_to_frames(audio: np.ndarray, frame: int = FRAME_SAMPLES) -> np.ndarray:
    """`audio` with silence appended up to a multiple of `frame` samples (under 1024 samples: 23 ms at 44.1 kHz)."""
    extra = -len(audio) % frame
    return np.concatenate([audio, np.zeros(extra, np.float32)]) if extra else audio


def pause_seconds(pause: Pause, cfg: PauseConfig) -> float:
    return {Pause.SENTENCE: cfg.sentence_s, Pause.LINE: cfg.line_s, Pause.PARAGRAPH: cfg.paragraph_s,
            Pause.SECTION: cfg.section_s, Pause.TITLE: cfg.title_s, Pause.END: 0.0}[pause]


def resample(audio: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Resample mono float32 audio with soxr (VHQ); returns float32, shape (T * to_hz / from_hz,)."""
    if from_hz == to_hz or audio.size == 0:
        return audio
    import soxr
    return soxr.resample(audio, from_hz, to_hz, quality="VHQ").astype(np.float32, copy=False)


def assemble_chapter(chapter: Chapter, rendered: list[RenderedSegment], pauses: PauseConfig,
                     output: OutputConfig) -> ChapterAudio:
    """Join a chapter's segments (in order) into mono float32 audio at `output.sample_rate`."""
    if not rendered:
        sr = output.sample_rate
        return ChapterAudio(chapter, pad_to_frames(np.zeros(int((pauses.head_s + pauses.tail_s) * sr), np.float32)),
                            sr)
    sr = rendered[0].sample_rate
    bounds = [trim_bounds(r.audio, sr, pauses.silence_threshold_db, pauses.trim_keep_s) for r in rendered]
    gaps = [int(round(pause_seconds(r.segment.pause_after, pauses) * sr)) for r in rendered]
    head, tail = int(round(pauses.head_s * sr)), int(round(pauses.tail_s * sr))
    total = head + sum(e - s for s, e in bounds) + sum(gaps[:-1]) + tail
    buf = np.zeros(total, dtype=np.float32)
    pos = head
    marks: list[tuple[int, int]] = []
    fade = max(1, int(pauses.trim_keep_s * sr))
    for i, (r, (s, e)) in enumerate(zip(rendered, bounds, strict=True)):
        buf[pos:pos + e - s] = faded(r.audio[s:e], fade)
        marks.append((pos, pos + e - s))
        pos += e - s
        if i < len(rendered) - 1:
            pos += gaps[i]
    out = pad_to_frames(resample(buf, sr, output.sample_rate))
    del buf
    scale = output.sample_rate / sr
    timings = [SegmentTiming(r.segment, a * scale / output.sample_rate, b * scale / output.sample_rate)
               for r, (a, b) in zip(rendered, marks, strict=True)]
    out = normalize_loudness(out, output, in_place=True)
    return ChapterAudio(chapter, out, output.sample_rate, timings, rendered)


def _level(audio: np.ndarray, output: OutputConfig) -> float:
    """The gain stage's estimate of the preset's measure: integrated LUFS (pyloudnorm) for "ebu", whole-file
    dB RMS for "acx" (numpy, in place of a round trip through ffmpeg per iteration). What counts is the
    measurement of the encoded file (`pipeline.loudness.measure_file`, ffmpeg astats/ebur128), which the
    exporter checks and corrects against."""
    if output.loudness == "ebu":
        return integrated_lufs(audio, output.sample_rate)
    mean_square = float(np.dot(audio, audio)) / max(len(audio), 1)
    return 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


def target_level(output: OutputConfig) -> float:
    return output.target_lufs if output.loudness == "ebu" else output.target_rms_db


def normalize_loudness(audio: np.ndarray, output: OutputConfig, offset_db: float = 0.0,
                       ceiling_db: float | None = None, in_place: bool = False) -> np.ndarray:
    """Gain to the loudness target (ACX RMS or EBU R128 LUFS) plus `offset_db`, with a peak limiter at
    `ceiling_db` (default: `output.peak_db` less a margin for codec overshoot).

    Limiting lowers the level a little, so gain and limiter alternate until the measured level is within
    0.1 dB of the target (at most four rounds). Audio: mono float32, shape (T,), at `output.sample_rate`;
    the rounds work in place on one copy of the input, or on the input itself when `in_place`.
    """
    if audio.size == 0 or not np.any(audio):
        return audio
    target = target_level(output) + offset_db
    ceiling = output.peak_db - LIMITER_MARGIN_DB if ceiling_db is None else ceiling_db
    out = audio
    for _ in range(4):
        level = _level(out, output)
        if not math.isfinite(level):
            return out
        if abs(level - target) <= LOUDNESS_TOLERANCE_DB:
            break
        gain = np.float32(10 ** ((target - level) / 20))
        if out is audio and not in_place:
            out = audio * gain
        else:
            out *= gain
        limit_peaks(out, output.sample_rate, ceiling, in_place=True)
    return out


LIMITER_BLOCK = 64           # samples per block of the limiter's gain envelope (1.5 ms at 44.1 kHz)
LIMITER_CHUNK_BLOCKS = 16384  # blocks the gain is applied to at a time (1 M samples: small temporaries)


def limit_peaks(audio: np.ndarray, sample_rate: int, ceiling_db: float, attack_s: float = 0.005,
                in_place: bool = False) -> np.ndarray:
    """A look-ahead peak limiter: a smooth gain envelope keeps |audio| under the ceiling.

    The envelope is computed on blocks of LIMITER_BLOCK samples: the gain each block needs,
    min(1, ceiling / peak), is spread back and forward by a running minimum over the attack window and
    smoothed by a moving average (scipy.ndimage), then ramped linearly across each block. Both ends of a
    block's ramp are at most that block's own need, so no sample passes the ceiling, and the gain moves
    without clicks. Vectorized, applied chunk by chunk so temporaries stay small; returns `audio` itself
    when `in_place`, else a limited copy.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = np.float32(10 ** (ceiling_db / 20) * 0.995)
    n = len(audio)
    if n == 0:
        return audio
    whole = n - n % LIMITER_BLOCK
    view = audio[:whole].reshape(-1, LIMITER_BLOCK)
    peak = np.maximum(view.max(axis=1), -view.min(axis=1))
    if whole < n:
        tail = audio[whole:]
        peak = np.append(peak, max(float(tail.max()), -float(tail.min())))
    if float(peak.max()) <= ceiling:
        return audio
    out = audio if in_place else audio.copy()
    need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-9)).astype(np.float32)
    win = max(3, int(sample_rate * attack_s / LIMITER_BLOCK) | 1)
    env = minimum_filter1d(need, size=2 * win + 1, mode="nearest")
    env = uniform_filter1d(env, size=win, mode="nearest")
    env = np.minimum(env, minimum_filter1d(need, size=3, mode="nearest"))   # never lets a peak through
    nxt = np.append(env[1:], env[-1])
    ramp = np.arange(LIMITER_BLOCK, dtype=np.float32) / LIMITER_BLOCK
    for b0 in range(0, len(env), LIMITER_CHUNK_BLOCKS):
        b1 = min(b0 + LIMITER_CHUNK_BLOCKS, len(env))
        gain = (env[b0:b1, None] + (nxt[b0:b1] - env[b0:b1])[:, None] * ramp[None, :]).reshape(-1)
        s0, s1 = b0 * LIMITER_BLOCK, min(b1 * LIMITER_BLOCK, n)
        out[s0:s1] *= gain[:s1 - s0]
    return out
