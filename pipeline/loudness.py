"""Loudness: measurement with ffmpeg's astats (RMS, sample peak) and pyloudnorm (EBU R128 integrated LUFS),
and the in-memory gain stage with its peak limiter.

Targets are checked on encoded files, so what a listener's player decodes is what is measured. The
gain stage (`normalize_loudness`, used by the assembler and by the exporter's corrections) aims at the
same numbers; the exporter measures each encoded file with `measure_file` and corrects and re-encodes
when the codec moved it off target.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass

import numpy as np

from .audio import as_f32le, mean_square_db
from .config import OutputConfig
from .errors import RenderError
from .ffmpeg import ffmpeg_exe

_ASTATS = "astats=measure_perchannel=none:measure_overall=RMS_level+Peak_level"
_EBUR128 = "ebur128=framelog=quiet"
_LINE = re.compile(r"(RMS level|Peak level) dB: (-?inf|-?[0-9.]+)")
_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?inf|-?[0-9.]+) LUFS")


@dataclass(slots=True)
class Loudness:
    """Measured levels: `rms_db` dB RMS (whole file, as ACX measures), `peak_db` dBFS sample peak,
    `lufs` integrated loudness (EBU R128, pyloudnorm; -inf for silence)."""

    rms_db: float
    peak_db: float
    lufs: float = float("nan")

    def to_json(self) -> dict:
        def r(x: float) -> float | None:
            return round(x, 2) if math.isfinite(x) else None

        return {"rms_db": r(self.rms_db), "peak_db": r(self.peak_db), "lufs": r(self.lufs)}


def _astats(
    args: list[str], input: bytes | memoryview | None = None, lufs: bool = False
) -> tuple[float, float, float]:
    """(RMS dB, peak dBFS, integrated LUFS or nan) from one ffmpeg pass: astats, plus ebur128 when asked."""
    chain = f"{_ASTATS},{_EBUR128}" if lufs else _ASTATS
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "info",
        *args,
        "-af",
        chain,
        "-f",
        "null",
        "-",
    ]
    proc = subprocess.run(cmd, input=input, capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"ffmpeg astats failed: {tail[-1] if tail else proc.returncode}")
    text = proc.stderr.decode("utf-8", "replace")
    found = dict(_LINE.findall(text))
    if "RMS level" not in found:
        raise RenderError("ffmpeg astats printed no RMS level")
    integrated = math.nan
    if lufs:
        m = _INTEGRATED.search(text)
        integrated = float(m.group(1)) if m else math.nan
    return float(found["RMS level"]), float(found["Peak level"]), integrated


def measure_pcm(audio: np.ndarray, sample_rate: int, lufs: bool = False) -> Loudness:
    """Levels of mono float32 audio, shape (T,), at `sample_rate` Hz (ffmpeg astats; pyloudnorm for LUFS)."""
    if audio.size == 0:
        return Loudness(-math.inf, -math.inf, -math.inf)
    data = as_f32le(audio)
    rms, peak, _ = _astats(["-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0"], data)
    return Loudness(rms, peak, integrated_lufs(audio, sample_rate) if lufs else math.nan)


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """EBU R128 integrated loudness in LUFS (pyloudnorm); -inf for audio shorter than a block or silent."""
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    if len(audio) < int(sample_rate * meter.block_size):
        return -math.inf
    return float(meter.integrated_loudness(np.asarray(audio, dtype=np.float64)))


def measure_file(path, lufs: bool = False) -> Loudness:
    """Levels of an encoded file as a player decodes it (first audio stream, downmixed to mono), in one
    ffmpeg pass that never brings the audio into Python: astats for RMS and peak, ebur128 for LUFS."""
    rms, peak, integrated = _astats(["-i", str(path), "-map", "0:a:0", "-ac", "1"], lufs=lufs)
    return Loudness(rms, peak, integrated)


def pcm_gaps_floor_db(
    audio: np.ndarray, sample_rate: int, gaps: list[tuple[float, float]], margin_s: float = 0.08
) -> float:
    """Like `gaps_floor_db`, in process (numpy): the RMS level in dB of the pauses, -inf when silent. For the
    per-chapter warning on the hot path; tests measure encoded files with `gaps_floor_db` (ffmpeg astats)."""
    total, count = 0.0, 0
    for a, b in gaps:
        piece = audio[int((a + margin_s) * sample_rate) : int((b - margin_s) * sample_rate)]
        total += float(np.dot(piece, piece))
        count += piece.size
    return 10 * math.log10(total / count) if count and total > 0 else -math.inf


def gaps_floor_db(
    audio: np.ndarray, sample_rate: int, gaps: list[tuple[float, float]], margin_s: float = 0.08
) -> float:
    """RMS level (dB, ffmpeg astats) of the pauses between speech: the `gaps` (start, end) in seconds,
    each shrunk by `margin_s` at both ends so speech onsets and decays are left out. -inf when silent."""
    pieces = []
    for a, b in gaps:
        i, j = int((a + margin_s) * sample_rate), int((b - margin_s) * sample_rate)
        if j > i:
            pieces.append(audio[i:j])
    if not pieces:
        return -math.inf
    return measure_pcm(np.concatenate(pieces), sample_rate).rms_db


LIMITER_MARGIN_DB = 0.5  # the in-memory limiter aims this far under the ceiling (codec overshoot)
LOUDNESS_TOLERANCE_DB = 0.1


def _level(audio: np.ndarray, output: OutputConfig) -> float:
    """The gain stage's estimate of the preset's measure: integrated LUFS (pyloudnorm) for "ebu", whole-file
    dB RMS for "acx" (numpy, in place of a round trip through ffmpeg per iteration). What counts is the
    measurement of the encoded file (`pipeline.loudness.measure_file`, ffmpeg astats/ebur128), which the
    exporter checks and corrects against."""
    if output.loudness == "ebu":
        return integrated_lufs(audio, output.sample_rate)
    return mean_square_db(audio)


def target_level(output: OutputConfig) -> float:
    return output.target_lufs if output.loudness == "ebu" else output.target_rms_db


def normalize_loudness(
    audio: np.ndarray,
    output: OutputConfig,
    offset_db: float = 0.0,
    ceiling_db: float | None = None,
    in_place: bool = False,
) -> np.ndarray:
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


LIMITER_BLOCK = 64  # samples per block of the limiter's gain envelope (1.5 ms at 44.1 kHz)
LIMITER_CHUNK_BLOCKS = 16384  # blocks the gain is applied to at a time (1 M samples: small temporaries)


def limit_peaks(
    audio: np.ndarray, sample_rate: int, ceiling_db: float, attack_s: float = 0.005, in_place: bool = False
) -> np.ndarray:
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
    env = np.minimum(env, minimum_filter1d(need, size=3, mode="nearest"))  # never lets a peak through
    nxt = np.append(env[1:], env[-1])
    ramp = np.arange(LIMITER_BLOCK, dtype=np.float32) / LIMITER_BLOCK
    for b0 in range(0, len(env), LIMITER_CHUNK_BLOCKS):
        b1 = min(b0 + LIMITER_CHUNK_BLOCKS, len(env))
        gain = (env[b0:b1, None] + (nxt[b0:b1] - env[b0:b1])[:, None] * ramp[None, :]).reshape(-1)
        s0, s1 = b0 * LIMITER_BLOCK, min(b1 * LIMITER_BLOCK, n)
        out[s0:s1] *= gain[: s1 - s0]
    return out
