"""The worker around a real engine: failures isolated per segment, expectations per engine."""

from __future__ import annotations

import numpy as np

from pipeline.config import ValidateConfig
from pipeline.records import Segment
from pipeline.synthesize.base import SynthRequest
from pipeline.synthesize.hibari_engine import HibariEngine
from pipeline.synthesize.worker import Worker


class BreaksOnBoom(HibariEngine):
    """The real hibari engine, except that any batch holding the word BOOM raises."""

    def synthesize_batch(self, requests):
        if any("BOOM" in r.text for r in requests):
            raise RuntimeError("engine crashed")
        return super().synthesize_batch(requests)


def _segments(texts):
    return [Segment(chapter=1, index=i, text=t, normalized=t) for i, t in enumerate(texts)]


def test_an_engine_failure_on_one_segment_does_not_stop_the_others():
    texts = [
        "The first sentence is fine.",
        "This one says BOOM and breaks the engine.",
        "The third sentence is fine as well.",
        "So is the fourth one, at some length.",
    ]
    worker = Worker(BreaksOnBoom(), ValidateConfig(max_attempts=2), batch_size=4)
    out = worker.render(_segments(texts))
    assert [r.segment.text for r in out] == texts
    broken = out[1]
    assert broken.audio.size == 0 and not broken.passed
    assert broken.finish_reason.startswith("error: RuntimeError") and broken.attempts == 2
    assert all(r.passed and r.audio.size > 0 for i, r in enumerate(out) if i != 1)
    assert worker.stats.failed == 1


def test_expected_duration_counts_inner_pauses():
    engine = HibariEngine()
    one = engine.expected_seconds("Yes but no.")
    two = engine.expected_seconds("Yes. But no.")
    assert two > one + 0.25
    # hibari's reading of a two-sentence scrap passes the check that it used to fail three times
    audio = engine.synthesize_batch([SynthRequest('"Yes. But,"', 1)])[0].audio
    duration = len(audio) / engine.sample_rate
    expected = engine.expected_seconds('"Yes. But,"')
    assert np.isfinite(audio).all()
    assert duration / expected <= ValidateConfig().duration_ratio_max or abs(duration - expected) <= 1.0
