"""Hostile books: nothing a book contains can write outside the output folder or exhaust the machine.

Each hostile book is built on the fly and rendered by the real CLI in a folder of its own; the test lists
that folder's parent before and after, takes the child's peak memory from wait4, and looks for a canary
(the content of a local file an external entity points at) in every output and log.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.normalize import normalize
from pipeline.normalize.chars import SPEAKABLE
from pipeline.records import Chapter, Paragraph
from pipeline.segment import Segmenter, SentenceSplitter
from tests.epubs import build_epub, chapter_xhtml, write_epub

RENDER = str(Path(sys.executable).with_name("render"))
CANARY = "CANARY-7f3a9c-SECRET-CONTENT"
GOOD = ["The lamp was lit at dusk, as it had been every night for forty years."]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# The render runs under a small parent of its own, which reports the peak RSS of its descendants only: the
# test process's RUSAGE_CHILDREN mark also holds every earlier child of the session (EPUBCheck's JVM, Chromium).
_MEASURED = (
    "import resource, subprocess, sys; p = subprocess.run(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(p.returncode)"
)


def _run(book: Path, out: Path, *extra: str) -> tuple[int, str, float, float]:
    """(exit code, stderr, peak RSS in MB, seconds) of the real CLI."""
    import tempfile

    t0 = time.perf_counter()
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as peak:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _MEASURED,
                peak.name,
                RENDER,
                str(book),
                "--out",
                str(out),
                "--engine",
                "hibari",
                "--quiet",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        peak_mb = int(Path(peak.name).read_text() or 0) / 1024
    return proc.returncode, stderr + stdout, peak_mb, time.perf_counter() - t0


def _zip_epub(
    path: Path, members: dict[str, bytes | str], opf_items: list[tuple[str, str]], title: str = "Hostile"
) -> Path:
    """An EPUB whose manifest/spine/nav list `opf_items` (id, href) and whose archive holds `members`."""
    return build_epub(
        path,
        {},
        [(f"Chapter {n}", h) for n, (_, h) in enumerate(opf_items, 1)],
        title=title,
        authors=(),
        identifier="urn:x",
        items=opf_items,
        extra_members=members,
        compression=zipfile.ZIP_DEFLATED,
    )


def _escape_title(d: Path) -> Path:
    return write_epub(d / "book.epub", [("../../escape", GOOD)], toc_titles=["../../escape"])


def _member_dotdot(d: Path) -> Path:
    return _zip_epub(
        d / "book.epub",
        {
            "OEBPS/c1.xhtml": chapter_xhtml("One", GOOD),
            "../../evil.xhtml": chapter_xhtml("Evil", ["Evil text."]),
        },
        [("c1", "c1.xhtml"), ("evil", "../../evil.xhtml")],
    )


def _member_absolute(d: Path) -> Path:
    return _zip_epub(
        d / "book.epub",
        {
            "OEBPS/c1.xhtml": chapter_xhtml("One", GOOD),
            "/tmp/render-absolute-evil.xhtml": chapter_xhtml("Evil", ["Evil."]),
        },
        [("c1", "c1.xhtml"), ("evil", "/tmp/render-absolute-evil.xhtml")],
    )


def _zip_bomb(d: Path) -> Path:
    path = _zip_epub(d / "book.epub", {"OEBPS/c1.xhtml": chapter_xhtml("One", GOOD)}, [("c1", "c1.xhtml")])
    zero = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("OEBPS/images/bomb.png", "w", force_zip64=True) as f,
    ):
        for _ in range(1024):  # 1 GB of zeros, about 1 MB compressed
            f.write(zero)
    return path


def _billion_laughs(d: Path) -> Path:
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE html [{ents}]><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>Lol</title></head><body><h2>Lol</h2><p>{GOOD[0]}</p><p>&lol9;</p></body></html>"
    )
    return _zip_epub(d / "book.epub", {"OEBPS/c1.xhtml": body}, [("c1", "c1.xhtml")])


def _external_entity(d: Path) -> Path:
    secret = d / "secret.txt"
    secret.write_text(CANARY)
    body = (
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>X</title></head><body><h2>X</h2>'
        f"<p>{GOOD[0]}</p><p>Secret: &xxe;</p></body></html>"
    )
    path = _zip_epub(d / "book.epub", {"OEBPS/c1.xhtml": body}, [("c1", "c1.xhtml")], title="&xxe;")
    # the package document itself declares the entity too
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    opf = (
        members["OEBPS/content.opf"].decode().replace("&amp;xxe;", "&xxe;")
    )  # the title is the entity itself
    opf = opf.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE package [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    )
    members["OEBPS/content.opf"] = opf.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return path


def _dots_and_digits(n: int = 10_000_000) -> str:
    """Random digits and dots: incompressible enough that only the character limit can stop it."""
    import random

    rng = random.Random(9)
    return "".join(rng.choices("0123456789.", k=n))


def _giant_line(d: Path) -> Path:
    return write_epub(d / "book.epub", [("Dots", [_dots_and_digits()])])


CASES = [  # (name, builder, exit code, text expected on stderr)
    ("chapter titled ../../escape", _escape_title, 0, None),
    ("member named ../../evil.xhtml", _member_dotdot, 0, "refused archive member"),
    ("absolute member path", _member_absolute, 0, "refused archive member"),
    ("1 GB zip bomb", _zip_bomb, 3, "zip bomb"),
    ("billion laughs", _billion_laughs, 0, None),
    ("external entity", _external_entity, 0, None),
    # libxml2 refuses a 10 MB text node (huge_tree stays off); a slightly shorter one meets the chapter limit
    ("10 MB line of dots and digits", _giant_line, 3, "no readable text"),
    (
        "9.9 MB line of dots and digits",
        lambda d: write_epub(d / "book.epub", [("Dots", [_dots_and_digits(9_900_000)])]),
        3,
        "limits.max_chapter_chars",
    ),
]


@pytest.mark.parametrize("name, build, code, message", CASES, ids=[c[0] for c in CASES])
def test_hostile_book(tmp_path, name, build, code, message):
    parent = tmp_path / "parent"
    parent.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    book = build(src)
    out = parent / "out"
    before = _tree(parent)
    rc, log, peak_mb, seconds = _run(book, out, "--format", "mp3,m4b")
    assert rc == code, log
    assert "Traceback" not in log
    if message:
        assert message in log
    after = _tree(parent)
    assert {p for p in after - before if not p.startswith("out")} == set(), after - before
    assert not Path("/tmp/render-absolute-evil.xhtml").exists()
    assert peak_mb < 1024, peak_mb
    assert seconds < 60, seconds
    if out.exists():
        for f in out.rglob("*"):
            assert f.resolve().is_relative_to(out.resolve())
            if f.is_file() and f.suffix in (".json", ".srt", ".vtt", ".txt", ".log"):
                assert CANARY not in f.read_text(errors="replace"), f
    assert CANARY not in log
    if code == 0:
        assert len(list(out.glob("*.mp3"))) >= 1


def test_hostile_book_in_a_shelf_is_skipped(tmp_path):
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    _billion_laughs(shelf)  # a good book despite its DTD (renamed below)
    (shelf / "book.epub").rename(shelf / "fine.epub")
    bomb_dir = tmp_path / "b"
    bomb_dir.mkdir()
    _zip_bomb(bomb_dir).rename(shelf / "bomb.epub")
    proc = subprocess.run(
        [RENDER, str(shelf), "--out", str(tmp_path / "out"), "--engine", "hibari", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 8, proc.stderr
    assert "bomb.epub" in proc.stderr and "zip bomb" in proc.stderr
    assert list((tmp_path / "out").glob("*/manifest.json"))


@pytest.mark.slow  # book-length: 10 MB of input (make test-slow); the adversarial-run checks cover linear time in make test
def test_normalizer_reads_a_10_mb_line_of_dots_and_digits_in_linear_time():
    """The limit stops such a chapter at ingest; the normalizer itself still gets through it."""
    line = _dots_and_digits()
    t0 = time.perf_counter()
    out = normalize(line)
    assert time.perf_counter() - t0 < 60
    assert set(out) <= SPEAKABLE and not any(ch.isdigit() for ch in out)  # every digit became words
    assert len(out.split()) > len(line) // 4


ADVERSARIAL = ["1.", ".", '"', "-", " ", "1", "'a", "\u2014", "1,", "$1", "a.", "\u2026", "((", "1:"]


def _seconds(fn, text: str) -> float:
    t0 = time.perf_counter()
    fn(text)
    return time.perf_counter() - t0


@pytest.mark.parametrize("unit", ADVERSARIAL)
def test_text_front_end_is_linear_time(unit):
    """Normalization and segmentation on long runs of one pattern: 8x the input costs well under 64x the
    time (quadratic backtracking would), with generous room for a busy machine."""
    splitter = SentenceSplitter()
    segmenter = Segmenter(splitter, None)

    def segment(text):
        segmenter.chapter_segments(Chapter(1, "T", [Paragraph(text)]))

    for fn in (normalize, segment):
        small, large = unit * 4_000, unit * 32_000
        fn(small)  # warm up
        t_small = min(_seconds(fn, small) for _ in range(2))
        t_large = _seconds(fn, large)
        assert t_large < max(30 * t_small, 0.5), (fn.__name__, unit, t_small, t_large)
