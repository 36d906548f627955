"""EPUB ingest on small books built on the fly: TOC chapters, anchors, hierarchy, matter, reading flow."""

from __future__ import annotations

import zipfile

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_book
from pipeline.records import ParagraphKind
from tests.epubs import LOREM, build_epub, para


def texts(ch) -> list[str]:
    return [p.text for p in ch.paragraphs[1:]]


def all_text(book) -> str:
    return "\n".join(p.text for c in book.chapters for p in c.paragraphs)


def test_epub3_chapters_from_the_nav_with_titles_and_metadata(tmp_path):
    docs = {
        f"c{i}.xhtml": f"<section epub:type='chapter'><h2>Chapter {i}</h2>{para(LOREM, f'Text of {i}.')}</section>"
        for i in (1, 2, 3)
    }
    path = build_epub(
        tmp_path / "b.epub",
        docs,
        [(f"Chapter {i}: Name {i}", f"c{i}.xhtml") for i in (1, 2, 3)],
        title="Three Chapters",
        authors=("Ann Author", "Bob Writer"),
        cover=b"\x89PNG fake",
        extra_meta="<dc:publisher>Pub House</dc:publisher><dc:date>1911</dc:date>"
        "<dc:description>&lt;p&gt;A &lt;i&gt;fine&lt;/i&gt; book.&lt;/p&gt;</dc:description>",
    )
    book = read_book(path)
    assert [c.title for c in book.chapters] == ["Chapter 1: Name 1", "Chapter 2: Name 2", "Chapter 3: Name 3"]
    assert book.title == "Three Chapters" and book.authors == ["Ann Author", "Bob Writer"]
    assert (book.publisher, book.year, book.language) == ("Pub House", "1911", "en")
    assert book.description == "A fine book."
    assert book.cover == b"\x89PNG fake" and book.cover_type == "image/png"
    c1 = book.chapters[0]
    assert c1.paragraphs[0].kind == ParagraphKind.TITLE
    assert texts(c1) == [LOREM, "Text of 1."]  # the repeated heading is not read twice


def test_epub2_ncx_with_anchors_splits_one_file_gutenberg_style(tmp_path):
    body = (
        "<div id='pg-header'><p>The Project Gutenberg eBook of Test. This eBook is for the use of anyone.</p></div>"
        "<h1>The Whole Book</h1>"
        "<div class='chapter'><h2 id='ch1'>CHAPTER I.</h2>" + para("First chapter text.", LOREM) + "</div>"
        "<div class='chapter'><h2><a id='ch2'></a>CHAPTER II.</h2>" + para("Second chapter text.") + "</div>"
        "<div class='chapter'><h2 id='ch3'>CHAPTER III.</h2>" + para("Third chapter text.") + "</div>"
        "<div id='pg-footer'><p>End of the Project Gutenberg eBook. START: FULL LICENSE</p></div>"
    )
    path = build_epub(
        tmp_path / "pg.epub",
        {"book.xhtml": body},
        [
            ("CHAPTER I.", "book.xhtml#ch1"),
            ("CHAPTER II.", "book.xhtml#ch2"),
            ("CHAPTER III.", "book.xhtml#ch3"),
        ],
        version=2,
    )
    book = read_book(path)
    assert [c.title for c in book.chapters] == ["CHAPTER I.", "CHAPTER II.", "CHAPTER III."]
    assert texts(book.chapters[0]) == ["First chapter text.", LOREM]
    assert texts(book.chapters[1]) == ["Second chapter text."]
    assert texts(book.chapters[2]) == ["Third chapter text."]
    assert "Gutenberg" not in all_text(book)
    assert book.chapters[1].source == "book.xhtml#ch2"


