"""A new user's first hour: the version, errors that name the option, optional features checked up front,
partial renders that add up to one book, subtitles a person can read, an honest summary."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from pipeline.ffmpeg import run_ffmpeg
from pipeline.subtitles import wrap_cue_text
from tests.conftest import ROOT, run_cli


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and re.fullmatch(r"render \d+\.\d+\.\d+ \(Python [\d.]+\)\n", proc.stdout)


@pytest.mark.parametrize(
    "flag, value, words",
    [
        ("--speed", "5", "less than or equal to 2"),
        ("--threads", "0", "greater than or equal to 1"),
        ("--batch-size", "-3", "greater than"),
        ("--voice", "nobody", "unknown hibari voice 'nobody'; choose from"),
    ],
)
def test_a_bad_option_value_names_the_option(sample_epub, tmp_path, flag, value, words):
    proc = run_cli(str(sample_epub), "--out", str(tmp_path / "o"), flag, value)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"render: error: {flag}: ") and words in proc.stderr
    assert "engine." not in proc.stderr and proc.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "module, option, extra", [("pocketsphinx", ["--qc", "asr"], "asr"), ("ray", ["--executor", "ray"], "ray")]
)
def test_a_missing_optional_feature_stops_before_any_work(sample_epub, tmp_path, module, option, extra):
    """With the extra's module shadowed by one that cannot be imported (as when the extra is missing or
    broken), the run fails at once with the install command: no progress bar, nothing written."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / f"{module}.py").write_text("raise ImportError('not installed here')\n")
    out = tmp_path / "o"
    proc = run_cli(
        str(sample_epub),
        "--out",
        str(out),
        *option,
        env={"PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"},
    )
    assert proc.returncode == 7, proc.stderr
    assert f"pip install -e '.[{extra}]'" in proc.stderr and proc.stderr.count("\n") == 1
    assert not out.exists() or not any(out.iterdir())


def _m4b_titles(path: Path) -> list[str]:
    meta = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"]).stdout.decode()
    return re.findall(r"\[CHAPTER\][^\[]*?title=([^\n]*)", meta)


def test_two_partial_renders_leave_one_book_of_every_finished_chapter(sample_epub, tmp_path):
    out = tmp_path / "book"
    args = [str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "mp3,m4b"]
    first = run_cli(*args, "--chapters", "1")
    assert first.returncode == 0, first.stderr
    assert "not rendered yet: chapters 2-3" in first.stderr
    second = run_cli(*args, "--chapters", "3")
    assert second.returncode == 0, second.stderr
    assert "not rendered yet: chapter 2" in second.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["index"] for c in manifest["chapters"]] == [1, 3]
    assert manifest["stats"]["chapters_missing"] == [2]
    titles = [c["title"] for c in manifest["chapters"]]
    assert _m4b_titles(out / manifest["m4b"]["file"]) == titles
    lines = (out / "chapters.txt").read_text().splitlines()
    assert [ln.split(" ", 1)[1] for ln in lines] == titles
    assert [c["start"] for c in manifest["chapters"]] == [0.0, manifest["chapters"][0]["end"]]
    # the whole book's subtitles, on the M4B's timeline: chapter 3's cues start where its mark does
    from pipeline.subtitles import parse_vtt

    cues = parse_vtt((out / manifest["book_subtitles"]["vtt"]).read_text())
    third_title = next(c for c in cues if c.text == titles[1])
    assert manifest["chapters"][1]["start"] <= third_title.start < manifest["chapters"][1]["start"] + 2.0
    assert [c.start for c in cues] == sorted(c.start for c in cues)
    from tests.export.test_readalong import assert_metadata_json_matches_m4b

    assert_metadata_json_matches_m4b(out, out / manifest["m4b"]["file"])
    # the third run fills the gap: every chapter, the first two reused as they were
    third = run_cli(*args)
    assert third.returncode == 0, third.stderr
    m3 = json.loads((out / "manifest.json").read_text())
    assert [c["index"] for c in m3["chapters"]] == [1, 2, 3] and m3["stats"]["chapters_reused"] == 2
    assert "not rendered yet" not in third.stderr
    assert len(_m4b_titles(out / m3["m4b"]["file"])) == 3
    assert_metadata_json_matches_m4b(out, out / m3["m4b"]["file"])


