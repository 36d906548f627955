"""Times, dates, money, measures and the other written forms a narrator reads as words: the rules that run
before the general number rules (`pipeline.normalize.numbers`), each on what the last left.

times (dotted "8.45 p.m.", colon "01:00", "1:01:01", ranges "4:00 am - 8:12 pm") -> numeric dates
(10/06/2005, 2016/07/03, 01.10.2010, 15-01-2020; month names in any case, "july 25 2012", "SEPT. 15")
-> pre-decimal British money (£5 10s. 6d.) -> money (every common currency sign, codes, "US$5", ranges
"$250-$300", suffixes "$3.5m", "2bn", "¥30b", "$20/mo") -> old ordinals (the 22d, the 2d of October) ->
measures (with or without a space, any case: 12kg, 2.5cm, 4 lbs., 3 ft 6 in, 6'2", 50 km/h, 1°C, lat. 40°
33' N.) -> powers and scientific notation (10^40, 1.5e10), equations (1-2=5), "401(k)".

Conventions (a narrator's, documented in the README): a numeric date is month first unless the day is over
12 or the separator is a dot (European); times read "eight forty-five PM", "seven oh five", "one o'clock"
("13:00" is "thirteen hundred", "14:10:30" is "fourteen hours ten minutes and thirty seconds"); "AM" and
"PM" always as an initialism in capitals, a time zone likewise ("EST"), which the engine reads as letters; money without "and" before its cents ("three
dollars fifty cents"); a measure or an amount before its noun is singular ("a ten kilogram bag", "a five
dollar bill"); an abbreviation that ends the sentence keeps its period. Every pattern is anchored by a lookbehind that refuses to start inside its own
run, so each is linear in the text's length.

`explain(text)` runs normalization and returns which rule rewrote which span, for `render --normalize
--explain`.
"""
from __future__ import annotations

import re

from .abbreviations import starts_sentence
from .numbers import MONTHS, _decimal, cardinal, digits, fraction_words, month_day_year, ordinal, year_words
from .trace import sub

# --- numbers ---------------------------------------------------------------------------------------------
NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def num_words(s: str) -> str:
    whole, _, frac = s.replace(",", "").partition(".")
    return _decimal(whole or "0", frac or None)


def is_one(s: str) -> bool:
    return s.replace(",", "") in ("1", "1.0")


def _end_period(m: re.Match, consumed_period: bool) -> str:
    """A period the match swallowed that also ended the sentence ("at 3 p.m. Then", "4 lbs." at the end)."""
    if not consumed_period:
        return ""
    rest = m.string[m.end():m.end() + 3]
    if not rest.strip() or (rest[:1].isspace() and (rest[1:2].isupper() or rest[1:2] in "\"'\u201c\u2018")):
        return "."
    return ""


# --- times -----------------------------------------------------------------------------------------------
_AP = r"(?P<ap{n}>[AaPp])\.?\s?[Mm](?P<apdot{n}>\.)?(?![\w])"


def _clock(h: int, mins: int, secs: int | None, ap: str | None, h_text: str) -> str:
    if mins == 0 and secs in (None, 0):
        if ap:
            words = cardinal(h if h else 12)
        elif h == 0 or h == 24:
            words = "midnight" if h_text in ("0", "00", "24") else "zero hundred"
        elif h > 12:
            words = cardinal(h) + " hundred"
        else:
            words = cardinal(h) + " o'clock"
    elif secs is not None:         # 14:10:30: hours, minutes and seconds, as a clock with seconds is said
        words = (f"{cardinal(h)} {'hour' if h == 1 else 'hours'} {cardinal(mins)} "
                 f"{'minute' if mins == 1 else 'minutes'} and {cardinal(secs)} {'second' if secs == 1 else 'seconds'}")
    elif mins < 10:
        words = f"{cardinal(h)} oh {cardinal(mins)}"
    else:
        words = f"{cardinal(h)} {cardinal(mins)}"
    if ap:
        words += " AM" if ap in "Aa" else " PM"
    return words


TIME_ZONES = ("EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST", "HST", "GMT", "UTC", "BST", "CET",
              "CEST", "EET", "IST", "JST", "AEST", "AEDT", "NZST", "ET", "PT", "CT", "MT")
_TZ = (r"(?:\.?\s?(?P<tz{n}>" + "|".join(TIME_ZONES) + "|" + "|".join(z.lower() for z in TIME_ZONES if len(z) > 2)
       + r"|[eEpPcCmM]\.[sSdD]\.[tT])(?P<tzdot{n}>\.)?(?![\w]))")
_T1 = (r"(?P<h{n}>[01]?\d|2[0-4])(?P<sep{n}>[:.])(?P<m{n}>[0-5]\d)(?::(?P<s{n}>[0-5]\d))?(?!\d)"
       r"(?:\s?" + _AP + r")?" + _TZ + "?")
_HOUR_RANGE = re.compile(r"(?<![\w:.,$£€])(?P<h1>1[0-2]|0?[1-9])(?::(?P<m1>[0-5]\d))?\s?(?:" + _AP.replace("{n}", "1")
                         + r")?\s?(?:-|\u2013|to)\s?(?P<h2>1[0-2]|0?[1-9])(?::(?P<m2>[0-5]\d))?\s?"
                         + _AP.replace("{n}", "2") + _TZ.replace("{n}", "2") + "?")


def _zone(m: re.Match, n: int) -> str:
    tz = m.group(f"tz{n}")
    return " " + "".join(c for c in tz.upper() if c.isalpha()) if tz else ""


def _hour_range(m: re.Match) -> str:
    """ "2pm-5pm", "5pm-7 pm", "9 to 5 p.m.": both ends are hours of the clock."""
    ap1, ap2 = m.group("ap1") or m.group("ap2"), m.group("ap2")
    a = _clock(int(m.group("h1")), int(m.group("m1") or 0), None, ap1, m.group("h1"))
    b = _clock(int(m.group("h2")), int(m.group("m2") or 0), None, ap2, m.group("h2"))
    if not m.group("ap1"):
        a = a[:-3]                 # "9 to 5 p.m.": the PM is said once, at the end
    end = _end_period(m, bool(m.group("tzdot2") if m.group("tz2") else m.group("apdot2")))
    return f"{a} to {b}{_zone(m, 2)}{end}"
