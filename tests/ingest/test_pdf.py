"""The PDF reader: books typeset here (tests/pdfbooks.py, reportlab) read back as the EPUB they came from.

Fast tests typeset the first chapters of a corpus book once per session; the whole books are `slow`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_book
from pipeline.ingest.pdf.blocks import join_lines, keep_hyphen
from pipeline.ingest.pdf.furniture import strip_furniture
from pipeline.ingest.pdf.layout import Line, plain
from tests.conftest import BIERCE, WODEHOUSE, run_cli
from tests.pdfbooks import draw, prose, typeset
from tests.wer import errors, plan_text, words

CHAPTERS = 4
VARIANTS = {"bookmarks": {}, "headings": {"outline": False, "info": False}, "two-column": {"columns": 2}}


def _plan(path: Path, *extra: str) -> dict:
    proc = run_cli(str(path), "--dry-run", "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _compare(epub_plan: dict, pdf_plan: dict) -> float:
    """Same chapter titles, hierarchy and count; the word error rate of the PDF's plan against the EPUB's."""
    ref, hyp = plan_text(epub_plan), plan_text(pdf_plan)
    assert [t for t, _ in hyp] == [t for t, _ in ref]
    assert [(c["level"], c["parents"]) for c in pdf_plan["chapters"]] == [
        (c["level"], c["parents"]) for c in epub_plan["chapters"]
    ]
    n = sum(len(words(a)) for _, a in ref)
    return sum(errors(words(a), words(b)) for (_, a), (_, b) in zip(ref, hyp, strict=True)) / n


@pytest.fixture(scope="session")
def wodehouse_pdfs(tmp_path_factory) -> dict[str, Path]:
    """The first chapters of the Wodehouse typeset three ways (cached for the session)."""
    book = read_book(WODEHOUSE)
    d = tmp_path_factory.mktemp("pdf")
    out = {
        name: typeset(book, d / f"wodehouse-{name}.pdf", chapters=CHAPTERS, **kw)
        for name, kw in VARIANTS.items()
    }
    out["notes"] = typeset(
        book,
        d / "wodehouse-notes.pdf",
        chapters=2,
        footnotes={"Caruso": "The tenor, then at the height of his fame."},
    )
    return out


@pytest.fixture(scope="session")
def wodehouse_epub_plan() -> dict:
    return _plan(WODEHOUSE, "--chapters", f"1-{CHAPTERS}")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_typeset_chapters_read_as_the_epub(variant, wodehouse_pdfs, wodehouse_epub_plan):
    pdf_plan = _plan(wodehouse_pdfs[variant])
    assert _compare(wodehouse_epub_plan, pdf_plan) <= 0.01
    # title and author from the document info, else from the title page
    assert pdf_plan["title"] == "Love Among the Chickens" and pdf_plan["authors"] == ["P. G. Wodehouse"]
    text = " ".join(s["normalized"] for c in pdf_plan["chapters"] for s in c["segments"])
    for furniture in ("Contents", ". . .", "Copyright"):
        assert furniture not in text  # front matter, contents leaders and running heads are not read


def test_footnotes_are_notes(wodehouse_pdfs):
    pdf = wodehouse_pdfs["notes"]
    note = "The tenor, then at the height of his fame."
    book = read_book(pdf)
    assert note not in " ".join(ch.text for ch in book.chapters)
    paras = [p.text for ch in read_book(pdf, read_notes=True).chapters for p in ch.paragraphs]
    k = paras.index(note)
    assert "Caruso" in paras[k - 1]  # read right after the paragraph that calls it
    assert not any("*" in p for p in paras)  # the marker is never read


def test_front_matter_read_only_when_asked(wodehouse_pdfs):
    pdf = wodehouse_pdfs["bookmarks"]
    assert read_book(pdf).chapters[0].title == "Dedication"
    front = read_book(pdf, include_front_matter=True).chapters[0]
    assert front.title == "Front matter" and "Copyright" in front.text
    assert "\nI: A Letter with a Postscript\n" in front.text
    assert ". ." not in front.text  # contents entries without their leaders and page numbers


@pytest.mark.slow
@pytest.mark.parametrize("corpus", [WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_typeset_books_read_as_the_epub(corpus, variant, tmp_path):
    pdf = typeset(read_book(corpus), tmp_path / "book.pdf", **VARIANTS[variant])
    assert _compare(_plan(corpus), _plan(pdf)) <= 0.01


# --- typesetting undone, piece by piece --------------------------------------------------------------------


def test_hyphenation_joined_unless_a_compound():
    book = Counter({"well-known": 1, "admirably": 0, "egg": 3, "eaters": 2, "today": 0})
    assert not keep_hyphen("admir", "ably", book)  # the word list knows "admirably"
    assert keep_hyphen("well", "known", book)  # the book writes "well-known"
    assert keep_hyphen("well", "known", Counter({"well": 3, "known": 2}))  # two words of the book's own
    assert not keep_hyphen(
        "for", "give", Counter({"for": 9, "give": 2})
    )  # ... unless the word list joins them
    assert not keep_hyphen("sym", "pathised", Counter({"sympathised": 1}))
    assert keep_hyphen("Anglo", "Saxon", Counter())  # a capital after the hyphen: a compound
    assert (
        join_lines(["it was done admir-", "ably, by a well-", "known man"], book)
        == "it was done admirably, by a well-known man"
    )
    assert join_lines(["admir\u2010", "ably"], book) == "admirably"
    assert join_lines(["a pause\u2014", "then"], book) == "a pause\u2014then"


def test_ligatures_special_spaces_and_loose_accents_made_plain():
    assert plain("\ufb01nd the \ufb02ow\u00a0and\u2009the \ufb03ce\u200b") == "find the flow and the ffice"
    # TeX's OT1 fonts set accents as glyphs of their own: "attach´es", "gar¸con", "na¨ıve"
    assert (
        plain("attach\u00b4es p\u02c6at\u00b4e gar\u00b8con na\u00a8\u0131ve") == "attachés pâté garçon naïve"
    )


def _line(text: str, page: int, top: float, x0: float = 54, size: float = 11.0) -> Line:
    return Line(text, x0, x0 + 6 * len(text), top - size, top, size, page=page)


def test_running_heads_and_page_numbers_dropped_by_position_and_repetition():
    pages = []
    for i in range(8):
        number = f"{i + 3}" if i > 2 else ["i", "ii", "iii"][i]
        head = f"{number}    THE BOOK" if i % 2 else f"A CHAPTER TITLE    {number}"
        body = [_line(f"Body line {k} of page {i} goes on here", i, 560 - 14 * k) for k in range(6)]
        pages.append([_line(head, i, 610, size=9), *body, _line(f"- {number} -", i, 40, x0=200, size=9)])
    pages[5][1].text = "A CHAPTER TITLE"  # a line of text that happens to say what the heads say
    kept, notes = strip_furniture(pages)
    assert not notes
    assert all(len(p) == 6 for p in kept)
    assert all(ln.text.startswith(("Body", "A CHAPTER")) for p in kept for ln in p)


def test_drop_cap_and_two_columns(tmp_path):
    def col(x: float, top: float, lines: list[str]) -> list[tuple]:
        return [(x, top - 13 * k, t, "Times-Roman", 10) for k, t in enumerate(lines)]

    cap = [(54, 536, "T", "Times-Roman", 36)]
    left = col(84, 560, ["he morning came cold", "and grey over the", "marsh, and nobody saw."])
    left += col(54, 521, ["The left column goes on", "below the drop cap and", "its words flow on down."])
    right = col(
        230,
        560,
        [
            "Then the right column",
            "begins and it runs on",
            "in its own way to the",
            "very end of the page, as",
            "columns do in papers.",
        ],
    )
    pdf = draw(tmp_path / "cap.pdf", [cap + right + left, prose(["Second page text goes on here."])])
    text = " ".join(p.text for ch in read_book(pdf).chapters for p in ch.paragraphs[1:])
    assert text.startswith("The morning came cold")
    assert text.index("flow on down.") < text.index("Then the right column")


def test_hierarchy_from_outline_and_from_type(tmp_path):
    body = prose(["Once upon a time the story began, and it went", "on for a while until it was done."])
    pages = [
        [(150, 400, "Part One", "Times-Bold", 24)],
        [(150, 600, "Chapter 1", "Times-Bold", 16), *body],
        [(150, 600, "Chapter 2", "Times-Bold", 16), *body],
        [(150, 400, "Part Two", "Times-Bold", 24)],
        [(150, 600, "Chapter 3", "Times-Bold", 16), *body],
    ]
    outline = [
        ("Part One", 0, 0),
        ("Chapter 1", 1, 1),
        ("Chapter 2", 1, 2),
        ("Part Two", 0, 3),
        ("Chapter 3", 1, 4),
    ]
    for name, kw in (("outline", {"outline": outline}), ("type", {})):
        plan = _plan(draw(tmp_path / f"{name}.pdf", pages, title="Parts", author="A. Writer", **kw))
        got = [(c["title"], c["parents"], c["level"]) for c in plan["chapters"]]
        assert got == [
            ("Chapter 1", ["Part One"], 1),
            ("Chapter 2", ["Part One"], 1),
            ("Chapter 3", ["Part Two"], 1),
        ], name
    human = run_cli(str(tmp_path / "outline.pdf"), "--dry-run")
    line = next(ln for ln in human.stdout.splitlines() if "Chapter 1" in ln)
    assert line.startswith("    1    ") and "Part One" in line  # under its part, indented, as for an EPUB


def test_copy_protected_pdf_is_read_for_accessibility(tmp_path):
    """Encrypted with no password to open, copying forbidden but extraction for accessibility allowed
    (permission bit 10): reading aloud is that use. (Both forbidden is refused; reportlab cannot write it.)"""
    from reportlab.lib.pdfencrypt import StandardEncryption

    pdf = draw(
        tmp_path / "locked.pdf",
        [prose(["A locked text that may still be read aloud."])],
        encrypt=StandardEncryption("", ownerPassword="owner", canCopy=0),
    )
    assert "read aloud" in read_book(pdf).chapters[0].text


def test_title_page_dropped_and_a_dedication_without_heading_read(tmp_path):
    """Before the first heading: the title page (only the title and author) is front matter; a dedication set
    without a heading is read, as the EPUB reader reads a dedication."""
    body = prose(["Once upon a time the story began, and it went", "on for a while until it was done."])
    dedication = prose(
        [
            "To W. Townend, who gave me the stuff,",
            "with the thanks of a grateful author who",
            "owes him more than one dinner and a cab fare.",
        ]
    )
    pages = [
        [(120, 400, "The Book", "Times-Bold", 24), (150, 360, "A. Writer", "Times-Roman", 14)],
        dedication,
        [(150, 600, "Chapter 1", "Times-Bold", 16), *body],
        [(150, 600, "Chapter 2", "Times-Bold", 16), *body],
    ]
    book = read_book(draw(tmp_path / "d.pdf", pages, title="The Book", author="A. Writer"))
    assert [c.title for c in book.chapters] == ["Dedication", "Chapter 1", "Chapter 2"]
    assert book.chapters[0].paragraphs[1].text.startswith("To W. Townend, who gave me the stuff, with")


# --- what cannot be read: one line, exit 3, nothing written -------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    from PIL import Image, ImageDraw
    from reportlab.lib.pdfencrypt import StandardEncryption

    good = draw(
        tmp_path / "good.pdf", [prose(["Some text on a page that goes on for a while."])], title="Good"
    )
    out = {}
    data = good.read_bytes()
    out["truncated"] = tmp_path / "truncated.pdf"
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["encrypted"] = draw(
        tmp_path / "encrypted.pdf",
        [prose(["A secret."])],
        encrypt=StandardEncryption("secret", ownerPassword="owner"),
    )
    img = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(img).text((50, 50), "A scanned page of a book", fill=0)
    img.save(tmp_path / "page.png")
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "scan.pdf"))
    for _ in range(2):
        c.drawImage(str(tmp_path / "page.png"), 0, 0, 595, 842)
        c.showPage()
    c.save()
    out["scan"] = tmp_path / "scan.pdf"
    out["jpeg"] = tmp_path / "photo.pdf"
    img.convert("RGB").save(out["jpeg"], "JPEG")
    out["empty"] = tmp_path / "empty.pdf"
    out["empty"].write_bytes(b"")
    return out


@pytest.mark.parametrize(
    "kind,says",
    [
        ("truncated", "truncated"),
        ("encrypted", "password"),
        ("scan", "OCR"),
        ("jpeg", "JPEG image"),
        ("empty", "not a PDF"),
    ],
)
def test_unreadable_pdfs_one_line_exit_3(kind, says, tmp_path):
    bad = _bad_files(tmp_path)[kind]
    with pytest.raises(InputError, match=says):
        read_book(bad)
    out = tmp_path / "out"
    proc = run_cli(str(bad), "--out", str(out))
    assert proc.returncode == 3, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.rglob("*.mp3"))


@pytest.mark.slow
@pytest.mark.parametrize("corpus", [WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
@pytest.mark.parametrize("bookmarks", [True, False], ids=["bookmarks", "headings"])
def test_libreoffice_typeset_books_read_as_the_epub(corpus, bookmarks, tmp_path):
    """A second typesetter (LibreOffice Writer, its own fonts, hyphenation, header and footer), so the layout
    rules are not tuned to reportlab alone. Skips where LibreOffice is not installed."""
    from tests.pdfbooks import libreoffice_pdf, write_fodt

    try:
        pdf = libreoffice_pdf(write_fodt(read_book(corpus), tmp_path / "book.fodt"), bookmarks=bookmarks)
    except FileNotFoundError:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    plan = _plan(pdf)
    assert _compare(_plan(corpus), plan) <= 0.01
    assert plan["title"] == read_book(corpus).title and plan["authors"] == read_book(corpus).authors


def test_a_pdf_chapter_rendered_to_audio_with_read_along_pages(tmp_path):
    """The real hibari engine reads a short PDF chapter; the read-along book's pages are generated from the
    text (as for a text source), and the audio is as long as the chapter's words need."""
    from pipeline.ffmpeg import decode_pcm

    body = prose(["The lamp was lit at six, and the harbour was quiet.", "Nobody came down the long road."])
    pdf = draw(
        tmp_path / "short.pdf",
        [[(150, 600, "The Harbour", "Times-Bold", 16), *body]],
        outline=[("The Harbour", 0, 0)],
        title="A Short Book",
        author="A. Writer",
    )
    out = tmp_path / "out"
    proc = run_cli(str(pdf), "--out", str(out), "--engine", "hibari", "--quiet", "--format", "mp3,epub")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["title"] for c in manifest["chapters"]] == ["The Harbour"]
    audio = out / manifest["chapters"][0]["files"]["mp3"]
    pcm, rate = decode_pcm(str(audio))
    assert 3.0 < len(pcm) / rate < 20.0
    assert manifest["readalong_made_from"]["made_from"] == "text"


