"""`render words`: the words an engine has to guess; the lexicon's phoneme entries; the book-local lexicon."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.narrator.words import find_words
from pipeline.normalize import engine_phonemes, load_lexicon, normalize, plain_text
from pipeline.plan import plan_book
from pipeline.render import render_book
from tests.conftest import BIERCE, WODEHOUSE, run_cli
from tests.epubs import write_epub

corpus = pytest.mark.skipif(
    not WODEHOUSE.is_file() or not BIERCE.is_file(), reason="../shared/corpus not found"
)


def _names(plan, engine: str) -> dict[str, int]:
    return {w.word: w.count for w in find_words(plan, load_lexicon([]), engine)}


def _count(plan, word: str) -> int:
    """Occurrences of `word` (possessive included) in the planned segments' text, counted independently."""
    return sum(len(re.findall(rf"\b{word}(?=\W|$)", s.text)) for segs in plan.segments.values() for s in segs)


@corpus
def test_words_on_a_wodehouse_chapter_are_its_names_with_their_counts():
    plan = plan_book(WODEHOUSE, load_config(), "3", "hibari")
    hibari, soprano = _names(plan, "hibari"), _names(plan, "soprano")
    # hibari's dictionaries know "Garnet" (the stone) and "Mrs"; its guesser reads Ukridge and his nickname
    assert list(hibari)[:2] == ["Ukridge", "Garny"] and "Garnet" not in hibari
    assert hibari["Ukridge"] == soprano["Ukridge"] == _count(plan, "Ukridge") == 24
    assert hibari["Garny"] == _count(plan, "Garny")
    # Soprano: rare words and every name
    assert {"Ukridge", "Garnet", "Garny", "Millie", "fowls"} <= set(soprano)
    assert soprano["Garnet"] == _count(plan, "Garnet")
    assert "the" not in soprano and "Mr" not in soprano


@pytest.mark.slow
@corpus
@pytest.mark.parametrize("engine", ["hibari", "soprano"])
def test_words_on_both_corpus_books(engine):
    cfg = load_config()
    wodehouse = _names(plan_book(WODEHOUSE, cfg, None, engine), engine)
    assert {"Ukridge", "Beale", "Phyllis", "Garny"} <= set(list(wodehouse)[:12])
    assert wodehouse["Ukridge"] > 300
    bierce = _names(plan_book(BIERCE, cfg, None, engine), engine)
    assert {"Gassalasca", "Jamrach", "Holobom", "Terrestrian"} <= set(bierce)
    if engine == "soprano":
        assert "Garnet" in wodehouse
        assert {"lexicographer", "naught", "mendicant", "admonition"} <= set(bierce)


def test_ipa_and_hibari_phonemes_in_a_lexicon():
    assert engine_phonemes("ˈjuːkrɪdʒ") == "jˈukɹɪʤ"  # IPA: stress before the vowel, dʒ as ʤ
    assert engine_phonemes("hɜːˈmaɪəni") == "hɜɹmˈIəni"
    assert engine_phonemes("jˈukɹɪʤ") == "jˈukɹɪʤ"  # hibari's own pass through
    with pytest.raises(ValueError, match=r"no phoneme"):
        engine_phonemes("q€")


def test_a_phoneme_entry_marks_only_its_word(tmp_path):
    lex_file = tmp_path / "l.toml"
    lex_file.write_text('[words]\n"Quorridge" = "/ˈkwɒrɪdʒ/"\n"tomato" = "tuh-MAH-toe"\n', encoding="utf-8")
    lex = load_lexicon([lex_file], bundled=False)
    said = normalize("Quorridge's tomato cost 3 pounds; QUORRIDGE and quorridge too.", lex)
    assert said == "[Quorridge's](/kwˈɒɹɪʤᵻz/) tuh-MAH-toe cost three pounds; QUORRIDGE and quorridge too."
    assert plain_text(said) == "Quorridge's tuh-MAH-toe cost three pounds; QUORRIDGE and quorridge too."
    for bad in ('"Quorridge" = "/q€/"', '"Quorridge" = "//"x'):
        lex_file.write_text(f"[words]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"l\.toml"):
            load_lexicon([lex_file], bundled=False)


def _book(path: Path) -> Path:
    chapters = [
        ("One", ["The ferry left at dawn. Quorridge held the rope.", "The river was wide and slow."]),
        ("Two", ["Nobody spoke on the crossing.", "At the landing Quorridge's dog barked twice."]),
        (
            "Three",
            ["The evening came down over the water.", "The BBC said the lamps were first lit in 1859."],
        ),
    ]
    return write_epub(path, chapters, title="The Crossing")


def test_render_words_then_an_edited_entry_renders_only_its_segments(tmp_path, hibari_engine):
    book = _book(tmp_path / "crossing.epub")
    words_out = tmp_path / "words"
    proc = run_cli("words", str(book), "--out", str(words_out), "--players", "3")
    assert proc.returncode == 0, proc.stderr
    lexicon = (words_out / "crossing.lexicon.toml").read_text(encoding="utf-8")
    assert tomllib.loads(lexicon) == {"words": {}}  # every entry commented out
    assert "# Quorridge: 2 times, chapters 1-2; guessed by its G2P; hibari says /" in lexicon
    assert "# BBC: 1 time, chapter 3; read letter by letter; hibari says /bˌibˌisˈi/" in lexicon
    assert "# 1859: 1 time, chapter 3; a number, read as words; hibari says /" in lexicon
    page = (words_out / "words.html").read_text(encoding="utf-8")
    assert page.count("<audio") == min(3, page.count("<tr>") - 1)
    assert re.search(r"segment 00[12]-\d{5}<", page)
    assert "Quorridge" in proc.stderr and "crossing.lexicon.toml" in proc.stderr

    cfg = load_config(overrides={"engine": {"name": "hibari"}, "output": {"formats": ["mp3"]}})
    out = tmp_path / "out"
    first = render_book(book, out, cfg, progress=False, engine=hibari_engine)
    entry = next(line for line in lexicon.splitlines() if line.startswith('# "Quorridge"'))
    own = book.with_name("crossing.lexicon.toml")  # BOOK.lexicon.toml beside the book: read by default
    own.write_text(lexicon.replace(entry, '"Quorridge" = "/ˈkwɒrɪdʒ/"'), encoding="utf-8")
    again = render_book(book, out, cfg, progress=False, engine=hibari_engine)
    assert str(own) in again.lexicons and str(own) not in (first.lexicons or [])
    marked = [s.id for ch in again.chapters for s in ch.segment_list if "[Quorridge" in s.normalized]
    assert len(marked) == 2 and again.stats.rendered == 2  # only the two segments with the word
    assert (again.stats.chapters_rendered, again.stats.chapters_reused) == (2, 1)

    # a malformed book lexicon: one line, exit 2, the folder as it was
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    own.write_text('[words]\n"Quorridge" = "/kw€/"\n', encoding="utf-8")
    proc = run_cli(str(book), "--out", str(out), "--engine", "hibari", "--quiet")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "crossing.lexicon.toml" in proc.stderr and "no phoneme" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_book_path_named_words_is_still_a_book(tmp_path):
    shelf = tmp_path / "words"
    shelf.mkdir()
    shutil.copy(_book(tmp_path / "crossing.epub"), shelf / "crossing.epub")
    proc = run_cli("words", "--dry-run", cwd=tmp_path)  # ./words is here: the folder of books, as before
    assert proc.returncode == 2 and "--dry-run takes one book" in proc.stderr, proc.stderr
    proc = run_cli("words", "--help")
    assert proc.returncode == 0 and "Usage: render words" in proc.stdout
