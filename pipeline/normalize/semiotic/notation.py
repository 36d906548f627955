"""Notation: powers ("10^40", "3²" after NFKC), scientific notation ("1.5e10"), equations ("1-2=5"), ordinal
fractions ("1/4th"), ratios ("3:1"), dimensions ("12 x 14"), multipliers ("4.4x"), "24/7", "50/50" and plan
names ("401(k)")."""

from __future__ import annotations

import re

from ..numbers import cardinal, ordinal
from .base import NUM, Rule, has, num_words

_POWER = re.compile(r"(?<![\w.^])(?P<b>" + NUM + r")\^(?P<e>-?\d{1,4})(?![\w^])")
_SCIENTIFIC = re.compile(r"(?<![\w.$£€¥])(?P<neg>-)?(?P<m>\d+(?:\.\d+)?)[eE](?P<e>[+-]?\d{1,3})(?![\w])")
_EQUATION = re.compile(
    r"(?<![\w.=])(?P<a>"
    + NUM
    + r")\s?(?P<op>[-+\u2212\u00d7x*/\u00f7])\s?(?P<b>"
    + NUM
    + r")\s?=\s?(?P<c>-?"
    + NUM
    + r")(?![\w])"
)
_OPS = {
    "-": "minus",
    "\u2212": "minus",
    "+": "plus",
    "\u00d7": "times",
    "x": "times",
    "*": "times",
    "/": "divided by",
    "\u00f7": "divided by",
}
_ORDINAL_FRACTION = re.compile(
    r"(?<![\w./])(?P<a>\d{1,3})/(?P<b>\d{1,3})(?:st|nd|rd|th|ST|ND|RD|TH)[sS]?(?![\w])"
)


def _ordinal_fraction(m: re.Match) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    o = {2: "half", 4: "quarter"}.get(b) or ordinal(b)
    if a != 1:
        o = "halves" if o == "half" else o + "s"
    return f"{cardinal(a)} {o}"


_RATIO = re.compile(r"(?<![\w:.,])(?P<a>\d{1,3}):(?P<b>\d)(?![\w:]|[.,]\d)")
_DIMENSION = re.compile(r"(?<![\w.])(?P<a>" + NUM + r")\s?[x\u00d7]\s?(?=\d)")
_ALWAYS = re.compile(r"(?<![\w/])24/7(?![\w/])")
_EVEN = re.compile(r"(?<![\w/.])50/50(?![\w/])")

_PLAN = re.compile(r"(?<![\w.])(?P<n>\d{3})\((?P<l>[a-zA-Z])\)")


def _power(m: re.Match) -> str:
    e = int(m.group("e"))
    base = num_words(m.group("b"))
    if e == 2:
        return f"{base} squared"
    if e == 3:
        return f"{base} cubed"
    return f"{base} to the power of {cardinal(e)}"


def _scientific(m: re.Match) -> str:
    return (
        "minus " if m.group("neg") else ""
    ) + f"{num_words(m.group('m'))} times ten to the power of {cardinal(int(m.group('e')))}"


def _equation(m: re.Match) -> str:
    return f"{num_words(m.group('a'))} {_OPS[m.group('op')]} {num_words(m.group('b'))} equals " + (
        "minus " + num_words(m.group("c")[1:]) if m.group("c").startswith("-") else num_words(m.group("c"))
    )


def _plan(m: re.Match) -> str:
    n = m.group("n")
    said = " ".join("oh" if c == "0" else cardinal(int(c)) for c in n)
    return f"{said} {m.group('l')}"


_TIMES_SUFFIX = re.compile(r"(?<![\w.,])(?P<num>" + NUM + r")x(?![\w])")


def _ratio(m: re.Match[str]) -> str:
    return f"{cardinal(int(m.group('a')))} to {cardinal(int(m.group('b')))}"


PLAN = Rule("plan name (401(k))", _PLAN, _plan, has("("))
ORDINAL_FRACTION = Rule("fraction (1/4th)", _ORDINAL_FRACTION, _ordinal_fraction, has("/"))
EQUATION = Rule("equation", _EQUATION, _equation, has("="))
ALWAYS = Rule("24/7", _ALWAYS, lambda m: "twenty-four seven", has("24/7"))
EVEN = Rule("50/50", _EVEN, lambda m: "fifty fifty", has("50/50"))
DIMENSION = Rule(
    "dimensions (12 x 14)", _DIMENSION, lambda m: num_words(m.group("a")) + " by ", has("x", "\u00d7")
)
POWER = Rule("power", _POWER, _power, has("^"))
RATIO = Rule("ratio (3:1)", _RATIO, _ratio, has(":", "."))
MULTIPLIER = Rule("multiplier (4.4x)", _TIMES_SUFFIX, lambda m: f"{num_words(m.group('num'))} x", has("x"))
SCIENTIFIC = Rule("scientific notation", _SCIENTIFIC, _scientific, has("e", "E"))
RULES = (PLAN, ORDINAL_FRACTION, EQUATION, ALWAYS, EVEN, DIMENSION, POWER, RATIO, MULTIPLIER, SCIENTIFIC)
