"""Abbreviations as one category: which full stops belong to a word, not to the sentence.

The rule over the whole category: a full stop that belongs to an abbreviation is never a sentence end unless
the sentence ends there (the text ends, or the next word starts a sentence), and a mark after it (`a.m.,`,
`inst.,`, `Mrs. G.,`) is kept: the period goes, the comma stays. Normalization (`expand_category`) and
sentence splitting (`pipeline.segment`, through `ends_with_abbreviation`) read the same table.

Each class of the category is one entry of `CATEGORY`, lower case, without the final period.
"""

from __future__ import annotations

import re

from .trace import sub

CATEGORY: dict[str, frozenset[str]] = {
    "measure": frozenset(
        [
            "ft",
            "in",
            "lb",
            "lbs",
            "oz",
            "yd",
            "yds",
            "mi",
            "hr",
            "hrs",
            "min",
            "sec",
            "doz",
            "pp",
            "p",
            "no",
            "nos",
            "cwt",
            "st",
            "qr",
            "qt",
            "pt",
            "gal",
            "sq",
            "cu",
        ]
    ),
    "time": frozenset(
        [
            "a.m",
            "p.m",
            "a.d",
            "b.c",
            "b.c.e",
            "c.e",
            "jan",
            "feb",
            "mar",
            "apr",
            "jun",
            "jul",
            "aug",
            "sep",
            "sept",
            "oct",
            "nov",
            "dec",
        ]
    ),
    "latin": frozenset(
        [
            "inst",
            "ult",
            "prox",
            "viz",
            "e.g",
            "i.e",
            "etc",
            "&c",
            "cf",
            "al",
            "ibid",
            "op",
            "cit",
            "loc",
            "seq",
            "ca",
            "c",
            "v",
            "vs",
            "p.a",
        ]
    ),
    "business": frozenset(["co", "ltd", "bros", "inc", "corp", "dept", "univ", "esq", "messrs"]),
    "title": frozenset(
        [
            "mr",
            "mrs",
            "ms",
            "dr",
            "prof",
            "rev",
            "revd",
            "hon",
            "st",
            "capt",
            "col",
            "gen",
            "lt",
            "sgt",
            "cpl",
            "maj",
            "adm",
            "gov",
            "sen",
            "rep",
            "pres",
            "fr",
            "jr",
            "sr",
            "mme",
            "mlle",
        ]
    ),
}
ALL = frozenset().union(*CATEGORY.values())

# words that start a sentence after an abbreviation's full stop ("A.D. For that", "Elm St. It was")
SENTENCE_STARTERS = frozenset(
    [
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "The",
        "A",
        "An",
        "There",
        "This",
        "That",
        "These",
        "Those",
        "But",
        "And",
        "So",
        "Then",
        "When",
        "While",
        "His",
        "Her",
        "Its",
        "Our",
        "Their",
        "My",
        "Your",
        "In",
        "On",
        "At",
        "After",
        "Before",
        "As",
        "If",
        "Yet",
        "Now",
        "Here",
        "What",
        "Who",
        "Why",
        "How",
        "Where",
        "One",
        "No",
        "Not",
        "Nor",
        "All",
        "Some",
        "Every",
        "Each",
        "Such",
        "Still",
        "Later",
        "Soon",
        "For",
        "From",
        "With",
        "To",
        "Of",
        "By",
        "Upon",
        "Thus",
        "Though",
        "Although",
        "Once",
        "Even",
        "Never",
        "Only",
        "Again",
        "Perhaps",
        "Yes",
        "Meanwhile",
        "Nothing",
        "Everything",
        "Nobody",
        "Everybody",
        "Whatever",
        "Whoever",
    ]
)

_WORD_BEFORE_STOP = re.compile(r"(?:^|(?<=[\s(\"'\u201c\u2018]))(?P<w>[A-Za-z&][A-Za-z.&]*)\.$")
_AM_PM = re.compile(r"(?<![\w.])(?P<ap>[AaPp])\.\s?[Mm]\.(?![\w])")
_ET_AL = re.compile(r"(?<![\w.])et al\.(?![\w])")
_STARTER = re.compile(r" ?[\"'\u201c\u2018]?([A-Z][a-z]*)")


def starts_sentence(after: str) -> bool:
    """Whether `after` (the text after an abbreviation's full stop) begins a new sentence: nothing but
    space left, or a word of `SENTENCE_STARTERS` (a capital alone is not enough: "B.C. Caesar", "Mrs. G.")."""
    if not after.strip():
        return True
    m = _STARTER.match(after)
    return bool(m and m.group(1) in SENTENCE_STARTERS)


def ends_with_abbreviation(text: str) -> bool:
    """Whether `text` (a sentence as a splitter cut it) ends on a full stop that belongs to an abbreviation of
    the category, or to an initial ("G.", "U.S."), rather than to the sentence."""
    m = _WORD_BEFORE_STOP.search(text[-24:])
    if m is None:
        return False
    word = m.group("w")
    return word.lower() in ALL or (len(word) == 1 and word.isupper()) or "." in word


def _period_if_end(m: re.Match) -> str:
    return "." if starts_sentence(m.string[m.end() : m.end() + 16]) else ""


def expand_category(text: str) -> str:
    """a.m./p.m. as AM/PM wherever they stand ("five a.m., when" -> "five AM, when"), "et al." as "et al";
    each keeps its full stop only where the sentence ends with it. Runs before the other abbreviations."""
    if "m." in text or "M." in text:
        text = sub(
            _AM_PM, lambda m: ("AM" if m.group("ap") in "Aa" else "PM") + _period_if_end(m), text, "a.m./p.m."
        )
    if "et al." in text:
        text = sub(_ET_AL, lambda m: "et al" + _period_if_end(m), text, "et al.")
    return text
