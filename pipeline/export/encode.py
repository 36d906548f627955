"""Encoding and measurement: float PCM to each format with ffmpeg, measured on the encoded file and
corrected until it meets the loudness target.

Loudness is checked on every encoded file (`pipeline.loudness.measure_file`): when a codec moved the
level off target or a peak over the ceiling, the chapter is corrected and encoded again.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from .. import defaults as D
from ..audio import FRAME_SAMPLES, as_f32le, resample
from ..config import OutputConfig
from ..ffmpeg import run_ffmpeg
from ..loudness import Loudness, measure_file, normalize_loudness, target_level

log = logging.getLogger(__name__)


def codec_args(fmt: str, cfg: OutputConfig) -> list[str]:
    """ffmpeg's output arguments for a chapter format (also what `scripts/bench.py` times)."""
    return {
        "mp3": ["-c:a", "libmp3lame", "-b:a", cfg.mp3_bitrate, "-f", "mp3"],
        "m4b": ["-c:a", "aac", "-b:a", cfg.aac_bitrate, "-f", "ipod"],
        "opus": ["-c:a", "libopus", "-b:a", cfg.opus_bitrate, "-f", "ogg"],
        "flac": ["-c:a", "flac", "-f", "flac"],
        "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    }[fmt]


def output_rate(fmt: str, cfg: OutputConfig) -> int:
    return D.OPUS_RATE_HZ if fmt == "opus" else cfg.sample_rate


def encode(audio: np.ndarray, sample_rate: int, path: Path, fmt: str, cfg: OutputConfig) -> None:
    """Encode mono float32 audio, shape (T,), to `path` (callers pass a temporary name and move the file
    into place once it is encoded, checked and tagged). The PCM is streamed to ffmpeg without a copy."""
    out_rate = output_rate(fmt, cfg)
    audio = resample(audio, sample_rate, out_rate)  # soxr, as everywhere; ffmpeg only encodes
    args = ["-f", "f32le", "-ar", str(out_rate), "-ac", "1", "-i", "pipe:0", *codec_args(fmt, cfg), str(path)]
    run_ffmpeg(args, input=as_f32le(audio))


def encode_to_target(
    audio: np.ndarray, sample_rate: int, path: Path, fmt: str, cfg: OutputConfig
) -> tuple[Loudness, int]:
    """Encode, measure the encoded file, and correct and re-encode while it misses the loudness target
    (by more than 0.3 dB) or a peak passes `cfg.peak_db`. Returns (measured loudness, passes)."""
    ebu = cfg.loudness == "ebu"
    target = target_level(cfg)
    offset, ceiling = 0.0, None
    pcm = audio
    for n in range(1, D.MAX_ENCODE_PASSES + 1):
        encode(pcm, sample_rate, path, fmt, cfg)
        m = measure_file(path, lufs=ebu)
        level = m.lufs if ebu else m.rms_db
        if not math.isfinite(level):
            return m, n
        miss = target - level
        over = m.peak_db - cfg.peak_db
        if abs(miss) <= D.ENCODE_TOLERANCE_DB and over <= 0:
            if n > 1:
                log.debug(
                    "%s: on target after %d encodes (level %.2f, peak %.2f dBFS)",
                    path.name,
                    n,
                    level,
                    m.peak_db,
                )
            return m, n
        if n == D.MAX_ENCODE_PASSES:
            log.warning(
                "%s: still off target after %d encodes (level %.2f for %.2f, peak %.2f dBFS); kept",
                path.name,
                n,
                level,
                target,
                m.peak_db,
            )
            return m, n
        offset += miss
        if over > 0:
            ceiling = (ceiling if ceiling is not None else cfg.peak_db - 0.5) - over - 0.2
        pcm = normalize_loudness(audio, cfg, offset_db=offset, ceiling_db=ceiling)
    raise AssertionError("unreachable")


def aac_samples(path: Path, frame: int = FRAME_SAMPLES) -> int:
    """Samples in an AAC stream as a concatenation plays it: packets x 1024, the priming frame included."""
    proc = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "framecrc", "-"])
    return frame * sum(1 for line in proc.stdout.decode().splitlines() if line and not line.startswith("#"))
