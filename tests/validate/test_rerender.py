"""Checks and re-renders on real hibari renders of the demo book: injected failures are detected,
re-rendered with a new seed and recorded; --strict exits 4 on what still fails; --qc asr reports WER."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.config import ValidateConfig, load_config
from pipeline.plan import plan_book
from pipeline.records import EngineOutput
from pipeline.render import render_book
from pipeline.synthesize.hibari_engine import HibariEngine
from pipeline.validate import check_segment
from tests.conftest import run_cli

FAULTS = {("001-00001"): "silent", ("001-00002"): "long", ("001-00003"): "nan"}
EXPECTED_CHECK = {"silent": "silence", "long": "duration", "nan": "finite"}


class FaultyHibari(HibariEngine):
    """The real hibari engine, except that chosen texts come out broken on their first attempt."""

    def __init__(self, faults: dict[str, str]):
        super().__init__()
        self.faults = faults  # normalized text -> "silent" | "long" | "nan"
        self.seen: list[tuple[str, int, int]] = []

    def synthesize_batch(self, requests):
        outs = super().synthesize_batch(requests)
        for req, out in zip(requests, outs, strict=True):
            self.seen.append((req.text, req.attempt, req.seed))
            kind = self.faults.get(req.text) if req.attempt == 0 else None
            if kind == "silent":
                out.audio = np.zeros_like(out.audio)
            elif kind == "long":
                out.audio = np.tile(out.audio, 4)
            elif kind == "nan":
                out.audio = out.audio.copy()
                out.audio[len(out.audio) // 3 : len(out.audio) // 3 + 100] = np.nan
        return outs


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory, sample_epub):
    cfg = load_config(overrides={"engine": {"name": "hibari"}, "cache": {"enabled": False}})
    plan = plan_book(sample_epub, cfg, "1")
    by_id = {s.id: s for s in plan.segments[1]}
    engine = FaultyHibari({by_id[sid].normalized: kind for sid, kind in FAULTS.items()})
    out = tmp_path_factory.mktemp("faulty") / "book"
    manifest = render_book(sample_epub, out, cfg, "1", engine=engine)
    return out, manifest, engine, by_id


def test_injected_failures_are_detected_rerendered_and_recorded(faulty_run):
    out, manifest, engine, by_id = faulty_run
    report = json.loads((out / "report.json").read_text())
    flagged = {f["segment"]: f for f in report["flagged"]}
    assert set(flagged) == set(FAULTS)
    for sid, kind in FAULTS.items():
        f = flagged[sid]
        first, second = f["history"][0], f["history"][1]
        assert EXPECTED_CHECK[kind] in first["failed"], (sid, first)
        assert second["failed"] == [] and second["seed"] != first["seed"]
        assert f["rerendered"] and f["attempts"] == 2 and f["passed"]
        assert f["text"] == by_id[sid].text and f["file"] == "01 - The Lighthouse Keeper.mp3"
        # the engine was asked again for exactly this text, with a new seed
        seeds = [seed for text, _, seed in engine.seen if text == by_id[sid].normalized]
        assert len(seeds) == 2 and seeds[0] != seeds[1]
    assert report["summary"] == {**report["summary"], "flagged": 3, "rerendered": 3, "still_failing": 0}
    assert manifest.checks.rerendered == 3
    # the kept attempts are the good ones: the chapter is as long as a clean render, with no NaN
    segs = {s.id: s for s in manifest.chapters[0].segment_list}
    for sid in FAULTS:
        assert segs[sid].attempts == 2 and all(c.passed for c in segs[sid].checks.values())
        assert segs[sid].checks["duration"].value < 1.5


def test_check_segment_names_each_failure():
    cfg, rate = ValidateConfig(), 24_000
    rng = np.random.default_rng(0)
    speech = (rng.standard_normal(rate * 2) * 0.1).astype(np.float32)

    def failed(audio, expected=2.0, **kw):
        return {c.name for c in check_segment(EngineOutput(audio, **kw), rate, expected, cfg) if not c.passed}

    assert failed(speech) == set()
    assert failed(np.zeros(rate * 2, np.float32)) == {"silence", "loudness"}
    assert failed(np.tile(speech, 4)) == {"duration"}
    nan = speech.copy()
    nan[5] = np.inf
    assert failed(nan) == {"finite"}
    assert failed(np.clip(speech * 40, -1, 1)) == {"clipping"}
    gap = np.concatenate([speech[:rate], np.zeros(rate * 3, np.float32), speech[:rate]])
    assert failed(gap, expected=4.0) == {"silence"}
    edge = np.concatenate([np.zeros(rate * 2, np.float32), speech])
    assert failed(edge, expected=4.0) == {"edges"}
    assert failed(speech, finish_reason="length") == {"finish"}
    assert failed(speech, repetition=0.9) == {"repetition"}


def test_strict_exits_4_on_segments_still_failing(tmp_path, sample_epub):
    conf = tmp_path / "tight.toml"
    conf.write_text("[validate]\nmax_attempts = 1\nduration_ratio_max = 0.5\nduration_slack_s = 0.0\n")
    args = [str(sample_epub), "--engine", "hibari", "--chapters", "1", "--config", str(conf)]
    proc = run_cli(*args, "--out", str(tmp_path / "a"), "--strict")
    assert proc.returncode == 4, proc.stderr
    assert "still failing" in proc.stderr and "report.json" in proc.stderr.splitlines()[-1]
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["summary"]["still_failing"] == len(report["still_failing"]) > 0
    assert all("duration" in f["failed_checks"] and f["text"] and f["at"] for f in report["flagged"])
    proc = run_cli(*args, "--out", str(tmp_path / "b"), "--quiet")
    assert proc.returncode == 0, proc.stderr  # without --strict the same run succeeds, and says so
    assert "still failing" in proc.stderr


def test_qc_asr_reports_wer_per_chapter(tmp_path, sample_epub):
    out = tmp_path / "asr"
    proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--qc", "asr")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert report["summary"]["qc"] == "asr" and len(report["chapters"]) == 3
    for ch, rec in zip(report["chapters"], manifest["chapters"], strict=True):
        assert ch["asr_checked"] == len(rec["segment_list"])
        assert ch["wer"] is not None and 0.0 <= ch["wer"] <= 0.5, ch
        assert all("asr" in s["checks"] for s in rec["segment_list"])
    assert "asr: word error rate" in proc.stderr and "ch 3" in proc.stderr


class WrongWordsHibari(HibariEngine):
    """Says other words on a segment's first attempt: every cheap check passes, only ASR can tell."""

    def synthesize_batch(self, requests):
        from dataclasses import replace

        swapped = [
            replace(r, text="Seven purple elephants are dancing on the frozen river tonight.")
            if r.attempt == 0
            else r
            for r in requests
        ]
        return super().synthesize_batch(swapped)


def test_qc_asr_rerenders_a_segment_that_says_the_wrong_words():
    from pipeline.records import Segment
    from pipeline.synthesize.worker import Worker

    text = "The lighthouse keeper climbed the stairs to the lantern room every evening."
    seg = Segment(1, 0, text, text)
    worker = Worker(WrongWordsHibari(), ValidateConfig(qc="asr"), batch_size=4)
    (r,) = worker.render([seg])
    first, second = worker.history[seg.id]
    assert first.failed == ["asr"] and second.failed == []
    assert r.attempts == 2 and r.passed
    wer = next(c.value for c in r.checks if c.name == "asr")
    assert wer <= ValidateConfig().asr_wer_max
    # without --qc asr the wrong words pass unnoticed: the cheap checks cannot hear them
    (plain,) = Worker(WrongWordsHibari(), ValidateConfig(), batch_size=4).render([seg])
    assert plain.attempts == 1 and plain.passed
