"""The library a librarian sees: series only from real series metadata (a `set`, a reading list, stays out of
folders and tags), each file held once (hard links into `.render/`), and a re-run that changes nothing
leaves every library file as it was (same inode, same modification time)."""

from __future__ import annotations

import json
import os

from pipeline.ingest import read_book
from tests.conftest import run_cli
from tests.epubs import build_epub, para

LOREM = (
    "The river ran high that spring, and the ferryman counted the days until the water fell. "
    "Every morning he walked to the landing and looked at the old marker post."
)
SET = (
    '<meta property="belongs-to-collection" id="c1">The Guardian\'s Best 100 Novels in English (2015)</meta>'
    '<meta refines="#c1" property="collection-type">set</meta>'
    '<meta refines="#c1" property="group-position">25</meta>'
)
SERIES = (
    '<meta property="belongs-to-collection" id="c2">The Marsh Books</meta>'
    '<meta refines="#c2" property="collection-type">series</meta>'
    '<meta refines="#c2" property="group-position">2</meta>'
)


def _book(path, meta):
    return build_epub(
        path,
        {"a.xhtml": "<h1>Dawn</h1>" + para(LOREM), "b.xhtml": "<h1>Dusk</h1>" + para(LOREM)},
        toc=[("Dawn", "a.xhtml"), ("Dusk", "b.xhtml")],
        title="Three Men",
        authors=("Jerome K. Jerome",),
        extra_meta=meta,
    )


def test_only_a_series_is_a_series(tmp_path):
    only_set = read_book(_book(tmp_path / "set.epub", SET))
    assert only_set.series == "" and only_set.series_index == ""
    assert only_set.collections == ["The Guardian's Best 100 Novels in English (2015)"]
    both = read_book(_book(tmp_path / "both.epub", SET + SERIES))
    assert (both.series, both.series_index) == ("The Marsh Books", "2")
    assert both.collections == ["The Guardian's Best 100 Novels in English (2015)"]
    untyped = read_book(
        _book(
            tmp_path / "untyped.epub",
            SET.replace('<meta refines="#c1" property="collection-type">set</meta>', ""),
        )
    )
    assert untyped.series == ""  # a collection of no stated type is no series


def test_a_set_stays_out_of_the_shelf_and_a_rerun_leaves_the_library_untouched(tmp_path):
    """A set-only book lands in Author/Title/ (no set folder, no series tags; the set is a metadata.json tag);
    each library file is the work folder's file (one inode); a second identical run rewrites none of them."""
    from tests.export.test_audiobookshelf import abs_book

    book = _book(tmp_path / "three.epub", SET)
    lib = tmp_path / "library"
    args = (
        str(book),
        "--out",
        str(lib),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "mp3,epub",
        "--layout",
        "audiobookshelf",
    )
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    folder = lib / "Jerome K. Jerome" / "Three Men"
    names = ["Three Men.epub", "Three Men.m4b", "cover.jpg", "metadata.json"]
    assert sorted(p.name for p in folder.iterdir()) == names
    data = json.loads((folder / "metadata.json").read_text())
    assert data["series"] == [] and data["tags"] == ["The Guardian's Best 100 Novels in English (2015)"]
    assert abs_book(folder / "Three Men.m4b")["series"] == []
    work = next((lib / ".render").iterdir())
    for name in names:
        work_name = "cover.jpg" if name == "cover.jpg" else name
        assert os.path.samefile(folder / name, work / work_name), name  # held once
    before = {n: (os.stat(folder / n).st_ino, os.stat(folder / n).st_mtime_ns) for n in names}
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    after = {n: (os.stat(folder / n).st_ino, os.stat(folder / n).st_mtime_ns) for n in names}
    assert after == before
    assert sorted(p.name for p in folder.iterdir()) == names
    page = (work / "report.html").read_text()  # what this run did, what the folder holds, each format
    assert "This run: 2 chapters reused as they were" in page and "nothing synthesized or encoded" in page
    assert "The folder holds 2 chapters" in page and "rendered in" not in page
    formats = page[page.index("<h2>Formats</h2>") : page.index("<h2>Chapters</h2>")]
    assert "MP3" in formats and "M4B" in formats and "epub audio (64k mono)" in formats
    assert formats.count("class='num ok'") == 6, formats  # loudness and peak of each on target


def test_the_read_along_book_carries_phone_sized_audio(tmp_path):
    """The EPUB's MP3s are 64 kbps mono (EPUB 3 core media type) while the chapter files keep 192 kbps; every
    overlay clip ends within its audio; `readalong_bitrate = ""` carries the chapter MP3s as they are."""
    import io
    import re
    import zipfile

    from mutagen.mp3 import MP3

    book = _book(tmp_path / "three.epub", "")
    sizes = {}
    for bitrate in ("64k", ""):
        cfg = tmp_path / f"c{bitrate}.toml"
        cfg.write_text(f'[output]\nreadalong_bitrate = "{bitrate}"\n')
        out = tmp_path / f"out{bitrate}"
        proc = run_cli(
            str(book),
            "--out",
            str(out),
            "--engine",
            "hibari",
            "--quiet",
            "--format",
            "mp3,epub",
            "--config",
            str(cfg),
        )
        assert proc.returncode == 0, proc.stderr
        chapter = MP3(str(next(out.glob("01 - *.mp3"))))
        assert chapter.info.bitrate == 192_000
        with zipfile.ZipFile(out / "Three Men.epub") as z:
            audio = sorted(n for n in z.namelist() if n.endswith(".mp3"))
            assert len(audio) == 2
            info = MP3(fileobj=io.BytesIO(z.read(audio[0]))).info
            sizes[bitrate] = sum(z.getinfo(n).file_size for n in audio)
            smil = next(z.read(n).decode() for n in z.namelist() if n.endswith(".smil"))
            ends = [float(x) for x in re.findall(r'clipEnd="([\d.]+)s?"', smil)]
            assert ends and max(ends) <= info.length + 0.05
        if bitrate:
            assert (info.bitrate, info.channels) == (64_000, 1)
        else:
            assert info.bitrate == 192_000
    assert sizes["64k"] < sizes[""] / 2.5
