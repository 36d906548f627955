"""DSP primitives every stage shares: resampling, framing, levels, fades, frame padding.

Pure numpy (and soxr for resampling), no stage logic: the stage modules (`validate`, `assemble`, `export`,
`asr`) import these and never each other. Audio is mono float32 in [-1, 1], shape (T,), at the sample
rate passed alongside it.
"""

from __future__ import annotations

import math

import numpy as np

FRAME_SAMPLES = 1024  # AAC frame: chapters are padded to a multiple, so M4B marks are exact
FRAME_S = 0.02  # analysis frame of the segment checks
SILENCE_DB = -200.0  # the level reported for no audio at all


def db(amplitude: float) -> float:
    """An amplitude (RMS or peak, linear) in dB, floored at -200 dB."""
    return float(20.0 * np.log10(max(amplitude, 1e-10)))


def rms_db(audio: np.ndarray) -> float:
    """The whole buffer's RMS level in dB (float64 accumulation); `SILENCE_DB` for an empty buffer."""
    return db(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))) if audio.size else SILENCE_DB


def mean_square_db(audio: np.ndarray) -> float:
    """10 log10 of the mean square (float32 dot product): -inf for silence. The gain stage's fast level."""
    mean_square = float(np.dot(audio, audio)) / max(len(audio), 1)
    return 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


def resample(audio: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Resample mono float32 audio with soxr (VHQ); returns float32, shape (T * to_hz / from_hz,)."""
    if from_hz == to_hz or audio.size == 0:
        return audio
    import soxr

    return soxr.resample(audio, from_hz, to_hz, quality="VHQ").astype(np.float32, copy=False)


def frame_rms(audio: np.ndarray, sample_rate: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS of consecutive frames, shape (T // frame,). Audio: mono float32, shape (T,)."""
    n = max(1, int(sample_rate * frame_s))
    usable = len(audio) // n * n
    if usable == 0:
        return np.zeros(0, dtype=np.float32)
    frames = audio[:usable].reshape(-1, n).astype(np.float32, copy=False)
    return np.sqrt(np.mean(frames * frames, axis=1))


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in a 1-D boolean array."""
    if not mask.any():
        return 0
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return int((edges[1::2] - edges[::2]).max())


def faded(audio: np.ndarray, n: int) -> np.ndarray:
    """A copy of `audio` with linear fades of `n` samples in and out."""
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


def to_pcm16(audio: np.ndarray) -> bytes:
    """Little-endian 16-bit PCM bytes of float audio, clipped to [-1, 1]."""
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def as_f32le(audio: np.ndarray) -> memoryview:
    """The buffer as little-endian float32 bytes, without a copy where it already is (for ffmpeg's stdin)."""
    return memoryview(np.ascontiguousarray(audio, dtype="<f4")).cast("B")  # type: ignore[arg-type]  # numpy 2's stubs lack the buffer protocol
