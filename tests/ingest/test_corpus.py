"""Both corpus books: the chapter list is the TOC's chapter list, no matter, no note or page numbers."""

from __future__ import annotations

import re
import zipfile

import pytest
from lxml import etree

from pipeline.ingest import read_book
from tests.conftest import BIERCE, CORPUS, WODEHOUSE

pytestmark = pytest.mark.skipif(
    not CORPUS.exists(), reason=f"the test books are not at {CORPUS} (../shared/corpus beside the checkout)"
)

MATTER = {"titlepage", "imprint", "colophon", "copyright-page", "halftitlepage", "endnotes", "toc", "loi"}


def toc_chapters(path) -> list[str]:
    """The nav's entries that are not front or back matter (by their file's epub:type), in order, titles as
    the reader shows them; parts whose page is only a title are carried by their chapters."""
    with zipfile.ZipFile(path) as zf:
        nav = etree.fromstring(zf.read("epub/toc.xhtml"))
        out = []
        for a in nav.iter("{http://www.w3.org/1999/xhtml}a"):
            nav_el = next(x for x in a.iterancestors("{http://www.w3.org/1999/xhtml}nav"))
            if "toc" not in nav_el.get("{http://www.idpf.org/2007/ops}type", ""):
                continue
            doc = etree.fromstring(zf.read("epub/" + a.get("href").partition("#")[0]))
            body = doc.find("{http://www.w3.org/1999/xhtml}body")
            types = set(
                " ".join(
                    [body.get("{http://www.idpf.org/2007/ops}type", "")]
                    + [s.get("{http://www.idpf.org/2007/ops}type", "") for s in body]
                ).split()
            )
            if types & MATTER:
                continue
            out.append(re.sub(r"\s+", " ", "".join(a.itertext())).strip())
    return out


@pytest.mark.parametrize("path", [WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
def test_chapter_list_is_the_toc(path):
    book = read_book(path)
    assert [c.title for c in book.chapters] == toc_chapters(path)
    assert all(c.paragraphs[0].text == c.title for c in book.chapters)


def test_wodehouse_chapters():
    book = read_book(WODEHOUSE)
    assert book.title == "Love Among the Chickens" and book.authors == ["P. G. Wodehouse"]
    assert len(book.chapters) == 24
    assert book.chapters[0].title == "Dedication"
    assert book.chapters[1].title == "I: A Letter with a Postscript"
    assert book.chapters[-1].title == "XXIII: After the Storm"
    assert book.cover_type.startswith("image/")


def test_bierce_chapters():
    book = read_book(BIERCE)
    assert [c.title for c in book.chapters] == ["Author’s Preface", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ"]


@pytest.mark.parametrize("path", [WODEHOUSE, BIERCE], ids=["wodehouse", "bierce"])
def test_no_matter_no_note_or_page_numbers(path):
    book = read_book(path)
    text = "\n".join(c.text for c in book.chapters)
    for phrase in ("Standard Ebooks", "Uncopyright", "public domain", "Imprint", "Colophon", "ebook"):
        assert phrase.lower() not in text.lower(), phrase
    # a number glued to the end of a word or a sentence is a note or page number read aloud ("A1" and
    # "17:7" are the book's own)
    assert not re.search(r"(?<!\d)[a-z’”.,;!?][0-9]{1,3}\b", text)
    with_matter = read_book(path, include_front_matter=True)
    assert len(with_matter.chapters) > len(book.chapters)
    assert "Standard Ebooks" in "\n".join(c.text for c in with_matter.chapters)


@pytest.mark.parametrize("path, year", [(WODEHOUSE, "1921"), (BIERCE, "1911")], ids=["wodehouse", "bierce"])
def test_the_original_publication_year_not_the_ebook_release(path, year):
    """Standard Ebooks record the ebook's release in dc:date and the original year in the colophon."""
    assert read_book(path).date == year
