"""Trust: damaged cache entries, damaged outputs and state, the output lock under races, bad user files.

Each case was reproduced against the previous code first (BadZipFile as an internal error, a truncated
chapter kept, two lock holders at once, IsADirectoryError, a NUL byte in the subtitles).
"""
from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.cache import DiskCache
from pipeline.errors import ConfigError, LockedError
from pipeline.ffmpeg import decode_pcm
from pipeline.lock import LOCK_NAME, OutputLock
from pipeline.records import ChapterRecord
from pipeline.state import STATE_NAME, StateStore
from tests.conftest import run_cli
from tests.epubs import story_book


def _entry(tmp_path) -> tuple[DiskCache, str, np.ndarray]:
    cache = DiskCache(tmp_path / "cache")
    audio = np.sin(np.linspace(0, 200, 24_000, dtype=np.float32)) * 0.3
    key = cache.key("A sentence the cache holds.", {"engine": "test"})
    cache.put(key, audio, {"sample_rate": 24_000, "seed": 7})
    return cache, key, audio


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip_middle(p: Path) -> None:
    data = bytearray(p.read_bytes())
    mid = len(data) // 2
    for i in range(mid, mid + 16):
        data[i] ^= 0xFF
    p.write_bytes(bytes(data))


def _flip_one_sample(p: Path) -> None:
    """Damage that zip's own CRC cannot see: re-save the archive with one audio sample changed."""
    with np.load(p) as z:
        parts = {k: z[k] for k in z.files}
    parts["audio"] = parts["audio"].copy()
    parts["audio"][100] += 0.25
    with open(p, "wb") as f:
        np.savez(f, **parts)


def _garbage(p: Path) -> None:
    p.write_bytes(os.urandom(p.stat().st_size))


@pytest.mark.parametrize("damage", [_truncate, _flip_middle, _flip_one_sample, _garbage,
                                    lambda p: p.write_bytes(b"")],
                         ids=["truncated", "bytes-flipped", "sample-changed", "garbage", "empty"])
def test_a_damaged_cache_entry_is_a_logged_miss_and_removed(tmp_path, caplog, damage):
    cache, key, audio = _entry(tmp_path)
    got = cache.get(key)
    assert got is not None and np.array_equal(got[0], audio) and got[1]["seed"] == 7
    path = cache._path(key)
    damage(path)
    with caplog.at_level(logging.WARNING, logger="pipeline.cache"):
        assert cache.get(key) is None
        assert cache.get(key) is None          # gone: a plain miss now, not logged twice
    assert not path.exists()
    warnings = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert len(warnings) == 1 and key in warnings[0]
    cache.put(key, audio, {"sample_rate": 24_000, "seed": 7})      # rendered again, stored again
    assert np.array_equal(cache.get(key)[0], audio)


def test_a_cache_entry_from_before_checksums_is_not_trusted(tmp_path):
    cache, key, audio = _entry(tmp_path)
    path = cache._path(key)
    with np.load(path) as z:
        parts = {k: z[k] for k in z.files if k != "sha256"}
    with open(path, "wb") as f:
        np.savez(f, **parts)
    assert cache.get(key) is None and not path.exists()


def _pcm(out: Path) -> dict[str, np.ndarray]:
    return {p.name: decode_pcm(str(p))[0] for p in sorted(out.glob("*.mp3"))}


def test_damaged_cache_and_truncated_chapter_render_like_a_clean_run(tmp_path):
    """Three cache entries damaged three ways and a finished chapter cut in half: the next run exits 0,
    says what it repaired, and decodes to the same PCM as a clean render."""
    book = story_book(tmp_path / "ferry.epub", chapters=3)
    clean = tmp_path / "clean"
    proc = run_cli(str(book), "--out", str(clean), "--engine", "hibari", "--quiet", "--cache-dir",
                   str(tmp_path / "cache-clean"))
    assert proc.returncode == 0, proc.stderr
    expected = _pcm(clean)

    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stderr
    entries = sorted(cache.glob("??/*.npz"))
    assert len(entries) >= 3
    for path, damage in zip(entries, (_truncate, _flip_middle, _flip_one_sample)):
        damage(path)
    victim = sorted(out.glob("*.mp3"))[1]
    _truncate(victim)
    # a different chapter's entries must be rendered again too: drop the chapter state so every chapter is
    # assembled from the cache, reaching the damaged entries
    state = json.loads((out / STATE_NAME).read_text())
    state["chapters"].pop("1")
    from pipeline.state import _state_checksum
    state["sha256"] = _state_checksum(state["chapters"])
    (out / STATE_NAME).write_text(json.dumps(state))

    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr
    assert f"{victim.name} changed since it was written" in proc.stderr
    assert proc.stderr.count("is damaged") >= 1
    got = _pcm(out)
    assert got.keys() == expected.keys()
    for name in expected:
        assert np.array_equal(got[name], expected[name]), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stats"]["chapters_reused"] < 3


def _record(files: dict[str, str], extra_files: list[str]) -> ChapterRecord:
    """A finished chapter's record with these files (the rest as a one-chapter book would have it)."""
    return ChapterRecord(index=1, title="One", display_title="One", level=0, parents=[], files=files,
                         file=next(iter(files.values())), duration=1.0, samples=44_100, sample_rate=44_100,
                         segments=0, extra_files=extra_files)


def test_a_damaged_state_file_is_ignored_with_a_warning(tmp_path, caplog):
    out = tmp_path / "out"
    out.mkdir()
    (out / "01 - One.mp3").write_bytes(b"x" * 100)
    state = StateStore(out)
    state.save_chapter(1, "fp", _record({"mp3": "01 - One.mp3"}, []), out=out)
    assert StateStore(out).reusable(1, "fp", out) is not None
    text = (out / STATE_NAME).read_text()
    (out / STATE_NAME).write_text(text.replace('"fp"', '"fq"'))
    with caplog.at_level(logging.WARNING, logger="pipeline.state"):
        assert StateStore(out).chapters == {}
    assert any("damaged" in r.getMessage() for r in caplog.records)


