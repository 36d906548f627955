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


def _folder(p: Path) -> None:
    """A folder where the entry belongs (a restore from a backup, a stray `mkdir`): it must go, or the
    segment could never be stored again."""
    p.unlink()
    p.mkdir()
    (p / "stray").write_bytes(b"x")


def _resave(p: Path, audio=None, meta: dict | None = None) -> None:
    """Re-save the entry with a checksum that matches its (changed) content: whole, but not a segment."""
    from pipeline.cache import _checksum

    with np.load(p) as z:
        audio = z["audio"] if audio is None else audio(z["audio"])
        meta_bytes = bytes(z["meta"]) if meta is None else json.dumps(meta).encode()
    with open(p, "wb") as f:
        np.savez(
            f,
            audio=audio,
            meta=np.frombuffer(meta_bytes, dtype=np.uint8),
            sha256=np.array(_checksum(audio, meta_bytes)),
        )


def _wrong_metadata(p: Path) -> None:
    _resave(p, meta={"seed": "seven", "attempts": "1", "checks": [{"bogus": 1}], "finish_reason": 5})


def _stereo(p: Path) -> None:
    _resave(p, audio=lambda a: np.stack([a, a]))


def _nan_audio(p: Path) -> None:
    _resave(p, audio=lambda a: np.where(np.arange(a.size) == 10, np.nan, a).astype(np.float32))


@pytest.mark.parametrize(
    "damage",
    [
        _truncate,
        _flip_middle,
        _flip_one_sample,
        _garbage,
        lambda p: p.write_bytes(b""),
        _folder,
        _wrong_metadata,
        _stereo,
        _nan_audio,
    ],
    ids=[
        "truncated",
        "bytes-flipped",
        "sample-changed",
        "garbage",
        "empty",
        "a-folder",
        "wrong-metadata",
        "stereo",
        "nan",
    ],
)
def test_a_damaged_cache_entry_is_a_logged_miss_and_removed(tmp_path, caplog, damage):
    cache, key, audio = _entry(tmp_path)
    got = cache.get(key)
    assert got is not None and np.array_equal(got[0], audio) and got[1]["seed"] == 7
    path = cache._path(key)
    damage(path)
    with caplog.at_level(logging.WARNING, logger="pipeline.cache"):
        assert cache.get(key) is None
        assert cache.get(key) is None  # gone: a plain miss now, not logged twice
    assert not path.exists()
    warnings = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert len(warnings) == 1 and key in warnings[0]
    cache.put(key, audio, {"sample_rate": 24_000, "seed": 7})  # rendered again, stored again
    assert np.array_equal(cache.get(key)[0], audio)


def test_a_cache_entry_from_before_checksums_is_not_trusted(tmp_path):
    cache, key, _audio = _entry(tmp_path)
    path = cache._path(key)
    with np.load(path) as z:
        parts = {k: z[k] for k in z.files if k != "sha256"}
    with open(path, "wb") as f:
        np.savez(f, **parts)
    assert cache.get(key) is None and not path.exists()


def _pcm(out: Path) -> dict[str, np.ndarray]:
    return {p.name: decode_pcm(str(p))[0] for p in sorted([*out.glob("*.mp3"), *out.glob("*.m4b")])}