def test_nested_toc_keeps_the_hierarchy(tmp_path):
    docs = {
        "part1.xhtml": "<h1>Part One</h1>",
        "c1.xhtml": para("One."),
        "c2.xhtml": para("Two."),
        "part2.xhtml": "<h1>Part Two</h1>" + para("The second part opens with a few words of its own."),
        "c3.xhtml": para("Three."),
    }
    toc = [
        ("Part One", "part1.xhtml", [("Chapter 1", "c1.xhtml"), ("Chapter 2", "c2.xhtml")]),
        ("Part Two", "part2.xhtml", [("Chapter 3", "c3.xhtml")]),
    ]
    for version in (2, 3):
        book = read_book(build_epub(tmp_path / f"nested{version}.epub", docs, toc, version=version))
        got = [(c.title, c.level, c.parents) for c in book.chapters]
        assert got == [
            ("Chapter 1", 1, ["Part One"]),
            ("Chapter 2", 1, ["Part One"]),
            ("Part Two", 0, []),
            ("Chapter 3", 1, ["Part Two"]),
        ], version
        assert book.chapters[0].display_title == "Part One - Chapter 1"


def test_no_toc_falls_back_to_the_spine(tmp_path):
    docs = {
        "a.xhtml": "<h2>The Beginning</h2>" + para(LOREM),
        "b.xhtml": para("No heading here at all."),
        "c.xhtml": "<h3>The End</h3>" + para("Fin."),
    }
    book = read_book(build_epub(tmp_path / "notoc.epub", docs, toc=None, version=2))
    assert [c.title for c in book.chapters] == ["The Beginning", "Chapter 2", "The End"]
    assert any("no table of contents" in w for w in book.warnings)


def test_front_and_back_matter_skipped_by_semantics_and_kept_on_request(tmp_path):
    docs = {
        "cover.xhtml": "<img src='cover.png' alt='Cover'/>",
        "title.xhtml": "<h1>A Test Book</h1><p>Ann Author</p>",
        "copyright.xhtml": para("Copyright 2026 Ann Author. All rights reserved.", "ISBN 978-0-00-000000-0"),
        "dedication.xhtml": "<section epub:type='dedication'>"
        + para("For my mother, who read to me.")
        + "</section>",
        "preface.xhtml": "<section epub:type='preface'><h2>Preface</h2>" + para(LOREM) + "</section>",
        "c1.xhtml": para(LOREM),
        "c2.xhtml": para("The end of the story."),
        "colophon.xhtml": "<section epub:type='colophon'>"
        + para("Set in Garamond by the printers.")
        + "</section>",
        "ads.xhtml": para("Also by Ann Author: many books."),
    }
    toc = [
        ("Cover", "cover.xhtml"),
        ("Title Page", "title.xhtml"),
        ("Copyright", "copyright.xhtml"),
        ("Dedication", "dedication.xhtml"),
        ("Preface", "preface.xhtml"),
        ("One", "c1.xhtml"),
        ("Two", "c2.xhtml"),
        ("Colophon", "colophon.xhtml"),
        ("Also by Ann Author", "ads.xhtml"),
    ]
    path = build_epub(tmp_path / "matter.epub", docs, toc)
    assert [c.title for c in read_book(path).chapters] == ["Dedication", "Preface", "One", "Two"]
    kept = read_book(path, include_front_matter=True)
    assert [c.title for c in kept.chapters] == [
        "Title Page",
        "Copyright",
        "Dedication",
        "Preface",
        "One",
        "Two",
        "Colophon",
        "Also by Ann Author",
    ]  # the image-only cover has no words


