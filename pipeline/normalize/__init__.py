"""Normalize: book text to the words an engine should say. Pure functions of text; no model needed.

`normalize(text)` is what every engine reads. The stages run in a fixed order:
unicode clean-up -> quotes -> lexicon -> abbreviations -> numbers -> symbols -> whitespace.
"""
from __future__ import annotations

import re

from .lexicon import Lexicon, load_lexicon
from .numbers import expand_numbers

_CHARMAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2043": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2007": " ",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\u00e6": "ae", "\u0153": "oe", "\u00c6": "Ae", "\u0152": "Oe",
})
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_DASHES = re.compile(r"\s*(?:[\u2013\u2014\u2015\u2e3a\u2e3b]|--+)\s*")
_ELLIPSIS = re.compile(r"\s*(?:\u2026|\.(?:\s?\.){2,})\s*")
_SPACES = re.compile(r"\s+")

_ABBREVIATIONS = {
    "Mr.": "Mister", "Mrs.": "Missus", "Ms.": "Miz", "Dr.": "Doctor", "Prof.": "Professor",
    "Rev.": "Reverend", "Hon.": "Honourable", "Capt.": "Captain", "Col.": "Colonel", "Gen.": "General",
    "Lt.": "Lieutenant", "Sgt.": "Sergeant", "Jr.": "Junior", "Sr.": "Senior", "vs.": "versus",
    "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is", "No.": "Number", "Mt.": "Mount",
}
_ABBR_RE = re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len,
                                                                             reverse=True)) + r")(?!\w)")
_SYMBOLS = {"&": " and ", "%": " percent", "@": " at ", "+": " plus ", "=": " equals ", "°": " degrees",
            "#": " number ", "§": " section ", "¶": " paragraph "}
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in _SYMBOLS))


def clean_unicode(text: str) -> str:
    """Typographic characters to plain ones: quotes, dashes, ellipses, ligatures, odd spaces."""
    text = _INVISIBLE.sub("", text).translate(_CHARMAP)
    text = _ELLIPSIS.sub("... ", text)
    text = _DASHES.sub(", ", text)
    return text


def normalize(text: str, lexicon: Lexicon | None = None) -> str:
    """The words an engine should say for `text` (one sentence or a few)."""
    text = clean_unicode(text)
    if lexicon is not None:
        text = lexicon.apply(text)
    text = _ABBR_RE.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)
    text = expand_numbers(text)
    text = _SYMBOL_RE.sub(lambda m: _SYMBOLS[m.group(0)], text)
    text = text.replace("\n", ", ")
    text = _SPACES.sub(" ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"^[,;: ]+|(?<=[,;:]),+", "", text).strip()
    return text


__all__ = ["normalize", "clean_unicode", "Lexicon", "load_lexicon"]