def test_damaged_cache_and_truncated_chapter_render_like_a_clean_run(tmp_path):
    """The held-out check: three cache entries damaged three ways (and a fourth replaced by a folder) and a
    finished chapter cut in half; the next run exits 0, names each entry and the chapter file it repaired,
    and decodes to the same PCM as a clean render."""
    book = story_book(tmp_path / "ferry.epub", chapters=3)
    args = ["--engine", "hibari", "--quiet", "--format", "mp3,m4b"]
    clean = tmp_path / "clean"
    proc = run_cli(str(book), "--out", str(clean), *args, "--cache-dir", str(tmp_path / "cache-clean"))
    assert proc.returncode == 0, proc.stderr
    expected = _pcm(clean)

    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = run_cli(str(book), "--out", str(out), *args, "--chapters", "2", "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stderr
    second = sorted(cache.glob("??/*.npz"))  # chapter 2's entries: the ones its re-export must read
    proc = run_cli(str(book), "--out", str(out), *args, "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stderr
    assert len(second) >= 4
    damaged = dict(
        zip(
            (p.stem for p in second),
            (_truncate, _flip_middle, lambda p: p.write_bytes(b""), _folder),
            strict=False,
        )
    )
    for path in second:
        if path.stem in damaged:
            damaged[path.stem](path)
    victim = next(out.glob("02 - *.mp3"))
    _truncate(victim)

    proc = run_cli(str(book), "--out", str(out), *args, "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr
    assert f"{victim.name} changed since it was written" in proc.stderr
    for key in damaged:
        assert f"entry {key} is damaged" in proc.stderr, key
    got = _pcm(out)
    assert got.keys() == expected.keys() and len(got) == 4  # three chapters and the M4B
    for name in expected:
        assert np.array_equal(got[name], expected[name]), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stats"]["chapters_reused"] == 2
    assert all((cache / k[:2] / f"{k}.npz").is_file() for k in damaged)  # stored again, whole


def _record(files: dict[str, str], extra_files: list[str]) -> ChapterRecord:
    """A finished chapter's record with these files (the rest as a one-chapter book would have it)."""
    return ChapterRecord(
        index=1,
        title="One",
        display_title="One",
        level=0,
        parents=[],
        files=files,
        file=next(iter(files.values())),
        duration=1.0,
        samples=44_100,
        sample_rate=44_100,
        segments=0,
        extra_files=extra_files,
    )


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
    state.save_chapter(
        1, "fp", _record({"mp3": "01 - One.mp3"}, ["01 - One.srt", ".parts/00001.m4a"]), out=out
    )
    assert state.reusable(1, "fp", out) is not None and state.last_reason == ""
    assert state.reusable(1, "other", out) is None and state.last_reason == ""
    (out / ".parts/00001.m4a").write_bytes(b"m" * 39 + b"n")  # same size, other content
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
    with OutputLock(folder) as lock:  # SIGKILL left the file; the kernel dropped the lock
        assert lock.held


def test_a_lock_file_naming_a_live_unrelated_pid_does_not_block(tmp_path):
    """After a reboot the pid in a left-over lock file may belong to any live process; only the kernel lock
    counts."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / LOCK_NAME).write_text(f"{os.getppid()}\n")  # alive, and not a render
    with OutputLock(folder) as lock:
        assert lock.held
        assert (folder / LOCK_NAME).read_text().strip() == str(os.getpid())
    assert not (folder / LOCK_NAME).exists()


def test_two_renders_started_together_give_one_result_and_busy_never_not_writable(tmp_path, sample_epub):
    import subprocess
    import sys

    render = str(Path(sys.executable).with_name("render"))
    for round_ in range(2):
        out = tmp_path / f"out{round_}"
        procs = [
            subprocess.Popen(
                [
                    render,
                    str(sample_epub),
                    "--out",
                    str(out),
                    "--engine",
                    "hibari",
                    "--quiet",
                    "--chapters",
                    "1",
                    "--format",
                    "wav",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
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
    text = (
        "Chapter 1\n\n"
        + ("The tide came in slowly over the flats. " * 120)
        + "\n\nA bell\x00rang\x07 once.\n"
    )
    assert text.index("\x00") > 4096
    book = tmp_path / "bell.txt"
    book.write_text(text)
    out = tmp_path / "out"
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "wav")
    assert proc.returncode == 0, proc.stderr
    subs = [p.read_text() for p in out.glob("*.srt")] + [p.read_text() for p in out.glob("*.vtt")]
    assert subs and all("\x00" not in s and "\x07" not in s for s in subs)
    assert any("A bell rang once" in s for s in subs)


@pytest.mark.parametrize(
    "obstacle", ["01 - Chapter 1 Week 1.mp3", ".parts", ".render-state.json", "manifest.json"]
)
def test_something_standing_where_an_output_goes_is_a_one_line_output_error(tmp_path, obstacle):
    """A folder where a chapter file, the state or the manifest goes, a file where `.parts/` goes: exit 5,
    one line naming the path; never an internal error."""
    book = story_book(tmp_path / "ferry.epub", chapters=1)
    out = tmp_path / "out"
    out.mkdir()
    if obstacle == ".parts":
        (out / obstacle).write_bytes(b"not a folder")
    else:
        (out / obstacle).mkdir()
        (out / obstacle / "keep.txt").write_text("the user's")
    proc = run_cli(
        str(book),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "mp3,m4b",
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert proc.returncode == 5, proc.stderr
    assert "internal error" not in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert obstacle in proc.stderr and "move it away" in proc.stderr
    assert (out / obstacle).exists()  # nothing of the user's removed
    if obstacle != ".parts":
        assert (out / obstacle / "keep.txt").read_text() == "the user's"


def _without_file_permissions_override() -> list[str] | None:
    """A command prefix under which file permissions apply (as root they do not), or None."""
    import shutil

    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps, "--"]


@pytest.mark.parametrize("what, code", [("book", 3), ("txt", 3), ("--lexicon", 2), ("--config", 2)])
def test_an_unreadable_file_is_a_one_line_error(tmp_path, sample_epub, what, code):
    import shutil
    import subprocess
    import sys

    prefix = _without_file_permissions_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: file permissions cannot be made to apply")
    locked = (
        tmp_path
        / {"book": "book.epub", "txt": "story.txt", "--lexicon": "lex.toml", "--config": "cfg.toml"}[what]
    )
    if what == "book":
        shutil.copy(sample_epub, locked)
    else:
        locked.write_text(
            "Chapter 1\n\nA line.\n"
            if what == "txt"
            else '[words]\nNguyen = "win"\n'
            if what == "--lexicon"
            else '[engine]\nname = "hibari"\n'
        )
    locked.chmod(0)
    args = (
        [str(locked), "--dry-run"]
        if what in ("book", "txt")
        else [str(sample_epub), "--dry-run", what, str(locked)]
    )
    render = str(Path(sys.executable).with_name("render"))
    proc = subprocess.run([*prefix, render, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Permission denied" in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr and "Usage:" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["book.epub", "--speed", "abc"],
        ["book.epub", "--out"],
        ["book.epub", "--batch-size", "many"],
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(args):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("render: error: ") and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Usage:" not in proc.stderr