def test_a_rerun_says_it_reused_rather_than_wrote(sample_epub, tmp_path):
    out = tmp_path / "book"
    args = [str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet", "--chapters", "1"]
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 0
    assert "0 rendered" in again.stderr and "1 reused as they were" in again.stderr
    assert "0 segments synthesized" in again.stderr


@pytest.mark.parametrize(
    "text",
    [
        "Short.",
        "It was a truth universally acknowledged, that a single man in possession of a good fortune, must be in "
        "want of a wife.",
        "However little known the feelings or views of such a man may be on his first entering a neighbourhood, "
        "this truth is so well fixed in the minds of the surrounding families, that he is considered the rightful "
        "property of some one or other of their daughters.",
        "“My dear Mr. Bennet,” said his lady to him one day, “have you heard that Netherfield Park is let at last?”",
        "A hyphenated-and-very-very-long-compound-word-that-cannot-be-broken stands here alone.",
    ],
)
def test_cues_are_at_most_two_lines_of_about_42_characters_and_keep_every_word(text):
    cues = wrap_cue_text(text)
    assert " ".join(" ".join(c.split("\n")) for c in cues).split() == text.split()
    for cue in cues:
        lines = cue.split("\n")
        assert 1 <= len(lines) <= 2
        for line in lines:
            assert len(line) <= 42 or " " not in line, (cue, len(line))


def test_rendered_subtitles_follow_the_conventions(sample_epub, tmp_path):
    out = tmp_path / "book"
    proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "wav")
    assert proc.returncode == 0, proc.stderr
    for srt in out.glob("[0-9][0-9] - *.srt"):  # each chapter's own file
        blocks = [b.split("\n") for b in srt.read_text().strip().split("\n\n")]
        prev_end = 0.0
        for b in blocks:
            text_lines = b[2:]
            assert 1 <= len(text_lines) <= 2, b
            assert all(len(ln) <= 42 or " " not in ln for ln in text_lines), b
            start, end = (
                sum(float(x) * m for x, m in zip(t.replace(",", ".").split(":"), (3600, 60, 1), strict=True))
                for t in b[1].split(" --> ")
            )
            assert abs(start - prev_end) < 0.002 or prev_end == 0.0
            assert end > start
            prev_end = end


def test_readme_run_lines_work_as_written():
    """The README's lines for running render after set-up run as written, from the project folder."""
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    lines = [ln.split("#", 1)[0].strip() for ln in readme.splitlines() if ln.startswith(".venv/bin/render ")]
    assert any(ln == ".venv/bin/render --version" for ln in lines) and ". .venv/bin/activate" in readme
    venv_bin = Path(sys.executable).parent
    if not (ROOT / "samples" / "sample.epub").is_file():  # what `make demo` builds first
        sys.path.insert(0, str(ROOT / "scripts"))
        from make_sample import build

        build(ROOT / "samples" / "sample.epub")
    for line in lines:
        cmd = line.replace(".venv/bin/render", str(venv_bin / "render"), 1)
        proc = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (line, proc.stderr)


def test_progress_counts_chapters_as_they_finish_and_names_those_encoding(sample_epub, tmp_path):
    """The progress lines (tqdm on stderr): segments with x real time and an ETA, chapters counted up as they
    finish, the chapters being encoded named while they are, and never a finished count that still names a
    chapter as encoding."""
    out = tmp_path / "book"
    proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    frames = [f.strip() for f in re.split(r"[\r\n]", proc.stderr) if f.strip()]
    seg = [f for f in frames if "seg" in f and "real time" in f]
    assert seg and re.search(r"\[\d+:\d+<\d+:\d+", seg[-1]), seg[-1:]  # elapsed<ETA
    assert re.search(r"\d+x real time", seg[-1])
    done = [f for f in frames if f.startswith("chapters done")]
    counts = [int(m.group(1)) for f in done if (m := re.search(r"\| (\d)/3 \[", f))]
    assert counts == sorted(counts) and counts[-1] == 3 and counts[0] < 3
    assert any("encoding ch" in f for f in done)
    assert not any("3/3" in f and "encoding ch" in f for f in done), [f for f in done if "3/3" in f]
    assert "3 rendered, 0 reused as they were" in proc.stderr
