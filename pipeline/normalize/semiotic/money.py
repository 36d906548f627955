"""Money: every common currency sign and code ("$3.50", "US$5", "€20", "50 EUR"), ranges ("$250-$300"),
scales ("$3.5m", "2bn", "¥30b"), rates ("$20/mo"), pre-decimal British money ("£5 10s. 6d."), and a
currency sign standing alone ("the $ sign"). No "and" before the cents; singular before a noun ("a five
dollar bill")."""

from __future__ import annotations

import re

from ..numbers import cardinal
from .base import NUM, Rule, before_noun, end_period, has, is_one, num_words

# --- pre-decimal British money: £5 10s. 6d. -------------------------------------------------------------
_PENCE_WORDS = {
    1: "a penny",
    2: "twopence",
    3: "threepence",
    4: "fourpence",
    5: "fivepence",
    6: "sixpence",
    7: "sevenpence",
    8: "eightpence",
    9: "ninepence",
    10: "tenpence",
    11: "elevenpence",
}
_HALF = {
    "½": "halfpenny",
    "¼": "farthing",
    "¾": "three farthings",
    "1/2": "halfpenny",
    "1/4": "farthing",
    "3/4": "three farthings",
}
_LSD = re.compile(
    r"(?<![\w.])(?:(?:£\s?(?P<l>\d{1,6})|(?P<l2>\d{1,6})\s?l\.)\s?)?"
    r"(?:(?P<s>1?\d)\s?s\.(?:\s?(?=\d|-))?)?(?:(?P<d>1?\d)?\s?(?P<h>[½¼¾]|1/2|1/4|3/4)?\s?d\.)?"
)


def _lsd(m: re.Match) -> str:
    pounds, shillings, pence, half = m.group("l") or m.group("l2"), m.group("s"), m.group("d"), m.group("h")
    if not (shillings or pence or half) or not m.group(0).strip():
        return m.group(0)
    if not shillings and not pounds and m.string[max(0, m.start() - 4) : m.start()].lower() == "the ":
        return m.group(0)  # "the 2d." is an old ordinal
    parts = []
    if pounds:
        parts.append(f"{cardinal(int(pounds))} {'pound' if pounds == '1' else 'pounds'}")
    if shillings:
        parts.append(f"{cardinal(int(shillings))} {'shilling' if shillings == '1' else 'shillings'}")
    if pence or half:
        p = int(pence) if pence else 0
        said = _PENCE_WORDS.get(p, f"{cardinal(p)} pence") if p else ""
        if half:
            said = (
                f"{said} {_HALF[half]}".strip()
                if p
                else ("a " + _HALF[half] if half in ("½", "1/2") else _HALF[half])
            )
        parts.append(said)
    out = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return out + end_period(m, m.group(0).endswith("."))


