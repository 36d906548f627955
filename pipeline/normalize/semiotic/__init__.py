"""Times, dates, money, measures and the other written forms a narrator reads as words: the rules that run
before the general number rules (`pipeline.normalize.numbers`), each on what the last left.

The rules are a table (`Rule`: name, guard, pattern, reading), one module per semiotic class as in
NeMo-text-processing's taggers: `time`, `date`, `money`, `measure`, `ordinal`, `telephone`, `notation`.
`ORDER` below is the order in which they fire, as data; a rule's name is what `--explain` prints.
What they read, roughly by class:

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

`pipeline.normalize.explain(text)` runs normalization and returns which rule rewrote which span (by the
rules' names), for `render --normalize --explain`.
"""

from __future__ import annotations

import re

from . import date, measure, money, notation, ordinal, telephone, time
from .base import Rule
from .measure import UNITS
from .money import CURRENCY_CODES, CURRENCY_SIGNS
from .time import TIME_ZONES

# the order in which the rules fire, each on what the last left; a rule whose guard fails is skipped, and
# on text without a digit only the rules with `digits=False` run
ORDER: tuple[Rule, ...] = (
    notation.PLAN,
    notation.ORDINAL_FRACTION,
    notation.EQUATION,
    notation.ALWAYS,
    notation.EVEN,
    measure.PERCENT_RANGE,
    date.DECADE_RANGE,
    notation.DIMENSION,
    date.ERA,
    date.ERA_BEFORE,
    notation.POWER,
    time.HOUR_RANGE,
    time.TIME_RANGE,
    time.TIME,
    notation.RATIO,
    date.MONTH_HYPHEN,
    date.MONTH_NAME,
    date.YMD_DATE,
    date.NUM_DATE,
    date.MONTH_DAY,
    telephone.TELEPHONE,
    money.LSD,
    money.MONEY,
    money.MONEY_AFTER,
    money.BARE_SCALE,
    ordinal.OLD_ORDINAL,
    measure.LATLONG,
    measure.TEMPERATURE,
    measure.ARC,
    measure.FEET_INCHES,
    measure.INCHES,
    measure.MEASURE,
    measure.PER_ONLY,
    measure.WORD_PER,
    notation.MULTIPLIER,
    notation.SCIENTIFIC,
    money.LONE_SIGN,
)
CLASSES = (time, date, money, measure, ordinal, telephone, notation)  # each module's RULES, all in ORDER

_DIGIT = re.compile(r"\d")


def expand_semiotic(text: str) -> str:
    """Times, dates, money, measures, old ordinals and notation in words, by the rules of `ORDER`; the rest
    is left for the general number rules. Text without digits comes back unchanged but for a lone currency
    sign."""
    has_digit = bool(_DIGIT.search(text))
    for rule in ORDER:
        if (has_digit or not rule.digits) and (rule.guard is None or rule.guard(text)):
            text = rule.apply(text)
    return text


__all__ = [
    "CLASSES",
    "CURRENCY_CODES",
    "CURRENCY_SIGNS",
    "ORDER",
    "TIME_ZONES",
    "UNITS",
    "Rule",
    "expand_semiotic",
]
