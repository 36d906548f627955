"""Plain text and Markdown ingest: heading lines, paragraphs, rewrapping, verse, Gutenberg boilerplate."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_book
from pipeline.records import ParagraphKind

GUTENBERG = """\ufeffThe Project Gutenberg eBook of Test Book

This eBook is for the use of anyone anywhere in the United States.

Title: Test Book
Author: Jane Doe and John Roe

*** START OF THE PROJECT GUTENBERG EBOOK TEST BOOK ***

Produced by Someone Kind

CHAPTER I.
THE BEGINNING

It was a dark and stormy night; the rain fell in torrents, except at
occasional intervals, when it was checked by a violent gust of wind which
swept up the streets, for it is in London that our scene lies.

    Roses are red,
    Violets are blue.

* * *

After the break, a well-
known man spoke.

CHAPTER II

Second chapter text.

Chapter 12: A Title on One Line

Twelfth chapter text.

*** END OF THE PROJECT GUTENBERG EBOOK TEST BOOK ***

Section 1. General Terms of Use and Redistributing Project Gutenberg-tm electronic works
"""


def test_gutenberg_text(tmp_path):
    p = tmp_path / "pg.txt"
    p.write_text(GUTENBERG.replace("\n", "\r\n"), encoding="utf-8")
    book = read_book(p)
    assert (book.title, book.authors) == ("Test Book", ["Jane Doe", "John Roe"])
    assert [c.title for c in book.chapters] == [
        "CHAPTER I: THE BEGINNING",
        "CHAPTER II",
        "Chapter 12: A Title on One Line",
    ]
    ch1 = book.chapters[0].paragraphs
    assert ch1[1].text.startswith(
        "It was a dark and stormy night; the rain fell in torrents, except at occasional"
    )
    assert "\n" not in ch1[1].text and ch1[1].kind == ParagraphKind.TEXT  # hard wraps joined
    assert (ch1[2].text, ch1[2].kind) == ("Roses are red,\nViolets are blue.", ParagraphKind.VERSE)
    assert ch1[3].text == "After the break, a well-known man spoke." and ch1[3].section_break_before
    every = " ".join(c.text for c in book.chapters)
    assert "Gutenberg" not in every and "Produced by" not in every and "Section 1" not in every


def test_headings_of_every_kind(tmp_path):
    p = tmp_path / "h.txt"
    p.write_text(
        "PART ONE\n\nIntro to the part.\n\nIV.\n\nRoman chapter.\n\nPrologue\n\nBefore it all.\n\n"
        "Chapter Twenty-One\n\nLate.\n\nPart of the problem was this line.\n",
        encoding="utf-8",
    )
    book = read_book(p)
    assert [c.title for c in book.chapters] == ["PART ONE", "IV", "Prologue", "Chapter Twenty-One"]
    assert book.chapters[-1].paragraphs[-1].text == "Part of the problem was this line."


def test_no_headings_is_one_chapter_titled_by_the_file(tmp_path):
    p = tmp_path / "my_notes.txt"
    p.write_text("Just some text.\n\nAnd more.\n", encoding="utf-8")
    book = read_book(p)
    assert [c.title for c in book.chapters] == ["My Notes"]
    assert [x.text for x in book.chapters[0].paragraphs[1:]] == ["Just some text.", "And more."]


def test_markdown_levels_and_inline_marks(tmp_path):
    p = tmp_path / "book.md"
    p.write_text(
        "# The Book\n\n## One\n\nSome *emphasis* and a [link](http://x.org).\n\n### A section\n\nText.\n\n"
        "## Two\n\n> A quoted line.\n\n- a list item\n",
        encoding="utf-8",
    )
    book = read_book(p)
    assert book.title == "The Book"
    assert [c.title for c in book.chapters] == ["One", "Two"]
    one = book.chapters[0].paragraphs
    assert one[1].text == "Some emphasis and a link."
    assert (one[2].text, one[2].kind) == ("A section", ParagraphKind.HEADING)
    assert [x.text for x in book.chapters[1].paragraphs[1:]] == ["A quoted line.", "a list item"]


def test_encodings_and_bad_files(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Caf\xe9 society.\n".encode("cp1252"))
    assert read_book(p).chapters[0].paragraphs[1].text == "Café society."
    b = tmp_path / "bin.txt"
    b.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match="binary"):
        read_book(b)
    e = tmp_path / "empty.txt"
    e.write_text("\n\n   \n", encoding="utf-8")
    with pytest.raises(InputError, match="no readable text"):
        read_book(e)
