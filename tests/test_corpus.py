"""Shelves: `make corpus`, `make nightly`'s script, one bad book among good ones."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import CORPUS, ROOT, run_cli
from tests.epubs import story_book


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus not present")
def test_make_corpus_renders_both_books_then_nothing(tmp_path):
    out = tmp_path / "shelf"
    args = [
        "make",
        "-s",
        "corpus",
        f"CORPUS={CORPUS}",
        f"OUT={out}",
        "CHAPTERS=1",
        "FORMATS=mp3",
        f"PYTHON={sys.executable}",
    ]
    env_cache = {"RENDER_CACHE_DIR": str(tmp_path / "cache")}
    import os

    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env_cache})
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "corpus.json").read_text())
    assert summary["done"] == 2 and summary["failed"] == 0
    folders = sorted(b["folder"] for b in summary["books"])
    assert folders == ["ambrose-bierce-the-devils-dictionary", "p-g-wodehouse-love-among-the-chickens"]
    for b in summary["books"]:
        assert len(list((out / b["folder"]).glob("01 - *.mp3"))) == 1
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env_cache})
    assert proc.returncode == 0, proc.stderr
    again = json.loads((out / "corpus.json").read_text())
    assert again["unchanged"] == 2 and again["done"] == 0
    assert all(b["rendered"] == 0 for b in again["books"])


def test_one_bad_book_is_reported_and_the_rest_complete(tmp_path, sample_epub):
    shelf = tmp_path / "books"
    shelf.mkdir()
    shutil.copy(sample_epub, shelf / "good.epub")
    story_book(shelf / "nested" / "ferry.epub", chapters=2)
    (shelf / "bad.epub").write_bytes(b"PK\x03\x04 this is not a real archive")
    out = tmp_path / "out"
    proc = run_cli(str(shelf), "--out", str(out), "--engine", "hibari", "--quiet")
    assert proc.returncode == 8
    summary = json.loads((out / "corpus.json").read_text())
    status = {b["source"].rsplit("/", 1)[-1]: b["status"] for b in summary["books"]}
    assert status == {"bad.epub": "failed", "good.epub": "done", "ferry.epub": "done"}
    assert "bad.epub" in proc.stderr and "Traceback" not in proc.stderr
    for b in summary["books"]:
        if b["status"] == "done":
            assert (out / b["folder"] / "manifest.json").is_file()


def test_nightly_logs_and_exits_nonzero_on_failure(tmp_path, sample_epub):
    shelf = tmp_path / "books"
    shelf.mkdir()
    shutil.copy(sample_epub, shelf / "good.epub")
    (shelf / "bad.epub").write_text("not a zip")
    conf = tmp_path / "nightly.toml"
    log = tmp_path / "n.log"
    conf.write_text(
        f'sources = ["{shelf}"]\nout = "{tmp_path / "out"}"\nlog = "{log}"\nformats = ["mp3"]\n'
        f'engine = "hibari"\ncache_dir = "{tmp_path / "cache"}"\nchapters = "1"\n'
    )
    script = str(ROOT / "scripts" / "nightly.py")
    proc = subprocess.run([sys.executable, script, str(conf)], capture_output=True, text=True)
    assert proc.returncode == 8
    assert "1 failed" in log.read_text()
    (shelf / "bad.epub").unlink()
    proc = subprocess.run([sys.executable, script, str(conf)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "0 books rendered, 1 unchanged" in log.read_text().split("===")[-1]
