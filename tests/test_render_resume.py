"""Never lose work: resume after SIGKILL, incremental re-renders, the output lock."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from pipeline.ffmpeg import decode_pcm
from tests.conftest import run_cli
from tests.epubs import STORY, story_book, write_epub

RENDER = str(Path(sys.executable).with_name("render"))


def _pcm(out: Path) -> dict[str, np.ndarray]:
    return {p.name: decode_pcm(str(p))[0] for p in sorted(out.glob("*.mp3"))}


def _render(book: Path, out: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = run_cli(
        str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--cache-dir", str(cache), *extra
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_resume_after_sigkill_equals_uninterrupted_run(tmp_path):
    book = story_book(tmp_path / "ferry.epub", chapters=8)
    ref = tmp_path / "ref"
    t0 = time.perf_counter()
    _render(book, ref, tmp_path / "cache-ref")
    wall = time.perf_counter() - t0
    expected = _pcm(ref)
    assert len(expected) == 8

    out, cache = tmp_path / "resumed", tmp_path / "cache-resumed"
    rng = random.Random(20261122)
    for _ in range(5):
        proc = subprocess.Popen(
            [
                RENDER,
                str(book),
                "--out",
                str(out),
                "--engine",
                "hibari",
                "--quiet",
                "--cache-dir",
                str(cache),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, wall * 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for f in out.glob("*.mp3"):  # a chapter file that exists is complete and decodable
            assert f.name in expected and decode_pcm(str(f))[0].size > 0
    final = _render(book, out, cache)
    got = _pcm(out)
    assert got.keys() == expected.keys()
    for name in expected:
        assert np.array_equal(got[name], expected[name]), name
    assert not list(out.glob(".*.part")) and not (out / ".render.lock").exists()
    stats = json.loads((out / "manifest.json").read_text())["stats"]
    assert stats["segments"] == stats["rendered"] + stats["reused"]
    assert "reused" in final.stderr


def test_incremental_rerender_touches_only_the_edited_paragraph(tmp_path):
    chapters = [(f"Chapter {i}", [f"{p} Part {i}." for p in STORY]) for i in range(1, 5)]
    book = write_epub(tmp_path / "book.epub", chapters)
    out, cache = tmp_path / "out", tmp_path / "cache"
    _render(book, out, cache)
    before = {p.name: p.read_bytes() for p in out.glob("*.mp3")}

    chapters[1][1][2] = "The baker, it turned out, had never trusted boats and rowed across himself."
    write_epub(book, chapters)
    _render(book, out, cache)
    manifest = json.loads((out / "manifest.json").read_text())
    stats = manifest["stats"]
    edited = [s for s in manifest["chapters"][1]["segment_list"] if "rowed across himself" in s["text"]]
    assert stats["rendered"] == len(edited) == 1
    assert stats["chapters_rendered"] == 1 and stats["chapters_reused"] == 3
    after = {p.name: p.read_bytes() for p in out.glob("*.mp3")}
    changed = [n for n in before if before[n] != after[n]]
    assert changed == ["02 - Chapter 2.mp3"]


def test_a_held_lock_is_refused_and_a_left_over_one_taken_over(tmp_path, sample_epub):
    out = tmp_path / "out"
    out.mkdir()
    # another process holds the kernel lock on the folder's lock file
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'%d\\n' % os.getpid()); "
            "print('held', flush=True); time.sleep(60)",
            str(out / ".render.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet")
        assert proc.returncode == 6 and "another render" in proc.stderr and str(holder.pid) in proc.stderr
        assert not list(out.glob("*.mp3"))
    finally:
        holder.kill()
        holder.wait()
    # a lock file left behind names a live but unrelated pid (pid reuse after a reboot): it holds nothing
    (out / ".render.lock").write_text(f"{os.getppid()}\n")
    proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet", "--chapters", "1")
    assert proc.returncode == 0, proc.stderr
    assert len(list(out.glob("*.mp3"))) == 1 and not (out / ".render.lock").exists()