_TIME_RANGE = re.compile(r"(?<![\w:.,$£€])(?<!\d,)" + _T1.replace("{n}", "1") + r"\s?(?:-|\u2013|\u2014|to)\s?" + _T1.replace("{n}", "2"))
_TIME_COLON = re.compile(r"(?<![\w:.$£€])(?<!\d,)" + _T1.replace("{n}", "1"))
_TIME_CONTEXT = re.compile(r"(?:\b(?:at|by|till|until|before|after|from|past|about|around|since|the|and|or)"
                           r"|\bo'clock|[,(])\s$", re.I)


def _one_time(m: re.Match, n: int, need_context: bool) -> str | None:
    h_text, sep, mins, secs, ap = (m.group(f"h{n}"), m.group(f"sep{n}"), m.group(f"m{n}"), m.group(f"s{n}"),
                                   m.group(f"ap{n}"))
    h = int(h_text)
    if sep == ".":
        if secs or h > 23:
            return None
        if not ap and (need_context or len(mins) != 2):
            return None                    # "7.25" is a decimal unless the sentence says it is a time
        if ap and h > 12:
            return None
    if ap and h > 12:
        return None
    return _clock(h, int(mins), int(secs) if secs else None, ap, h_text)


def _time_range(m: re.Match) -> str:
    before = m.string[max(0, m.start() - 12):m.start()]
    after = m.string[m.end():m.end() + 3]
    # a range of two dotted times ("9.30-5.30") reads as times unless a unit or a percent follows
    ctx = not _TIME_CONTEXT.search(before) and bool(re.match(r"\s?[%a-zA-Z]", after)) and \
        not re.match(r"\s?(?:[ap]\.?m\b|hours|hrs)", after, re.I)
    a, b = _one_time(m, 1, ctx and m.group("sep1") == "."), _one_time(m, 2, ctx and m.group("sep2") == ".")
    if a is None or b is None:
        return m.group(0)
    end = _end_period(m, bool(m.group("tzdot2") if m.group("tz2") else m.group("apdot2")))
    return f"{a} to {b}{_zone(m, 2)}{end}"


def _time(m: re.Match) -> str:
    before = m.string[max(0, m.start() - 12):m.start()]
    words = _one_time(m, 1, m.group("sep1") == "." and not _TIME_CONTEXT.search(before))
    if words is None:
        return m.group(0)
    end = _end_period(m, bool(m.group("tzdot1") if m.group("tz1") else m.group("apdot1")))
    return words + _zone(m, 1) + end


# --- dates -----------------------------------------------------------------------------------------------
_MONTH_WORD = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
               r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)")
_MONTH_FIX = re.compile(r"(?<![\w.])(?P<mon>(?i:" + _MONTH_WORD + r"))(?P<dot>\.)?(?=,?\s\d{1,2}(?:st|nd|rd|th|d)?\b)"
                        r"|(?<=\d\s)(?P<mon2>(?i:" + _MONTH_WORD + r"))(?P<dot2>\.)?(?![\w])"
                        r"|(?<=\d(?:st|nd|rd|th)\s)(?P<mon3>(?i:" + _MONTH_WORD + r"))(?P<dot3>\.)?(?![\w])")
_MONTH_BY_KEY = {m[:3].lower(): m for m in MONTHS} | {"sep": "September", "sept": "September"}


_MONTH_HYPHEN = re.compile(r"(?<![\w.-])(?P<mon>(?i:" + _MONTH_WORD + r"))-(?P<d>[0-3]?\d)(?:-(?P<y>\d{4}))?(?![\w-])")


def _month_hyphen(m: re.Match) -> str:
    return month_day_year(m, _MONTH_BY_KEY[m.group("mon").lower()[:3]])


_TIMES_SUFFIX = re.compile(r"(?<![\w.,])(?P<num>" + NUM + r")x(?![\w])")


def _month_fix(m: re.Match) -> str:
    word = m.group("mon") or m.group("mon2") or m.group("mon3")
    if word in ("may", "mar") and not m.group("mon") and not re.match(r",?\s\d{4}(?!\d)", m.string[m.end():m.end() + 6]):
        return m.group(0)                  # "5 may", "3 mar": the verbs, too likely ("17 may 2010" is a date)
    if word.lower() == "may" and m.group("mon"):
        nxt = m.string[m.end():m.end() + 12]
        dated = r",?\s\d{1,2}(?:st|nd|rd|th|d)?,?\s\d{4}(?!\d)|\s\d{1,2}(?:st|nd|rd|th|d)\b"
        if not re.match(dated if word == "may" else dated + r"|,?\s\d{1,2}(?:[.,;:!?]|$)", nxt):
            return m.group(0)              # "you may 2 go": the verb
    return _MONTH_BY_KEY.get(word.lower()[:4] if word.lower().startswith("sept") else word.lower()[:3], word)


_NUM_DATE = re.compile(r"(?<![\w/.:-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
                       r"(?![\w/]|[.:-]\d)")
_MONTH_DAY = re.compile(r"\b(?P<pre>on|by|until|till|from|since|before|after) (?P<m>\d{1,2})/(?P<d>\d{1,2})"
                        r"(?![\w/]|[.,]\d)", re.I)
_UK_PHONE = re.compile(r"(?<![\w.+])(?:\+\d{1,3}\s)?0\d{2,4}(?:\s\d{3,4}){1,2}(?![\w]|[.,]\d)")
_YMD_DATE = re.compile(r"(?<![\w/.:-])(?P<y>1\d{3}|20\d{2})(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
                       r"(?![\w/]|[.:-]\d)")


