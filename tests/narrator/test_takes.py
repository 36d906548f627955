"""`render --retake`: one segment of chapter 2 taken again; every other sample of the book unchanged."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli.render_cmd import run_summary
from pipeline.config import load_config
from pipeline.errors import UsageError
from pipeline.ffmpeg import decode_pcm
from pipeline.narrator.takes import parse_retake
from pipeline.records import EngineOutput, Manifest
from pipeline.render import render_book
from pipeline.serialize import from_json
from pipeline.subtitles import parse_vtt
from pipeline.synthesize.base import SynthRequest
from pipeline.synthesize.hibari_engine import HibariEngine
from tests.conftest import run_cli
from tests.epubs import write_epub
from tests.export.test_book_outputs import m4b_chapters

FORMATS = "flac,m4b,epub"
TARGET = "002-00002"


def _book(path: Path) -> Path:
    chapters = [
        (
            f"Chapter {i}",
            [
                f"The ferry crossed the river on day {i}. The water was calm and grey.",
                f"Old Tom counted {i + 2} passengers and one goat. Nobody spoke until the bank.",
                "The bell rang twice, and the evening came down over the landing.",
            ],
        )
        for i in (1, 2, 3)
    ]
    return write_epub(path, chapters, title="Retakes")


def _render(book: Path, out: Path, engine, retake: str | None = None):
    """The real render in this process (the model loaded once for the module: `hibari_engine`)."""
    cfg = load_config(overrides={"engine": {"name": "hibari"}, "output": {"formats": FORMATS.split(",")}})
    return render_book(
        book, out, cfg, progress=False, engine=engine, retake=parse_retake(retake) if retake else None
    )


def _snapshot(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    chs = manifest["chapters"]
    record = from_json(Manifest, manifest)
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        smil = [z.read(n).decode() for n in sorted(z.namelist()) if n.endswith(".smil")]
    return {
        "manifest": manifest,
        "manifest_record": record,
        "pcm": [decode_pcm(str(out / c["files"]["flac"]))[0] for c in chs],
        "bytes": {p.name: p.read_bytes() for p in [*out.glob("*.flac"), *(out / ".parts").glob("*.m4a")]},
        "vtt": [parse_vtt((out / c["subtitles"]["vtt"]).read_text()) for c in chs],
        "book_vtt": parse_vtt(next(out.glob("Retakes.vtt")).read_text()),
        "clips": [
            [(float(a), float(b)) for a, b in re.findall(r'clipBegin="([\d.]+)s" clipEnd="([\d.]+)s"', s)]
            for s in smil
        ],
        "marks": m4b_chapters(next(out.glob("*.m4b"))),
        "abs": json.loads((out / "metadata.json").read_text())["chapters"],
    }


@pytest.fixture
def no_epubcheck(monkeypatch):
    """EPUBCheck (Java, about 15 s a book) is the read-along tests' business; here it would only cost time."""
    import importlib
    import pkgutil

    import pipeline

    names = [m.name for m in pkgutil.walk_packages(pipeline.__path__, "pipeline.") if "readalong" in m.name]
    for name in names:
        module = importlib.import_module(name)
        if hasattr(module, "epubcheck_problems"):
            monkeypatch.setattr(module, "epubcheck_problems", lambda data: None)


class PacedHibari(HibariEngine):
    """The real hibari, its pace varied a little by the seed. hibari's seed only moves its noise, so its takes
    all last the same; Soprano samples each take anew and its takes differ in length, which is what the
    retake's shifts are checked on here."""

    def synthesize_batch(self, requests: list[SynthRequest]) -> list[EngineOutput]:
        return [
            EngineOutput(
                np.asarray(
                    self._tts(r.text, speed=self.speed * (0.94 + (r.seed % 13) / 100), seed=r.seed),
                    dtype=np.float32,
                )
            )
            for r in requests
        ]