# --- money ------------------------------------------------------------------------------------------------
CURRENCY_SIGNS = {
    "$": ("dollar", "dollars"),
    "£": ("pound", "pounds"),
    "€": ("euro", "euros"),
    "¥": ("yen", "yen"),
    "₩": ("won", "won"),
    "₹": ("rupee", "rupees"),
    "₽": ("ruble", "rubles"),
    "₺": ("lira", "lira"),
    "₦": ("naira", "naira"),
    "₱": ("peso", "pesos"),
    "₴": ("hryvnia", "hryvnias"),
    "₪": ("shekel", "shekels"),
    "₫": ("dong", "dong"),
    "฿": ("baht", "baht"),
    "¢": ("cent", "cents"),
    "₣": ("franc", "francs"),
    "₿": ("bitcoin", "bitcoins"),
}
_PREFIXED = {
    "US$": "US dollar",
    "U.S.$": "US dollar",
    "A$": "Australian dollar",
    "AU$": "Australian dollar",
    "C$": "Canadian dollar",
    "CA$": "Canadian dollar",
    "NZ$": "New Zealand dollar",
    "HK$": "Hong Kong dollar",
    "S$": "Singapore dollar",
    "R$": "real",
    "Rs.": "rupee",
    "Rs": "rupee",
}
CURRENCY_CODES = {
    "USD": "US dollar",
    "EUR": "euro",
    "GBP": "pound",
    "JPY": "yen",
    "CAD": "Canadian dollar",
    "AUD": "Australian dollar",
    "CHF": "Swiss franc",
    "CNY": "yuan",
    "INR": "rupee",
    "RMB": "yuan",
    "NZD": "New Zealand dollar",
    "HKD": "Hong Kong dollar",
    "SEK": "Swedish krona",
    "MXN": "Mexican peso",
    "BRL": "real",
    "ZAR": "rand",
    "KRW": "won",
    "RUB": "ruble",
}
_PLURAL_OF = {
    "yen": "yen",
    "won": "won",
    "yuan": "yuan",
    "rand": "rand",
    "baht": "baht",
    "real": "reais",
    "Swedish krona": "Swedish kronor",
    "lira": "lira",
    "naira": "naira",
    "dong": "dong",
}
_SCALE_WORDS = {
    "k": "thousand",
    "K": "thousand",
    "m": "million",
    "M": "million",
    "mn": "million",
    "mm": "million",
    "b": "billion",
    "B": "billion",
    "bn": "billion",
    "tn": "trillion",
    "t": "trillion",
    "thousand": "thousand",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
}
_PER = {
    "mo": "month",
    "month": "month",
    "yr": "year",
    "year": "year",
    "y": "year",
    "wk": "week",
    "week": "week",
    "day": "day",
    "d": "day",
    "hr": "hour",
    "h": "hour",
    "hour": "hour",
    "night": "night",
    "kg": "kilogram",
    "lb": "pound",
    "person": "person",
    "head": "head",
    "ea": "each",
    "min": "minute",
    "month.": "month",
    "sq ft": "square foot",
    "ft": "foot",
    "m": "meter",
    "km": "kilometer",
    "mi": "mile",
    "liter": "liter",
    "l": "liter",
    "gal": "gallon",
    "oz": "ounce",
    "share": "share",
    "unit": "unit",
    "page": "page",
    "word": "word",
    "visit": "visit",
    "GB": "gigabyte",
    "MB": "megabyte",
    "user": "user",
    "seat": "seat",
}

_SIGNS = "".join(re.escape(c) for c in CURRENCY_SIGNS)
_PREFIX = "|".join(re.escape(p) for p in sorted(_PREFIXED, key=len, reverse=True))
_AMOUNT = (
    r"(?P<num{n}>"
    + NUM
    + r"|\.\d+)(?:[eE](?P<exp{n}>[+-]?\d{1,3}))?(?:\s?(?P<scale{n}>thousand|million|billion|trillion|mn|bn|tn|[kKmMbB])(?![\w]))?"
)
_MONEY = re.compile(
    r"(?<![\w$£€¥])(?P<neg>[-\u2212])?(?:(?P<pre>" + _PREFIX + r")|(?P<cur>[" + _SIGNS + r"])|"
    r"(?P<code>"
    + "|".join(CURRENCY_CODES)
    + r")\s)\s?"
    + _AMOUNT.replace("{n}", "1")
    + r"(?:\s?(?:-|\u2013|to)\s?(?:["
    + _SIGNS
    + r"]|"
    + _PREFIX
    + r")?\s?"
    + _AMOUNT.replace("{n}", "2")
    + r")?"
    r"(?:\s?(?:/|\bper\s)(?P<per>"
    + "|".join(re.escape(p) for p in sorted(_PER, key=len, reverse=True))
    + r")(?![\w]))?"
)
_MONEY_AFTER = re.compile(
    r"(?<![\w.,])(?P<num1>" + NUM + r")(?:\s?(?P<scale1>thousand|million|billion|trillion|mn|bn|[kmb])\b)?"
    r"\s?(?P<code>" + "|".join(CURRENCY_CODES) + r")(?![\w])"
)
_LONE_SIGN = re.compile(r"[" + "".join(re.escape(c) for c in CURRENCY_SIGNS) + r"]")
_HOW_MANY = re.compile(
    r"\b(?:few|many|more|some|several|extra|spare|those|these|thousands|millions|of)\s$", re.I
)


def _lone_sign(m: re.Match) -> str:
    """A currency sign not before a number is named: "the $ sign", "test$" (singular, as the standard suites
    read it), but "a few $ more" (after a word of quantity, plural)."""
    one, many = CURRENCY_SIGNS[m.group(0)]
    return f" {many if _HOW_MANY.search(m.string[max(0, m.start() - 12) : m.start()]) else one} "


def _unit_plural(one: str) -> str:
    if one in _PLURAL_OF:
        return _PLURAL_OF[one]
    return one + "s"


def _amount(m: re.Match, n: int) -> tuple[str, bool]:
    """(words, is exactly one) for amount n of a money match."""
    num, exp, scale = m.group(f"num{n}"), m.group(f"exp{n}"), m.group(f"scale{n}")
    words = num_words(num)
    if exp:
        words += f" times ten to the power of {cardinal(int(exp))}"
    if scale:
        words += " " + _SCALE_WORDS[scale]
    return words, is_one(num) and not scale and not exp


