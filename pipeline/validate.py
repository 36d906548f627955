"""Validate: cheap per-segment checks on rendered audio, and the choice of the best attempt.

Every check is vectorized numpy over the segment; none needs a model. The optional ASR round trip
lives in `pipeline.asr`.
"""

from __future__ import annotations

import numpy as np

from . import defaults as D
from .audio import FRAME_S, frame_rms, longest_run, rms_db
from .config import ValidateConfig
from .records import Check, EngineOutput


def check_segment(
    out: EngineOutput,
    sample_rate: int,
    expected_s: float,
    cfg: ValidateConfig,
    silence_db: float = D.SILENCE_THRESHOLD_DB,
) -> list[Check]:
    """Checks for one engine output. `expected_s` is the text's estimated duration."""
    audio = out.audio
    checks: list[Check] = []
    finite = bool(np.isfinite(audio).all()) if audio.size else True
    checks.append(Check("finite", finite, None, "" if finite else "NaN or inf in the audio"))
    if not finite:
        audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    duration = len(audio) / sample_rate
    ratio = duration / expected_s if expected_s > 0 else 1.0
    # very short texts ("One.", a chapter number) take a fixed minimum to say: an absolute slack keeps
    # them from failing the ratio (and from three needless re-renders each)
    ok = (
        cfg.duration_ratio_min <= ratio <= cfg.duration_ratio_max
        or abs(duration - expected_s) <= cfg.duration_slack_s
    )
    checks.append(
        Check(
            "duration",
            ok,
            round(ratio, 3),
            "" if ok else f"{duration:.2f} s for text expected to take {expected_s:.2f} s",
        )
    )
    rms = frame_rms(audio, sample_rate)
    level = rms_db(audio)
    ok = level >= cfg.min_rms_db
    checks.append(Check("loudness", ok, round(level, 1), "" if ok else f"too quiet ({level:.1f} dB RMS)"))
    silent = rms < 10 ** (silence_db / 20)
    # internal silence: frames between the first and last voiced frame
    voiced = np.flatnonzero(~silent)
    inner = silent[voiced[0] : voiced[-1] + 1] if voiced.size else silent
    gap = longest_run(inner) * FRAME_S
    ok = gap <= cfg.max_internal_silence_s and voiced.size > 0
    checks.append(
        Check(
            "silence",
            ok,
            round(gap, 2),
            "" if ok else ("no speech" if voiced.size == 0 else f"{gap:.1f} s of silence inside"),
        )
    )
    if voiced.size:
        edge = max(voiced[0], len(silent) - 1 - voiced[-1]) * FRAME_S
        ok = edge <= cfg.max_edge_silence_s
        checks.append(
            Check(
                "edges",
                ok,
                round(edge, 2),
                "" if ok else f"{edge:.1f} s of silence before or after the speech",
            )
        )
    clipped = float(np.mean(np.abs(audio) >= 0.999)) if audio.size else 0.0
    ok = clipped <= cfg.clip_fraction_max
    checks.append(Check("clipping", ok, round(clipped, 5), "" if ok else f"{clipped:.2%} of samples clipped"))
    if out.finish_reason != "stop":
        checks.append(Check("finish", False, None, f"the engine stopped on '{out.finish_reason}'"))
    if out.repetition is not None:
        ok = out.repetition < 0.5
        checks.append(
            Check(
                "repetition",
                ok,
                round(out.repetition, 3),
                "" if ok else "the engine repeated itself (hallucination signal)",
            )
        )
    return checks


def asr_check(audio: np.ndarray, sample_rate: int, normalized: str, wer_max: float) -> Check:
    """The ASR round trip: pocketsphinx's transcript of the audio against the normalized text.
    `value` is the word error rate; the check fails above `wer_max`. `detail` holds what was heard."""
    from .asr import transcribe, word_error_rate, words

    heard = transcribe(audio, sample_rate)
    wer = word_error_rate(normalized, heard)
    ok = wer <= wer_max
    return Check("asr", ok, round(wer, 3), f"{len(words(normalized))} words; heard: {heard[:200]}")


def asr_sampled(text_hash: str, fraction: float) -> bool:
    """Whether a segment is in the ASR sample: a fixed pseudo-random choice from its text's hash."""
    return fraction >= 1.0 or int(text_hash[:8], 16) / 0x1_0000_0000 < fraction


def score(checks: list[Check]) -> tuple[int, float]:
    """Lower is better: (failed checks, distance of the duration ratio from 1)."""
    failed = sum(not c.passed for c in checks)
    ratio = next((c.value for c in checks if c.name == "duration" and c.value is not None), 1.0)
    return failed, abs(np.log(max(ratio, 1e-6)))
