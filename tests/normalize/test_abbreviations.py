"""Abbreviations as one category: a full stop that belongs to an abbreviation is no sentence end unless the
sentence ends there, and a mark after it is kept. Cases written from novels of the period (not from the
corpus books), by class, through `normalize`, the sentence splitter and the real `render --normalize -`."""

from __future__ import annotations

import pytest

from pipeline.normalize import normalize
from pipeline.normalize.abbreviations import CATEGORY, ends_with_abbreviation, starts_sentence
from pipeline.segment import SentenceSplitter
from tests.conftest import run_cli

CASES = [
    # --- measures: the full stop is the unit's; a comma after it stays ---
    ("measure", "a 2 ft. 6 in. truckle bed", "a two feet six inches truckle bed"),
    ("measure", "It weighed 3 lb., no more.", "It weighed three pounds, no more."),
    ("measure", "some 4 oz.; then sugar", "some four ounces; then sugar"),
    ("measure", "a 10 yd. run, and then", "a ten yards run, and then"),
    ("measure", "He was 6 ft. tall.", "He was six feet tall."),
    # --- a.m. and p.m.: AM and PM wherever they stand, punctuation after kept ---
    ("time", "until five a.m., when the bell rang", "until five AM, when the bell rang"),
    ("time", "at nine p.m.; and so", "at nine PM; and so"),
    ("time", "It was past eleven p.m. The house slept.", "It was past eleven PM. The house slept."),
    ("time", "from six a.m. until noon", "from six AM until noon"),
    ("time", "We left at ten a.m.", "We left at ten AM."),
    ("time", "at 7 a.m., sharp", "at seven AM, sharp"),
    # --- Latin ---
    ("latin", "the 4th inst., and departed", "the fourth inst, and departed"),
    ("latin", "your favour of the 12th ult., which", "your favour of the twelfth ult, which"),
    ("latin", "three things, viz., bread, wine and salt", "three things, namely, bread, wine and salt"),
    ("latin", "fruit, e.g., apples", "fruit, for example, apples"),
    ("latin", "the one, i.e., this", "the one, that is, this"),
    ("latin", "pens, ink, etc., and paper", "pens, ink, et cetera, and paper"),
    ("latin", "Smith et al., in their book", "Smith et al, in their book"),
    ("latin", "as Smith et al. say", "as Smith et al say"),
    ("latin", "the work of Smith et al. It was long.", "the work of Smith et al. It was long."),
    # --- business ---
    ("business", "Jones & Co., and others", "Jones and Company, and others"),
    ("business", "Smith Bros., Ltd., were there.", "Smith Brothers, Limited, were there."),
    ("business", "Acme Inc., of Boston", "Acme Incorporated, of Boston"),
    # --- initials ---
    ("initial", "Mrs. G., and he made", "Missus G, and he made"),
    ("initial", "Mr. K.; who else?", "Mister K; who else?"),
    ("initial", "Was it Miss B.?", "Was it Miss B?"),
    # --- titles ---
    ("title", "Mrs. Medley came, and Dr. Watson.", "Missus Medley came, and Doctor Watson."),
    ("title", "Capt. Hook, Col. Mustard", "Captain Hook, Colonel Mustard"),
    # --- eras: the full stop ends the sentence only where a sentence starts after it ---
    (
        "era",
        "Seven Hundred and One, A.D. For that, we paid.",
        "Seven Hundred and One, AD. For that, we paid.",
    ),
    ("era", "In 44 B.C. Caesar died.", "In forty-four BC Caesar died."),
    (
        "era",
        "It was built in 1066 A.D., or so they say.",
        "It was built in ten sixty-six AD, or so they say.",
    ),
    ("era", "It fell in 410 A.D.", "It fell in four hundred ten AD."),
    ("era", "in 701 A.D. For that,", "in seven hundred one AD. For that."),
    # --- a year whose next word is the sentence's subject ---
    ("year", "In 2288 people will gush.", "In twenty-two eighty-eight people will gush."),
    ("year", "By 2150 men will fly.", "By twenty-one fifty men will fly."),
    ("year", "It rose to 2500 feet.", "It rose to two thousand five hundred feet."),
    ("year", "In 1859 people died.", "In eighteen fifty-nine people died."),
]


@pytest.mark.parametrize("kind,text,expected", CASES, ids=[f"{k}:{t[:28]}" for k, t, _ in CASES])
def test_abbreviation_cases(kind, text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("klass", sorted(CATEGORY))
def test_a_comma_after_any_abbreviation_of_the_class_is_kept(klass):
    """Over the whole table: "word ABBR., and so" keeps its comma, whatever the abbreviation reads as."""
    for abbr in sorted(CATEGORY[klass]):
        said = normalize(f"There was the {abbr}., and so on.")
        assert ", and so on." in said, (abbr, said)
        assert ". and" not in said and ".," not in said, (abbr, said)


SPLITS = [
    (
        "He slept on a 2 ft. 6 in. truckle bed. It was hard.",
        ["He slept on a 2 ft. 6 in. truckle bed.", "It was hard."],
    ),
    (
        "It was five a.m. when he came. Then Mrs. G. went out.",
        ["It was five a.m. when he came.", "Then Mrs. G. went out."],
    ),
    ("We saw Jones et al. in the hall.", ["We saw Jones et al. in the hall."]),
    ("He bought 3 lb. of tea and 2 oz. of snuff.", ["He bought 3 lb. of tea and 2 oz. of snuff."]),
    (
        "The letter of the 4th inst. arrived. We read it.",
        ["The letter of the 4th inst. arrived.", "We read it."],
    ),
]


@pytest.mark.parametrize("text,sentences", SPLITS)
def test_an_abbreviation_before_a_lower_case_word_is_no_sentence_end(text, sentences):
    assert SentenceSplitter("").split(text) == sentences


def test_the_predicates():
    assert ends_with_abbreviation("a 2 ft. 6 in.") and ends_with_abbreviation("Mrs. G.")
    assert ends_with_abbreviation("at five a.m.") and ends_with_abbreviation("the 4th inst.")
    assert not ends_with_abbreviation("He went home.") and not ends_with_abbreviation("It was 6.")
    assert starts_sentence(" For that,") and starts_sentence("") and starts_sentence(' "It was')
    assert not starts_sentence(" Caesar died") and not starts_sentence(" and then")


def test_the_cli_reads_them_the_same():
    sample = CASES[:12]
    proc = run_cli("--normalize", "-", input="\n\n".join(t for _, t, _ in sample) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [e for _, _, e in sample]
