"""Normalize: book text to the words an engine should say (English). Pure functions of text; no model.

`normalize(text)` is what every engine reads. The stages run in a fixed order, each a pure function:

  unicode clean-up (chars)  ->  quotes (dialogue to double quotes, apostrophes kept)  ->  lexicon
  ->  URLs and e-mail addresses  ->  abbreviations  ->  Roman numerals  ->  numbers  ->  dashes and
  ellipses to pauses  ->  symbols  ->  diacritics dropped, unspeakable characters dropped  ->  tidy
  punctuation and whitespace  ->  quotes balanced.

The result holds only characters of `SPEAKABLE`. Every pattern runs in linear time, so a 10 MB line of
dots or digits is no slower per character than prose.
"""

from __future__ import annotations

import re

from .chars import SPEAKABLE, clean_unicode, keep_speakable, transliterate, unsupported_scripts
from .lexicon import Lexicon, load_lexicon
from .numbers import expand_numbers
from .quotes import INNER_QUOTE, balance_quotes, fix_quotes
from .semiotic import expand_semiotic
from .trace import TRACE
from .words import (
    expand_abbreviations,
    expand_addresses,
    expand_blanks,
    expand_letters,
    expand_roman,
    expand_street_addresses,
    expand_symbols,
    spell_initialisms,
)

_SPACES = re.compile(r"\s{2,}|[^\S ]")  # only whitespace that is not already one plain space
_ODD_SPACE = re.compile(r"[^\S ]")


def collapse(text: str) -> str:
    """Runs of whitespace to one space (the scan is skipped when there is nothing to collapse)."""
    if "  " in text or _ODD_SPACE.search(text):
        return _SPACES.sub(" ", text)
    return text


_DASH_CHARS = str.maketrans(dict.fromkeys("\u2013\u2015\u2e3a\u2e3b\ufe58", "\u2014"))
_ODD_DASH = re.compile("[\u2013\u2015\u2e3a\u2e3b\ufe58]")
_DOUBLE_HYPHEN = re.compile(r"-{2,}")
_DASH = re.compile(r" ?\u2014+ ?|(?<= )-(?= )")
_DASH_QUOTE = re.compile(r'(?<!\u2014)\u2014+(["\'\ue000])(?=[ ,.;:!?)]|$)')
_ELLIPSIS = re.compile(r"\.(?: ?\.){2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<! ) +(?=[,.;:!?])")
_PUNCT_RUN = re.compile(r"[,.;:!?][ ,.;:!?]*[,.;:!?]")
_INNER_BY_OUTER = re.compile('" ?\ue000|\ue000 ?"')
_PUNCT_QUOTE_PUNCT = re.compile(r'([,.;:!?])"[,;:]')
_SPACE_PUNCT_HINT = re.compile(r" [,.;:!?]")
_STRAY_APOSTROPHE = re.compile(r"(?<![A-Za-z])'(?![A-Za-z])")
_LEADING = re.compile(r"^[ ,.;:!?]+")
_QUOTE_SPACE = re.compile(r'(?<=[,.;:!?])"(?=[A-Za-z])')


def _strongest(m: re.Match) -> str:
    run = m.group(0)
    if len(run) == 1:
        return run
    for mark in "?!.;:":
        if mark in run:
            return mark
    return ","


def pauses(text: str) -> str:
    """Dashes and ellipses to commas (short pauses); whitespace collapsed to single spaces."""
    if _ODD_DASH.search(text):
        text = text.translate(_DASH_CHARS)
    text = collapse(text)
    if "--" in text:
        text = _DOUBLE_HYPHEN.sub("\u2014", text)
    if ".." in text or ". ." in text:
        text = _ELLIPSIS.sub(", ", text)
    if "\u2014" in text or " - " in text:
        text = _DASH_QUOTE.sub(r",\1", text)  # speech broken off: 'Outsider—"' -> 'Outsider,"'
        text = _DASH.sub(", ", text)
    return text