_CENTED = {
    "dollar": ("cent", "cents"),
    "US dollar": ("cent", "cents"),
    "euro": ("cent", "cents"),
    "pound": ("penny", "pence"),
    "Canadian dollar": ("cent", "cents"),
    "Australian dollar": ("cent", "cents"),
    "New Zealand dollar": ("cent", "cents"),
    "Hong Kong dollar": ("cent", "cents"),
    "Singapore dollar": ("cent", "cents"),
}


def _with_cents(m: re.Match, n: int, one: str) -> str | None:
    """ "$3.50" -> "three dollars fifty cents" (as standard readings have it, no "and"); None when the amount is
    not whole units and cents (a scale, an exponent, three decimals)."""
    num = m.group(f"num{n}").replace(",", "")
    whole, _, frac = num.partition(".")
    if (
        one not in _CENTED
        or len(frac) not in (1, 2)
        or m.group(f"scale{n}")
        or m.group(f"exp{n}")
        or len(whole) > 15
    ):
        return None
    many = _unit_plural(one)
    cents = int(frac.ljust(2, "0"))
    sub_one, sub_many = _CENTED[one]
    parts = []
    if int(whole or "0") or not cents:
        parts.append(f"{cardinal(int(whole or '0'))} {one if whole == '1' else many}")
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return " ".join(parts)


def _money(m: re.Match) -> str:
    if m.group("pre"):
        one = _PREFIXED[m.group("pre")]
    elif m.group("code"):
        one = CURRENCY_CODES[m.group("code")]
    else:
        one = CURRENCY_SIGNS[m.group("cur")][0]
    many = _unit_plural(one)
    sign = "minus " if m.group("neg") else ""
    a, a_one = _amount(m, 1)
    per = f" per {_PER[m.group('per')]}" if m.group("per") else ""
    if m.group("num2"):
        b, _ = _amount(m, 2)
        ca, cb = _with_cents(m, 1, one), _with_cents(m, 2, one)
        if ca and cb and ("." in m.group("num1") or "." in m.group("num2")):
            if m.group("num1").endswith((".00", ".0")) and m.group("num2").endswith((".00", ".0")):
                return f"{sign}{ca} to {cb}".replace(f" {many} to ", " to ", 1) + per
            return f"{sign}{ca} to {cb}{per}"  # $150.25-$250.67: each amount whole
        return f"{sign}{a} to {b} {many}{per}"
    cents = _with_cents(m, 1, one)
    if cents:
        return sign + cents + per
    if not per and before_noun(m):
        return f"{sign}{a} {one}"  # "a $5 bill": a five dollar bill
    return f"{sign}{a} {one if a_one else many}{per}"


def _money_after(m: re.Match) -> str:
    one = CURRENCY_CODES[m.group("code")]
    words = num_words(m.group("num1"))
    if m.group("scale1"):
        words += " " + _SCALE_WORDS[m.group("scale1")]
    return f"{words} {one if is_one(m.group('num1')) and not m.group('scale1') else _unit_plural(one)}"


# bare scales after a number ("2bn more", "3.5m people"): million, billion
_BARE_SCALE = re.compile(
    r"(?<![\w.,$£€])(?P<num>" + NUM + r")(?:(?P<scale>bn|mn|tn)(?![\w])|"
    r"(?P<cap>M|B)(?=\s[a-z]))"
)  # "1.5M copies"; not "221B Baker Street"

# --- old ordinals: the 22d, the 2d of October, May 3d -------------------------------------------------------


def _bare_scale(m: re.Match[str]) -> str:
    return f"{num_words(m.group('num'))} {_SCALE_WORDS[m.group('scale') or m.group('cap')]}"


LSD = Rule("pre-decimal British money", _LSD, _lsd, has("s.", "d.", "£"))
MONEY = Rule("money", _MONEY, _money)
MONEY_AFTER = Rule("money (currency code)", _MONEY_AFTER, _money_after)
BARE_SCALE = Rule("number with a scale", _BARE_SCALE, _bare_scale)
LONE_SIGN = Rule("currency sign", _LONE_SIGN, _lone_sign, has(*CURRENCY_SIGNS), digits=False)
RULES = (LSD, MONEY, MONEY_AFTER, BARE_SCALE, LONE_SIGN)
