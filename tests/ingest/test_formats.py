"""DOCX, one-file HTML, FictionBook 2 and Kindle books: each typeset from a corpus EPUB's own text (by
tests/ingest/formats_helpers.py, or by Calibre and Pandoc where installed) must plan the same chapters as the
EPUB, with a word error rate of at most 1% between the two plans' normalized text. Then what each format
must never read, its metadata, notes and cover."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.ingest import BOOK_SUFFIXES, book_suffix, read_book
from pipeline.plan import plan_book
from pipeline.serialize import plan_json
from tests.conftest import BIERCE, WODEHOUSE, run_cli
from tests.ingest.formats_helpers import (
    norm_title,
    plan_words,
    png_bytes,
    read_source,
    sample_epub,
    wer,
    write_docx,
    write_fb2,
    write_html,
)

DATA = Path(__file__).resolve().parents[1] / "data"
MAX_WER = 0.01
WRITERS = {"docx": write_docx, "html": write_html, "fb2": write_fb2}
needs_corpus = pytest.mark.skipif(not WODEHOUSE.exists(), reason="corpus not present")


def _plan(path: Path, chapters: str | None = None) -> dict:
    return plan_json(plan_book(path, Config(), chapters))


def _same(ref: dict, got: dict) -> None:
    """The same chapters (titles, hierarchy) and at most 1% WER, per chapter and over the whole."""
    assert [(norm_title(c["title"]), c["level"]) for c in got["chapters"]] == [
        (norm_title(c["title"]), c["level"]) for c in ref["chapters"]
    ]
    rw, gw = plan_words(ref), plan_words(got)
    for title, a, b in zip([c["title"] for c in ref["chapters"]], rw, gw, strict=True):
        assert wer(a, b) <= MAX_WER, (title, wer(a, b))
    assert wer([w for c in rw for w in c], [w for c in gw for w in c]) <= MAX_WER


@pytest.fixture(scope="module")
def few_chapters(tmp_path_factory):
    """Wodehouse's title page, imprint, dedication, half-title, chapters I and II, colophon and uncopyright,
    typeset as each format, and the EPUB's plan of the same three chapters."""
    src = read_source(WODEHOUSE, 0, 6, also=(-2, -1))
    d = tmp_path_factory.mktemp("formats")
    files = {kind: w(src, d / f"wodehouse.{kind}") for kind, w in WRITERS.items()}
    return files, _plan(WODEHOUSE, "1-3")


@needs_corpus
@pytest.mark.parametrize("kind", list(WRITERS))
def test_a_typeset_book_plans_as_its_epub(few_chapters, kind):
    files, ref = few_chapters
    got = _plan(files[kind])
    assert [c["title"] for c in got["chapters"]] == [
        "Dedication",
        "I: A Letter with a Postscript",
        "II: Mr. and Mrs. S. F. Ukridge",
    ]
    _same(ref, got)
    assert (got["title"], got["authors"]) == ("Love Among the Chickens", ["P. G. Wodehouse"])