def tidy(text: str) -> str:
    """One space between words, no space before punctuation, one mark where several meet, no leading
    punctuation, a final comma or colon turned into a period."""
    text = collapse(text).strip()
    if _SPACE_PUNCT_HINT.search(text):
        text = _SPACE_BEFORE_PUNCT.sub("", text)
    text = _PUNCT_RUN.sub(_strongest, text)
    if '"' in text:
        text = _PUNCT_QUOTE_PUNCT.sub(r'\1"', text)  # '"Outsider,", My' -> '"Outsider," My'
    if "'" in text:
        text = _STRAY_APOSTROPHE.sub("", text)
        text = collapse(text)
    text = _LEADING.sub("", text).strip()
    if text and text[-1] in ",;:":
        text = text[:-1] + "."
    elif len(text) > 1 and text[-1] == '"' and text[-2] in ",;:":
        text = text[:-2] + '."'
    return text


def normalize(
    text: str,
    lexicon: Lexicon | None = None,
    *,
    heading: bool = False,
    quotes_fixed: bool = False,
    numbered_headings: bool = False,
) -> str:
    """The words an engine should say for `text` (a sentence, a few, or a paragraph).

    `heading`: the text is a chapter title or heading, where a leading Roman numeral is a number
    ("IV: The Arrival" -> "Four: The Arrival"); with `numbered_headings` (the book numbers its chapters
    I, II, III ...) a lone "I", "V" or "X" heading is a number too. `quotes_fixed`: single-quote dialogue was already
    converted on the whole paragraph (see `fix_quotes`), so a sentence cut from it is not re-guessed.
    The result holds only characters of `SPEAKABLE`.
    """
    text = collapse(clean_unicode(text))
    if not quotes_fixed:
        text = fix_quotes(text)
    if lexicon is not None:
        text = lexicon.apply(text)
    text = expand_addresses(text)
    text = expand_blanks(text)
    text = expand_street_addresses(text)
    text = expand_semiotic(text)
    text = expand_abbreviations(text)
    text = expand_roman(text, heading=heading, numbered_headings=numbered_headings)
    text = expand_numbers(text)
    text = expand_letters(text)
    text = pauses(text)
    text = expand_symbols(text)
    if INNER_QUOTE in text:  # a quotation inside one: its marks go, with any space beside outer ones
        text = _INNER_BY_OUTER.sub('"', text).replace(INNER_QUOTE, "")
    text = keep_speakable(transliterate(text))
    text = tidy(text)
    return tighten_quotes(balance_quotes(text)) if '"' in text else text


def tighten_quotes(text: str) -> str:
    """No space just inside a quotation: '" Hullo ,"' -> '"Hullo,"' (quotes taken to alternate open, close)."""
    if '" ' not in text and ' "' not in text:
        return text
    parts = text.split('"')
    for k in range(1, len(parts), 2):  # the odd parts are inside quotes
        parts[k] = parts[k].strip()
    out = parts[0]
    for k in range(1, len(parts)):
        out += '"' + parts[k]
    return _SPACE_BEFORE_PUNCT.sub("", out)


def is_speakable(text: str) -> bool:
    return all(c in SPEAKABLE for c in text)


__all__ = [
    "SPEAKABLE",
    "Lexicon",
    "balance_quotes",
    "clean_unicode",
    "fix_quotes",
    "is_speakable",
    "load_lexicon",
    "normalize",
    "pauses",
    "spell_initialisms",
    "tidy",
    "unsupported_scripts",
]


def explain(text: str, lexicon=None) -> tuple[str, list[tuple[str, str, str]]]:
    """(normalized text, the rewrites: (original span, rule, reading)) for `render --normalize --explain`."""
    trace: list[tuple[str, str, str]] = []
    token = TRACE.set(trace)
    try:
        out = normalize(text, lexicon)
    finally:
        TRACE.reset(token)
    return out, trace
