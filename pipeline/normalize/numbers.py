"""Numbers to words with num2words: cardinals, decimals, ordinals, years."""
from __future__ import annotations

import re

from num2words import num2words

_ORDINAL = re.compile(r"\b(\d{1,9})(st|nd|rd|th)\b", re.I)
_YEAR_CONTEXT = re.compile(r"\b(in|of|since|until|by|from|year|to|after|before|circa|c\.)\s+(1[1-9]\d\d)\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])(-?)(\d{1,3}(?:,\d{3})+|\d{1,15})(\.\d+)?(?![\w])")


def year_words(year: int) -> str:
    if 2000 <= year <= 2009:
        return num2words(year)
    return num2words(year, to="year")


def _number(m: re.Match) -> str:
    sign, whole, frac = m.group(1), m.group(2).replace(",", ""), m.group(3)
    words = num2words(int(whole))
    if frac:
        words += " point " + " ".join(num2words(int(d)) for d in frac[1:])
    return ("minus " if sign else "") + words


def expand_numbers(text: str) -> str:
    text = _ORDINAL.sub(lambda m: num2words(int(m.group(1)), to="ordinal"), text)
    text = _YEAR_CONTEXT.sub(lambda m: f"{m.group(1)} {year_words(int(m.group(2)))}", text)
    return _NUMBER.sub(_number, text)
