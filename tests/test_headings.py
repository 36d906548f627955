"""Every heading a reader sees is heard once: part and book titles at the start of their first chapter, a
story's title before its first section, "Chapter One" for a bare number (or "One" with
`heading_numbers = "bare"`), and lines set apart with line breaks read as lines, with no mark invented.
Books built here (tests/epubs.py), planned as `--dry-run --json` plans them, and one rendered and heard
by pocketsphinx."""

from __future__ import annotations

import json
import wave

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.headings import bare_number, is_story_section, new_parents, said_title
from pipeline.plan import plan_book
from tests.conftest import run_cli
from tests.epubs import XHTML, build_epub

PROSE = "The river ran high that spring, and the ferryman counted the days until the water fell."


def _doc(title: str, body: str = "") -> str:
    return XHTML.format(title=title, body_attrs="", body=f"<section><h2>{title}</h2>{body}</section>")


def _para(i: int) -> str:
    return f"<p>{PROSE} It was the day {i} of the season.</p>"


def parts_book(path, chapter_titles=("I", "II", "III", "IV")):
    """Two books ("Book One: The Coming", "Book Two: The Earth") of two chapters each, each book with a
    title page holding only its heading."""
    docs = {"p1.xhtml": _doc("Book One: The Coming"), "p2.xhtml": _doc("Book Two: The Earth")}
    for i, t in enumerate(chapter_titles, 1):
        docs[f"c{i}.xhtml"] = _doc(t, _para(i))
    toc = [
        (
            "Book One: The Coming",
            "p1.xhtml",
            [(chapter_titles[0], "c1.xhtml"), (chapter_titles[1], "c2.xhtml")],
        ),
        (
            "Book Two: The Earth",
            "p2.xhtml",
            [(chapter_titles[2], "c3.xhtml"), (chapter_titles[3], "c4.xhtml")],
        ),
    ]
    spine = ["p1.xhtml", "c1.xhtml", "c2.xhtml", "p2.xhtml", "c3.xhtml", "c4.xhtml"]
    return build_epub(path, docs, toc, spine=spine, title="The War")


def stories_book(path):
    """Two stories, each a title page and numbered sections I, II."""
    docs = {"s1.xhtml": _doc("A Scandal in Bohemia"), "s2.xhtml": _doc("The Red-Headed League")}
    toc = []
    for s, story in enumerate(("A Scandal in Bohemia", "The Red-Headed League"), 1):
        kids = []
        for k, numeral in enumerate(("I", "II"), 1):
            docs[f"s{s}c{k}.xhtml"] = _doc(numeral, _para(k))
            kids.append((numeral, f"s{s}c{k}.xhtml"))
        toc.append((story, f"s{s}.xhtml", kids))
    spine = ["s1.xhtml", "s1c1.xhtml", "s1c2.xhtml", "s2.xhtml", "s2c1.xhtml", "s2c2.xhtml"]
    return build_epub(path, docs, toc, spine=spine, title="Adventures")


def _titles(plan):
    """Per chapter: the normalized text of its leading title segments."""
    out = []
    for c in plan.chapters:
        segs = plan.segments[c.index]
        out.append([s.normalized for s in segs if s.pause_after.value == "title"])
    return out


def test_the_rule():
    assert new_parents(["Book Two"], ["Book One"], set()) == ["Book Two"]
    assert new_parents(["Book One"], ["Book One"], set()) == []
    assert new_parents(["Part I", "Story"], ["Part I"], set()) == ["Story"]
    assert new_parents(["Story"], [], {"Story"}) == []  # heard already as a chapter of its own
    assert bare_number("XII", False) and bare_number("12", False) and bare_number("Twenty-one", False)
    assert (
        bare_number("I.", True) and not bare_number("I", False) and not bare_number("IV: The Arrival", True)
    )
    assert not bare_number("A", True) and not bare_number("Preface", True)
    assert is_story_section(["A Scandal in Bohemia"]) and not is_story_section(["Part Two: The Saints"])
    assert not is_story_section([]) and not is_story_section(["Book 2"])
    assert said_title("XII", [], "chapter", False) == "Chapter XII"
    assert said_title("XII", [], "bare", False) == "XII"
    assert said_title("II", ["A Scandal in Bohemia"], "chapter", True) == "II"


