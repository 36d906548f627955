"""Times of the clock: dotted "8.45 p.m.", colon "01:00", "1:01:01", zones ("3 p.m. EST") and ranges
("4:00 am - 8:12 pm", "2pm-5pm", "9 to 5 p.m.")."""

from __future__ import annotations

import re

from ..numbers import cardinal
from .base import Rule, end_period, has

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
    elif secs is not None:  # 14:10:30: hours, minutes and seconds, as a clock with seconds is said
        words = (
            f"{cardinal(h)} {'hour' if h == 1 else 'hours'} {cardinal(mins)} "
            f"{'minute' if mins == 1 else 'minutes'} and {cardinal(secs)} {'second' if secs == 1 else 'seconds'}"
        )
    elif mins < 10:
        words = f"{cardinal(h)} oh {cardinal(mins)}"
    else:
        words = f"{cardinal(h)} {cardinal(mins)}"
    if ap:
        words += " AM" if ap in "Aa" else " PM"
    return words


TIME_ZONES = (
    "EST",
    "EDT",
    "CST",
    "CDT",
    "MST",
    "MDT",
    "PST",
    "PDT",
    "AKST",
    "HST",
    "GMT",
    "UTC",
    "BST",
    "CET",
    "CEST",
    "EET",
    "IST",
    "JST",
    "AEST",
    "AEDT",
    "NZST",
    "ET",
    "PT",
    "CT",
    "MT",
)
_TZ = (
    r"(?:\.?\s?(?P<tz{n}>"
    + "|".join(TIME_ZONES)
    + "|"
    + "|".join(z.lower() for z in TIME_ZONES if len(z) > 2)
    + r"|[eEpPcCmM]\.[sSdD]\.[tT])(?P<tzdot{n}>\.)?(?![\w]))"
)
_T1 = (
    r"(?P<h{n}>[01]?\d|2[0-4])(?P<sep{n}>[:.])(?P<m{n}>[0-5]\d)(?::(?P<s{n}>[0-5]\d))?(?!\d)"
    r"(?:\s?" + _AP + r")?" + _TZ + "?"
)
_HOUR_RANGE = re.compile(
    r"(?<![\w:.,$£€])(?P<h1>1[0-2]|0?[1-9])(?::(?P<m1>[0-5]\d))?\s?(?:"
    + _AP.replace("{n}", "1")
    + r")?\s?(?:-|\u2013|to)\s?(?P<h2>1[0-2]|0?[1-9])(?::(?P<m2>[0-5]\d))?\s?"
    + _AP.replace("{n}", "2")
    + _TZ.replace("{n}", "2")
    + "?"
)


def _zone(m: re.Match, n: int) -> str:
    tz = m.group(f"tz{n}")
    return " " + "".join(c for c in tz.upper() if c.isalpha()) if tz else ""


def _hour_range(m: re.Match) -> str:
    """ "2pm-5pm", "5pm-7 pm", "9 to 5 p.m.": both ends are hours of the clock."""
    ap1, ap2 = m.group("ap1") or m.group("ap2"), m.group("ap2")
    a = _clock(int(m.group("h1")), int(m.group("m1") or 0), None, ap1, m.group("h1"))
    b = _clock(int(m.group("h2")), int(m.group("m2") or 0), None, ap2, m.group("h2"))
    if not m.group("ap1"):
        a = a[:-3]  # "9 to 5 p.m.": the PM is said once, at the end
    end = end_period(m, bool(m.group("tzdot2") if m.group("tz2") else m.group("apdot2")))
    return f"{a} to {b}{_zone(m, 2)}{end}"


_TIME_RANGE = re.compile(
    r"(?<![\w:.,$£€])(?<!\d,)"
    + _T1.replace("{n}", "1")
    + r"\s?(?:-|\u2013|\u2014|to)\s?"
    + _T1.replace("{n}", "2")
)
_TIME_COLON = re.compile(r"(?<![\w:.$£€])(?<!\d,)" + _T1.replace("{n}", "1"))
_TIME_CONTEXT = re.compile(
    r"(?:\b(?:at|by|till|until|before|after|from|past|about|around|since|the|and|or)"
    r"|\bo'clock|[,(])\s$",
    re.I,
)


def _one_time(m: re.Match, n: int, need_context: bool) -> str | None:
    h_text, sep, mins, secs, ap = (
        m.group(f"h{n}"),
        m.group(f"sep{n}"),
        m.group(f"m{n}"),
        m.group(f"s{n}"),
        m.group(f"ap{n}"),
    )
    h = int(h_text)
    if sep == ".":
        if secs or h > 23:
            return None
        if not ap and (need_context or len(mins) != 2):
            return None  # "7.25" is a decimal unless the sentence says it is a time
        if ap and h > 12:
            return None
    if ap and h > 12:
        return None
    return _clock(h, int(mins), int(secs) if secs else None, ap, h_text)


def _time_range(m: re.Match) -> str:
    before = m.string[max(0, m.start() - 12) : m.start()]
    after = m.string[m.end() : m.end() + 3]
    # a range of two dotted times ("9.30-5.30") reads as times unless a unit or a percent follows
    ctx = (
        not _TIME_CONTEXT.search(before)
        and bool(re.match(r"\s?[%a-zA-Z]", after))
        and not re.match(r"\s?(?:[ap]\.?m\b|hours|hrs)", after, re.I)
    )
    a, b = _one_time(m, 1, ctx and m.group("sep1") == "."), _one_time(m, 2, ctx and m.group("sep2") == ".")
    if a is None or b is None:
        return m.group(0)
    end = end_period(m, bool(m.group("tzdot2") if m.group("tz2") else m.group("apdot2")))
    return f"{a} to {b}{_zone(m, 2)}{end}"


def _time(m: re.Match) -> str:
    before = m.string[max(0, m.start() - 12) : m.start()]
    words = _one_time(m, 1, m.group("sep1") == "." and not _TIME_CONTEXT.search(before))
    if words is None:
        return m.group(0)
    end = end_period(m, bool(m.group("tzdot1") if m.group("tz1") else m.group("apdot1")))
    return words + _zone(m, 1) + end


HOUR_RANGE = Rule("time range (hours)", _HOUR_RANGE, _hour_range, has("m", "M"))
TIME_RANGE = Rule("time range", _TIME_RANGE, _time_range, has(":", "."))
TIME = Rule("time", _TIME_COLON, _time, has(":", "."))
RULES = (HOUR_RANGE, TIME_RANGE, TIME)
