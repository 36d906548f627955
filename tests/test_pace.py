"""One statement of each engine's pace, one estimator, and records that keep what they say."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.pace import HIBARI, SOPRANO, expected_seconds, speech_seconds, spec_of
from pipeline.plan import plan_book
from pipeline.records import RenderedSegment, Segment


def test_engine_specs_state_rate_and_batch_once():
    assert spec_of("hibari") is HIBARI and spec_of("soprano") is SOPRANO
    assert HIBARI.rate(1.5) == pytest.approx(1.5 * HIBARI.chars_per_second)
    assert SOPRANO.rate(1.5) == SOPRANO.chars_per_second          # Soprano has no speed setting
    assert HIBARI.batch(0) == HIBARI.batch_size and HIBARI.batch(5) == 5
    assert SOPRANO.batch(0) == SOPRANO.batch_size


def test_expected_seconds_adds_inner_pauses_to_the_speaking_time():
    assert expected_seconds("Yes but no.", 15.0) == pytest.approx(speech_seconds("Yes but no.", 15.0))
    assert expected_seconds("Yes. But no.", 15.0) == pytest.approx(speech_seconds("Yes. But no.", 15.0) + 0.3)


def test_the_dry_run_totals_are_what_the_engine_checks_expect(sample_epub):
    from pipeline.synthesize.hibari_engine import HibariEngine
    cfg = load_config(overrides={"engine": {"name": "hibari", "speed": 1.25}})
    plan = plan_book(sample_epub, cfg, None, "hibari")
    engine = HibariEngine(speed=1.25)
    assert engine.chars_per_second == HIBARI.rate(1.25) == plan.chars_per_second
    for c in plan.chapters:
        segs = plan.segments[c.index]
        assert plan.chapter_seconds(c.index) == pytest.approx(sum(engine.expected_seconds(s.normalized) for s in segs))
        assert all(s.est_seconds == round(speech_seconds(s.normalized, engine.chars_per_second), 3) for s in segs)


def test_released_audio_keeps_its_duration():
    seg = Segment(1, 0, "Hi.", "Hi.")
    r = RenderedSegment(seg, np.zeros(24_000, np.float32), 24_000)
    r.release_audio()
    assert r.audio.size == 0 and r.duration == 1.0 and r.samples == 24_000


def test_records_read_back_write_the_same_json(tmp_path, sample_epub):
    """manifest.json, report.json and .render-state.json of a real render, read into their records and
    written again, are the same documents."""
    from pipeline.records import Manifest, RenderState, Report
    from pipeline.render import render_book
    from pipeline.serialize import from_json, to_json
    from pipeline.state import STATE_NAME
    cfg = load_config(overrides={"engine": {"name": "hibari"}, "cache": {"enabled": False},
                                 "output": {"formats": ["mp3", "m4b"]}})
    out = tmp_path / "book"
    manifest = render_book(sample_epub, out, cfg, "1")
    on_disk = json.loads((out / "manifest.json").read_text())
    assert to_json(manifest) == on_disk
    for cls, name in ((Manifest, "manifest.json"), (Report, "report.json"), (RenderState, STATE_NAME)):
        data = json.loads((out / name).read_text())
        assert to_json(from_json(cls, data)) == data, name
    with pytest.raises(ValueError):
        from_json(Manifest, {**on_disk, "chapters": "not a list"})
