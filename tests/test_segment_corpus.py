"""`render --dry-run --json` on both corpus books: one JSON document, the issue's shape, segment bounds."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pipeline.ingest import read_book
from pipeline.normalize import SPEAKABLE
from pipeline.records import Pause
from tests.conftest import BIERCE, CORPUS, WODEHOUSE, run_cli

pytestmark = pytest.mark.skipif(
    not CORPUS.exists(), reason=f"the test books are not at {CORPUS} (../shared/corpus beside the checkout)"
)


@pytest.fixture(scope="module", params=[WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
def plan(request):
    proc = run_cli(str(request.param), "--dry-run", "--json", "--engine", "hibari", timeout=300)
    assert proc.returncode == 0, proc.stderr
    return request.param, json.loads(proc.stdout), proc  # the whole of stdout is one JSON document


def test_shape(plan):
    _, doc, proc = plan
    assert proc.stdout.count("\n") == 1 and proc.stdout.endswith("}\n")
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["authors"], list) and all(isinstance(a, str) for a in doc["authors"])
    pauses = {p.value for p in Pause}
    for ch in doc["chapters"]:
        assert isinstance(ch["title"], str) and isinstance(ch["level"], int)
        assert ch["segments"]
        for s in ch["segments"]:
            assert isinstance(s["text"], str) and isinstance(s["normalized"], str)
            assert isinstance(s["est_seconds"], float) and s["pause_after"] in pauses


def test_chapters_and_words_match_the_book(plan):
    path, doc, _ = plan
    book = read_book(path)
    assert [c["title"] for c in doc["chapters"]] == [c.title for c in book.chapters]
    for ch, c in zip(doc["chapters"], book.chapters, strict=True):
        said = " ".join(s["text"] for s in ch["segments"]).split()
        assert said == c.text.split(), c.title  # every word once, in order
        assert ch["segments"][0]["pause_after"] == "title" and ch["segments"][-1]["pause_after"] == "end"


def test_segment_lengths(plan):
    _, doc, _ = plan
    segs = [s for ch in doc["chapters"] for s in ch["segments"]]
    assert max(s["est_seconds"] for s in segs) <= 20.0
    assert sum(s["est_seconds"] > 15.0 for s in segs) <= 0.01 * len(segs)
    for ch in doc["chapters"]:
        per_paragraph = Counter(s["paragraph"] for s in ch["segments"])
        for s in ch["segments"]:
            if s["est_seconds"] < 2.0:
                assert per_paragraph[s["paragraph"]] == 1, s["text"]  # a short segment is a whole paragraph


def test_normalized_text_is_speakable_with_no_numbers(plan):
    _, doc, _ = plan
    for ch in doc["chapters"]:
        for s in ch["segments"]:
            assert set(s["normalized"]) <= SPEAKABLE, s["normalized"]
            assert s["normalized"].count('"') % 2 == 0, s["normalized"]
    wodehouse = doc["title"] == "Love Among the Chickens"
    first = doc["chapters"][1]["segments"][0]["normalized"] if wodehouse else ""
    assert not wodehouse or first == "One: A Letter with a Postscript"


def test_logs_go_to_stderr_not_stdout(tmp_path):
    book = tmp_path / "greek.txt"
    book.write_text("CHAPTER I\n\nHe wrote 東京 on the wall.\n", encoding="utf-8")
    proc = run_cli(str(book), "--dry-run", "--json", "--engine", "hibari")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert "Cjk" in proc.stderr and any("Cjk" in w for w in doc["warnings"])