def _say_date(day: int, month: int, year: str | None, day_first: bool) -> str:
    y = ""
    if year:                      # a two-digit year is said as written: 7/4/76 -> "seventy-six", 11/17/05 -> "oh five"
        yi = int(year)
        y = f", {year_words(yi)}" if len(year) == 4 else f", {cardinal(yi) if yi >= 10 else 'oh ' + cardinal(yi)}"
    if day_first:
        return f"the {ordinal(day)} of {MONTHS[month - 1]}{y}"
    return f"{MONTHS[month - 1]} {ordinal(day)}{y}"


def _num_date(m: re.Match) -> str:
    a, b, sep, y = int(m.group("a")), int(m.group("b")), m.group("sep"), m.group("y")
    if sep in "-." and len(y) == 2:
        return m.group(0)                  # 1-2-03 or 1.2.03: versions, scores, not dates
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


# --- pre-decimal British money: £5 10s. 6d. -------------------------------------------------------------
_PENCE_WORDS = {1: "a penny", 2: "twopence", 3: "threepence", 4: "fourpence", 5: "fivepence", 6: "sixpence",
                7: "sevenpence", 8: "eightpence", 9: "ninepence", 10: "tenpence", 11: "elevenpence"}
_HALF = {"½": "halfpenny", "¼": "farthing", "¾": "three farthings", "1/2": "halfpenny", "1/4": "farthing",
         "3/4": "three farthings"}
_LSD = re.compile(r"(?<![\w.])(?:(?:£\s?(?P<l>\d{1,6})|(?P<l2>\d{1,6})\s?l\.)\s?)?"
                  r"(?:(?P<s>1?\d)\s?s\.(?:\s?(?=\d|-))?)?(?:(?P<d>1?\d)?\s?(?P<h>[½¼¾]|1/2|1/4|3/4)?\s?d\.)?")


def _lsd(m: re.Match) -> str:
    pounds, shillings, pence, half = m.group("l") or m.group("l2"), m.group("s"), m.group("d"), m.group("h")
    if not (shillings or pence or half) or not m.group(0).strip():
        return m.group(0)
    if not shillings and not pounds and m.string[max(0, m.start() - 4):m.start()].lower() == "the ":
        return m.group(0)                  # "the 2d." is an old ordinal
    parts = []
    if pounds:
        parts.append(f"{cardinal(int(pounds))} {'pound' if pounds == '1' else 'pounds'}")
    if shillings:
        parts.append(f"{cardinal(int(shillings))} {'shilling' if shillings == '1' else 'shillings'}")
    if pence or half:
        p = int(pence) if pence else 0
        said = _PENCE_WORDS.get(p, f"{cardinal(p)} pence") if p else ""
        if half:
            said = f"{said} {_HALF[half]}".strip() if p else ("a " + _HALF[half] if half in ("½", "1/2")
                                                               else _HALF[half])
        parts.append(said)
    out = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return out + _end_period(m, m.group(0).endswith("."))


# --- money ------------------------------------------------------------------------------------------------
CURRENCY_SIGNS = {"$": ("dollar", "dollars"), "£": ("pound", "pounds"), "€": ("euro", "euros"), "¥": ("yen", "yen"),
                  "₩": ("won", "won"), "₹": ("rupee", "rupees"), "₽": ("ruble", "rubles"), "₺": ("lira", "lira"),
                  "₦": ("naira", "naira"), "₱": ("peso", "pesos"), "₴": ("hryvnia", "hryvnias"),
                  "₪": ("shekel", "shekels"), "₫": ("dong", "dong"), "฿": ("baht", "baht"), "¢": ("cent", "cents"),
                  "₣": ("franc", "francs"), "₿": ("bitcoin", "bitcoins")}
_PREFIXED = {"US$": "US dollar", "U.S.$": "US dollar", "A$": "Australian dollar", "AU$": "Australian dollar",
             "C$": "Canadian dollar", "CA$": "Canadian dollar", "NZ$": "New Zealand dollar",
             "HK$": "Hong Kong dollar", "S$": "Singapore dollar", "R$": "real", "Rs.": "rupee", "Rs": "rupee"}
CURRENCY_CODES = {"USD": "US dollar", "EUR": "euro", "GBP": "pound", "JPY": "yen", "CAD": "Canadian dollar",
                  "AUD": "Australian dollar", "CHF": "Swiss franc", "CNY": "yuan", "INR": "rupee", "RMB": "yuan",
                  "NZD": "New Zealand dollar", "HKD": "Hong Kong dollar", "SEK": "Swedish krona",
                  "MXN": "Mexican peso", "BRL": "real", "ZAR": "rand", "KRW": "won", "RUB": "ruble"}
_PLURAL_OF = {"yen": "yen", "won": "won", "yuan": "yuan", "rand": "rand", "baht": "baht", "real": "reais",
              "Swedish krona": "Swedish kronor", "lira": "lira", "naira": "naira", "dong": "dong"}
_SCALE_WORDS = {"k": "thousand", "K": "thousand", "m": "million", "M": "million", "mn": "million", "mm": "million",
                "b": "billion", "B": "billion", "bn": "billion", "tn": "trillion", "t": "trillion",
                "thousand": "thousand", "million": "million", "billion": "billion", "trillion": "trillion"}
_PER = {"mo": "month", "month": "month", "yr": "year", "year": "year", "y": "year", "wk": "week", "week": "week",
        "day": "day", "d": "day", "hr": "hour", "h": "hour", "hour": "hour", "night": "night", "kg": "kilogram",
        "lb": "pound", "person": "person", "head": "head", "ea": "each", "min": "minute", "month.": "month",
        "sq ft": "square foot", "ft": "foot", "m": "meter", "km": "kilometer", "mi": "mile", "liter": "liter",
        "l": "liter", "gal": "gallon", "oz": "ounce", "share": "share", "unit": "unit", "page": "page",
        "word": "word", "visit": "visit", "GB": "gigabyte", "MB": "megabyte", "user": "user", "seat": "seat"}

