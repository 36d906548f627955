"""What every semiotic class shares: the `Rule` record (a row of the table), the number pattern and its
reading, and the tests on a match's surroundings (a period that also ends the sentence, a noun after it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..numbers import _decimal
from ..trace import sub


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One rewrite of the semiotic pass: where `guard` holds for the text (a cheap test, such as a character the
    pattern needs; None: always) and, unless `digits` is False, the text has a digit, every match of `pattern`
    becomes `reading(match)`. `name` is what `render --normalize --explain` prints for it."""

    name: str
    pattern: re.Pattern[str]
    reading: Callable[[re.Match[str]], str]
    guard: Callable[[str], bool] | None = None
    digits: bool = True

    def apply(self, text: str) -> str:
        return sub(self.pattern, self.reading, text, self.name)


def has(*marks: str) -> Callable[[str], bool]:
    """A guard: the text holds one of `marks`."""
    return lambda text: any(mark in text for mark in marks)


# --- numbers ---------------------------------------------------------------------------------------------
NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def num_words(s: str) -> str:
    whole, _, frac = s.replace(",", "").partition(".")
    return _decimal(whole or "0", frac or None)


def is_one(s: str) -> bool:
    return s.replace(",", "") in ("1", "1.0")


def end_period(m: re.Match[str], consumed_period: bool) -> str:
    """A period the match swallowed that also ended the sentence ("at 3 p.m. Then", "4 lbs." at the end)."""
    if not consumed_period:
        return ""
    rest = m.string[m.end() : m.end() + 3]
    if not rest.strip() or (rest[:1].isspace() and (rest[1:2].isupper() or rest[1:2] in "\"'\u201c\u2018")):
        return "."
    return ""


# "a 10 kg bag", "the 100m sprint": a measure before a noun is singular, as a narrator says it
_ARTICLE_BEFORE = re.compile(r"(?:^|\s)(?:a|an|the|A|An|The|this|that|each|every|one)\s$")
_NOT_A_NOUN = frozenset(
    """of and or to from away in on at per each for more less was were is are had has would
will could behind ahead further farther north south east west down up off out long high tall deep wide thick
apart above below over under into than across by with""".split()
)


def before_noun(m: re.Match[str]) -> bool:
    before = m.string[max(0, m.start() - 8) : m.start()]
    if not _ARTICLE_BEFORE.search(before):
        return False
    nxt = re.match(r" ([a-z]+)\b", m.string[m.end() : m.end() + 16])
    return nxt is not None and nxt.group(1) not in _NOT_A_NOUN