def test_retake_changes_one_segment_and_shifts_the_rest_exactly(tmp_path, no_epubcheck):
    book, out, engine = _book(tmp_path / "retakes.epub"), tmp_path / "out", PacedHibari()
    _render(book, out, engine)
    before = _snapshot(out)
    stats = _render(book, out, engine, TARGET).stats
    after = _snapshot(out)
    assert (stats.retaken, stats.rendered, stats.chapters_rendered, stats.chapters_reused) == (1, 1, 1, 2)
    assert "1 segment retaken" in run_summary(after["manifest_record"], out)

    # chapters 1 and 3: the same files (their PCM and their M4B parts), not encoded again
    for name, data in before["bytes"].items():
        if not name.startswith(("02 ", "00002")):
            assert after["bytes"][name] == data, name
    segs_b = before["manifest"]["chapters"][1]["segment_list"]
    segs_a = after["manifest"]["chapters"][1]["segment_list"]
    k = next(i for i, s in enumerate(segs_a) if s["id"] == TARGET)
    assert segs_a[k]["seed"] != segs_b[k]["seed"]
    assert [s["seed"] for i, s in enumerate(segs_a) if i != k] == [
        s["seed"] for i, s in enumerate(segs_b) if i != k
    ]

    # chapter 2: every sample before the take identical; every other segment identical, shifted by one offset
    pcm_b, pcm_a = before["pcm"][1], after["pcm"][1]
    sr = before["manifest"]["chapters"][1]["sample_rate"]
    a0 = int(segs_b[k]["start"] * sr) - 2
    assert np.array_equal(pcm_a[:a0], pcm_b[:a0])
    delta_s = segs_a[k]["duration"] - segs_b[k]["duration"]
    guess = round((segs_a[k + 1]["start"] - segs_b[k + 1]["start"]) * sr)
    spans = [(int(s["start"] * sr) + 2, int((s["start"] + s["duration"]) * sr) - 2) for s in segs_b[k + 1 :]]
    shift = next(
        d
        for d in range(guess - 100, guess + 101)
        if all(np.array_equal(pcm_a[a + d : b + d], pcm_b[a:b]) for a, b in spans)
    )
    assert abs(shift / sr - delta_s) < 0.0021  # durations in the manifest are rounded to the ms
    assert abs(shift) > sr * 0.05  # the take is longer or shorter: the rest of the chapter moved
    for sb, sa in zip(segs_b[k + 1 :], segs_a[k + 1 :], strict=True):
        assert abs(sa["start"] - sb["start"] - shift / sr) <= 0.0011
    # the take itself is new audio
    assert not np.array_equal(
        pcm_a[a0 : a0 + int(segs_a[k]["duration"] * sr)], pcm_b[a0 : a0 + int(segs_a[k]["duration"] * sr)]
    )

    # subtitles and read-along clips after the take: shifted by exactly the length difference (to the ms; a
    # cue inside the take shares its time by length, so it moves less)
    for cues_b, cues_a in ((before["vtt"][1], after["vtt"][1]), (before["clips"][1], after["clips"][1])):
        assert len(cues_b) == len(cues_a)
        later = [
            (b, a)
            for b, a in zip(cues_b, cues_a, strict=True)
            if (b[0] if isinstance(b, tuple) else b.start)
            >= segs_b[k]["start"] + segs_b[k]["duration"] - 0.002
        ]
        assert later
        for b, a in later:
            b0, a0_ = (b[0], a[0]) if isinstance(b, tuple) else (b.start, a.start)
            assert abs(a0_ - b0 - shift / sr) <= 0.0011
    assert before["vtt"][0] == after["vtt"][0] and before["vtt"][2] == after["vtt"][2]
    assert before["clips"][0] == after["clips"][0] and before["clips"][2] == after["clips"][2]
    # the whole book: M4B marks and metadata.json agree; chapter 3 moved by chapter 2's new length
    for snap in (before, after):
        assert [(round(s, 3), round(e, 3)) for s, e, _ in snap["marks"]] == [
            (c["start"], c["end"]) for c in snap["abs"]
        ]
    grow = after["manifest"]["chapters"][1]["aac_samples"] - before["manifest"]["chapters"][1]["aac_samples"]
    assert abs(after["abs"][2]["start"] - before["abs"][2]["start"] - grow / sr) <= 0.0011
    ch3 = after["abs"][2]["start"] - before["abs"][2]["start"]
    assert [round(c.start - ch3, 3) for c in after["book_vtt"][-len(before["vtt"][2]) :]] == [
        round(c.start, 3) for c in before["book_vtt"][-len(before["vtt"][2]) :]
    ]

    # the take history is in the manifest and report.html; a plain rerun keeps the chosen take
    takes = after["manifest"]["takes"][TARGET]["history"]
    assert [t["take"] for t in takes] == [1, 2] and takes[-1]["seed"] == segs_a[k]["seed"]
    assert TARGET in (out / "report.html").read_text()
    rerun = _render(book, out, engine).stats
    assert (rerun.rendered, rerun.chapters_rendered, rerun.chapters_reused) == (0, 0, 3)
    assert _snapshot(out)["bytes"] == after["bytes"]
    # the first take's seed again: chapter 2 is the first render's audio, sample for sample
    _render(book, out, engine, f"{TARGET}@{takes[0]['seed']}")
    back = _snapshot(out)
    assert np.array_equal(back["pcm"][1], before["pcm"][1])
    assert [t["take"] for t in back["manifest"]["takes"][TARGET]["history"]] == [1, 2, 3]


def test_retake_ids_and_seeds_are_checked_before_any_work(tmp_path):
    assert parse_retake("002-00003,2-4@77") == [("002-00003", None), ("002-00004", 77)]
    for bad, says in (
        ("two", "not a segment ID"),
        ("002-00001@99999999999", "too large"),
        ("002-", "not a segment"),
    ):
        with pytest.raises(UsageError, match=says):
            parse_retake(bad)
    book, out = _book(tmp_path / "retakes.epub"), tmp_path / "out"
    proc = run_cli(str(book), "--out", str(out), "--retake", "002-00099")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "render: error: --retake: no segment 002-00099 in this book (chapter 2 has segments 002-00000 to "
        "002-00003; see report.html or manifest.json)"
    ]
    with pytest.raises(UsageError, match="the book has no chapter 9"):
        _render(book, out, None, "009-00000")
    assert not out.exists()
