"""A chapter that is a numbered part of a story is named with its story wherever a listener sees a name: the
dry run, the file names, the tags, the M4B's marks, the subtitles and the read-along book's contents."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile

import pytest
from mutagen.mp3 import MP3

from pipeline.ffmpeg import ffmpeg_exe
from tests.conftest import run_cli
from tests.epubs import build_epub, para

STORY = "A Scandal in Bohemia"
PARTS = [f"{STORY} - {n}" for n in ("I", "II", "III")]


@pytest.fixture(scope="module")
def adventures(tmp_path_factory):
    """Sherlock-style: a story in three numbered parts, then a story of one piece (EPUB 2, so the read-along
    book's pages and contents are generated, not the source's own)."""
    d = tmp_path_factory.mktemp("holmes")
    docs = {
        "story.xhtml": f"<h1>{STORY}</h1>",
        "p1.xhtml": "<h2>I.</h2>" + para("To Sherlock Holmes she is always the woman."),
        "p2.xhtml": "<h2>II.</h2>" + para("At three o'clock precisely I was at Baker Street."),
        "p3.xhtml": "<h2>III.</h2>" + para("I slept at Baker Street that night."),
        "league.xhtml": "<h1>The Red-Headed League</h1>" + para("I had called upon my friend one day."),
    }
    toc = [
        (STORY, "story.xhtml", [("I", "p1.xhtml"), ("II", "p2.xhtml"), ("III", "p3.xhtml")]),
        ("The Red-Headed League", "league.xhtml"),
    ]
    return build_epub(
        d / "adventures.epub",
        docs,
        toc,
        title="The Adventures of Sherlock Holmes",
        authors=("Arthur Conan Doyle",),
        version=2,
    )


def test_the_dry_run_names_each_part_with_its_story(adventures):
    proc = run_cli(str(adventures), "--dry-run", "--engine", "hibari")
    assert proc.returncode == 0, proc.stderr
    titles = [
        m.group(1)
        for ln in proc.stdout.splitlines()
        if (m := re.match(r"\s+\d+\s+(.*?)\s{2,}\d+ segments", ln))
    ]
    assert titles == [*PARTS, "The Red-Headed League"], proc.stdout


def test_files_tags_marks_subtitles_and_the_readalong_contents_name_the_story(adventures, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(
        str(adventures),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--format",
        "mp3,m4b,epub",
        "--quiet",
        "--no-cache",
    )
    assert proc.returncode == 0, proc.stderr
    mp3s = sorted(p.name for p in out.glob("*.mp3"))
    assert mp3s == [f"0{i} - {t}.mp3" for i, t in enumerate([*PARTS, "The Red-Headed League"], 1)]
    assert [str(MP3(out / m).tags["TIT2"]) for m in mp3s[:3]] == PARTS
    assert sorted(p.name for p in out.glob("0[1-3] - *.srt")) == [
        f"0{i} - {t}.srt" for i, t in enumerate(PARTS, 1)
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    probe = subprocess.run(
        [ffmpeg_exe(), "-i", str(out / manifest["m4b"]["file"]), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    marks = re.findall(r"^title=(.*)$", probe.stdout.split("[CHAPTER]", 1)[1], re.M)
    assert marks == [*PARTS, "The Red-Headed League"]
    assert (out / "chapters.txt").read_text(encoding="utf-8").count(STORY) == 3
    with zipfile.ZipFile(out / manifest["readalong"]) as z:
        nav = next(z.read(n).decode() for n in z.namelist() if n.endswith("nav.xhtml"))
    assert manifest["readalong_made_from"]["made_from"] == "text"
    assert re.findall(r"<a [^>]*>([^<]*)</a>", nav) == [*PARTS, "The Red-Headed League"]
