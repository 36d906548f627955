"""Plain text and Markdown as people have them: Gutenberg wrappers, title lines, contents lists, encodings,
Markdown with front matter, HTML, footnotes, code, lists and tables; Roman headings read consistently;
long sentences cut as continuations; quotes and blanked names."""

from __future__ import annotations

import json

import pytest

from pipeline.ingest import read_book
from pipeline.ingest.text import decode_text, smart_title
from pipeline.normalize import normalize
from pipeline.records import Book, Chapter, Paragraph, ParagraphKind
from pipeline.segment import Segmenter, SentenceSplitter, roman_numbered_headings
from tests.conftest import run_cli

PROSE = (
    "The Time Traveller (for so it will be convenient to speak of him) was expounding a recondite matter "
    "to us. His grey eyes shone and twinkled, and his usually pale face was flushed and animated."
)
PROSE2 = (
    "“The thing the Time Traveller held in his hand was a glittering metallic framework,” said Filby, "
    "“scarcely larger than a small clock, and very delicately made.” Café prices were low that year."
)
LICENCE = (
    "Updated editions will replace the previous one--the old editions will be renamed. Creating the works "
    "from print editions not protected by U.S. copyright law means that no one owns a United States "
    "copyright in these works, so the Foundation can copy and distribute it in the United States."
)


def gutenberg(
    title="The Time Machine",
    author="H. G. Wells",
    chapters=(("I", "Introduction"), ("II", "The Machine"), ("III", "The Time Traveller Returns")),
) -> str:
    contents = "\n".join(f" {n} {t}" for n, t in chapters)
    body = "\n\n\n".join(
        f" {n}.\n {t}\n\n\n{PROSE if k % 2 == 0 else PROSE2}" for k, (n, t) in enumerate(chapters)
    )
    return (
        f"The Project Gutenberg eBook of {title}\n\nThis ebook is for the use of anyone anywhere in the "
        f"United States and\nmost other parts of the world at no cost.\n\nTitle: {title}\n\nAuthor: {author}\n\n"
        "Release date: July 1, 2004 [eBook #35]\n                Most recently updated: March 30, 2021\n\n"
        "Language: English\n\nOriginal publication: London: William Heinemann, 1895\n\n"
        f"Credits: Andrew Templeton\n\n*** START OF THE PROJECT GUTENBERG EBOOK {title.upper()} ***\n\n"
        f"Produced by Andrew Templeton\n\n\n\n\n{title}\n\nAn Invention\n\nby {author}\n\n\nCONTENTS\n\n"
        f"{contents}\n\n\n\n\n{body}\n\n*** END OF THE PROJECT GUTENBERG EBOOK {title.upper()} ***\n\n"
        f"{LICENCE}\n"
    )


def _words(book: Book) -> str:
    return " ".join(p.text for c in book.chapters for p in c.paragraphs)