_SIGNS = "".join(re.escape(c) for c in CURRENCY_SIGNS)
_PREFIX = "|".join(re.escape(p) for p in sorted(_PREFIXED, key=len, reverse=True))
_AMOUNT = r"(?P<num{n}>" + NUM + r"|\.\d+)(?:[eE](?P<exp{n}>[+-]?\d{1,3}))?(?:\s?(?P<scale{n}>thousand|million|billion|trillion|mn|bn|tn|[kKmMbB])(?![\w]))?"
_MONEY = re.compile(r"(?<![\w$£€¥])(?P<neg>[-\u2212])?(?:(?P<pre>" + _PREFIX + r")|(?P<cur>[" + _SIGNS + r"])|"
                    r"(?P<code>" + "|".join(CURRENCY_CODES) + r")\s)\s?" + _AMOUNT.replace("{n}", "1")
                    + r"(?:\s?(?:-|\u2013|to)\s?(?:[" + _SIGNS + r"]|" + _PREFIX + r")?\s?" + _AMOUNT.replace("{n}", "2") + r")?"
                    r"(?:\s?(?:/|\bper\s)(?P<per>" + "|".join(re.escape(p) for p in sorted(_PER, key=len, reverse=True))
                    + r")(?![\w]))?")
_MONEY_AFTER = re.compile(r"(?<![\w.,])(?P<num1>" + NUM + r")(?:\s?(?P<scale1>thousand|million|billion|trillion|mn|bn|[kmb])\b)?"
                          r"\s?(?P<code>" + "|".join(CURRENCY_CODES) + r")(?![\w])")
_LONE_SIGN = re.compile(r"[" + "".join(re.escape(c) for c in CURRENCY_SIGNS) + r"]")
_HOW_MANY = re.compile(r"\b(?:few|many|more|some|several|extra|spare|those|these|thousands|millions|of)\s$", re.I)


def _lone_sign(m: re.Match) -> str:
    """A currency sign not before a number is named: "the $ sign", "test$" (singular, as the standard suites
    read it), but "a few $ more" (after a word of quantity, plural)."""
    one, many = CURRENCY_SIGNS[m.group(0)]
    return f" {many if _HOW_MANY.search(m.string[max(0, m.start() - 12):m.start()]) else one} "


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


_CENTED = {"dollar": ("cent", "cents"), "US dollar": ("cent", "cents"), "euro": ("cent", "cents"),
           "pound": ("penny", "pence"), "Canadian dollar": ("cent", "cents"), "Australian dollar": ("cent", "cents"),
           "New Zealand dollar": ("cent", "cents"), "Hong Kong dollar": ("cent", "cents"),
           "Singapore dollar": ("cent", "cents")}


def _with_cents(m: re.Match, n: int, one: str) -> str | None:
    """ "$3.50" -> "three dollars fifty cents" (as standard readings have it, no "and"); None when the amount is
    not whole units and cents (a scale, an exponent, three decimals)."""
    num = m.group(f"num{n}").replace(",", "")
    whole, _, frac = num.partition(".")
    if one not in _CENTED or len(frac) not in (1, 2) or m.group(f"scale{n}") or m.group(f"exp{n}") or len(whole) > 15:
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
            return f"{sign}{ca} to {cb}{per}"        # $150.25-$250.67: each amount whole
        return f"{sign}{a} to {b} {many}{per}"
    cents = _with_cents(m, 1, one)
    if cents:
        return sign + cents + per
    if not per and _before_noun(m):
        return f"{sign}{a} {one}"                    # "a $5 bill": a five dollar bill
    return f"{sign}{a} {one if a_one else many}{per}"


def _money_after(m: re.Match) -> str:
    one = CURRENCY_CODES[m.group("code")]
    words = num_words(m.group("num1"))
    if m.group("scale1"):
        words += " " + _SCALE_WORDS[m.group("scale1")]
    return f"{words} {one if is_one(m.group('num1')) and not m.group('scale1') else _unit_plural(one)}"


# bare scales after a number ("2bn more", "3.5m people"): million, billion
_BARE_SCALE = re.compile(r"(?<![\w.,$£€])(?P<num>" + NUM + r")(?:(?P<scale>bn|mn|tn)(?![\w])|"
                         r"(?P<cap>M|B)(?=\s[a-z]))")        # "1.5M copies"; not "221B Baker Street"

# --- old ordinals: the 22d, the 2d of October, May 3d -------------------------------------------------------
_OLD_ORDINAL = re.compile(r"(?<![\w.])(?P<n>\d{0,3}[23])d(?![\w])")
_OLD_ORDINAL_BEFORE = re.compile(r"(?:\bthe|" + "|".join(MONTHS) + r")\s$", re.I)
_OLD_ORDINAL_AFTER = re.compile(r"^\s(?:of|inst|ult|instant|ultimo|day)\b")


def _old_ordinal(m: re.Match) -> str:
    n = int(m.group("n"))
    if n % 100 in (12, 13):
        return m.group(0)
    before = m.string[max(0, m.start() - 12):m.start()]
    after = m.string[m.end():m.end() + 10]
    if _OLD_ORDINAL_BEFORE.search(before) or _OLD_ORDINAL_AFTER.match(after):
        return ordinal(n)
    return m.group(0)


