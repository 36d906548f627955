"""Segment: sentences from Punkt, 2-15 s pieces, pauses, no words lost (examples and hypothesis)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.normalize import SPEAKABLE
from pipeline.records import Chapter, Paragraph, ParagraphKind, Pause
from pipeline.segment import Segmenter, SentenceSplitter

SPLITTER = SentenceSplitter()
SEG = Segmenter(SPLITTER, chars_per_second=15.0, min_s=2.0, max_s=15.0, merge_max_s=18.0)


def chapter(*paras: Paragraph | str, title: str = "Title") -> Chapter:
    ps = [Paragraph(title, ParagraphKind.TITLE)]
    ps += [p if isinstance(p, Paragraph) else Paragraph(p) for p in paras]
    return Chapter(index=1, title=title, paragraphs=ps)


def words_of_chapter(ch: Chapter) -> list[str]:
    return " ".join(p.text for p in ch.paragraphs).split()


def words_of_segments(segs) -> list[str]:
    return " ".join(s.text for s in segs).split()


def test_sentences_from_punkt_with_known_abbreviations():
    text = "Mr. Smith went to Washington. He saw Dr. Jones at 3 p.m. on Monday. St. Paul's is big, etc. They left."
    assert SPLITTER.split(text) == [
        "Mr. Smith went to Washington.",
        "He saw Dr. Jones at 3 p.m. on Monday.",
        "St. Paul's is big, etc.",
        "They left.",
    ]


def test_punkt_learns_from_the_book():
    book_text = " ".join(f"Then Insp. Brown met Supt. Lee in room {i}. They ate." for i in range(80))
    text = "The Supt. Lee said so. It rained."
    assert SentenceSplitter().split(text) == ["The Supt.", "Lee said so.", "It rained."]
    assert SentenceSplitter(book_text).split(text) == ["The Supt. Lee said so.", "It rained."]


def test_no_is_a_word_unless_a_number_follows():
    assert SPLITTER.split("No. I will not. See No. 5 in the list.") == [
        "No.",
        "I will not.",
        "See No. 5 in the list.",
    ]


def test_short_sentences_merge_within_a_paragraph_never_across():
    ch = chapter(
        "Yes. No. Maybe so. I think.", "Fine.", "Then the long day began, and it went on and on until dusk."
    )
    segs = SEG.chapter_segments(ch)
    assert [s.text for s in segs] == [
        "Title",
        "Yes. No. Maybe so. I think.",
        "Fine.",
        "Then the long day began, and it went on and on until dusk.",
    ]
    assert [s.pause_after for s in segs] == [Pause.TITLE, Pause.PARAGRAPH, Pause.PARAGRAPH, Pause.END]
    assert segs[1].sentences == ["Yes.", "No.", "Maybe so.", "I think."]


def test_long_sentence_split_at_clauses_never_inside_a_word():
    clauses = [
        f"the {w} walked slowly along the shore of the grey and windy sea"
        for w in ("first man", "second woman", "third child", "fourth dog", "fifth cat", "sixth horse")
    ]
    sentence = "Then " + "; ".join(clauses) + "."
    segs = SEG.chapter_segments(chapter(sentence))[1:]
    assert len(segs) >= 2
    assert all(s.est_seconds <= 15.0 for s in segs)
    assert all(s.text.endswith((";", ".")) for s in segs)  # cut where the clauses end
    assert words_of_segments(segs) == sentence.split()
    assert [s.pause_after for s in segs][-1] == Pause.END
    assert all(s.pause_after == Pause.LINE for s in segs[:-1])  # a breath, not a sentence pause


def test_long_sentence_without_punctuation_split_at_spaces():
    sentence = " ".join(["wonderful"] * 120) + "."
    segs = SEG.chapter_segments(chapter(sentence))[1:]
    assert len(segs) >= 5
    assert all(s.est_seconds <= 15.0 for s in segs)
    assert all(set(s.text.rstrip(".").split()) == {"wonderful"} for s in segs)
    assert words_of_segments(segs) == sentence.split()
    lengths = [len(s.text) for s in segs]
    assert max(lengths) - min(lengths) < 60  # balanced, no short tail


def test_a_long_word_is_never_cut_but_a_run_with_no_spaces_is_with_a_warning():
    word = "x" * 400  # longer than 15 s, but it could be one word: kept
    seg = Segmenter(SPLITTER)
    done = seg.segment(chapter(f"A {word} b."))
    assert words_of_segments(done.segments[1:]) == ["A", word, "b."] and not done.warnings
    run = "1." * 5_000  # 10,000 characters without a space is no word
    done = seg.segment(chapter(f"Look: {run} end."))
    segs = done.segments[1:]
    assert "".join(s.text for s in segs).replace(" ", "") == f"Look:{run}end."  # no character lost
    assert max(s.est_seconds for s in segs) <= 18.0
    assert any("no spaces" in w for w in done.warnings)


def test_a_chapter_segments_the_same_whatever_the_segmenter_did_before():
    """The stage is pure: one Segmenter over many chapters keeps no counts from one to the next."""
    run = "1." * 5_000
    rough, clean = chapter(f"Look: {run} end."), chapter("A plain sentence. Another one.")
    seg = Segmenter(SPLITTER)
    first = seg.segment(rough)
    assert seg.segment(clean).warnings == []  # the first chapter's cuts are not counted here
    again = seg.segment(rough)
    assert again.warnings == first.warnings and again.segments == first.segments
    assert again == Segmenter(SPLITTER).segment(rough)


def test_short_segment_is_a_whole_paragraph_even_next_to_long_ones():
    long_a = "The first sentence is long enough to stand alone and it keeps going on for quite a while now."
    long_b = "The second sentence is also long enough to stand alone and it keeps going on for a while."
    segs = SEG.chapter_segments(chapter(f"{long_a} Oh. {long_b}"))[1:]
    assert all(s.est_seconds >= 2.0 for s in segs)
    assert words_of_segments(segs) == f"{long_a} Oh. {long_b}".split()


def test_pauses_by_what_follows():
    ch = chapter(
        "First paragraph here, long enough to be alone.",
        Paragraph("A Heading", ParagraphKind.HEADING),
        "After the heading, text that runs on for a while.",
        Paragraph("After a scene break, more text that runs on.", section_break_before=True),
        Paragraph(
            "Roses are red\nViolets are blue\nSugar is sweet and so on\nAnd so are you my dear friend",
            ParagraphKind.VERSE,
        ),
        "The end.",
    )
    segs = SEG.chapter_segments(ch)
    pauses = [s.pause_after for s in segs]
    assert pauses[0] == Pause.TITLE
    assert pauses[1] == Pause.SECTION  # before a heading
    assert pauses[2] == Pause.SECTION  # the heading itself
    assert pauses[3] == Pause.SECTION  # before a scene break
    verse = [s for s in segs if s.paragraph == 5]
    assert "," in verse[0].normalized  # verse lines end on a short pause inside a segment
    assert "\n" in verse[0].text  # and keep their lines in the original
    assert pauses[-1] == Pause.END


def test_original_kept_beside_normalized_and_dialogue_quotes_balanced():
    ch = chapter(
        "‘Hello there, my old friend. How are you today, in 1906?’ she asked. He paid $3.50 for it, too."
    )
    segs = SEG.chapter_segments(ch)[1:]
    joined = " ".join(s.text for s in segs)
    assert "$3.50" in joined and "1906" in joined and "‘" in joined
    said = " ".join(s.normalized for s in segs)
    assert "three dollars fifty cents" in said
    assert all(s.normalized.count('"') % 2 == 0 for s in segs)
    assert '"' in said and "‘" not in said


def test_headings_read_roman_numerals_as_numbers():
    ch = chapter("Some text here.", title="XIV: The Arrival")
    assert SEG.chapter_segments(ch)[0].normalized == "Fourteen: The Arrival"


def test_unsupported_script_is_skipped_with_a_warning():
    done = Segmenter(SPLITTER).segment(chapter("He wrote 東京 on the wall."))
    segs = done.segments
    assert segs[1].normalized == "He wrote on the wall."
    assert segs[1].text == "He wrote 東京 on the wall."
    assert any("Cjk" in w for w in done.warnings)


@pytest.mark.parametrize("unit", ["1.", ".", "1", " ", "'", "—", "a ", "a, ", "1/", "a. ", "Mr. ", "—’ "])
def test_segment_is_linear_on_adversarial_paragraphs(unit):
    def run(n):
        text = unit * (n // len(unit))
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            segs = SEG.chapter_segments(chapter(text))
            best = min(best, time.perf_counter() - t)
        return best, segs, text

    t_small, _, _ = run(25_000)
    t_big, segs, text = run(100_000)
    assert t_big / max(t_small, 0.02) < 9, (unit, t_small, t_big)
    if " " in unit:
        assert words_of_segments(segs[1:]) == text.split()
    else:  # a run without spaces is cut (with a warning), never lost
        assert "".join(s.text for s in segs[1:]).replace(" ", "") == text
    assert max(s.est_seconds for s in segs) <= 18.0


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=200),
    st.sampled_from([ParagraphKind.TEXT, ParagraphKind.TEXT, ParagraphKind.VERSE, ParagraphKind.HEADING]),
)
def test_random_unicode_chapters_lose_no_words(text, kind):
    """10,000 random inputs (blank lines make paragraphs): no exception, every word in exactly one segment
    in order, speakable output, no segment crosses a paragraph."""
    ch = chapter(*[Paragraph(t, kind) for t in re.split(r"\n\s*\n", text) if t.strip()])
    segs = SEG.chapter_segments(ch)
    assert words_of_segments(segs) == words_of_chapter(ch)
    for s in segs:
        assert set(s.normalized) <= SPEAKABLE
        assert s.text.strip()
        assert s.text.replace("\n", " ") in ch.paragraphs[s.paragraph].text.replace("\n", " ")
    assert [s.index for s in segs] == list(range(len(segs)))


def test_sentences_of_a_segment_are_its_words():
    ch = chapter("One sentence here. And a second one follows it. A third.")
    for s in SEG.chapter_segments(ch):
        assert " ".join(s.sentences).split() == s.text.split()
        assert re.sub(r"\s+", " ", s.text) == s.text