def test_matter_by_epub2_guide_landmarks_and_heuristics(tmp_path):
    docs = {
        "front.xhtml": para("Published by the Small Press."),
        "imprint.xhtml": para("Printed in Narnia."),
        "start.xhtml": para(LOREM),
        "notes.xhtml": para("Some words after the story."),
        "licence.xhtml": para("This ebook is in the public domain. Copyright notice follows."),
    }
    toc = [
        ("Front", "front.xhtml"),
        ("Imprint", "imprint.xhtml"),
        ("Story", "start.xhtml"),
        ("Afterword", "notes.xhtml"),
        ("Legal", "licence.xhtml"),
    ]
    v2 = build_epub(
        tmp_path / "guide.epub",
        docs,
        toc,
        version=2,
        guide=[("copyright-page", "front.xhtml"), ("text", "start.xhtml")],
    )
    assert [c.title for c in read_book(v2).chapters] == ["Story", "Afterword"]
    v3 = build_epub(
        tmp_path / "landmarks.epub",
        docs,
        toc,
        landmarks=[("titlepage", "front.xhtml"), ("bodymatter", "start.xhtml")],
    )
    assert [c.title for c in read_book(v3).chapters] == ["Story", "Afterword"]


def test_matter_after_the_last_chapter_is_not_glued_onto_it(tmp_path):
    docs = {
        "c1.xhtml": para(LOREM),
        "c2.xhtml": para("Last chapter."),
        "colophon.xhtml": "<section epub:type='colophon'>" + para("Typeset in Caslon.") + "</section>",
    }
    book = read_book(build_epub(tmp_path / "tail.epub", docs, [("One", "c1.xhtml"), ("Two", "c2.xhtml")]))
    assert texts(book.chapters[-1]) == ["Last chapter."]


def test_reading_flow_noterefs_pagebreaks_images_captions_tables_verse_headings(tmp_path):
    body = (
        "<section epub:type='chapter'><h2>One</h2>"
        "<p>The war began<a epub:type='noteref' href='#n1'>1</a> in spring<sup><a href='#n2'>2</a></sup>, "
        "and ended<span epub:type='pagebreak' id='page12' title='12'/> in autumn.<span class='pagenum'>[Pg 13]</span></p>"
        "<figure><img src='x.png' alt='A map'/><figcaption>Figure 1. A map of the valley.</figcaption></figure>"
        "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>30</td></tr></table>"
        "<blockquote epub:type='z3998:poem'><p><span>Roses are red,</span><br/><span>violets are blue.</span></p>"
        "</blockquote>"
        "<p>A line<br/>broken in two.</p>"
        "<hr/><p>After the break.</p>"
        "<h3>A Section</h3><p>Under the section.</p>"
        "<aside epub:type='footnote' id='n1'><p>The first note.</p></aside>"
        "<aside epub:type='footnote' id='n2'><p>The second note.</p></aside></section>"
    )
    path = build_epub(tmp_path / "flow.epub", {"c1.xhtml": body}, [("One", "c1.xhtml")])
    ch = read_book(path).chapters[0]
    ps = ch.paragraphs[1:]
    assert ps[0].text == "The war began in spring, and ended in autumn."
    assert [p.text for p in ps[1:3]] == ["Name, Age.", "Ann, 30."]
    assert (ps[3].text, ps[3].kind) == ("Roses are red,\nviolets are blue.", ParagraphKind.VERSE)
    assert ps[4].kind == ParagraphKind.VERSE and ps[4].lines == ["A line", "broken in two."]
    assert ps[5].text == "After the break." and ps[5].section_break_before
    assert (ps[6].text, ps[6].kind) == ("A Section", ParagraphKind.HEADING)
    assert "note" not in ch.text and "map" not in ch.text and "12" not in ch.text
    with_notes = read_book(path, read_notes=True).chapters[0]
    assert [p.text for p in with_notes.paragraphs[-3:]] == ["Notes.", "The first note.", "The second note."]


