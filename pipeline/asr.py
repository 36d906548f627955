"""Speech recognition round trip with pocketsphinx (its English model ships in its wheel).

Used by `--qc asr` and by tests: transcribe rendered audio, compare with the normalized text.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .audio import resample, to_pcm16
from .errors import EngineError

ASR_RATE_HZ = 16_000
_WORD = re.compile(r"[a-z']+")


@functools.cache
def _decoder():
    try:
        from pocketsphinx import Decoder
    except ImportError as e:
        raise EngineError("--qc asr needs pocketsphinx; install with: pip install -e '.[asr]'") from e
    return Decoder(samprate=ASR_RATE_HZ, loglevel="FATAL")


def transcribe(audio: np.ndarray, sample_rate: int) -> str:
    """Words pocketsphinx hears in mono float32 audio, shape (T,), at `sample_rate` Hz."""
    pcm = resample(np.asarray(audio, np.float32), sample_rate, ASR_RATE_HZ)
    pcm16 = to_pcm16(pcm)
    dec = _decoder()
    dec.start_utt()
    dec.process_raw(pcm16, full_utt=True)
    dec.end_utt()
    hyp = dec.hyp()
    return hyp.hypstr if hyp is not None else ""


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("-", " "))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance / reference length (nltk's edit distance), on lower-cased words."""
    from nltk.metrics.distance import edit_distance

    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
