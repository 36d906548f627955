"""Dates: numeric (10/06/2005, 2016/07/03, 01.10.2010, 15-01-2020, "on 7/4"), month names in any case
("july 25 2012", "SEPT. 15", "Jan-15"), decade ranges ("the '60s-'70s") and eras (AD, BC)."""

from __future__ import annotations

import re

from ..numbers import MONTHS, cardinal, month_day_year, ordinal, year_words
from .base import Rule, has

_MONTH_WORD = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_MONTH_FIX = re.compile(
    r"(?<![\w.])(?P<mon>(?i:" + _MONTH_WORD + r"))(?P<dot>\.)?(?=,?\s\d{1,2}(?:st|nd|rd|th|d)?\b)"
    r"|(?<=\d\s)(?P<mon2>(?i:" + _MONTH_WORD + r"))(?P<dot2>\.)?(?![\w])"
    r"|(?<=\d(?:st|nd|rd|th)\s)(?P<mon3>(?i:" + _MONTH_WORD + r"))(?P<dot3>\.)?(?![\w])"
)
_MONTH_BY_KEY = {m[:3].lower(): m for m in MONTHS} | {"sep": "September", "sept": "September"}


_MONTH_HYPHEN = re.compile(
    r"(?<![\w.-])(?P<mon>(?i:" + _MONTH_WORD + r"))-(?P<d>[0-3]?\d)(?:-(?P<y>\d{4}))?(?![\w-])"
)


def _month_hyphen(m: re.Match) -> str:
    return month_day_year(m, _MONTH_BY_KEY[m.group("mon").lower()[:3]])


def _month_fix(m: re.Match) -> str:
    word = m.group("mon") or m.group("mon2") or m.group("mon3")
    if (
        word in ("may", "mar")
        and not m.group("mon")
        and not re.match(r",?\s\d{4}(?!\d)", m.string[m.end() : m.end() + 6])
    ):
        return m.group(0)  # "5 may", "3 mar": the verbs, too likely ("17 may 2010" is a date)
    if word.lower() == "may" and m.group("mon"):
        nxt = m.string[m.end() : m.end() + 12]
        dated = r",?\s\d{1,2}(?:st|nd|rd|th|d)?,?\s\d{4}(?!\d)|\s\d{1,2}(?:st|nd|rd|th|d)\b"
        if not re.match(dated if word == "may" else dated + r"|,?\s\d{1,2}(?:[.,;:!?]|$)", nxt):
            return m.group(0)  # "you may 2 go": the verb
    return _MONTH_BY_KEY.get(word.lower()[:4] if word.lower().startswith("sept") else word.lower()[:3], word)


_NUM_DATE = re.compile(
    r"(?<![\w/.:-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?![\w/]|[.:-]\d)"
)
_MONTH_DAY = re.compile(
    r"\b(?P<pre>on|by|until|till|from|since|before|after) (?P<m>\d{1,2})/(?P<d>\d{1,2})"
    r"(?![\w/]|[.,]\d)",
    re.I,
)
_YMD_DATE = re.compile(
    r"(?<![\w/.:-])(?P<y>1\d{3}|20\d{2})(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?![\w/]|[.:-]\d)"
)


def _say_date(day: int, month: int, year: str | None, day_first: bool) -> str:
    y = ""
    if year:  # a two-digit year is said as written: 7/4/76 -> "seventy-six", 11/17/05 -> "oh five"
        yi = int(year)
        y = (
            f", {year_words(yi)}"
            if len(year) == 4
            else f", {cardinal(yi) if yi >= 10 else 'oh ' + cardinal(yi)}"
        )
    if day_first:
        return f"the {ordinal(day)} of {MONTHS[month - 1]}{y}"
    return f"{MONTHS[month - 1]} {ordinal(day)}{y}"


def _num_date(m: re.Match) -> str:
    a, b, sep, y = int(m.group("a")), int(m.group("b")), m.group("sep"), m.group("y")
    if sep in "-." and len(y) == 2:
        return m.group(0)  # 1-2-03 or 1.2.03: versions, scores, not dates
    day_first = sep == "." or a > 12
    day, month = (a, b) if day_first else (b, a)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return _say_date(day, month, y, day_first)


def _ymd_date(m: re.Match) -> str:
    month, day = int(m.group("m")), int(m.group("d"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return _say_date(day, month, m.group("y"), False)


def _month_day(m: re.Match[str]) -> str:
    if 1 <= int(m.group("m")) <= 12 and 1 <= int(m.group("d")) <= 31:
        return f"{m.group('pre')} {MONTHS[int(m.group('m')) - 1]} {ordinal(int(m.group('d')))}"
    return m.group(0)


_DECADE_RANGE = re.compile(r"(?<![\w'])(?P<a>'?\d{2,4}s)\s?(?:-|\u2013)\s?(?P<b>'?\d{2,4}s)(?![\w])")
_ERA = re.compile(r"(?<=\d)(?P<sp>\s?)(?P<era>A\.D\.|A\.D|AD|B\.C\.E\.|BCE|B\.C\.|B\.C|BC|C\.E\.|CE)(?![\w])")
_ERA_BEFORE = re.compile(r"(?<![\w.])(?P<era>A\.D\.|AD)(?=\s\d)")


def _era(m: re.Match) -> str:
    letters = "".join(c for c in m.group("era") if c.isalpha())
    end = "." if m.group("era").endswith(".") and not m.string[m.end() :].strip() else ""
    return f" {letters}{end}"


DECADE_RANGE = Rule(
    "decade range",
    _DECADE_RANGE,
    lambda m: f"{m.group('a')} to {m.group('b')}",
    lambda text: "s-" in text or "s\u2013" in text or "s -" in text,
)
ERA = Rule("era (AD, BC)", _ERA, _era, has("D", "C"))
ERA_BEFORE = Rule("era (AD, BC)", _ERA_BEFORE, lambda m: "AD", has("D", "C"))
MONTH_HYPHEN = Rule("date (Jan-15)", _MONTH_HYPHEN, _month_hyphen, has("-"))
MONTH_NAME = Rule("month name", _MONTH_FIX, _month_fix)
YMD_DATE = Rule("date (year first)", _YMD_DATE, _ymd_date, has("/", ".", "-"))
NUM_DATE = Rule("date (numeric)", _NUM_DATE, _num_date, has("/", ".", "-"))
MONTH_DAY = Rule("date (month/day)", _MONTH_DAY, _month_day, has("/"))
RULES = (DECADE_RANGE, ERA, ERA_BEFORE, MONTH_HYPHEN, MONTH_NAME, YMD_DATE, NUM_DATE, MONTH_DAY)