def test_endnotes_in_their_own_file_are_read_only_when_asked(tmp_path):
    docs = {
        "c1.xhtml": para(
            "A claim.<a epub:type='noteref' href='endnotes.xhtml#note-1' id='ref-1'>1</a> More."
        ),
        "c2.xhtml": para("Another claim.<a epub:type='noteref' href='endnotes.xhtml#note-2'>2</a>"),
        "endnotes.xhtml": "<section epub:type='endnotes'><ol>"
        "<li id='note-1' epub:type='endnote'><p>Source one. <a href='c1.xhtml#ref-1' "
        "epub:type='backlink'>↩</a></p></li>"
        "<li id='note-2' epub:type='endnote'><p>Source two.</p></li></ol></section>",
    }
    toc = [("One", "c1.xhtml"), ("Two", "c2.xhtml"), ("Endnotes", "endnotes.xhtml")]
    path = build_epub(tmp_path / "endnotes.epub", docs, toc)
    book = read_book(path)
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert "Source" not in all_text(book)
    noted = read_book(path, read_notes=True)
    assert texts(noted.chapters[0])[-1] == "Source one."
    assert texts(noted.chapters[1])[-1] == "Source two."


def test_nonlinear_spine_items_are_not_read_in_the_flow(tmp_path):
    docs = {"c1.xhtml": para(LOREM), "popup.xhtml": para("A pop-up note."), "c2.xhtml": para("Two.")}
    path = build_epub(
        tmp_path / "nl.epub", docs, [("One", "c1.xhtml"), ("Two", "c2.xhtml")], nonlinear=("popup.xhtml",)
    )
    assert "pop-up" not in all_text(read_book(path))


def test_a_toc_anchor_that_does_not_exist_is_a_warning(tmp_path):
    docs = {"c1.xhtml": para(LOREM, "More.")}
    book = read_book(
        build_epub(tmp_path / "anchor.epub", docs, [("One", "c1.xhtml"), ("Two", "c1.xhtml#nope")])
    )
    assert any("#nope" in w for w in book.warnings)
    assert all_text(book).count(LOREM) == 1


def test_ebooklib_written_book_reads(tmp_path, sample_epub):
    book = read_book(sample_epub)
    assert [c.title for c in book.chapters] == [
        "The Lighthouse Keeper",
        "A Letter from the Mainland",
        "The Storm",
    ]


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_bytes(b"not a zip at all"), "not a zip"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("hello.txt", "hi"), "container.xml"),
        (lambda p: _drm(p), "DRM"),
        (lambda p: _broken_opf(p), "unreadable EPUB"),
    ],
)
def test_bad_epubs_raise_one_line_input_errors(tmp_path, make, message):
    path = tmp_path / "bad.epub"
    make(path)
    with pytest.raises(InputError) as e:
        read_book(path)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_book(tmp_path / "nope.epub")
    with pytest.raises(InputError, match="unsupported file type"):
        (tmp_path / "x.xyz").write_bytes(b"%PDF")
        read_book(tmp_path / "x.xyz")
    with pytest.raises(InputError, match="no readable text"):
        read_book(
            build_epub(tmp_path / "empty.epub", {"c.xhtml": "<img src='a.png'/>"}, [("Cover", "c.xhtml")])
        )


def _drm(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr("META-INF/container.xml", "<container/>")
        zf.writestr("META-INF/encryption.xml", "<encryption><EncryptedData/></encryption>")


def _broken_opf(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr(
            "META-INF/container.xml",
            "<container><rootfiles><rootfile full-path='x.opf'/></rootfiles></container>",
        )
        zf.writestr("x.opf", "<<<not xml")


def test_epub2_cover_from_the_opf_meta(tmp_path):
    path = build_epub(
        tmp_path / "cover2.epub",
        {"c1.xhtml": para(LOREM)},
        [("One", "c1.xhtml")],
        version=2,
        cover=b"\x89PNG two",
    )
    book = read_book(path)
    assert (book.cover, book.cover_type) == (b"\x89PNG two", "image/png")


def test_toc_hrefs_relative_to_another_folder_are_matched_by_file_name(tmp_path):
    docs = {"c1.xhtml": para(LOREM), "c2.xhtml": para("Two.")}
    toc = [("One", "../OEBPS/c1.xhtml"), ("Two", "../OEBPS/c2.xhtml"), ("Gone", "missing.xhtml")]
    book = read_book(build_epub(tmp_path / "rel.epub", docs, toc))
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert any("missing.xhtml" in w for w in book.warnings)
