"""Characters: what the engines can speak, and how everything else is cleaned into it.

`SPEAKABLE` is the whole alphabet a normalized text may use: ASCII letters, the space, and the
punctuation the engines turn into prosody. Digits and symbols are spelled out before the end, letters
with diacritics lose them (café -> cafe), ligatures are split, and characters of scripts the English
front end cannot read are dropped (`unsupported_scripts` names them so the caller can warn).

Every regular expression here runs in linear time: no nested quantifiers, and every variable-length
run that could start anywhere is anchored by a lookbehind of its own class.
"""

from __future__ import annotations

import re
import unicodedata

SPEAKABLE_PUNCTUATION = frozenset(".,;:!?'\"-")
SPEAKABLE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ") | SPEAKABLE_PUNCTUATION

# one-to-one replacements: typographic characters to plain ones (length is kept, see quotes.fix_quotes)
SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\u02bc\u2039\u203a"
DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02"
_HYPHENS = "\u2010\u2011\u2012\u2043\u2212\ufe63\uff0d"
DASHES = "\u2013\u2014\u2015\u2e3a\u2e3b\ufe58"

# many-character replacements done before NFKC (which would turn "1½" into "11⁄2")
_MULTI = {
    "\u00bd": " 1/2 ",
    "\u2153": " 1/3 ",
    "\u2154": " 2/3 ",
    "\u00bc": " 1/4 ",
    "\u00be": " 3/4 ",
    "\u2155": " 1/5 ",
    "\u2156": " 2/5 ",
    "\u2157": " 3/5 ",
    "\u2158": " 4/5 ",
    "\u2159": " 1/6 ",
    "\u215a": " 5/6 ",
    "\u2150": " 1/7 ",
    "\u215b": " 1/8 ",
    "\u215c": " 3/8 ",
    "\u215d": " 5/8 ",
    "\u215e": " 7/8 ",
    "\u2151": " 1/9 ",
    "\u2152": " 1/10 ",
    "\u2044": "/",
    "\u00df": "ss",
    "\u1e9e": "SS",
    "\u00e6": "ae",
    "\u00c6": "Ae",
    "\u0153": "oe",
    "\u0152": "Oe",
    "\u00f8": "o",
    "\u00d8": "O",
    "\u0111": "d",
    "\u0110": "D",
    "\u0142": "l",
    "\u0141": "L",
    "\u00fe": "th",
    "\u00de": "Th",
    "\u00f0": "dh",
    "\u00d0": "Dh",
    "\u0131": "i",
    "\u0127": "h",
    "\u2026": "...",
    "\u00d7": " times ",
    "\u00f7": " divided by ",
    "\u00b1": " plus or minus ",
    "\u2248": " about ",
    "\u2260": " not equal to ",
    "\u2264": " at most ",
    "\u2265": " at least ",
    "\u2122": " ",
    "\u00ae": " ",
    "\u00a9": " copyright ",
    "\u2022": ", ",
    "\u00b7": ", ",
    "\u2020": " ",
    "\u2021": " ",
    "\u00a7": " section ",
    "\u00b6": " paragraph ",
    "\u2116": " number ",
    "\u00a2": " cents",
    "\u2030": " per mille",
    "\u00ba": "\u00b0",
    "\u02da": "\u00b0",
}
_ONE_TO_ONE = str.maketrans(
    {
        **dict.fromkeys(SINGLE_QUOTES, "'"),
        **dict.fromkeys(DOUBLE_QUOTES, '"'),
        **dict.fromkeys(_HYPHENS, "-"),
    }
)
_ONE_TO_ONE_ANY = re.compile("[" + re.escape(SINGLE_QUOTES + DOUBLE_QUOTES + _HYPHENS) + "]")
_MULTI_RE = re.compile("|".join(re.escape(k) for k in _MULTI))
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069\ufe00-\ufe0f]")
_UNSPEAKABLE = re.compile(r"[^A-Za-z .,;:!?'\"-]+")
_SUPERSCRIPTS = str.maketrans("\u00b2\u00b3", "23")
_POWER_AFTER_NUMBER = re.compile(r"(?<=[\d)])[\u00b2\u00b3]")  # "km²" stays "km2" (square kilometers)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def one_to_one(text: str) -> str:
    """Curly quotes to straight ones, odd hyphens to '-': a string of the same length."""
    return text.translate(_ONE_TO_ONE)


def clean_unicode(text: str) -> str:
    """Odd unicode to plain text: invisible and control characters gone, ligatures and compatibility forms
    folded (NFKC), vulgar fractions to "1/2", quotes straightened. Dashes and ellipses are kept for the
    pause stage."""
    text = _CONTROL.sub(" ", text)
    if text.isascii():
        return text
    if "\u200b" in text:
        text = text.replace("\u200b", " ")  # a zero-width space separates words: "apple\u200bpie"
    text = _INVISIBLE.sub("", text)
    text = _MULTI_RE.sub(lambda m: _MULTI[m.group(0)], text)
    if "\u00b2" in text or "\u00b3" in text:
        text = _POWER_AFTER_NUMBER.sub(lambda m: "^" + m.group(0).translate(_SUPERSCRIPTS), text)  # 3² -> 3^2
    text = unicodedata.normalize("NFKC", text)
    text = _MULTI_RE.sub(lambda m: _MULTI[m.group(0)], text)  # NFKC can produce some of them
    return one_to_one(text)


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0].title() if name else f"U+{ord(ch):04X}"


_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωϛ",
        [
            "a",
            "b",
            "g",
            "d",
            "e",
            "z",
            "e",
            "th",
            "i",
            "k",
            "l",
            "m",
            "n",
            "x",
            "o",
            "p",
            "r",
            "s",
            "s",
            "t",
            "u",
            "ph",
            "ch",
            "ps",
            "o",
            "st",
        ],
        strict=True,
    )
)
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
_ROMANIZE = _GREEK | _CYRILLIC


def _romanize(ch: str) -> str | None:
    low = ch.lower()
    if low in _ROMANIZE:
        out = _ROMANIZE[low]
        return out.capitalize() if ch != low else out
    return None


_TRANSLIT: dict[str, str] = {}  # one character -> its ASCII form, or itself when it has none


def _translit_char(ch: str) -> str:
    out = _TRANSLIT.get(ch)
    if out is None:
        base = unicodedata.normalize("NFKD", ch)
        plain = "".join(c for c in base if not unicodedata.combining(c))
        out = plain if plain.isascii() and plain else (_romanize(plain) if len(plain) == 1 else None) or ch
        _TRANSLIT[ch] = out
    return out


def transliterate(text: str) -> str:
    """Latin letters with diacritics to plain ASCII (café -> cafe), Greek and Cyrillic letters romanized
    (ᾍδης -> Ades); other non-ASCII characters are left for `keep_speakable` to drop."""
    if text.isascii():
        return text
    return "".join(ch if ch < "\x80" else _translit_char(ch) for ch in text)


def unsupported_scripts(text: str) -> list[str]:
    """Names of the scripts of letters in `text` that the English front end drops (e.g. ["Greek"])."""
    if text.isascii():
        return []
    seen: dict[str, None] = {}
    for ch in transliterate(clean_unicode(text)):
        if ch >= "\x80" and ch.isalpha():
            seen.setdefault(_script(ch), None)
    return list(seen)


def keep_speakable(text: str) -> str:
    """Everything outside `SPEAKABLE` becomes a space (letters of other scripts, stray symbols)."""
    return _UNSPEAKABLE.sub(" ", text)