def test_book_titles_are_heard_at_the_start_of_their_first_chapter(tmp_path):
    plan = plan_book(parts_book(tmp_path / "war.epub"), load_config(None))
    assert [c.title for c in plan.chapters] == ["I", "II", "III", "IV"]
    assert [c.parents for c in plan.chapters][2] == ["Book Two: The Earth"]
    assert _titles(plan) == [
        ["Book One: The Coming", "Chapter One"],
        ["Chapter Two"],
        ["Book Two: The Earth", "Chapter Three"],
        ["Chapter Four"],
    ]
    said = " ".join(s.text for c in plan.chapters for s in plan.segments[c.index])
    assert said.count("Book One: The Coming") == 1 and said.count("Book Two: The Earth") == 1


def test_bare_numbers_as_written_when_switched(tmp_path):
    cfg_file = tmp_path / "bare.toml"
    cfg_file.write_text('[text]\nheading_numbers = "bare"\n')
    plan = plan_book(parts_book(tmp_path / "war.epub"), load_config(cfg_file))
    assert _titles(plan)[:2] == [["Book One: The Coming", "One"], ["Two"]]


def test_a_story_title_is_heard_before_its_first_section(tmp_path):
    plan = plan_book(stories_book(tmp_path / "adv.epub"), load_config(None))
    assert _titles(plan) == [
        ["A Scandal in Bohemia", "One"],
        ["Two"],
        ["The Red-Headed League", "One"],
        ["Two"],
    ]


def test_a_dedication_with_line_breaks_is_read_as_lines(tmp_path):
    body = "<p>To<br/>my brother<br/>Frank Wells,<br/>this rendering of his idea.</p>"
    docs = {"d.xhtml": _doc("Dedication", body), "c1.xhtml": _doc("Chapter 1: The Eve", _para(1))}
    book = build_epub(
        tmp_path / "d.epub", docs, [("Dedication", "d.xhtml"), ("Chapter 1: The Eve", "c1.xhtml")]
    )
    plan = plan_book(book, load_config(None))
    said = [s.normalized for s in plan.segments[1] if s.pause_after.value != "title"]
    assert said == ["To my brother, Frank Wells, this rendering of his idea."]  # no "To," and no "Wells."


def test_the_dry_run_json_shows_them(tmp_path):
    proc = run_cli(str(parts_book(tmp_path / "war.epub")), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout)["chapters"][0]["segments"][:2]
    assert [s["normalized"] for s in first] == ["Book One: The Coming", "Chapter One"]


def test_the_headings_are_heard_in_the_audio(tmp_path):
    """Rendered with hibari and heard by pocketsphinx: chapter 1 opens with the book's title and "chapter
    one", chapter 3 with the second book's, chapter 2 with "chapter two" and no book title (pocketsphinx hears
    "two" as "to" at times, and "Book Two" as "look at")."""
    from pipeline.asr import transcribe, words

    out = tmp_path / "out"
    proc = run_cli(
        str(parts_book(tmp_path / "war.epub")),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "wav",
        "--no-cache",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    heard = []
    for wav in sorted(out.glob("0[1-3] - *.wav")):
        with wave.open(str(wav)) as w:
            pcm = np.frombuffer(w.readframes(min(w.getnframes(), w.getframerate() * 4)), np.int16)
            heard.append(" ".join(words(transcribe(pcm.astype(np.float32) / 32768, w.getframerate()))))
    assert "book one" in heard[0] and "chapter one" in heard[0], heard
    assert heard[1].split()[:2] in (["chapter", "two"], ["chapter", "to"], ["chapter", "too"]), heard
    assert "book" not in heard[1] and "earth" in heard[2] and "chapter three" in heard[2], heard


@pytest.mark.parametrize("mode", ["chapter", "bare"])
def test_the_config_switch_is_checked(tmp_path, mode):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text(f'[text]\nheading_numbers = "{mode}"\n')
    assert load_config(cfg_file).text.heading_numbers == mode
