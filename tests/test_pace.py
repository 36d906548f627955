"""One statement of each engine's pace, one estimator, and records that keep what they say."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.pace import HIBARI, expected_seconds, speech_seconds
from pipeline.plan import plan_book
from pipeline.records import RenderedSegment, Segment


def test_speed_shortens_hibaris_plan_and_not_soprano_s(sample_epub):
    """What --speed does to the dry run's estimates: hibari speaks faster, Soprano has no speed setting."""

    def total(engine: str, speed: float) -> float:
        cfg = load_config(overrides={"engine": {"name": engine, "speed": speed}})
        plan = plan_book(sample_epub, cfg, None, engine)
        return sum(s.est_seconds for segs in plan.segments.values() for s in segs)

    assert total("hibari", 1.5) == pytest.approx(total("hibari", 1.0) / 1.5, rel=0.01)
    assert total("soprano", 1.5) == total("soprano", 1.0)


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
        assert plan.chapter_seconds(c.index) == pytest.approx(
            sum(engine.expected_seconds(s.normalized) for s in segs)
        )
        assert all(
            s.est_seconds == round(speech_seconds(s.normalized, engine.chars_per_second), 3) for s in segs
        )


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

    cfg = load_config(
        overrides={
            "engine": {"name": "hibari"},
            "cache": {"enabled": False},
            "output": {"formats": ["mp3", "m4b"]},
        }
    )
    out = tmp_path / "book"
    manifest = render_book(sample_epub, out, cfg, "1")
    on_disk = json.loads((out / "manifest.json").read_text())
    assert to_json(manifest) == on_disk
    for cls, name in ((Manifest, "manifest.json"), (Report, "report.json"), (RenderState, STATE_NAME)):
        data = json.loads((out / name).read_text())
        assert to_json(from_json(cls, data)) == data, name
    with pytest.raises(ValueError):
        from_json(Manifest, {**on_disk, "chapters": "not a list"})