@pytest.mark.slow
@pytest.mark.parametrize("corpus", [WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
@pytest.mark.parametrize("bookmarks", [True, False], ids=["bookmarks", "headings"])
def test_latex_typeset_books_read_as_the_epub(corpus, bookmarks, tmp_path):
    """A third typesetter (pdflatex, book class: its running heads with page numbers, Computer Modern with
    OT1 accents, TeX's hyphenation). Skips where pdflatex is not installed."""
    from tests.pdfbooks import latex_pdf, write_latex

    try:
        pdf = latex_pdf(write_latex(read_book(corpus), tmp_path / "book.tex", bookmarks=bookmarks))
    except FileNotFoundError:
        pytest.skip("pdflatex is not installed: apt-get install texlive-latex-recommended")
    plan = _plan(pdf)
    assert _compare(_plan(corpus), plan) <= 0.01
    assert plan["title"] == read_book(corpus).title and plan["authors"] == read_book(corpus).authors


def test_xmp_metadata_read_safely():
    from pipeline.ingest.pdf.meta import xmp

    packet = b"""%PDF-1.7 ... <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">The Devil's Dictionary</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>Ambrose Bierce</rdf:li><rdf:li>&e;</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>en-US</rdf:li></rdf:Bag></dc:language>
<dc:date><rdf:Seq><rdf:li>1911</rdf:li></rdf:Seq></dc:date>
</rdf:Description></rdf:RDF></x:xmpmeta> ... %%EOF"""
    meta = xmp(packet)
    assert meta == {
        "title": "The Devil's Dictionary",
        "creator": "Ambrose Bierce",
        "language": "en-US",
        "date": "1911",
    }
