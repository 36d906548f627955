"""`render --sample SECONDS` (a shelf: one file per book) and `render --voices`."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import UsageError
from pipeline.ffmpeg import decode_pcm
from pipeline.narrator.sample import render_samples
from pipeline.narrator.voices import render_voices
from tests.conftest import run_cli
from tests.epubs import story_book


def test_sample_of_a_shelf_of_three_books_is_three_files_of_about_30_s(tmp_path):
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    for title in ("The Ferryman", "The Miller", "The Smith"):
        story_book(shelf / f"{title.split()[-1].lower()}.epub", chapters=3, title=title)
    out = tmp_path / "samples"
    proc = run_cli(str(shelf), "--sample", "30", "--out", str(out), "--engine", "hibari")
    assert proc.returncode == 0, proc.stderr
    files = sorted(out.glob("*.mp3"))
    assert [f.name for f in files] == [
        "test-author-the-ferryman - sample.mp3",
        "test-author-the-miller - sample.mp3",
        "test-author-the-smith - sample.mp3",
    ]
    for f in files:
        audio, sr = decode_pcm(str(f))
        # cut at the segment end nearest 30 s of speech, plus the chapter's tail of silence
        assert 26 <= len(audio) / sr <= 38, (f.name, len(audio) / sr)
    assert proc.stderr.count("render: sample of ") == 3
    assert not (out / "manifest.json").exists()  # a sample is not a render: nothing else is written


def test_sample_checks_its_length(tmp_path):
    with pytest.raises(UsageError, match="a sample lasts"):
        render_samples([tmp_path], tmp_path / "out", load_config(), 0, quiet=True)


def test_voices_renders_the_packaged_voice_and_says_why_not_for_the_others(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari-home"))  # no voice downloaded before
    cfg = load_config(overrides={"output": {"formats": ["wav"]}})
    lines = {(v.engine, v.voice): v for v in render_voices(cfg, tmp_path / "voices")}
    heart = lines[("hibari", "heart")]
    assert heart.file == tmp_path / "voices" / "hibari-heart.wav"
    audio, sr = decode_pcm(str(heart.file))
    assert 3 < len(audio) / sr < 15
    others = [v for (engine, _), v in lines.items() if engine == "hibari" and v.voice != "heart"]
    assert others and all(v.file is None and "downloads" in v.why_not and "MB" in v.why_not for v in others)
    assert not (tmp_path / "hibari-home").exists()  # nothing was fetched
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(lines) and any(line.startswith("soprano") for line in printed)
    assert Path(str(heart.file)).name in "\n".join(printed)
