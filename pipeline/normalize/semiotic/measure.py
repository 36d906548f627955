"""Measures: with or without a space, in any case ("12kg", "2.5cm", "12KG", "4 lbs."), ranges ("3-4 kg"),
feet and inches ("3 ft 6 in", "6'2\""), rates ("50 km/h", "12/kg", "people/km2"), squares ("30 m²"),
temperatures ("1°C"), degrees of arc ("lat. 40° 33' N."), percent ranges ("5-10%"). A measure before its
noun is singular ("a ten kilogram bag")."""

from __future__ import annotations

import re

from ..numbers import cardinal, digits, fraction_words
from .base import NUM, Rule, before_noun, end_period, has, is_one, num_words

# --- measures ------------------------------------------------------------------------------------------------
UNITS: dict[str, tuple[str, str]] = {
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "kg": ("kilogram", "kilograms"),
    "kgs": ("kilogram", "kilograms"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "cl": ("centiliter", "centiliters"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "yds": ("yard", "yards"),
    "mi": ("mile", "miles"),
    "oz": ("ounce", "ounces"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "mph": ("mile per hour", "miles per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kmh": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"),
    "gal": ("gallon", "gallons"),
    "qt": ("quart", "quarts"),
    "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
    "kV": ("kilovolt", "kilovolts"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "ha": ("hectare", "hectares"),
    "cc": ("cubic centimeter", "cubic centimeters"),
    "sq ft": ("square foot", "square feet"),
    "sq mi": ("square mile", "square miles"),
    "sq m": ("square meter", "square meters"),
    "km²": ("square kilometer", "square kilometers"),
    "m²": ("square meter", "square meters"),
    "m³": ("cubic meter", "cubic meters"),
    "ac": ("acre", "acres"),
    "mpg": ("mile per gallon", "miles per gallon"),
    "rpm": ("revolution per minute", "revolutions per minute"),
    "psi": ("pound per square inch", "pounds per square inch"),
    "kcal": ("kilocalorie", "kilocalories"),
    "cal": ("calorie", "calories"),
    "µm": ("micrometer", "micrometers"),
    "nm": ("nanometer", "nanometers"),
    "mV": ("millivolt", "millivolts"),
    "mA": ("milliamp", "milliamps"),
    "kN": ("kilonewton", "kilonewtons"),
    "dB": ("decibel", "decibels"),
    "st": ("stone", "stone"),
    # squares and cubes ("km²" arrives as "km2" after NFKC), spelled or with a power
    "mm2": ("square millimeter", "square millimeters"),
    "cm2": ("square centimeter", "square centimeters"),
    "m2": ("square meter", "square meters"),
    "km2": ("square kilometer", "square kilometers"),
    "ft2": ("square foot", "square feet"),
    "mi2": ("square mile", "square miles"),
    "in2": ("square inch", "square inches"),
    "sq km": ("square kilometer", "square kilometers"),
    "sq. km": ("square kilometer", "square kilometers"),
    "sq. ft.": ("square foot", "square feet"),
    "sq. ft": ("square foot", "square feet"),
    "sq. mi.": ("square mile", "square miles"),
    "sq in": ("square inch", "square inches"),
    "sq yd": ("square yard", "square yards"),
    "cm3": ("cubic centimeter", "cubic centimeters"),
    "m3": ("cubic meter", "cubic meters"),
    "km3": ("cubic kilometer", "cubic kilometers"),
    "ft3": ("cubic foot", "cubic feet"),
    "cu ft": ("cubic foot", "cubic feet"),
    "cu in": ("cubic inch", "cubic inches"),
    # kitchen, pressure, energy, data, power and the rest a book prints
    "tbsp": ("tablespoon", "tablespoons"),
    "Tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"),
    "fl oz": ("fluid ounce", "fluid ounces"),
    "pt": ("pint", "pints"),
    "dl": ("deciliter", "deciliters"),
    "dL": ("deciliter", "deciliters"),
    "µl": ("microliter", "microliters"),
    "µg": ("microgram", "micrograms"),
    "mcg": ("microgram", "micrograms"),
    "µs": ("microsecond", "microseconds"),
    "ns": ("nanosecond", "nanoseconds"),
    "Pa": ("pascal", "pascals"),
    "kPa": ("kilopascal", "kilopascals"),
    "hPa": ("hectopascal", "hectopascals"),
    "MPa": ("megapascal", "megapascals"),
    "atm": ("atmosphere", "atmospheres"),
    "mmHg": ("millimeter of mercury", "millimeters of mercury"),
    "ppm": ("part per million", "parts per million"),
    "ppb": ("part per billion", "parts per billion"),
    "kJ": ("kilojoule", "kilojoules"),
    "MJ": ("megajoule", "megajoules"),
    "mbps": ("megabit per second", "megabits per second"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Kbps": ("kilobit per second", "kilobits per second"),
    "Mb": ("megabit", "megabits"),
    "Gb": ("gigabit", "gigabits"),
    "MB/s": ("megabyte per second", "megabytes per second"),
    "hp": ("horsepower", "horsepower"),
    "bhp": ("brake horsepower", "brake horsepower"),
    "mW": ("milliwatt", "milliwatts"),
    "GW": ("gigawatt", "gigawatts"),
    "GWh": ("gigawatt hour", "gigawatt hours"),
    "MWh": ("megawatt hour", "megawatt hours"),
    "km/s": ("kilometer per second", "kilometers per second"),
    "ft/s": ("foot per second", "feet per second"),
    "mi/h": ("mile per hour", "miles per hour"),
    "cwt": ("hundredweight", "hundredweight"),
    "nmi": ("nautical mile", "nautical miles"),
    "kt": ("knot", "knots"),
    "kn": ("knot", "knots"),
    "mol": ("mole", "moles"),
    "Ah": ("amp hour", "amp hours"),
    "yr": ("year", "years"),
    "yrs": ("year", "years"),
    "wk": ("week", "weeks"),
    "wks": ("week", "weeks"),
    "lm": ("lumen", "lumens"),
    "MP": ("megapixel", "megapixels"),
}
# capitals as people type them ("12KG"); "M", "G", "L", "ST" and other single letters stay out (million, ...)
_UNIT_CAPS = {
    "KG": "kg",
    "KGS": "kg",
    "KM": "km",
    "CM": "cm",
    "MM": "mm",
    "MG": "mg",
    "ML": "ml",
    "LBS": "lbs",
    "LB": "lb",
    "OZ": "oz",
    "FT": "ft",
    "MPH": "mph",
    "KPH": "kph",
    "KM/H": "km/h",
    "YDS": "yds",
    "HRS": "hrs",
    "MINS": "mins",
    "SECS": "secs",
    "KMH": "kmh",
    "GAL": "gal",
    "Km": "km",
    "Kg": "kg",
    "Cm": "cm",
    "Mm": "mm",
    "Lbs": "lbs",
    "Ft": "ft",
    "MBPS": "Mbps",
    "Mbit/s": "Mbps",
    "TBSP": "tbsp",
    "TSP": "tsp",
    "KW": "kW",
    "KWH": "kWh",
    "Kwh": "kWh",
    "kwh": "kWh",
    "GHZ": "GHz",
    "MHZ": "MHz",
    "KHZ": "kHz",
    "Hrs": "hrs",
    "Mins": "mins",
    "KM2": "km2",
    "SQ FT": "sq ft",
    "Sq ft": "sq ft",
    "Sq km": "sq km",
    "Sq mi": "sq mi",
    "Sq. ft.": "sq. ft.",
}
_ALL_UNITS = sorted([*UNITS, *_UNIT_CAPS], key=len, reverse=True)
_UNIT_ALT = "|".join(
    re.escape(u) for u in _ALL_UNITS if u not in ("st", "m", "g", "l", "L", "W", "V", "ac", "cal")
)
# single-letter and word-like units only glued to the number or before punctuation ("5 m." not "5 m away"?)
_SHORT_ALT = "|".join(re.escape(u) for u in ("m", "g", "l", "L", "ac", "cal"))
_SHORT_AFTER = (
    r"(?=[.,;:!?)]|$|\s(?:long|high|tall|deep|wide|away|of|above|below|from|in|on|and|or|to|"
    r"race|run|dash|sprint|drop|per|hurdles|relay|freestyle|butterfly|backstroke|breaststroke|medley|swim|"
    r"mark|event|final|record|[A-Z(]))"
)
_PER_UNITS = {
    "s": "second",
    "sec": "second",
    "h": "hour",
    "hr": "hour",
    "day": "day",
    "d": "day",
    "yr": "year",
    "year": "year",
    "week": "week",
    "wk": "week",
    "min": "minute",
    "mo": "month",
    "month": "month",
    "kg": "kilogram",
    "g": "gram",
    "lb": "pound",
    "km": "kilometer",
    "m": "meter",
    "mi": "mile",
    "l": "liter",
    "L": "liter",
    "ml": "milliliter",
    "gal": "gallon",
    "km2": "square kilometer",
    "m2": "square meter",
    "sq km": "square kilometer",
    "sq mi": "square mile",
    "mi2": "square mile",
    "ft2": "square foot",
    "sq ft": "square foot",
    "ha": "hectare",
    "person": "person",
    "capita": "capita",
    "cm": "centimeter",
    "mm": "millimeter",
    "ft": "foot",
    "oz": "ounce",
    "kWh": "kilowatt hour",
    "kW": "kilowatt",
    "GB": "gigabyte",
    "MB": "megabyte",
    "kcal": "kilocalorie",
    "cm2": "square centimeter",
    "cm3": "cubic centimeter",
    "m3": "cubic meter",
}
_PER_ALT = "|".join(re.escape(u) for u in sorted(_PER_UNITS, key=len, reverse=True))
_SCALE_BEFORE_UNIT = r"(?:\s(?P<scale>thousand|million|billion|trillion))?"
_MEASURE = re.compile(
    r"(?<![\w.,$£€¥/])(?P<neg>[-\u2212])?(?P<num>"
    + NUM
    + r"(?:\s\d{1,3}/\d{1,3})?|\d{1,3}/\d{1,3})(?:\s?(?:-|\u2013|to)\s?(?P<num2>"
    + NUM
    + r"))?"
    + _SCALE_BEFORE_UNIT
    + r"(?:(?P<sp>\s?)(?P<unit>"
    + _UNIT_ALT
    + r")|(?P<unit2>"
    + _SHORT_ALT
    + r")"
    + _SHORT_AFTER
    + r"|(?P<unit4>W|V|kcal)(?=[\s.,;:!?)]|$)"
    r"|\s(?P<unit3>m|g|l|L|W|V|ac|cal)" + _SHORT_AFTER + ")"
    r"(?P<dot>\.)?(?:\s?(?:/|\bper\s)(?P<per>" + _PER_ALT + r")\b)?(?![\w/²³'])"
)
_WORD_PER = re.compile(r"(?<=[a-z])/(?P<per>km2|m2|mi2|sq km|sq mi|ha|capita|kg|km|hr|yr)(?![\w/])")
_PER_ONLY = re.compile(r"(?<![\w.,$£€¥/])(?P<num>" + NUM + r")/(?P<per>" + _PER_ALT + r")(?![\w/])")
_FEET_INCHES = re.compile(
    r"(?<![\w.])(?P<f>\d{1,2})\s?(?:ft\.?|feet|foot|['\u2032\u2019])\s?(?P<i>\d{1,2}(?:\.\d+)?)"
    r"\s?(?:in\b\.?|inches\b|inch\b|[\"\u2033\u201d]|''|\u2019\u2019)"
)
_INCHES = re.compile(
    r"(?<![\w.])(?P<n>\d{1,3}(?:\.\d+)?)\s?(?:in\.)(?![\w])|(?<![\w.])(?P<n2>\d{1,3}(?:\.\d+)?)\s?in"
    r"(?=\s(?:tall|long|wide|high|deep|thick|across|diameter|square)\b|[.,;:!?)]|$)"
)
_TEMPERATURE = re.compile(
    r"(?<![\w.])(?P<neg>[-\u2212])?(?P<num>" + NUM + r")\s?(?:°|º|˚|\u00b0|degrees?\s)\s?"
    r"(?P<u>[CFK])\b\.?"
)
_ARC = re.compile(
    r"(?<![\w.])(?P<d>\d{1,3}(?:\.\d+)?)\s?°(?:\s?(?P<m>\d{1,2}(?:\.\d+)?)\s?['\u2032\u2019])?"
    r"(?:\s?(?P<s>\d{1,2}(?:\.\d+)?)\s?(?:[\"\u2033\u201d]|''))?(?:\s?(?P<dir>[NSEW])\b(?P<dot>\.)?)?"
)
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
        return (
            num_words(head) + " " + digits(str(a)) + " slash zero" if head else digits(str(a)) + " slash zero"
        )
    return fraction_words(a, b, int(head.replace(",", "")) if head and "." not in head else None)


def _attributive(m: re.Match) -> bool:
    """Whether a measure stands before the noun it describes ("a 10 kg bag"): then its unit is singular."""
    return not m.group("dot") and not m.group("per") and before_noun(m)


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
    return words + end_period(m, bool(m.group("dot")))


def _feet_inches(m: re.Match) -> str:
    f, i = m.group("f"), m.group("i")
    return (
        f"{cardinal(int(f))} {'foot' if f == '1' else 'feet'} {num_words(i)} "
        f"{'inch' if is_one(i) else 'inches'}"
    )


def _inches(m: re.Match) -> str:
    n = m.group("n") or m.group("n2")
    return f"{num_words(n)} {'inch' if is_one(n) else 'inches'}" + end_period(m, m.group(0).endswith("."))


def _temperature(m: re.Match) -> str:
    num = m.group("num")
    scale = {"C": "Celsius", "F": "Fahrenheit", "K": "kelvin"}[m.group("u")]
    deg = "degree" if is_one(num) else "degrees"
    if m.group("u") == "K":
        return f"{num_words(num)} kelvin"
    return (
        ("minus " if m.group("neg") else "")
        + f"{num_words(num)} {deg} {scale}"
        + end_period(m, m.group(0).endswith("."))
    )


def _arc(m: re.Match) -> str:
    d = m.group("d")
    out = f"{num_words(d)} {'degree' if is_one(d) else 'degrees'}"
    if m.group("m"):
        out += f" {num_words(m.group('m'))} {'minute' if is_one(m.group('m')) else 'minutes'}"
    if m.group("s"):
        out += f" {num_words(m.group('s'))} {'second' if is_one(m.group('s')) else 'seconds'}"
    if m.group("dir"):
        out += " " + _COMPASS[m.group("dir")] + end_period(m, bool(m.group("dot")))
    return out


_PERCENT_RANGE = re.compile(
    r"(?<![\w.,])(?P<a>" + NUM + r")\s?%?\s?(?:-|\u2013|to)\s?(?P<b>" + NUM + r")\s?%"
)


def _percent_range(m: re.Match[str]) -> str:
    return f"{num_words(m.group('a'))} to {num_words(m.group('b'))} percent"


def _latlong(m: re.Match[str]) -> str:
    return {"lat": "latitude", "long": "longitude", "lon": "longitude"}[m.group("w").lower()]


def _per_only(m: re.Match[str]) -> str:
    return f"{num_words(m.group('num'))} per {_PER_UNITS[m.group('per')]}"


def _word_per(m: re.Match[str]) -> str:
    return f" per {_PER_UNITS[m.group('per')]}"


_DEGREES = has("°", "º", "degree")
PERCENT_RANGE = Rule("percent range", _PERCENT_RANGE, _percent_range, has("%"))
LATLONG = Rule("latitude/longitude", _LATLONG, _latlong, _DEGREES)
TEMPERATURE = Rule("temperature", _TEMPERATURE, _temperature, _DEGREES)
ARC = Rule("degrees of arc", _ARC, _arc, _DEGREES)
FEET_INCHES = Rule("feet and inches", _FEET_INCHES, _feet_inches)
INCHES = Rule("inches", _INCHES, _inches)
MEASURE = Rule("measure", _MEASURE, _measure)
PER_ONLY = Rule("per unit (12/kg)", _PER_ONLY, _per_only, has("/"))
WORD_PER = Rule("per unit (people/km2)", _WORD_PER, _word_per, has("/"))
RULES = (PERCENT_RANGE, LATLONG, TEMPERATURE, ARC, FEET_INCHES, INCHES, MEASURE, PER_ONLY, WORD_PER)
