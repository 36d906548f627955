"""The real `render` command on the demo book and a corpus book; checks the files it wrote."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mutagen.mp3 import MP3

from pipeline.asr import transcribe, word_error_rate
from pipeline.ffmpeg import decode_pcm
from tests.conftest import WODEHOUSE, run_cli


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, sample_epub):
    out = tmp_path_factory.mktemp("demo") / "sample"
    proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def test_demo_writes_one_mp3_per_chapter_and_a_manifest(demo_out):
    manifest = json.loads((demo_out / "manifest.json").read_text())
    assert manifest["book"]["title"] == "The Keeper of Gannet Point"
    assert [c["title"] for c in manifest["chapters"]] == [
        "The Lighthouse Keeper",
        "A Letter from the Mainland",
        "The Storm",
    ]
    assert manifest["engine"]["engine"] == "hibari"
    mp3s = sorted(p.name for p in demo_out.glob("*.mp3"))
    assert mp3s == [
        "01 - The Lighthouse Keeper.mp3",
        "02 - A Letter from the Mainland.mp3",
        "03 - The Storm.mp3",
    ]
    for ch in manifest["chapters"]:
        f = MP3(demo_out / ch["file"])
        assert f.info.sample_rate == 44100
        assert abs(f.info.length - ch["duration"]) < 0.1
        assert ch["segments"] == len(ch["segment_list"]) > 0
        assert str(f.tags["TIT2"]) == ch["title"]
        assert str(f.tags["TALB"]) == "The Keeper of Gannet Point"
        assert str(f.tags["TRCK"]) == f"{ch['index']}/3"
    assert not list(demo_out.glob(".*.part"))  # no temporary files left
    assert not (demo_out / ".render.lock").exists()  # the output lock is released


def test_demo_audio_is_the_right_speech(demo_out):
    """pocketsphinx hears the chapter's words: WER against the normalized text <= 0.30."""
    manifest = json.loads((demo_out / "manifest.json").read_text())
    ch = manifest["chapters"][0]
    audio, rate = decode_pcm(str(demo_out / ch["file"]), 16000)
    reference = " ".join(s["normalized"] for s in ch["segment_list"])
    wer = word_error_rate(reference, transcribe(audio, rate))
    assert wer <= 0.30, wer


def test_help_and_dry_run_load_no_model(sample_epub):
    code = (
        "import sys; from typer.testing import CliRunner; from pipeline.cli import app; "
        f"r = CliRunner().invoke(app, [{str(sample_epub)!r}, '--dry-run', '--engine', 'hibari']); "
        "assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('onnxruntime', 'torch', 'hibari', 'ray', 'lmdeploy') if m in sys.modules]; "
        "assert not heavy, heavy; print(r.output)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "3 chapters" in proc.stdout and "The Storm" in proc.stdout


@pytest.mark.parametrize(
    "make, expect",
    [
        (lambda d: d / "missing.epub", "no such file"),
        (lambda d: (d / "book.xyz").write_bytes(b"%PDF") and d / "book.xyz", "unsupported file type"),
        (lambda d: (d / "book.pdf").write_bytes(b"%PDF-1.7\n") and d / "book.pdf", "truncated"),
        (lambda d: (d / "bad.epub").write_bytes(b"not a zip") and d / "bad.epub", "not a zip"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(tmp_path, make, expect):
    path = make(tmp_path)
    proc = run_cli(str(path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in proc.stderr


def test_bad_usage_exit_2(sample_epub, tmp_path):
    proc = run_cli(str(sample_epub), "--out", str(tmp_path), "--format", "ogg")
    assert proc.returncode == 2 and "unknown format" in proc.stderr
    proc = run_cli(str(sample_epub), "--dry-run", "--chapters", "9")
    assert proc.returncode == 2 and "3 chapters" in proc.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--qc", "whisper"], "'--qc': Value error, 'whisper' is not one of 'none', 'asr'"),
        (["--layout", "shelf"], "'--layout': Value error, 'shelf' is not one of 'flat', 'audiobookshelf'"),
        (
            ["--engine", "espeak"],
            "'--engine': Value error, 'espeak' is not one of 'auto', 'hibari', 'soprano'",
        ),
        (["--speed", "3"], "--speed: input should be less than or equal to 2"),  # the flag, not engine.speed
        (["--threads", "0"], "--threads: input should be greater than or equal to 1"),
    ],
)
def test_a_bad_option_value_is_one_line_naming_the_option(sample_epub, args, says):
    proc = run_cli(str(sample_epub), "--dry-run", *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and says in proc.stderr, proc.stderr


def test_a_bad_value_from_the_config_file_names_its_key(sample_epub, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[engine]\nspeed = 3\n")
    proc = run_cli(str(sample_epub), "--dry-run", "--config", str(cfg))
    assert proc.returncode == 2 and "'engine.speed': Input should be less than or equal to 2" in proc.stderr


@pytest.mark.skipif(not WODEHOUSE.exists(), reason="corpus not present")
def test_corpus_book_first_two_chapters(tmp_path):
    out = tmp_path / "w"
    proc = run_cli(str(WODEHOUSE), "--out", str(out), "--chapters", "1-2", "--engine", "hibari", "--quiet")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["title"] for c in manifest["chapters"]] == ["Dedication", "I: A Letter with a Postscript"]
    assert sorted(p.name for p in out.glob("*.mp3")) == [
        "01 - Dedication.mp3",
        "02 - I A Letter with a Postscript.mp3",
    ]