@needs_corpus
def test_the_real_command_plans_an_html_book(few_chapters):
    files, ref = few_chapters
    proc = run_cli(str(files["html"]), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    _same(ref, json.loads(proc.stdout))


@pytest.fixture(scope="module")
def chapters_1_2():
    """The EPUB's plan of chapters I and II."""
    return _plan(WODEHOUSE, "2-3")


@needs_corpus
@pytest.mark.parametrize("suffix", [".mobi", ".azw3"])
def test_committed_kindle_samples_plan_as_the_epub(suffix, chapters_1_2):
    """Real DRM-free Kindle files (Calibre 6.13 made them from chapters I-II; tests/data/README.md)."""
    got = _plan(DATA / f"wodehouse-chapters-1-2{suffix}")
    _same(chapters_1_2, got)
    assert (got["title"], got["authors"], got["language"]) == (
        "Love Among the Chickens",
        ["P. G. Wodehouse"],
        "en",
    )


@needs_corpus
@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc not installed")
@pytest.mark.parametrize("kind", ["docx", "html", "fb2"])
def test_pandoc_books_plan_as_the_epub(tmp_path, kind, chapters_1_2):
    epub = sample_epub(tmp_path / "sample.epub", WODEHOUSE, (4, 6))
    out = tmp_path / f"pandoc.{kind}"
    subprocess.run(["pandoc", str(epub), "-s", "-o", str(out)], check=True, capture_output=True, timeout=120)
    got = _plan(out)
    _same(chapters_1_2, got)
    assert got["title"] == "Love Among the Chickens" and got["authors"] == ["P. G. Wodehouse"]


@pytest.mark.slow
@needs_corpus
@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="Calibre not installed")
@pytest.mark.parametrize("kind", ["mobi", "azw3", "docx", "fb2"])
def test_calibre_books_plan_as_the_epub(tmp_path, kind, chapters_1_2):
    epub = sample_epub(tmp_path / "sample.epub", WODEHOUSE, (4, 6))
    out = tmp_path / f"calibre.{kind}"
    subprocess.run(["ebook-convert", str(epub), str(out)], check=True, capture_output=True, timeout=300)
    got = _plan(out)
    _same(chapters_1_2, got)
    assert got["title"] == "Love Among the Chickens" and got["authors"] == ["P. G. Wodehouse"]