@pytest.mark.parametrize(
    "encoding, newline",
    [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n"), ("latin-1", "\n"), ("utf-16", "\r\n")],
)
def test_gutenberg_book_is_exactly_its_chapters_with_metadata(tmp_path, encoding, newline):
    text = gutenberg()
    if encoding == "latin-1":
        text = text.replace("“", '"').replace("”", '"')
    path = tmp_path / "pg35.txt"
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    book = read_book(path)
    assert book.title == "The Time Machine" and book.authors == ["H. G. Wells"]
    assert book.language == "en" and book.date == "1895"
    assert [c.title for c in book.chapters] == [
        "I: Introduction",
        "II: The Machine",
        "III: The Time Traveller Returns",
    ]
    words = _words(book)
    for wrapper in (
        "Project Gutenberg",
        "Produced by",
        "CONTENTS",
        "An Invention",
        "Release date",
        "Updated editions",
        "by H. G. Wells",
        "START OF",
        "\r",
    ):
        assert wrapper not in words, wrapper
    assert "Café prices" in words and "recondite" in words


def test_front_matter_is_read_when_asked(tmp_path):
    path = tmp_path / "pg35.txt"
    path.write_text(gutenberg())
    book = read_book(path, include_front_matter=True)
    assert book.chapters[0].title == "The Time Machine"
    assert "An Invention" in " ".join(p.text for p in book.chapters[0].paragraphs)
    assert "Project Gutenberg" not in _words(book)  # the licence wrapper never


def test_a_story_with_a_title_line_and_a_by_line(tmp_path):
    path = tmp_path / "lighthouse.txt"
    path.write_text(
        "THE LIGHTHOUSE KEEPER\n\nby Ada Finch\n\nFor my mother\n\n\nCHAPTER I\n\n"
        + PROSE
        + "\n\nCHAPTER II\n\n"
        + PROSE2
        + "\n"
    )
    book = read_book(path)
    assert book.title == "The Lighthouse Keeper" and book.authors == ["Ada Finch"]
    assert [c.title for c in book.chapters] == ["CHAPTER I", "CHAPTER II"]
    assert "LIGHTHOUSE" not in _words(book) and "For my mother" not in _words(book)
    proc = run_cli(str(path), "--dry-run", "--json")
    plan = json.loads(proc.stdout)
    assert plan["title"] == "The Lighthouse Keeper" and plan["authors"] == ["Ada Finch"]
    assert [c["title"] for c in plan["chapters"]] == ["CHAPTER I", "CHAPTER II"]


def test_a_story_with_no_headings_is_one_chapter_without_its_title_block(tmp_path):
    path = tmp_path / "the_quiet_hour.txt"
    path.write_text("The Quiet Hour\n\nby J. Smith\n\n" + PROSE + "\n\n" + PROSE2 + "\n")
    book = read_book(path)
    assert book.title == "The Quiet Hour" and book.authors == ["J. Smith"]
    assert len(book.chapters) == 1 and book.chapters[0].paragraphs[1].text.startswith("The Time Traveller")


@pytest.mark.parametrize(
    "stem, title",
    [
        ("verne_nums", "Verne Nums"),
        ("war-and-peace", "War and Peace"),
        ("THE_TIME_MACHINE", "The Time Machine"),
        ("o'brien's tale", "O'Brien's Tale"),
    ],
)
def test_title_from_the_file_name_is_the_last_resort_and_well_cased(tmp_path, stem, title):
    path = tmp_path / f"{stem}.txt"
    path.write_text(PROSE + "\n")
    assert read_book(path).title == title
    assert smart_title("The Mill on the Floss") == "The Mill on the Floss"


def test_decoding_is_the_same_for_files_and_stdin():
    samples = {
        "utf-8": "Café “quoted” — ok",
        "utf-16": "Café “quoted”",
        "cp1252": "Café “quoted”",
        "utf-8-sig": "Café",
        "utf-32": "Café",
    }
    for enc, text in samples.items():
        assert decode_text(text.encode(enc)) == text
    assert decode_text("In 1859.".encode("utf-16-le")) == "In 1859."  # no BOM
    proc = run_cli("--normalize", "-", input=None)
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("render")
    for enc in ("utf-16", "cp1252", "utf-8-sig"):
        out = subprocess.run(
            [str(exe), "--normalize", "-"], input="Café in 1859.".encode(enc), capture_output=True
        )
        assert out.returncode == 0 and out.stdout.decode() == "Cafe in eighteen fifty-nine.\n", (enc, out)
    assert proc.returncode == 0


MARKDOWN = """---
title: Field Notes
subtitle: A year on the marsh
author:
  - Ada Finch
  - Tom Reed
date: 1911-05-02
lang: en
publisher: Small Press
---

# Field Notes

## The Marsh

We walked out at dawn.[^1] The reeds were taller than a man.

<div class="note">A note in <b>HTML</b> about the reeds.</div>

- the heron
- the bittern, *rarely*
- a [kingfisher](https://example.org/kf)

```python
print("never read")
```

| Bird | Count |
|------|-------|
| Heron | 3 |

## The Wood

Later we reached the wood, where <span>nothing</span> moved.

[^1]: Half past five, by the church clock.
"""


def test_markdown_front_matter_html_footnotes_code_lists_tables(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(MARKDOWN)
    book = read_book(path)
    assert book.title == "Field Notes" and book.authors == ["Ada Finch", "Tom Reed"]
    assert book.date == "1911-05-02" and book.publisher == "Small Press"
    assert [c.title for c in book.chapters] == ["The Marsh", "The Wood"]
    words = _words(book)
    for never in (
        "title:",
        "author:",
        "<div",
        "class",
        "[^1]",
        "print(",
        "never read",
        "https",
        "|",
        "```",
        "Half past five",
        "**",
        "*rarely*",
    ):
        assert never not in words, never
    marsh = book.chapters[0].paragraphs
    assert [p.text for p in marsh if p.kind == ParagraphKind.VERSE] == [
        "the heron\nthe bittern, rarely\na kingfisher",
        "Bird, Count\nHeron, 3",
    ]
    assert any(p.text == "A note in HTML about the reeds." for p in marsh)
    assert "where nothing moved" in words and any("code block" in w for w in book.warnings)
    noted = read_book(path, read_notes=True)
    marsh_text = [p.text for p in noted.chapters[0].paragraphs]
    assert marsh_text[-2:] == ["Notes.", "Half past five, by the church clock."]
    # list items are separate lines with a pause between them
    seg = Segmenter(SentenceSplitter())
    segs = seg.chapter_segments(book.chapters[0])
    listed = next(s for s in segs if "heron" in s.normalized)
    assert "the heron, the bittern, rarely, a kingfisher" in listed.normalized


def _headings_book(titles: list[str]) -> Book:
    chs = [
        Chapter(index=i, title=t, paragraphs=[Paragraph(t, ParagraphKind.TITLE), Paragraph(PROSE)])
        for i, t in enumerate(titles, 1)
    ]
    return Book(title="T", authors=[], chapters=chs)


def test_roman_headings_are_read_consistently_within_a_book():
    novel = _headings_book(["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"])
    assert roman_numbered_headings(novel)
    seg = Segmenter(SentenceSplitter(), numbered_headings=True)
    said = [seg.chapter_segments(c)[0].normalized for c in novel.chapters]
    assert said[:5] == ["One", "Two", "Three", "Four", "Five"] and said[9] == "Ten"
    dictionary = _headings_book(["A", "B", "C", "D", "I", "V", "X"])
    assert not roman_numbered_headings(dictionary)
    plain = Segmenter(SentenceSplitter())
    assert [plain.chapter_segments(c)[0].normalized for c in dictionary.chapters][4:] == ["I", "V", "X"]
    assert normalize("I went home.") == "I went home."  # the pronoun, in running text, always


def test_a_long_sentence_cut_at_a_comma_is_voiced_as_a_continuation():
    long = (
        "The river ran high that spring, and the ferryman counted the days until the water fell, "
        "and every morning he walked to the landing to look at the marker post, and every evening he "
        "walked back again with the same news for his wife, who had stopped asking him about it, "
        "because she knew the answer from the way he closed the door behind him each night."
    )
    ch = Chapter(index=1, title="T", paragraphs=[Paragraph(long)])
    segs = Segmenter(SentenceSplitter(), max_s=6.0).chapter_segments(ch)
    assert len(segs) > 1
    for s in segs[:-1]:
        assert not s.normalized.endswith("."), s.normalized  # no full stop mid-sentence
        if s.text.rstrip()[-1] in ",;":
            assert s.normalized.endswith(s.text.rstrip()[-1])  # the comma it was cut after stays
    assert any(s.normalized.endswith(",") for s in segs[:-1])
    assert segs[-1].normalized.endswith(".")


def test_a_piece_starting_inside_a_quotation_keeps_its_spacing():
    assert (
        normalize('I will," he went on, "tell you', quotes_fixed=True) == '"I will," he went on, "tell you"'
    )
    assert normalize('"Yes," he said, "it is."') == '"Yes," he said, "it is."'


@pytest.mark.parametrize(
    "text, said",
    [
        ("He called on Mr. ⸻ yesterday.", "He called on Mister Blank yesterday."),
        ("Lady —— was out.", "Lady Blank was out."),
        ("They met at D—— in spring.", "They met at D Blank in spring."),
        ("Miss ___ wrote.", "Miss blank wrote."),
        ("But I thought——", "But I thought."),
    ],
)
def test_blanked_names_read_as_blank(text, said):
    assert normalize(text) == said


def test_a_plain_text_story_round_trips_through_asr_at_the_engine_baseline(tmp_path):
    """Title line, by-line and two chapters rendered with --qc asr: nothing of the title block is read, and
    pocketsphinx hears the chapters at the engine's baseline: the word error rate of the same chapters
    rendered from an EPUB (measured: 0.144 for both)."""
    from tests.epubs import write_epub

    chapters = [
        (
            "CHAPTER I",
            [
                "The river ran high that spring, and the ferryman counted the days until the water fell.",
                "Every morning he walked down to the landing and looked at the old marker post.",
            ],
        ),
        (
            "CHAPTER II",
            [
                "The village baker sent bread across on the last good crossing of the week.",
                "By the end of the month the water was low again, and the boats went back to work.",
            ],
        ),
    ]
    path = tmp_path / "ferry.txt"
    path.write_text(
        "THE FERRYMAN\n\nby Ada Finch\n\n\n"
        + "\n\n".join(f"{t}\n\n" + "\n\n".join(ps) for t, ps in chapters)
        + "\n"
    )
    epub = write_epub(tmp_path / "ferry.epub", chapters, title="The Ferryman")
    wer = {}
    for book in (path, epub):
        out = tmp_path / f"out-{book.suffix[1:]}"
        proc = run_cli(
            str(book),
            "--out",
            str(out),
            "--engine",
            "hibari",
            "--quiet",
            "--qc",
            "asr",
            "--format",
            "wav",
            "--no-cache",
        )
        assert proc.returncode == 0, proc.stderr
        wer[book.suffix] = json.loads((out / "report.json").read_text())["summary"]["wer"]
        manifest = json.loads((out / "manifest.json").read_text())
        assert [c["title"] for c in manifest["chapters"]] == ["CHAPTER I", "CHAPTER II"]
        assert manifest["book"]["title"] == "The Ferryman"
    assert manifest and json.loads((tmp_path / "out-txt" / "manifest.json").read_text())["book"][
        "authors"
    ] == ["Ada Finch"]
    assert wer[".txt"] is not None and wer[".epub"] is not None
    assert wer[".txt"] <= wer[".epub"] + 0.02 and wer[".txt"] <= 0.30, wer


def test_an_older_gutenberg_layout_with_a_contents_list_that_names_its_headings(tmp_path):
    """The pre-2020 header ("EBook of X, by Y", "Character set encoding", "End of the Project Gutenberg
    EBook"), a centred title block, and a contents list whose entries the text repeats as its headings."""
    text = (
        "The Project Gutenberg EBook of The Moonstone, by Wilkie Collins\n\nThis eBook is for the use of anyone "
        "anywhere at no cost.\n\n\nTitle: The Moonstone\n\nAuthor: Wilkie Collins\n\nRelease Date: June 10, 2006 "
        "[EBook #155]\n\nLanguage: English\n\nCharacter set encoding: UTF-8\n\n*** START OF THIS PROJECT "
        "GUTENBERG EBOOK THE MOONSTONE ***\n\n\n\n\nProduced by James Rusk\n\n\n\n\n"
        "                             THE MOONSTONE\n\n                                A Romance\n\n"
        "                           by Wilkie Collins\n\n\n\n\nCONTENTS\n\n     PROLOGUE\n"
        "     THE STORMING OF SERINGAPATAM (1799)\n\n     CHAPTER I\n     CHAPTER II\n\n\n\n\n"
        f"PROLOGUE\n\n\n{PROSE}\n\n\nCHAPTER I\n\n{PROSE2}\n\n\nCHAPTER II\n\n{PROSE}\n\n\n"
        "End of the Project Gutenberg EBook of The Moonstone, by Wilkie Collins\n\n*** END OF THIS PROJECT "
        "GUTENBERG EBOOK THE MOONSTONE ***\n\n***** This file should be named 155-0.txt *****\n"
    )
    path = tmp_path / "155-0.txt"
    path.write_text(text)
    book = read_book(path)
    assert book.title == "The Moonstone" and book.authors == ["Wilkie Collins"]
    assert [c.title for c in book.chapters] == ["PROLOGUE", "CHAPTER I", "CHAPTER II"]
    words = _words(book)
    for wrapper in (
        "Gutenberg",
        "A Romance",
        "CONTENTS",
        "Produced",
        "This file",
        "SERINGAPATAM (1799) CHAPTER",
    ):
        assert wrapper not in words, wrapper


# ---- more of the layouts people have: older Gutenberg headers, staves, parts, dictionaries, title lines ----

P_A = (
    "Marley was dead: to begin with. There is no doubt whatever about that. The register of his burial was "
    "signed by the clergyman, the clerk, the undertaker, and the chief mourner."
)
P_B = (
    "Oh! But he was a tight-fisted hand at the grindstone, Scrooge! a squeezing, wrenching, grasping, "
    "scraping, clutching, covetous, old sinner! Hard and sharp as flint, and solitary as an oyster."
)


def _wrap(text: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, 70))


def carol() -> str:
    """The pre-2020 header with a two-line Title field, a centred title page with "BY" on its own line and an
    imprint year, a PREFACE, a contents list with page numbers, an ILLUSTRATIONS list, headings whose title
    stands in the block under them, [Illustration] placeholders, and a transcriber's note at the end."""
    return f"""The Project Gutenberg EBook of A Christmas Carol, by Charles Dickens

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.

Title: A Christmas Carol
       A Ghost Story of Christmas

Author: Charles Dickens

Release Date: August 11, 2004 [EBook #46]

Language: English

*** START OF THIS PROJECT GUTENBERG EBOOK A CHRISTMAS CAROL ***




Produced by Jose Menendez




                             A CHRISTMAS CAROL

                         BEING A GHOST STORY OF CHRISTMAS

                                     BY
                              CHARLES DICKENS

                                   LONDON
                    CHAPMAN & HALL, 193, PICCADILLY
                                   1843


                                  PREFACE

{
        _wrap(
            "I have endeavoured in this Ghostly little book, to raise the Ghost of an Idea, which shall not "
            "put my readers out of humour with themselves, with each other, with the season, or with me."
        )
    }


                                 CONTENTS

     STAVE I.   MARLEY'S GHOST                                        1
     STAVE II.  THE FIRST OF THE THREE SPIRITS                       29


                              ILLUSTRATIONS

     MR. FEZZIWIG'S BALL                                 _Frontispiece_
     MARLEY'S GHOST                                                  25



                                 STAVE I.

                              MARLEY'S GHOST

[Illustration: MARLEY'S GHOST

[_Drawn by John Leech._]]

{_wrap(P_A)}

{_wrap(P_B)}


                                 STAVE II.

                     THE FIRST OF THE THREE SPIRITS


{_wrap(P_B)}



                             TRANSCRIBER'S NOTE

 Page 12: "remarkd" changed to "remarked".
 Page 45: "teh" changed to "the".


End of the Project Gutenberg EBook of A Christmas Carol, by Charles Dickens

*** END OF THIS PROJECT GUTENBERG EBOOK A CHRISTMAS CAROL ***

Updated editions will replace the previous one--the old editions
will be renamed.
"""


@pytest.mark.parametrize("encoding, newline", [("utf-8", "\n"), ("latin-1", "\r\n"), ("cp1252", "\r\n")])
def test_an_older_gutenberg_book_with_staves_a_preface_and_an_illustrations_list(tmp_path, encoding, newline):
    path = tmp_path / "46.txt"
    path.write_bytes(carol().replace("\n", newline).encode(encoding))
    book = read_book(path)
    assert book.title == "A Christmas Carol" and book.authors == ["Charles Dickens"]
    assert book.language == "en" and book.date == "1843"  # the imprint's year, not the release
    assert [c.title for c in book.chapters] == [
        "PREFACE",
        "STAVE I: MARLEY'S GHOST",
        "STAVE II: THE FIRST OF THE THREE SPIRITS",
    ]
    words = _words(book)
    for never in (
        "Gutenberg",
        "Produced by",
        "CONTENTS",
        "ILLUSTRATIONS",
        "FEZZIWIG",
        "Illustration",
        "Leech",
        "PICCADILLY",
        "CHAPMAN",
        "BEING A GHOST",
        "remarkd",
        "TRANSCRIBER",
        "Updated editions",
        "]",
    ):
        assert never not in words, never
    stave1 = [p.text for p in book.chapters[1].paragraphs]
    assert stave1[1].startswith("Marley was dead") and stave1[2].startswith("Oh! But he was")


def test_the_1990s_small_print_header_and_its_first_line_title(tmp_path):
    text = (
        "The Project Gutenberg Etext of The Jungle Tale, by Mary Brook\n\nCopyright laws are changing all "
        "over the world, be sure to check\nthe laws for your country before posting these files!!\n\n"
        "**The Project Gutenberg Etext of The Jungle Tale, by Mary Brook**\n\nProject Gutenberg Etexts are "
        "usually created from multiple editions.\n\n*END THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29"
        ".93*END*\n\n\n\nTHE JUNGLE TALE\n\nBY MARY BROOK\n\n\nTo my sister, who listened.\n\n\n"
        f"CHAPTER 1\n\n{_wrap(P_A)}\n\nCHAPTER 2\n\n{_wrap(P_B)}\n\n\n"
        "End of The Project Gutenberg Etext of The Jungle Tale, by Mary Brook\n"
    )
    path = tmp_path / "jngle10.txt"
    path.write_text(text)
    book = read_book(path)
    assert book.title == "The Jungle Tale" and book.authors == ["Mary Brook"]
    assert [c.title for c in book.chapters] == ["CHAPTER 1", "CHAPTER 2"]
    for never in ("Gutenberg", "SMALL PRINT", "Copyright", "JUNGLE", "To my sister"):
        assert never not in _words(book), never


def test_parts_with_nothing_under_them_lead_their_chapters(tmp_path):
    """ "Book the First--Recalled to Life" heads the chapters after it (spoken once, before its first
    chapter; their parents), and "I. The Period" on a line of its own is a heading."""
    text = (
        "Title: A Tale of Two Cities\n       A Story of the French Revolution\n\nAuthor: Charles Dickens\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK A TALE OF TWO CITIES ***\n\n\n\n"
        "A TALE OF TWO CITIES\n\nA STORY OF THE FRENCH REVOLUTION\n\nBy Charles Dickens\n\n\nCONTENTS\n\n"
        "     Book the First--Recalled to Life\n\n     Chapter I      The Period\n     Chapter II     The Mail"
        "\n\n     Book the Second--the Golden Thread\n\n     Chapter I      Five Years Later\n\n\n\n\n"
        f"Book the First--Recalled to Life\n\n\n\n\nI. The Period\n\n\n{_wrap(P_A)}\n\n\n\nII. The Mail\n\n\n"
        f"{_wrap(P_B)}\n\n\n\n\nBook the Second--the Golden Thread\n\n\n\n\nI. Five Years Later\n\n\n{_wrap(P_A)}"
        "\n\n*** END OF THE PROJECT GUTENBERG EBOOK A TALE OF TWO CITIES ***\n"
    )
    path = tmp_path / "98.txt"
    path.write_text(text)
    book = read_book(path)
    assert book.title == "A Tale of Two Cities" and book.authors == ["Charles Dickens"]
    assert [(c.title, c.parents) for c in book.chapters] == [
        ("I: The Period", ["Book the First--Recalled to Life"]),
        ("II: The Mail", ["Book the First--Recalled to Life"]),
        ("I: Five Years Later", ["Book the Second--the Golden Thread"]),
    ]
    assert [p.text for p in book.chapters[0].paragraphs[:2]] == [
        "Book the First--Recalled to Life",
        "I: The Period",
    ]
    assert book.chapters[1].paragraphs[0].text == "II: The Mail"
    assert "CONTENTS" not in _words(book) and "FRENCH" not in _words(book)


def test_a_dictionary_with_letter_headings_and_a_novel_with_numbered_ones(tmp_path):
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    path = tmp_path / "dictionary.txt"
    path.write_text(
        "A LITTLE DICTIONARY\n\n" + "\n\n".join(f"{c}\n\n{c}bble, a word. {P_B}" for c in letters) + "\n"
    )
    book = read_book(path)
    assert book.title == "A Little Dictionary" and [c.title for c in book.chapters] == list(letters)
    assert not roman_numbered_headings(book)  # "I", "V", "X" here are letters, read as letters
    novel = tmp_path / "river.txt"
    romans = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
    novel.write_text("THE RIVER\n\nBY JOHN DOE\n\n\n" + "\n\n".join(f"{r}\n\n{P_A}" for r in romans) + "\n")
    book = read_book(novel)
    assert (book.title, book.authors) == ("The River", ["John Doe"]) and [
        c.title for c in book.chapters
    ] == romans
    assert roman_numbered_headings(book)
    seg = Segmenter(SentenceSplitter(), numbered_headings=True)
    assert [seg.chapter_segments(c)[0].normalized for c in book.chapters[:5]] == [
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
    ]


STORY = (
    "The storm came in at dusk, and the keeper climbed the stairs with the lamp oil, counting each step as "
    "his father had taught him, until the glass room opened above him and the sea lay black below."
)


@pytest.mark.parametrize(
    "text, title, author, chapters",
    [
        (
            f"THE LIGHTHOUSE KEEPER\n{STORY}\n\n{STORY}\n",
            "The Lighthouse Keeper",
            [],
            ["The Lighthouse Keeper"],
        ),
        (
            f"The Lighthouse Keeper, by Ada Finch\n\n{STORY}\n",
            "The Lighthouse Keeper",
            ["Ada Finch"],
            ["The Lighthouse Keeper"],
        ),
        (
            f"The Lighthouse Keeper\n=====================\n\nChapter 1\n---------\n\n{STORY}\n\nChapter 2\n---------\n\n"
            f"{STORY}\n",
            "The Lighthouse Keeper",
            [],
            ["Chapter 1", "Chapter 2"],
        ),
        (
            f"THE LIGHTHOUSE KEEPER\n\n1\n\n{STORY}\n\n2\n\n{STORY}\n\n3\n\n{STORY}\n",
            "The Lighthouse Keeper",
            [],
            ["1", "2", "3"],
        ),
        (
            f"Title: The Lighthouse Keeper\nAuthor: Ada Finch\n\nONE\n\n{STORY}\n\nTWO\n\n{STORY}\n\nTHREE\n\n{STORY}\n",
            "The Lighthouse Keeper",
            ["Ada Finch"],
            ["ONE", "TWO", "THREE"],
        ),
        (
            f"THE LIGHTHOUSE KEEPER\n\nCHAPTER ONE\n\nThe Storm\n\n{STORY}\n\nCHAPTER TWO\n\nThe Calm\n\n{STORY}\n",
            "The Lighthouse Keeper",
            [],
            ["CHAPTER ONE: The Storm", "CHAPTER TWO: The Calm"],
        ),
        (
            f"    THE LIGHTHOUSE KEEPER\n\n        A Story in Two Parts\n\n    by Ada Finch\n\n\n    PART ONE\n\n"
            f"    {STORY}\n\n    PART TWO\n\n    {STORY}\n",
            "The Lighthouse Keeper",
            ["Ada Finch"],
            ["PART ONE", "PART TWO"],
        ),
        (
            f"THE LIGHTHOUSE KEEPER\n\nCHAPTER I\n\n\u201cWho is there?\u201d\n\n{STORY}\n\nCHAPTER II\n\n{STORY}\n",
            "The Lighthouse Keeper",
            [],
            ["CHAPTER I", "CHAPTER II"],
        ),
    ],
    ids=[
        "title-over-text",
        "title-by-author",
        "underlined",
        "numbered",
        "fields",
        "titled-chapters",
        "indented",
        "dialogue-first",
    ],
)
def test_a_plain_story_with_a_title_line(tmp_path, text, title, author, chapters):
    path = tmp_path / "lighthouse.txt"
    path.write_text(text)
    book = read_book(path)
    assert (book.title, book.authors) == (title, author)
    assert [c.title for c in book.chapters] == chapters
    words = " ".join(p.text for c in book.chapters for p in c.paragraphs[1:])
    for never in ("LIGHTHOUSE", "Ada Finch", "Title:", "A Story in Two Parts", "===", "---"):
        assert never not in words, never
    assert words.count("The storm came in at dusk") == text.count("The storm came in at dusk")  # none lost
    if "Who is there" in text:
        assert book.chapters[0].paragraphs[1].text == "\u201cWho is there?\u201d"  # a first line, not a title


def test_gutenberg_italics_page_marks_and_blanks(tmp_path):
    path = tmp_path / "letters.txt"
    path.write_text(
        "Letter 1\n\n_To Mrs. Saville, England._\n\nYou will rejoice [Pg 12] to hear that no disaster "
        "has accompanied the commencement of an enterprise which you have regarded with such evil "
        "forebodings. Miss ___ wrote to me of it.\n\nLetter 2\n\nHow slowly the time passes here.\n"
    )
    book = read_book(path)
    texts = [p.text for p in book.chapters[0].paragraphs]
    assert texts[1] == "To Mrs. Saville, England."
    assert "[Pg" not in texts[2] and "You will rejoice to hear" in texts[2] and "Miss ___ wrote" in texts[2]
