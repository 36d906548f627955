"""Assembly on synthetic segments: pauses by kind, head and tail, output rate, loudness (fast, no engine)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pipeline.assemble import assemble_chapter, pause_seconds
from pipeline.audio import FRAME_SAMPLES
from pipeline.config import OutputConfig, PauseConfig
from pipeline.loudness import integrated_lufs, measure_pcm, normalize_loudness
from pipeline.records import Chapter, Pause, RenderedSegment, Segment


def _speechlike(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Noise bursts under a syllable-rate envelope: a speech-like crest factor, with silent margins."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    env = np.abs(np.sin(2 * np.pi * 3.0 * t)) ** 2
    voiced = (rng.standard_normal(n) * env * 0.2).astype(np.float32)
    margin = np.zeros(int(0.3 * rate), np.float32)  # engine output has silence at both ends
    return np.concatenate([margin, voiced, margin])


def _rendered(rate: int, pauses: list[Pause]) -> list[RenderedSegment]:
    return [
        RenderedSegment(
            Segment(1, i, f"s{i}", f"s{i}", pause_after=p), _speechlike(1.5 + 0.25 * i, rate, i), rate
        )
        for i, p in enumerate(pauses)
    ]


KINDS = [Pause.TITLE, Pause.SENTENCE, Pause.LINE, Pause.PARAGRAPH, Pause.SECTION, Pause.END]


@pytest.mark.parametrize("engine_rate", [24_000, 32_000])
def test_pauses_by_kind_head_tail_and_one_output_rate(engine_rate):
    pauses, output = PauseConfig(), OutputConfig()
    rendered = _rendered(engine_rate, KINDS)
    audio = assemble_chapter(Chapter(1, "c", []), rendered, pauses, output)
    assert audio.sample_rate == 44_100 and audio.audio.dtype == np.float32
    assert len(audio.audio) % FRAME_SAMPLES == 0
    t = audio.timings
    # the silence the engine left at each segment's edges is trimmed to the same small margin
    for a, b, r in zip(t, t[1:], rendered, strict=False):
        gap = b.start - a.end
        assert gap == pytest.approx(pause_seconds(r.segment.pause_after, pauses), abs=0.002)
    assert t[0].start == pytest.approx(pauses.head_s, abs=0.002)
    tail = audio.duration - t[-1].end
    assert pauses.tail_s <= tail <= pauses.tail_s + FRAME_SAMPLES / 44_100 + 0.001
    # trimmed segments keep their speech: each span is the voiced part plus the kept edges
    for r, timing in zip(rendered, t, strict=True):
        voiced = len(r.audio) / engine_rate - 0.6
        assert timing.end - timing.start == pytest.approx(voiced + 2 * pauses.trim_keep_s, abs=0.03)
    # silence where the pauses are: nothing but zeros (or resampler ringing far below -60 dB)
    for a, b in itertools.pairwise(t):
        gap = audio.audio[int((a.end + 0.05) * 44_100) : int((b.start - 0.05) * 44_100)]
        assert measure_pcm(gap, 44_100).rms_db < -90


def test_pause_lengths_come_from_the_config():
    pauses = PauseConfig(sentence_s=0.5, paragraph_s=1.5, head_s=0.6, tail_s=3.0)
    audio = assemble_chapter(
        Chapter(1, "c", []),
        _rendered(24_000, [Pause.SENTENCE, Pause.PARAGRAPH, Pause.END]),
        pauses,
        OutputConfig(sample_rate=48_000),
    )
    t = audio.timings
    assert audio.sample_rate == 48_000
    assert t[1].start - t[0].end == pytest.approx(0.5, abs=0.002)
    assert t[2].start - t[1].end == pytest.approx(1.5, abs=0.002)
    assert t[0].start == pytest.approx(0.6, abs=0.002)
    assert audio.duration - t[-1].end == pytest.approx(3.0, abs=0.03)


def test_loudness_acx_rms_and_peak_ceiling():
    out = OutputConfig()
    audio = assemble_chapter(Chapter(1, "c", []), _rendered(24_000, KINDS), PauseConfig(), out).audio
    m = measure_pcm(audio, 44_100)
    assert m.rms_db == pytest.approx(out.target_rms_db, abs=0.15)
    assert m.peak_db <= out.peak_db


def test_loudness_ebu_preset_in_lufs():
    out = OutputConfig(loudness="ebu")
    quiet = _speechlike(8.0, 44_100, 7) * np.float32(0.05)
    loud = normalize_loudness(quiet, out)
    assert integrated_lufs(loud, 44_100) == pytest.approx(out.target_lufs, abs=0.15)
    assert measure_pcm(loud, 44_100).peak_db <= out.peak_db


def test_empty_chapter_is_head_and_tail_of_silence():
    audio = assemble_chapter(Chapter(1, "c", []), [], PauseConfig(), OutputConfig())
    assert audio.duration >= PauseConfig().head_s + PauseConfig().tail_s and not np.any(audio.audio)