@pytest.mark.slow
@needs_corpus
@pytest.mark.parametrize("epub", [WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
def test_whole_typeset_books_plan_as_their_epubs(tmp_path, epub):
    src = read_source(epub)
    ref = json.loads(run_cli(str(epub), "--dry-run", "--json").stdout)
    for kind, write in WRITERS.items():
        proc = run_cli(str(write(src, tmp_path / f"book.{kind}")), "--dry-run", "--json")
        assert proc.returncode == 0, proc.stderr
        _same(ref, json.loads(proc.stdout))


def test_suffixes_and_shelves():
    assert {
        ".epub",
        ".txt",
        ".md",
        ".docx",
        ".html",
        ".htm",
        ".xhtml",
        ".fb2",
        ".fb2.zip",
        ".mobi",
        ".azw3",
    } <= set(BOOK_SUFFIXES)
    assert book_suffix("A.Book.FB2.ZIP") == ".fb2.zip" and book_suffix("x.Docx") == ".docx"


def test_a_shelf_finds_every_readable_format(tmp_path):
    from pipeline.shelf import discover

    for name in ("a.docx", "b.fb2.zip", "c.mobi", "d.azw3", "e.HTML", "f.fb2", "notes.zip", "photo.jpg"):
        (tmp_path / name).write_bytes(b"x")
    found = sorted(p.name for p in discover([tmp_path]))
    assert found == ["a.docx", "b.fb2.zip", "c.mobi", "d.azw3", "e.HTML", "f.fb2"]


# ----------------------------------------------------------------------------------------------- DOCX


def _docx_with_notes(path: Path) -> Path:
    """A Word file: a Title, a part and two chapters in a custom style based on Heading 2 and in a style named
    "Titre 2" with an outline level, a page header and footer, a PAGE field, a footnote and an endnote."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from tests.ingest.formats_helpers import _field

    d = docx.Document()
    d.core_properties.title, d.core_properties.author, d.core_properties.language = (
        "Notes Book",
        "Jo Writer",
        "en-GB",
    )
    d.sections[0].header.paragraphs[0].text = "RUNNING HEAD WORDS"
    _field(d.sections[0].footer.paragraphs[0], " PAGE ", "99")
    custom = d.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = d.styles["Heading 2"]
    titre = d.styles.add_style("Titre 2", WD_STYLE_TYPE.PARAGRAPH)
    lvl = OxmlElement("w:outlineLvl")
    lvl.set(qn("w:val"), "1")
    titre.element.get_or_add_pPr().append(lvl)
    d.add_paragraph("Notes Book", style="Title")
    d.add_paragraph("Part One", style="Heading 1")
    d.add_paragraph("The First", style="Chapter Head")
    p = d.add_paragraph("A sentence with a footnote")
    ref = p.add_run()
    fr = OxmlElement("w:footnoteReference")
    fr.set(qn("w:id"), "1")
    ref._r.append(fr)
    p.add_run(" and on.")
    _field(d.add_paragraph("Page "), " PAGEREF x ", "12")
    d.add_paragraph("The Second", style="Titre 2")
    p = d.add_paragraph("Another one with an endnote")
    ref = p.add_run()
    er = OxmlElement("w:endnoteReference")
    er.set(qn("w:id"), "2")
    ref._r.append(er)
    p.add_run(".")
    d.save(str(path))
    return _add_note_parts(path)


def _add_note_parts(path: Path) -> Path:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    notes = {
        "footnotes": (
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t>The foot of the page.</w:t>'
            "</w:r></w:p></w:footnote>"
        ),
        "endnotes": '<w:endnote w:id="2"><w:p><w:r><w:t>The end of the book.</w:t></w:r></w:p></w:endnote>',
    }
    data = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    for kind, body in notes.items():
        data[f"word/{kind}.xml"] = f"<w:{kind} {w}>{body}</w:{kind}>".encode()
        rel = (
            f'<Relationship Id="rId9{kind[0]}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/{kind}" Target="{kind}.xml"/>'
        )
        data["word/_rels/document.xml.rels"] = data["word/_rels/document.xml.rels"].replace(
            b"</Relationships>", rel.encode() + b"</Relationships>"
        )
        ct = (
            f'<Override PartName="/word/{kind}.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            f'wordprocessingml.{kind}+xml"/>'
        )
        data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
            b"</Types>", ct.encode() + b"</Types>"
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in data.items():
            z.writestr(name, blob)
    return path


def test_docx_styles_notes_and_what_is_never_read(tmp_path):
    path = _docx_with_notes(tmp_path / "notes.docx")
    book = read_book(path)
    assert (book.title, book.authors, book.language) == ("Notes Book", ["Jo Writer"], "en-GB")
    assert [(c.title, c.parents) for c in book.chapters] == [
        ("The First", ["Part One"]),
        ("The Second", ["Part One"]),
    ]
    text = " ".join(c.text for c in book.chapters)
    assert "A sentence with a footnote and on." in text and "Another one with an endnote." in text
    for never in ("RUNNING HEAD", "99", "12", "PAGE", "foot of the page", "end of the book"):
        assert never not in text
    with_notes = read_book(path, read_notes=True)
    first, second = (c.text for c in with_notes.chapters)
    assert first.endswith("Notes.\n\nThe foot of the page.") and second.endswith(
        "Notes.\n\nThe end of the book."
    )


# ----------------------------------------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Tab Title</title>
<meta name="dc.title" content="The Serial"><meta name="author" content="Ann Author">
<meta property="og:description" content="A story in parts."><meta name="dc.date" content="1911"></head>
<body><header><h1>My Website</h1><nav><a href="/">Home</a></nav></header>
<aside>Sidebar: buy our books</aside><template><p>template words</p></template>
<article><h1>The Serial</h1>
<h2>Part One</h2>
<h3>I</h3><header><p>by the way</p></header><p>It began<a href="#n1" role="doc-noteref"><sup>1</sup></a> at dawn.</p>
<p hidden>hidden words</p><p aria-hidden="true">aria words</p><p style="color: red; display: none">styled words</p>
<h3>II</h3><p>It went on at noon.</p><script>var secret = 1;</script><style>p {}</style>
<h2>Part Two</h2><p>The second part begins with words of its own.</p>
<h3>III</h3><p>It ended at dusk.</p>
<aside role="doc-footnote" id="n1"><p>Dawn is early.</p></aside>
</article><footer><p>Copyright the website</p></footer></body></html>"""


def test_html_hierarchy_metadata_and_what_is_never_read(tmp_path):
    path = tmp_path / "serial.htm"
    path.write_text(PAGE, encoding="utf-8")
    book = read_book(path)
    assert (book.title, book.authors, book.language, book.date, book.description) == (
        "The Serial",
        ["Ann Author"],
        "fr",
        "1911",
        "A story in parts.",
    )
    assert [(c.title, c.level, c.parents) for c in book.chapters] == [
        ("I", 1, ["Part One"]),
        ("II", 1, ["Part One"]),
        ("Part Two", 0, []),
        ("III", 1, ["Part Two"]),
    ]
    text = " ".join(c.text for c in book.chapters)
    assert "It began at dawn." in text and "by the way" in text
    for never in (
        "My Website",
        "Home",
        "Sidebar",
        "template",
        "hidden",
        "aria",
        "styled",
        "secret",
        "Copyright",
        "Dawn is early",
    ):
        assert never not in text
    assert read_book(path, read_notes=True).chapters[0].text.endswith("Notes.\n\nDawn is early.")


# ----------------------------------------------------------------------------------------------- FB2

FB2 = """<?xml version="1.0" encoding="utf-8"?>
<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">
<description><title-info><genre>prose</genre><author><first-name>Anna</first-name><middle-name>K.</middle-name>
<last-name>Writer</last-name></author><book-title>Three Rivers</book-title><annotation><p>About rivers.</p>
</annotation><date value="1905-01-01">1905</date><coverpage><image l:href="#cover.png"/></coverpage><lang>en</lang>
<sequence name="River Tales" number="2"/></title-info></description>
<body><title><p>Three Rivers</p></title>
<section><title><p>Book One</p><p>The Source</p></title>
<section><title><p>Chapter 1</p></title><epigraph><p>Water finds a way.</p></epigraph>
<p>The spring rose<a l:href="#n1" type="note">[1]</a> in the hills.</p><empty-line/><p>Later it ran.</p>
<poem><stanza><v>Run, river, run,</v><v>under the sun.</v></stanza></poem></section>
<section><title><p>Chapter 2</p></title><p>It reached the sea.</p><subtitle>* * *</subtitle><p>The end.</p></section>
</section></body>
<body name="notes"><section id="n1"><title><p>1</p></title><p>In the year of the flood.</p></section></body>
<binary id="cover.png" content-type="image/png">COVER</binary>
</FictionBook>"""


def test_fb2_sections_description_notes_and_cover(tmp_path):
    cover = png_bytes()
    import base64

    path = tmp_path / "rivers.fb2"
    path.write_text(FB2.replace("COVER", base64.b64encode(cover).decode()), encoding="utf-8")
    book = read_book(path)
    assert (book.title, book.authors, book.language, book.date, book.series, book.series_index) == (
        "Three Rivers",
        ["Anna K. Writer"],
        "en",
        "1905-01-01",
        "River Tales",
        "2",
    )
    assert book.description == "About rivers." and book.cover == cover and book.cover_type == "image/png"
    assert [(c.title, c.parents) for c in book.chapters] == [
        ("Chapter 1", ["Book One: The Source"]),
        ("Chapter 2", ["Book One: The Source"]),
    ]
    first = book.chapters[0]
    assert [p.text for p in first.paragraphs[1:]] == [
        "Water finds a way.",
        "The spring rose in the hills.",
        "Later it ran.",
        "Run, river, run,\nunder the sun.",
    ]
    assert first.paragraphs[3].section_break_before and "flood" not in first.text
    assert read_book(path, read_notes=True).chapters[0].text.endswith("Notes.\n\nIn the year of the flood.")
    zipped = tmp_path / "rivers.fb2.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "rivers.fb2")
    assert [c.text for c in read_book(zipped).chapters] == [c.text for c in book.chapters]


# ----------------------------------------------------------------------------------------------- Kindle


def test_kindle_reader_reads_the_palmdoc_records_it_is_given():
    from pipeline.ingest.mobi import header, palmdoc, records

    data = (DATA / "wodehouse-chapters-1-2.mobi").read_bytes()
    recs = records(data, Path("x.mobi"))
    h = header(recs[0], Path("x.mobi"))
    assert h.compression == 2 and h.encryption == 0 and h.text_records >= 1
    # literal bytes, a run of stored bytes, a space+letter pair and a back-reference (distance 4, length 3)
    assert (
        palmdoc(b"abcd" + b"\x02\x01\x02" + bytes([ord("x") ^ 0x80]) + b"\x80\x20", 99)
        == b"abcd\x01\x02 x\x01\x02 "
    )
    with pytest.raises(ValueError):
        palmdoc(b"ab\x80\x20", 99)  # a back-reference before the start


def test_other_formats_without_calibre_name_what_is_read(tmp_path):
    path = tmp_path / "book.lit"
    path.write_bytes(b"ITOLITLS" + b"\x00" * 64)
    proc = run_cli(str(path), "--dry-run", env={"PATH": str(Path(sys.executable).parent)})
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    line = proc.stderr.strip()
    assert (
        "\n" not in line
        and ".docx" in line
        and ".fb2" in line
        and ".mobi" in line
        and "ebook-convert" in line
    )


@pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="Calibre not installed")
def test_other_formats_convert_through_calibre(tmp_path):
    from tests.epubs import STORY, story_book

    epub = story_book(tmp_path / "s.epub", chapters=3, title="Converted Tale")
    odt = tmp_path / "s.rtf"
    subprocess.run(["ebook-convert", str(epub), str(odt)], check=True, capture_output=True, timeout=300)
    book = read_book(odt)
    assert book.title == "Converted Tale" and book.source == str(odt)
    assert STORY[0] in " ".join(c.text for c in book.chapters) and "Week 3" in book.chapters[-1].text
    assert book.warnings[0].startswith("converted from '.rtf'")


@pytest.mark.slow
def test_a_word_book_renders_with_a_generated_read_along(tmp_path):
    """The whole way to audio from a .docx: chapter files, and a read-along EPUB made from generated pages."""
    import docx

    d = docx.Document()
    d.core_properties.title, d.core_properties.author = "Tiny Tale", "Ann Author"
    for title, text in (("One", "The river ran high that spring."), ("Two", "The ferry went back to work.")):
        d.add_paragraph(title, style="Heading 1")
        d.add_paragraph(text)
    d.save(str(tmp_path / "tiny.docx"))
    out = tmp_path / "out"
    proc = run_cli(
        str(tmp_path / "tiny.docx"),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--format",
        "mp3,epub",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.glob("*.mp3")) == ["01 - One.mp3", "02 - Two.mp3"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["readalong_made_from"]["made_from"] == "text"
    assert (out / "Tiny Tale.epub").is_file()


@pytest.mark.slow
@needs_corpus
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_word_files_plan_as_the_epub(tmp_path, few_chapters):
    """LibreOffice's own DOCX (its style ids and names, its outline levels), made from the typeset HTML."""
    files, ref = few_chapters
    html = tmp_path / "book.html"
    shutil.copy(files["html"], html)
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(tmp_path),
            str(html),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    got = _plan(tmp_path / "book.docx")
    _same(ref, got)
    assert (got["title"], got["authors"]) == ("Love Among the Chickens", ["P. G. Wodehouse"])


def test_kindle_huff_cdic_and_non_mobi_databases_are_refused_in_one_line(tmp_path):
    from pipeline.errors import InputError

    data = bytearray((DATA / "wodehouse-chapters-1-2.mobi").read_bytes())
    rec0 = int.from_bytes(data[78:82], "big")
    data[rec0 : rec0 + 2] = (17480).to_bytes(2, "big")  # compression: HUFF/CDIC
    (tmp_path / "huff.mobi").write_bytes(bytes(data))
    with pytest.raises(InputError, match="HUFF/CDIC compression, which is not supported"):
        read_book(tmp_path / "huff.mobi")
    data[60:68] = b"TEXtREAd"  # a PalmDOC e-text, not a MOBI book
    (tmp_path / "doc.azw").write_bytes(bytes(data))
    with pytest.raises(InputError, match="not a Kindle book"):
        read_book(tmp_path / "doc.azw")
