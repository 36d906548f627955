"""Every bad input through the real CLI: the documented exit code, one line on stderr, no traceback,
and nothing already in the output folder changed."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.ffmpeg import decode_pcm
from tests.conftest import run_cli
from tests.epubs import STORY, write_epub

RENDER = str(Path(sys.executable).with_name("render"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _drm(d: Path) -> Path:
    book = write_epub(d / "drm.epub", [("One", STORY)])
    enc = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
        'Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData><enc:CipherReference '
        'URI="OEBPS/c1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>'
    )
    with zipfile.ZipFile(book, "a") as z:
        z.writestr("META-INF/encryption.xml", enc)
    return book


def _no_text(d: Path) -> Path:
    return write_epub(d / "empty.epub", [("One", [])], raw={1: '<img src="x.png" alt=""/>'})


def _dir_without_books(d: Path) -> Path:
    (d / "shelf").mkdir()
    (d / "shelf" / "notes.xyz").write_bytes(b"%PDF-1.4")
    return d / "shelf"


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(range(256)) * 8
DATA = Path(__file__).resolve().parent / "data"


def _docx_bomb(d: Path) -> Path:
    """A .docx whose document part expands 1000-fold to 16 MB of zeros."""
    path = d / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as f:
            for _ in range(16):
                f.write(b"\x00" * 2**20)
    return path


def _kindle_with_drm(d: Path) -> Path:
    data = bytearray((DATA / "wodehouse-chapters-1-2.mobi").read_bytes())
    rec0 = int.from_bytes(data[78:82], "big")
    data[rec0 + 12 : rec0 + 14] = (2).to_bytes(2, "big")  # PalmDOC header: encryption type 2 (Mobipocket)
    (d / "drm.azw3").write_bytes(bytes(data))
    return d / "drm.azw3"


def _renamed_jpeg(suffix: str):
    def make(d: Path) -> Path:
        (d / f"photo{suffix}").write_bytes(JPEG)
        return d / f"photo{suffix}"

    return make


CASES = [  # (name, make the input, extra args, exit code, words in the one stderr line)
    ("DOCX zip bomb", _docx_bomb, [], 3, "zip bomb"),
    (
        "malformed FB2",
        lambda d: (d / "m.fb2").write_text("<FictionBook><body><section><p>Open") and d / "m.fb2",
        [],
        3,
        "malformed FictionBook",
    ),
    ("DRM-protected Kindle book", _kindle_with_drm, [], 3, "DRM"),
    (
        "truncated Kindle book",
        lambda d: (
            (d / "t.mobi").write_bytes((DATA / "wodehouse-chapters-1-2.mobi").read_bytes()[:2000])
            and d / "t.mobi"
        ),
        [],
        3,
        "Kindle book",
    ),
    *[
        (f"renamed JPEG as {s}", _renamed_jpeg(s), [], 3, "JPEG image")
        for s in (".docx", ".fb2", ".mobi", ".html")
    ],
    ("missing path", lambda d: d / "nope.epub", [], 3, "no such file"),
    ("folder with no books", _dir_without_books, [], 3, "no books found"),
    ("not a zip", lambda d: (d / "a.epub").write_text("plain text") and d / "a.epub", [], 3, "not a zip"),
    (
        "zip without container.xml",
        lambda d: _zip(d / "b.epub", {"mimetype": "application/epub+zip", "OEBPS/x.xhtml": "<html/>"}),
        [],
        3,
        "META-INF/container.xml",
    ),
    ("DRM-protected EPUB", _drm, [], 3, "DRM"),
    ("EPUB with no readable text", _no_text, [], 3, "no readable text"),
    (
        "unknown format",
        lambda d: write_epub(d / "c.epub", [("One", STORY)]),
        ["--format", "aiff"],
        2,
        "unknown format",
    ),
    (
        "chapters out of range",
        lambda d: write_epub(d / "c.epub", [("One", STORY)]),
        ["--chapters", "4-9"],
        2,
        "chapters",
    ),
    (
        "unknown config key",
        lambda d: write_epub(d / "c.epub", [("One", STORY)]),
        ["--config", "CONFIG"],
        2,
        "unknown key",
    ),
]


@pytest.mark.parametrize("name, make, extra, code, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, name, make, extra, code, words):
    book = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.txt").write_text("work from an earlier run")
    before = _snapshot(out)
    if "CONFIG" in extra:
        cfg = tmp_path / "bad.toml"
        cfg.write_text("[output]\nbitrate = '320k'\n")
        extra = [cfg.as_posix() if a == "CONFIG" else a for a in extra]
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", *extra)
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert _snapshot(out) == before


def test_debug_shows_the_traceback(tmp_path):
    proc = run_cli(str(tmp_path / "nope.epub"), "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_output_folder_not_writable(tmp_path, sample_epub):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    proc = run_cli(str(sample_epub), "--out", str(blocker / "out"), "--engine", "hibari")
    assert proc.returncode == 5
    assert proc.stderr.strip().count("\n") == 0 and "not writable" in proc.stderr
    assert blocker.read_text() == "a file, not a folder"


def test_malformed_xhtml_is_parsed_as_far_as_possible(tmp_path):
    raw = "<p>The first paragraph survives.</p><p>The second <b>is <i>badly</b> nested</i> yet read.<p>Third"
    book = write_epub(tmp_path / "m.epub", [("One", [])], raw={1: raw})
    proc = run_cli(str(book), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(s["text"] for c in json.loads(proc.stdout)["chapters"] for s in c["segments"])
    assert "first paragraph survives" in text and "yet read" in text


def test_a_200000_character_paragraph_without_punctuation_is_segmented_not_dropped(tmp_path):
    words = [f"word{i % 997}" for i in range(25_000)]
    para = " ".join(words)
    assert len(para) > 150_000
    book = write_epub(tmp_path / "long.epub", [("Long", [para])])
    proc = run_cli(str(book), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    segs = json.loads(proc.stdout)["chapters"][0]["segments"]
    got = " ".join(s["text"] for s in segs[1:]).split()  # segment 0 is the chapter title
    assert got == words
    assert max(s["est_seconds"] for s in segs) <= 20


def test_unsupported_scripts_are_skipped_with_a_warning_that_says_where(tmp_path):
    book = write_epub(
        tmp_path / "s.epub",
        [
            (
                "One",
                [
                    "Hello\x07 there. \u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd.",
                    "\u4f60\u597d\u4e16\u754c\u3002 The end.",
                ],
            )
        ],
    )
    proc = run_cli(str(book), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "chapter 1" in proc.stderr and "Hebrew" in proc.stderr
    normalized = " ".join(s["normalized"] for c in json.loads(proc.stdout)["chapters"] for s in c["segments"])
    assert "\x07" not in normalized and "\u4f60" not in normalized and "The end" in normalized


def _limit_file_size(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_full_disk_leaves_earlier_chapters_intact(tmp_path):
    long = [f"{p} It went on like that for a while, day after day, week after week." for p in STORY] * 6
    book = write_epub(tmp_path / "d.epub", [("One", STORY[:2]), ("Two", STORY[2:]), ("Three", long)])
    out, cache = tmp_path / "out", tmp_path / "cache"
    # simulated: no file may grow past 1.5 MB (chapter three's MP3 needs more), as on a nearly full disk
    proc = subprocess.run(
        [RENDER, str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--cache-dir", str(cache)],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size(1_500_000),
        timeout=300,
    )
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "disk full" in proc.stderr
    done = sorted(p.name for p in out.glob("*.mp3"))
    assert done == ["01 - One.mp3", "02 - Two.mp3"]
    first = {n: (out / n).read_bytes() for n in done}
    for n in done:
        assert decode_pcm(str(out / n))[0].size > 0
    assert not list(out.glob(".*.part")) and not (out / ".render.lock").exists()
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stderr
    assert {n: (out / n).read_bytes() for n in done} == first  # not redone
    assert (out / "03 - Three.mp3").is_file()