def test_reuse_checks_every_file_of_the_chapter(tmp_path):
    out = tmp_path / "out"
    (out / ".parts").mkdir(parents=True)
    files = {"01 - One.mp3": b"a" * 50, "01 - One.srt": b"1\n", ".parts/00001.m4a": b"m" * 40}
    for name, data in files.items():
        (out / name).write_bytes(data)
    state = StateStore(out)
    state.save_chapter(1, "fp", _record({"mp3": "01 - One.mp3"}, ["01 - One.srt", ".parts/00001.m4a"]), out=out)
    assert state.reusable(1, "fp", out) is not None and state.last_reason == ""
    assert state.reusable(1, "other", out) is None and state.last_reason == ""
    (out / ".parts/00001.m4a").write_bytes(b"m" * 39 + b"n")          # same size, other content
    assert state.reusable(1, "fp", out) is None and "content hash differs" in state.last_reason
    (out / ".parts/00001.m4a").write_bytes(b"m" * 40)
    (out / "01 - One.srt").unlink()
    assert state.reusable(1, "fp", out) is None and "01 - One.srt is missing" in state.last_reason


# ---- the output lock --------------------------------------------------------------------------------


def _contend(folder: str, log_path: str, start: float, rounds: int) -> None:
    while time.time() < start:
        time.sleep(0.001)
    for _ in range(rounds):
        try:
            with OutputLock(Path(folder)):
                fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
                os.write(fd, f"+{os.getpid()}\n".encode())
                time.sleep(0.002)
                os.write(fd, f"-{os.getpid()}\n".encode())
                os.close(fd)
        except LockedError:
            pass


@pytest.mark.parametrize("left_over", ["none", "stale-pid", "empty"])
def test_the_lock_is_never_held_twice(tmp_path, left_over):
    folder = tmp_path / "out"
    folder.mkdir()
    if left_over == "stale-pid":
        (folder / LOCK_NAME).write_text("999999\n")
    elif left_over == "empty":
        (folder / LOCK_NAME).write_bytes(b"")
    log_path = tmp_path / "log"
    log_path.write_bytes(b"")
    ctx = mp.get_context("fork")
    start = time.time() + 0.3
    procs = [ctx.Process(target=_contend, args=(str(folder), str(log_path), start, 40)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    events = log_path.read_text().split()
    assert events, "no process ever took the lock"
    holder = None
    for ev in events:
        if ev.startswith("+"):
            assert holder is None, f"two holders at once: {holder} and {ev[1:]}"
            holder = ev[1:]
        else:
            assert holder == ev[1:]
            holder = None
    assert not (folder / LOCK_NAME).exists()


def test_a_lock_is_released_by_the_kernel_when_its_holder_dies(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    ctx = mp.get_context("fork")
    ready = ctx.Event()

    def hold():
        lock = OutputLock(folder).acquire()
        assert lock.held
        ready.set()
        time.sleep(60)

    p = ctx.Process(target=hold)
    p.start()
    assert ready.wait(10)
    with pytest.raises(LockedError, match=f"pid {p.pid}"):
        OutputLock(folder).acquire()
    p.kill()
    p.join()
    with OutputLock(folder) as lock:       # SIGKILL left the file; the kernel dropped the lock
        assert lock.held


def test_two_renders_started_together_give_one_result_and_busy_never_not_writable(tmp_path, sample_epub):
    import subprocess
    import sys
    render = str(Path(sys.executable).with_name("render"))
    for round_ in range(2):
        out = tmp_path / f"out{round_}"
        procs = [subprocess.Popen([render, str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet",
                                   "--chapters", "1", "--format", "wav"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.wait(300), p.stderr.read()) for p in procs]
        codes = sorted(code for code, _ in results)
        assert codes in ([0, 0], [0, 6]), results
        assert all("not writable" not in err for _, err in results)


# ---- files a user hands us ----------------------------------------------------------------------------


def test_lexicon_and_config_that_are_folders_are_one_line_errors(tmp_path, sample_epub):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for flag in ("--lexicon", "--config"):
        proc = run_cli(str(sample_epub), "--dry-run", flag, str(folder))
        assert proc.returncode == 2, (flag, proc.stderr)
        assert "is a folder" in proc.stderr and proc.stderr.strip().count("\n") == 0
        assert "internal error" not in proc.stderr


@pytest.mark.parametrize("key", ["", "   ", "--"])
def test_a_lexicon_key_with_no_word_is_refused(tmp_path, key):
    from pipeline.normalize import load_lexicon
    lex = tmp_path / "lex.toml"
    lex.write_text(f'[words]\n"{key}" = "boom"\n"Nguyen" = "win"\n')
    with pytest.raises(ConfigError, match="no word to match"):
        load_lexicon([lex])


def test_control_characters_past_the_first_4kb_never_reach_the_subtitles(tmp_path):
    text = "Chapter 1\n\n" + ("The tide came in slowly over the flats. " * 120) + "\n\nA bell\x00rang\x07 once.\n"
    assert text.index("\x00") > 4096
    book = tmp_path / "bell.txt"
    book.write_text(text)
    out = tmp_path / "out"
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "wav")
    assert proc.returncode == 0, proc.stderr
    subs = [p.read_text() for p in out.glob("*.srt")] + [p.read_text() for p in out.glob("*.vtt")]
    assert subs and all("\x00" not in s and "\x07" not in s for s in subs)
    assert any("A bell rang once" in s for s in subs)
