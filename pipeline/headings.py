"""Which headings are heard, and how: the rule a narrator follows (pure, no model).

- Every heading a reader sees is heard once, where a narrator says it: a part's or book's title, and a
  story's title over its numbered sections, at the start of the first chapter under it (`new_parents`; the
  EPUB and text readers add them as title paragraphs).
- A chapter whose heading is a bare number ("I", "12", "Seven") is announced "Chapter One" (`said_title`),
  unless `[text] heading_numbers = "bare"`; a numbered section of a story (its parent is no Part or Book)
  keeps its bare number, as narrators read "A Scandal in Bohemia. One."
"""

from __future__ import annotations

import re

from .normalize.words import is_roman_heading

# a parent whose title starts with one of these holds chapters; any other parent is a story, with sections
PART_WORDS = ("part", "book", "volume", "vol.", "tome", "act", "division", "section", "canto", "fytte")
_NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
]
_WORD_NUMBER = re.compile(
    r"(?i)^(?:" + "|".join(_NUMBER_WORDS) + r")(?:[- ](?:" + "|".join(_NUMBER_WORDS) + r"))*$"
)
_DIGITS = re.compile(r"^\d{1,4}$")


def new_parents(parents: list[str], previous: list[str], spoken: set[str]) -> list[str]:
    """The enclosing titles (outermost first) a chapter enters that the chapter before it was not in, less
    those already heard as chapters of their own (`spoken`): what is read before this chapter's title."""
    k = 0
    while k < len(parents) and k < len(previous) and parents[k] == previous[k]:
        k += 1
    return [p for p in parents[k:] if p.strip() and p not in spoken]


def bare_number(title: str, numbered_headings: bool) -> bool:
    """Whether a heading is a number alone: "12", "XII", "XII.", "Twelve", "Twenty-one"; a lone "I", "V" or
    "X" only in a book that numbers its headings with Roman numerals (`numbered_headings`), not a dictionary's
    letters."""
    t = title.strip().rstrip(".").strip()
    if _DIGITS.match(t) or _WORD_NUMBER.match(t):
        return True
    roman = is_roman_heading(t)
    return bool(roman and roman == t and (len(roman) > 1 or numbered_headings))


def is_story_section(parents: list[str]) -> bool:
    """A chapter inside a story (its nearest parent is a title, not a "Part", "Book" or the like)."""
    if not parents:
        return False
    first = parents[-1].strip().lower().split(" ", 1)[0].rstrip(".:")
    return first not in PART_WORDS and not first.isdigit() and is_roman_heading(parents[-1].strip()) is None


def said_title(title: str, parents: list[str], mode: str, numbered_headings: bool) -> str:
    """What the chapter's own title is read as: "Chapter XII" for a bare "XII" when `mode` is "chapter" (the
    default) and the chapter is no story's section; the title itself otherwise."""
    if mode == "chapter" and bare_number(title, numbered_headings) and not is_story_section(parents):
        return "Chapter " + title.strip().rstrip(".").strip()
    return title
