"""Ctrl-C and SIGTERM stop a real `render` within a second or two, at any moment, say what was under way and
how to resume; a second Ctrl-C stops at once; the resumed run gives the same files as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.epubs import story_book

EXIT_WITHIN_S = 2.5


def _start(book: Path, out: Path, cache: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("render")
    return subprocess.Popen(
        [
            str(exe),
            str(book),
            "--out",
            str(out),
            "--engine",
            "hibari",
            "--format",
            "mp3,m4b",
            "--cache-dir",
            str(cache),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for(out: Path, pattern: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until a chapter file matching `pattern` exists (synthesis and encoding both under way after it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if list(out.glob(pattern)):
            return
        time.sleep(0.05)
    pytest.fail(f"no {pattern} in {out} (exit {proc.poll()})")


def _stop(proc: subprocess.Popen, sig: int, second: bool = False) -> tuple[float, str]:
    t0 = time.monotonic()
    proc.send_signal(sig)
    if second:
        time.sleep(0.05)
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return time.monotonic() - t0, err


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return story_book(tmp_path_factory.mktemp("book") / "ferry.epub", chapters=6)


def test_sigterm_stops_the_render_within_seconds(book, tmp_path):
    """A scheduler's SIGTERM, while chapters are synthesized and encoded: the same stop, exit 143."""
    out = tmp_path / "out"
    proc = _start(book, out, tmp_path / "cache")
    _wait_for(out, "01 - *.mp3", proc)
    took, err = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 143, err
    assert took < EXIT_WITHIN_S, (took, err)
    assert "SIGTERM: stopping now" in err and "Traceback" not in err, err


def test_ctrl_c_stops_the_render_within_seconds_and_resume_is_exact(book, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = _start(book, out, cache)
    _wait_for(out, "02 - *.mp3", proc)
    took, err = _stop(proc, signal.SIGINT)
    assert proc.returncode == 130, err
    assert took < EXIT_WITHIN_S, (took, err)
    assert "stopping now" in err and "run the same command again" in err and "render " in err, err
    assert "synthesizing chapter" in err and "Traceback" not in err
    resumed = subprocess.run(
        [
            str(Path(sys.executable).with_name("render")),
            str(book),
            "--out",
            str(out),
            "--engine",
            "hibari",
            "--format",
            "mp3,m4b",
            "--cache-dir",
            str(cache),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    whole = tmp_path / "whole"
    ref = subprocess.run(
        [
            str(Path(sys.executable).with_name("render")),
            str(book),
            "--out",
            str(whole),
            "--engine",
            "hibari",
            "--format",
            "mp3,m4b",
            "--cache-dir",
            str(cache),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ref.returncode == 0, ref.stderr
    files = sorted(p.name for p in whole.glob("*.mp3"))
    assert files == sorted(p.name for p in out.glob("*.mp3")) and len(files) == 6
    for name in files:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    assert not list(out.glob(".*.part"))


def test_a_second_ctrl_c_stops_at_once(book, tmp_path):
    out = tmp_path / "out"
    proc = _start(book, out, tmp_path / "cache")
    _wait_for(out, "01 - *.mp3", proc)
    took, err = _stop(proc, signal.SIGINT, second=True)
    assert proc.returncode in (130, -signal.SIGINT), err
    assert took < 1.5, took