# --- measures ------------------------------------------------------------------------------------------------
UNITS: dict[str, tuple[str, str]] = {
    "mm": ("millimeter", "millimeters"), "cm": ("centimeter", "centimeters"), "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "kg": ("kilogram", "kilograms"), "kgs": ("kilogram", "kilograms"), "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"), "cl": ("centiliter", "centiliters"), "l": ("liter", "liters"),
    "L": ("liter", "liters"), "ft": ("foot", "feet"), "yd": ("yard", "yards"), "yds": ("yard", "yards"),
    "mi": ("mile", "miles"), "oz": ("ounce", "ounces"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
    "mph": ("mile per hour", "miles per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "kmh": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"), "gal": ("gallon", "gallons"), "qt": ("quart", "quarts"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "Mbps": ("megabit per second",
    "megabits per second"), "Gbps": ("gigabit per second", "gigabits per second"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "V": ("volt", "volts"), "kV": ("kilovolt", "kilovolts"),
    "mAh": ("milliamp hour", "milliamp hours"), "ha": ("hectare", "hectares"), "cc": ("cubic centimeter",
    "cubic centimeters"), "sq ft": ("square foot", "square feet"), "sq mi": ("square mile", "square miles"),
    "sq m": ("square meter", "square meters"), "km²": ("square kilometer", "square kilometers"),
    "m²": ("square meter", "square meters"), "m³": ("cubic meter", "cubic meters"), "ac": ("acre", "acres"),
    "mpg": ("mile per gallon", "miles per gallon"), "rpm": ("revolution per minute", "revolutions per minute"),
    "psi": ("pound per square inch", "pounds per square inch"), "kcal": ("kilocalorie", "kilocalories"),
    "cal": ("calorie", "calories"), "µm": ("micrometer", "micrometers"), "nm": ("nanometer", "nanometers"),
    "mV": ("millivolt", "millivolts"), "mA": ("milliamp", "milliamps"), "kN": ("kilonewton", "kilonewtons"),
    "dB": ("decibel", "decibels"), "st": ("stone", "stone"),
    # squares and cubes ("km²" arrives as "km2" after NFKC), spelled or with a power
    "mm2": ("square millimeter", "square millimeters"), "cm2": ("square centimeter", "square centimeters"),
    "m2": ("square meter", "square meters"), "km2": ("square kilometer", "square kilometers"),
    "ft2": ("square foot", "square feet"), "mi2": ("square mile", "square miles"), "in2": ("square inch",
    "square inches"), "sq km": ("square kilometer", "square kilometers"), "sq. km": ("square kilometer",
    "square kilometers"), "sq. ft.": ("square foot", "square feet"), "sq. ft": ("square foot", "square feet"),
    "sq. mi.": ("square mile", "square miles"), "sq in": ("square inch", "square inches"),
    "sq yd": ("square yard", "square yards"), "cm3": ("cubic centimeter", "cubic centimeters"),
    "m3": ("cubic meter", "cubic meters"), "km3": ("cubic kilometer", "cubic kilometers"),
    "ft3": ("cubic foot", "cubic feet"), "cu ft": ("cubic foot", "cubic feet"), "cu in": ("cubic inch",
    "cubic inches"),
    # kitchen, pressure, energy, data, power and the rest a book prints
    "tbsp": ("tablespoon", "tablespoons"), "Tbsp": ("tablespoon", "tablespoons"), "tsp": ("teaspoon", "teaspoons"),
    "fl oz": ("fluid ounce", "fluid ounces"), "pt": ("pint", "pints"), "dl": ("deciliter", "deciliters"),
    "dL": ("deciliter", "deciliters"), "µl": ("microliter", "microliters"), "µg": ("microgram", "micrograms"),
    "mcg": ("microgram", "micrograms"), "µs": ("microsecond", "microseconds"), "ns": ("nanosecond", "nanoseconds"),
    "Pa": ("pascal", "pascals"), "kPa": ("kilopascal", "kilopascals"), "hPa": ("hectopascal", "hectopascals"),
    "MPa": ("megapascal", "megapascals"), "atm": ("atmosphere", "atmospheres"), "mmHg": ("millimeter of mercury",
    "millimeters of mercury"), "ppm": ("part per million", "parts per million"), "ppb": ("part per billion",
    "parts per billion"), "kJ": ("kilojoule", "kilojoules"), "MJ": ("megajoule", "megajoules"),
    "mbps": ("megabit per second", "megabits per second"), "kbps": ("kilobit per second", "kilobits per second"),
    "Kbps": ("kilobit per second", "kilobits per second"), "Mb": ("megabit", "megabits"), "Gb": ("gigabit",
    "gigabits"), "MB/s": ("megabyte per second", "megabytes per second"), "hp": ("horsepower", "horsepower"),
    "bhp": ("brake horsepower", "brake horsepower"), "mW": ("milliwatt", "milliwatts"), "GW": ("gigawatt",
    "gigawatts"), "GWh": ("gigawatt hour", "gigawatt hours"), "MWh": ("megawatt hour", "megawatt hours"),
    "km/s": ("kilometer per second", "kilometers per second"), "ft/s": ("foot per second", "feet per second"),
    "mi/h": ("mile per hour", "miles per hour"), "cwt": ("hundredweight", "hundredweight"),
    "nmi": ("nautical mile", "nautical miles"), "kt": ("knot", "knots"), "kn": ("knot", "knots"),
    "mol": ("mole", "moles"), "Ah": ("amp hour", "amp hours"), "kV": ("kilovolt", "kilovolts"),
    "yr": ("year", "years"), "yrs": ("year", "years"), "wk": ("week", "weeks"), "wks": ("week", "weeks"),
    "lm": ("lumen", "lumens"), "MP": ("megapixel", "megapixels"), "mA": ("milliamp", "milliamps"),
}
# capitals as people type them ("12KG"); "M", "G", "L", "ST" and other single letters stay out (million, ...)
_UNIT_CAPS = {"KG": "kg", "KGS": "kg", "KM": "km", "CM": "cm", "MM": "mm", "MG": "mg", "ML": "ml", "LBS": "lbs",
              "LB": "lb", "OZ": "oz", "FT": "ft", "MPH": "mph", "KPH": "kph", "KM/H": "km/h", "YDS": "yds",
              "HRS": "hrs", "MINS": "mins", "SECS": "secs", "KMH": "kmh", "GAL": "gal", "Km": "km", "Kg": "kg",
              "Cm": "cm", "Mm": "mm", "Lbs": "lbs", "Ft": "ft", "MBPS": "Mbps", "Mbit/s": "Mbps", "TBSP": "tbsp",
              "TSP": "tsp", "KW": "kW", "KWH": "kWh", "Kwh": "kWh", "kwh": "kWh", "GHZ": "GHz", "MHZ": "MHz",
              "KHZ": "kHz", "Hrs": "hrs", "Mins": "mins", "KM2": "km2", "SQ FT": "sq ft", "Sq ft": "sq ft",
              "Sq km": "sq km", "Sq mi": "sq mi", "Sq. ft.": "sq. ft."}
_ALL_UNITS = sorted([*UNITS, *_UNIT_CAPS], key=len, reverse=True)
_UNIT_ALT = "|".join(re.escape(u) for u in _ALL_UNITS if u not in ("st", "m", "g", "l", "L", "W", "V", "ac", "cal"))
# single-letter and word-like units only glued to the number or before punctuation ("5 m." not "5 m away"?)
_SHORT_ALT = "|".join(re.escape(u) for u in ("m", "g", "l", "L", "ac", "cal"))
_SHORT_AFTER = (r"(?=[.,;:!?)]|$|\s(?:long|high|tall|deep|wide|away|of|above|below|from|in|on|and|or|to|"
                r"race|run|dash|sprint|drop|per|hurdles|relay|freestyle|butterfly|backstroke|breaststroke|medley|swim|"
                r"mark|event|final|record|[A-Z(]))")
_PER_UNITS = {"s": "second", "sec": "second", "h": "hour", "hr": "hour", "day": "day", "d": "day", "yr": "year",
              "year": "year", "week": "week", "wk": "week", "min": "minute", "mo": "month", "month": "month",
              "kg": "kilogram", "g": "gram", "lb": "pound", "km": "kilometer", "m": "meter", "mi": "mile",
              "l": "liter", "L": "liter", "ml": "milliliter", "gal": "gallon", "km2": "square kilometer",
              "m2": "square meter", "sq km": "square kilometer", "sq mi": "square mile", "mi2": "square mile",
              "ft2": "square foot", "sq ft": "square foot", "ha": "hectare", "person": "person", "capita": "capita",
              "cm": "centimeter", "mm": "millimeter", "ft": "foot", "oz": "ounce", "kWh": "kilowatt hour",
              "kW": "kilowatt", "GB": "gigabyte", "MB": "megabyte", "kcal": "kilocalorie", "cm2": "square centimeter",
              "cm3": "cubic centimeter", "m3": "cubic meter"}
_PER_ALT = "|".join(re.escape(u) for u in sorted(_PER_UNITS, key=len, reverse=True))
_SCALE_BEFORE_UNIT = r"(?:\s(?P<scale>thousand|million|billion|trillion))?"
_MEASURE = re.compile(r"(?<![\w.,$£€¥/])(?P<neg>[-\u2212])?(?P<num>" + NUM + r"(?:\s\d{1,3}/\d{1,3})?|\d{1,3}/\d{1,3})(?:\s?(?:-|\u2013|to)\s?(?P<num2>" + NUM
                      + r"))?" + _SCALE_BEFORE_UNIT + r"(?:(?P<sp>\s?)(?P<unit>" + _UNIT_ALT
                      + r")|(?P<unit2>" + _SHORT_ALT + r")" + _SHORT_AFTER + r"|(?P<unit4>W|V|kcal)(?=[\s.,;:!?)]|$)"
                      r"|\s(?P<unit3>m|g|l|L|W|V|ac|cal)" + _SHORT_AFTER + ")"
                      r"(?P<dot>\.)?(?:\s?(?:/|\bper\s)(?P<per>" + _PER_ALT + r")\b)?(?![\w/²³'])")
_WORD_PER = re.compile(r"(?<=[a-z])/(?P<per>km2|m2|mi2|sq km|sq mi|ha|capita|kg|km|hr|yr)(?![\w/])")
_PER_ONLY = re.compile(r"(?<![\w.,$£€¥/])(?P<num>" + NUM + r")/(?P<per>" + _PER_ALT + r")(?![\w/])")
# "a 10 kg bag", "the 100m sprint": a measure before a noun is singular, as a narrator says it
_ARTICLE_BEFORE = re.compile(r"(?:^|\s)(?:a|an|the|A|An|The|this|that|each|every|one)\s$")
_NOT_A_NOUN = frozenset("""of and or to from away in on at per each for more less was were is are had has would
will could behind ahead further farther north south east west down up off out long high tall deep wide thick
apart above below over under into than across by with""".split())
_FEET_INCHES = re.compile(r"(?<![\w.])(?P<f>\d{1,2})\s?(?:ft\.?|feet|foot|['\u2032\u2019])\s?(?P<i>\d{1,2}(?:\.\d+)?)"
                          r"\s?(?:in\b\.?|inches\b|inch\b|[\"\u2033\u201d]|''|\u2019\u2019)")
_INCHES = re.compile(r"(?<![\w.])(?P<n>\d{1,3}(?:\.\d+)?)\s?(?:in\.)(?![\w])|(?<![\w.])(?P<n2>\d{1,3}(?:\.\d+)?)\s?in"
                     r"(?=\s(?:tall|long|wide|high|deep|thick|across|diameter|square)\b|[.,;:!?)]|$)")
_TEMPERATURE = re.compile(r"(?<![\w.])(?P<neg>[-\u2212])?(?P<num>" + NUM + r")\s?(?:°|º|˚|\u00b0|degrees?\s)\s?"
                          r"(?P<u>[CFK])\b\.?")
_ARC = re.compile(r"(?<![\w.])(?P<d>\d{1,3}(?:\.\d+)?)\s?°(?:\s?(?P<m>\d{1,2}(?:\.\d+)?)\s?['\u2032\u2019])?"
                  r"(?:\s?(?P<s>\d{1,2}(?:\.\d+)?)\s?(?:[\"\u2033\u201d]|''))?(?:\s?(?P<dir>[NSEW])\b(?P<dot>\.)?)?")
_COMPASS = {"N": "north", "S": "south", "E": "east", "W": "west"}
_LATLONG = re.compile(r"\b(?P<w>lat|long|lon|Lat|Long|Lon)\.(?=\s?\d)")


def _unit_words(unit: str, num: str) -> str:
    key = _UNIT_CAPS.get(unit, unit)
    one, many = UNITS[key]
    return one if is_one(num) else many


def _quantity(s: str) -> str:
    """ "4 1/2" -> "four and a half", "3/4" -> "three quarters", "2.5" -> "two point five"."""
    if "/" not in s:
        return num_words(s)
    head, _, frac = s.rpartition(" ")
    a, b = (int(x) for x in frac.split("/"))
    if b == 0:
        return num_words(head) + " " + digits(str(a)) + " slash zero" if head else digits(str(a)) + " slash zero"
    return fraction_words(a, b, int(head.replace(",", "")) if head and "." not in head else None)


def _attributive(m: re.Match) -> bool:
    """Whether a measure stands before the noun it describes ("a 10 kg bag"): then its unit is singular."""
    return not m.group("dot") and not m.group("per") and _before_noun(m)


def _before_noun(m: re.Match) -> bool:
    before = m.string[max(0, m.start() - 8):m.start()]
    if not _ARTICLE_BEFORE.search(before):
        return False
    nxt = re.match(r" ([a-z]+)\b", m.string[m.end():m.end() + 16])
    return bool(nxt) and nxt.group(1) not in _NOT_A_NOUN


def _measure(m: re.Match) -> str:
    unit = m.group("unit") or m.group("unit2") or m.group("unit3") or m.group("unit4")
    num, num2, scale = m.group("num"), m.group("num2"), m.group("scale")
    last = num2 or num
    words = ("minus " if m.group("neg") else "") + _quantity(num)
    if num2:
        words += " to " + num_words(num2)
    if scale:
        words += " " + scale
    one, many = UNITS[_UNIT_CAPS.get(unit, unit)]
    words += " " + (one if (is_one(last) and not scale) or _attributive(m) else many)
    if m.group("per"):
        words += " per " + _PER_UNITS[m.group("per")]
    return words + _end_period(m, bool(m.group("dot")))


def _feet_inches(m: re.Match) -> str:
    f, i = m.group("f"), m.group("i")
    return (f"{cardinal(int(f))} {'foot' if f == '1' else 'feet'} {num_words(i)} "
            f"{'inch' if is_one(i) else 'inches'}")


def _inches(m: re.Match) -> str:
    n = m.group("n") or m.group("n2")
    return f"{num_words(n)} {'inch' if is_one(n) else 'inches'}" + _end_period(m, m.group(0).endswith("."))


def _temperature(m: re.Match) -> str:
    num = m.group("num")
    scale = {"C": "Celsius", "F": "Fahrenheit", "K": "kelvin"}[m.group("u")]
    deg = "degree" if is_one(num) else "degrees"
    if m.group("u") == "K":
        return f"{num_words(num)} kelvin"
    return ("minus " if m.group("neg") else "") + f"{num_words(num)} {deg} {scale}" + \
        _end_period(m, m.group(0).endswith("."))


def _arc(m: re.Match) -> str:
    d = m.group("d")
    out = f"{num_words(d)} {'degree' if is_one(d) else 'degrees'}"
    if m.group("m"):
        out += f" {num_words(m.group('m'))} {'minute' if is_one(m.group('m')) else 'minutes'}"
    if m.group("s"):
        out += f" {num_words(m.group('s'))} {'second' if is_one(m.group('s')) else 'seconds'}"
    if m.group("dir"):
        out += " " + _COMPASS[m.group("dir")] + _end_period(m, bool(m.group("dot")))
    return out


# --- powers, scientific notation, equations, plans --------------------------------------------------------
_POWER = re.compile(r"(?<![\w.^])(?P<b>" + NUM + r")\^(?P<e>-?\d{1,4})(?![\w^])")
_SCIENTIFIC = re.compile(r"(?<![\w.$£€¥])(?P<neg>-)?(?P<m>\d+(?:\.\d+)?)[eE](?P<e>[+-]?\d{1,3})(?![\w])")
_EQUATION = re.compile(r"(?<![\w.=])(?P<a>" + NUM + r")\s?(?P<op>[-+\u2212\u00d7x*/\u00f7])\s?(?P<b>" + NUM
                       + r")\s?=\s?(?P<c>-?" + NUM + r")(?![\w])")
_OPS = {"-": "minus", "\u2212": "minus", "+": "plus", "\u00d7": "times", "x": "times", "*": "times", "/": "divided by",
        "\u00f7": "divided by"}
_ORDINAL_FRACTION = re.compile(r"(?<![\w./])(?P<a>\d{1,3})/(?P<b>\d{1,3})(?:st|nd|rd|th|ST|ND|RD|TH)[sS]?(?![\w])")


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
_PERCENT_RANGE = re.compile(r"(?<![\w.,])(?P<a>" + NUM + r")\s?%?\s?(?:-|\u2013|to)\s?(?P<b>" + NUM + r")\s?%")
_DECADE_RANGE = re.compile(r"(?<![\w'])(?P<a>'?\d{2,4}s)\s?(?:-|\u2013)\s?(?P<b>'?\d{2,4}s)(?![\w])")
_ERA = re.compile(r"(?<=\d)(?P<sp>\s?)(?P<era>A\.D\.|A\.D|AD|B\.C\.E\.|BCE|B\.C\.|B\.C|BC|C\.E\.|CE)(?![\w])")
_ERA_BEFORE = re.compile(r"(?<![\w.])(?P<era>A\.D\.|AD)(?=\s\d)")


def _era(m: re.Match) -> str:
    letters = "".join(c for c in m.group("era") if c.isalpha())
    end = "." if m.group("era").endswith(".") and starts_sentence(m.string[m.end():m.end() + 16]) else ""
    return f" {letters}{end}"


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
    return (("minus " if m.group("neg") else "") + f"{num_words(m.group('m'))} times ten to the power of "
            f"{cardinal(int(m.group('e')))}")


def _equation(m: re.Match) -> str:
    return f"{num_words(m.group('a'))} {_OPS[m.group('op')]} {num_words(m.group('b'))} equals " + \
        ("minus " + num_words(m.group("c")[1:]) if m.group("c").startswith("-") else num_words(m.group("c")))


def _plan(m: re.Match) -> str:
    n = m.group("n")
    said = " ".join("oh" if c == "0" else cardinal(int(c)) for c in n)
    return f"{said} {m.group('l')}"


# --- the pass -------------------------------------------------------------------------------------------------
_DIGIT = re.compile(r"\d")


def expand_semiotic(text: str) -> str:
    """Times, dates, money, measures, old ordinals and notation in words; the rest is left for the general
    number rules. Text without digits comes back unchanged."""
    if not _DIGIT.search(text):
        if any(c in text for c in CURRENCY_SIGNS):
            text = sub(_LONE_SIGN, _lone_sign, text, "currency sign")
        return text
    if "(" in text:
        text = sub(_PLAN, _plan, text, "plan name (401(k))")
    if "/" in text:
        text = sub(_ORDINAL_FRACTION, _ordinal_fraction, text, "fraction (1/4th)")
    if "=" in text:
        text = sub(_EQUATION, _equation, text, "equation")
    if "24/7" in text:
        text = sub(_ALWAYS, lambda m: "twenty-four seven", text, "24/7")
    if "50/50" in text:
        text = sub(_EVEN, lambda m: "fifty fifty", text, "50/50")
    if "%" in text:
        text = sub(_PERCENT_RANGE, lambda m: f"{num_words(m.group('a'))} to {num_words(m.group('b'))} percent",
                   text, "percent range")
    if "s-" in text or "s\u2013" in text or "s -" in text:
        text = sub(_DECADE_RANGE, lambda m: f"{m.group('a')} to {m.group('b')}", text, "decade range")
    if "x" in text or "\u00d7" in text:
        text = sub(_DIMENSION, lambda m: num_words(m.group("a")) + " by ", text, "dimensions (12 x 14)")
    if "D" in text or "C" in text:
        text = sub(_ERA, _era, text, "era (AD, BC)")
        text = sub(_ERA_BEFORE, lambda m: "AD", text, "era (AD, BC)")
    if "^" in text:
        text = sub(_POWER, _power, text, "power")
    if "m" in text or "M" in text:
        text = sub(_HOUR_RANGE, _hour_range, text, "time range (hours)")
    if ":" in text or "." in text:
        text = sub(_TIME_RANGE, _time_range, text, "time range")
        text = sub(_TIME_COLON, _time, text, "time")
        text = sub(_RATIO, lambda m: f"{cardinal(int(m.group('a')))} to {cardinal(int(m.group('b')))}", text,
                   "ratio (3:1)")
    if "-" in text:
        text = sub(_MONTH_HYPHEN, _month_hyphen, text, "date (Jan-15)")
    text = sub(_MONTH_FIX, _month_fix, text, "month name")
    if "/" in text or "." in text or "-" in text:
        text = sub(_YMD_DATE, _ymd_date, text, "date (year first)")
        text = sub(_NUM_DATE, _num_date, text, "date (numeric)")
    if "/" in text:
        text = sub(_MONTH_DAY, lambda m: (f"{m.group('pre')} {MONTHS[int(m.group('m')) - 1]} "
                                          f"{ordinal(int(m.group('d')))}"
                                          if 1 <= int(m.group("m")) <= 12 and 1 <= int(m.group("d")) <= 31
                                          else m.group(0)), text, "date (month/day)")
    if " 0" in text or text.startswith("0") or "+" in text:
        text = sub(_UK_PHONE, lambda m: ", ".join(digits(g) for g in re.findall(r"\d+", m.group(0))), text,
                   "telephone (spaced groups)")
    if "s." in text or "d." in text or "£" in text:
        text = sub(_LSD, _lsd, text, "pre-decimal British money")
    text = sub(_MONEY, _money, text, "money")
    text = sub(_MONEY_AFTER, _money_after, text, "money (currency code)")
    text = sub(_BARE_SCALE, lambda m: f"{num_words(m.group('num'))} "
               f"{_SCALE_WORDS[m.group('scale') or m.group('cap')]}", text, "number with a scale")
    if "d" in text:
        text = sub(_OLD_ORDINAL, _old_ordinal, text, "old ordinal (22d)")
    if "°" in text or "º" in text or "degree" in text:
        text = sub(_LATLONG, lambda m: {"lat": "latitude", "long": "longitude", "lon": "longitude"}[
            m.group("w").lower()], text, "latitude/longitude")
        text = sub(_TEMPERATURE, _temperature, text, "temperature")
        text = sub(_ARC, _arc, text, "degrees of arc")
    text = sub(_FEET_INCHES, _feet_inches, text, "feet and inches")
    text = sub(_INCHES, _inches, text, "inches")
    text = sub(_MEASURE, _measure, text, "measure")
    if "/" in text:
        text = sub(_PER_ONLY, lambda m: f"{num_words(m.group('num'))} per {_PER_UNITS[m.group('per')]}", text,
                   "per unit (12/kg)")
        text = sub(_WORD_PER, lambda m: f" per {_PER_UNITS[m.group('per')]}", text, "per unit (people/km2)")
    if "x" in text:
        text = sub(_TIMES_SUFFIX, lambda m: f"{num_words(m.group('num'))} x", text, "multiplier (4.4x)")
    if "e" in text or "E" in text:
        text = sub(_SCIENTIFIC, _scientific, text, "scientific notation")
    if any(c in text for c in CURRENCY_SIGNS):
        text = sub(_LONE_SIGN, _lone_sign, text, "currency sign")
    return text
