"""Loudness: measurement with ffmpeg's astats (RMS, sample peak) and pyloudnorm (EBU R128 integrated LUFS).

Targets are checked on encoded files, so what a listener's player decodes is what is measured. The
in-memory gain stage (`pipeline.assemble.normalize_loudness`) aims at the same numbers; the exporter
measures each encoded file with `measure_file` and corrects and re-encodes when the codec moved it off
target.
"""
from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass

import numpy as np

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


def _astats(args: list[str], input: bytes | None = None, lufs: bool = False) -> tuple[float, float, float]:
    """(RMS dB, peak dBFS, integrated LUFS or nan) from one ffmpeg pass: astats, plus ebur128 when asked."""
    chain = f"{_ASTATS},{_EBUR128}" if lufs else _ASTATS
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", *args, "-af", chain,
           "-f", "null", "-"]
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
    data = memoryview(np.ascontiguousarray(audio, dtype="<f4")).cast("B")
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


def pcm_gaps_floor_db(audio: np.ndarray, sample_rate: int, gaps: list[tuple[float, float]],
                      margin_s: float = 0.08) -> float:
    """Like `gaps_floor_db`, in process (numpy): the RMS level in dB of the pauses, -inf when silent. For the
    per-chapter warning on the hot path; tests measure encoded files with `gaps_floor_db` (ffmpeg astats)."""
    total, count = 0.0, 0
    for a, b in gaps:
        piece = audio[int((a + margin_s) * sample_rate):int((b - margin_s) * sample_rate)]
        total += float(np.dot(piece, piece))
        count += piece.size
    return 10 * math.log10(total / count) if count and total > 0 else -math.inf


def gaps_floor_db(audio: np.ndarray, sample_rate: int, gaps: list[tuple[float, float]],
                  margin_s: float = 0.08) -> float:
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
