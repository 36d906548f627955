"""Words an engine would misread: abbreviations, Roman numerals, symbols, URLs and e-mail addresses.

Linear-time patterns only (see `pipeline.normalize.chars`).
"""

from __future__ import annotations

import re

from .numbers import cardinal, ordinal
from .trace import sub

# always expanded (the period goes with the abbreviation)
ABBREVIATIONS = {
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Messrs.": "Messieurs",
    "Ms.": "Miz",
    "Prof.": "Professor",
    "Rev.": "Reverend",
    "Revd.": "Reverend",
    "Hon.": "Honourable",
    "Capt.": "Captain",
    "Col.": "Colonel",
    "Gen.": "General",
    "Lt.": "Lieutenant",
    "Sgt.": "Sergeant",
    "Cpl.": "Corporal",
    "Maj.": "Major",
    "Adm.": "Admiral",
    "Gov.": "Governor",
    "Sen.": "Senator",
    "Rep.": "Representative",
    "Pres.": "President",
    "Fr.": "Father",
    "Sr.": "Senior",
    "Jr.": "Junior",
    "Esq.": "Esquire",
    "Mme.": "Madame",
    "Mlle.": "Mademoiselle",
    "vs.": "versus",
    "v.": "versus",
    "etc.": "et cetera",
    "&c.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "p.a.": "per annum",
    "viz.": "namely",
    "cf.": "compare",
    "approx.": "approximately",
    "Ave.": "Avenue",
    "Rd.": "Road",
    "Blvd.": "Boulevard",
    "Ln.": "Lane",
    "Sq.": "Square",
    "Co.": "Company",
    "Corp.": "Corporation",
    "Inc.": "Incorporated",
    "Ltd.": "Limited",
    "Bros.": "Brothers",
    "Dept.": "Department",
    "Univ.": "University",
    "Vol.": "Volume",
    "vol.": "volume",
    "Ch.": "Chapter",
    "ch.": "chapter",
    "pp.": "pages",
    "p.": "page",
    "doz.": "dozen",
    "fig.": "figure",
    "Fig.": "Figure",
    "ed.": "edition",
    "Mt.": "Mount",
    "Ft.": "Fort",
    "ft.": "feet",
    "in.": "inches",
    "lb.": "pounds",
    "lbs.": "pounds",
    "oz.": "ounces",
    "yd.": "yards",
    "yds.": "yards",
    "mi.": "miles",
    "hr.": "hour",
    "hrs.": "hours",
    "min.": "minutes",
    "sec.": "seconds",
    "mph": "miles per hour",
    "yrs.": "years",
    "yr.": "year",
    "mos.": "months",
    "mo.": "month",
    "wks.": "weeks",
    "wk.": "week",
    "km": "kilometers",
    "kg": "kilograms",
    "cm": "centimeters",
    "mm": "millimeters",
}
# these only before a number: "No. 5" is "Number five", "No." alone is the word no
_BEFORE_NUMBER = {
    "No.": "Number",
    "no.": "number",
    "Nos.": "Numbers",
    "nos.": "numbers",
    "p.": "page",
    "pp.": "pages",
    "in.": "inches",
    "ft.": "feet",
    "min.": "minutes",
    "sec.": "seconds",
    "km": "kilometers",
    "kg": "kilograms",
    "cm": "centimeters",
    "mm": "millimeters",
    "mph": "miles per hour",
    "mi.": "miles",
    "hr.": "hour",
    "hrs.": "hours",
    "lb.": "pounds",
    "lbs.": "pounds",
    "oz.": "ounces",
    "yd.": "yards",
    "yds.": "yards",
    "yrs.": "years",
    "yr.": "year",
    "mos.": "months",
    "mo.": "month",
    "wks.": "weeks",
    "wk.": "week",
}
_AFTER_NUMBER = {
    "doz.",
    "pp.",
    "yrs.",
    "yr.",
    "mos.",
    "mo.",
    "wks.",
    "wk.",
    "in.",
    "ft.",
    "min.",
    "sec.",
    "km",
    "kg",
    "cm",
    "mm",
    "mph",
    "mi.",
    "hr.",
    "hrs.",
    "lb.",
    "lbs.",
    "oz.",
    "yd.",
    "yds.",
}
_NUMBER_ONLY = {"No.", "no.", "Nos.", "nos.", "p.", "pp."} | _AFTER_NUMBER
_SENTENCE_FINAL_OK = {"etc.", "&c.", "Co.", "Inc.", "Ltd.", "Bros.", "Jr.", "Sr.", "Esq.", "approx."}

_ABBR_RE = re.compile(
    r"(?<![\w.&])("
    + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    + "|No\\.|no\\.|Nos\\.|nos\\.)(?![\\w])"
)
_ST_DR = re.compile(r"(?<![\w.])(?P<abbr>St|Dr|ST|DR)\.(?!\w)")


def _abbr(m: re.Match) -> str:
    abbr = m.group(1)
    text = m.string
    before = text[max(0, m.start() - 2) : m.start()]
    after = text[m.end() : m.end() + 2]
    number_before = bool(re.search(r"\d ?$", before))
    number_after = bool(re.match(r" ?[\d#]", after))
    if abbr in _NUMBER_ONLY:
        after_a_number = abbr in _AFTER_NUMBER and number_before
        before_a_number = (
            abbr in _BEFORE_NUMBER and number_after and (abbr not in _AFTER_NUMBER or abbr == "pp.")
        )
        if not (after_a_number or before_a_number):
            return abbr
    word = (
        _BEFORE_NUMBER.get(abbr, ABBREVIATIONS.get(abbr, abbr))
        if abbr in _NUMBER_ONLY
        else ABBREVIATIONS[abbr]
    )
    if abbr.endswith(".") and abbr in _SENTENCE_FINAL_OK and (not after.strip() or after[1:2].isupper()):
        word += "."  # "and so on, etc." ends the sentence with the same period
    return word


def _st_dr(m: re.Match) -> str:
    """St. is Saint before a name and Street after one; Dr. is Doctor before a name and Drive after one."""
    abbr = m.group("abbr").lower()
    text = m.string
    after = text[m.end() : m.end() + 12]
    before = text[max(0, m.start() - 30) : m.start()]
    name_after = bool(re.match(r" ?[A-Z]", after))
    prev_word = re.search(r"([A-Za-z][\w'-]*|\d+(?:st|nd|rd|th)?)\s$", before)
    name_before = bool(prev_word and (prev_word.group(1)[0].isupper() or prev_word.group(1)[0].isdigit()))
    if name_after and not (name_before and _looks_like_sentence_start(after)):
        word = "Saint" if abbr == "st" else "Doctor"
    elif name_before:
        word = "Street" if abbr == "st" else "Drive"
    else:
        word = "Saint" if abbr == "st" else "Doctor"
    if name_before and (not after.strip() or after[1:2].isupper()) and word in ("Street", "Drive"):
        word += "."  # "in Baker St. They" : the period also ends the sentence
    return word


_SENTENCE_STARTERS = frozenset(
    """It He She They We I You The A An There This That These Those But And So Then
When While His Her Its Our Their My Your In On At After Before As If Yet Now Here What Who Why How Where
One No Not Nor All Some Every Each Such Still Later Soon""".split()
)


def _looks_like_sentence_start(after: str) -> bool:
    """ "Elm St. It was": the capital after the abbreviation starts a sentence, not a saint's name."""
    word = re.match(r" ?([A-Z][a-z]*)", after)
    return bool(word and word.group(1) in _SENTENCE_STARTERS)


_UNIT_HINT = re.compile(r"km|kg|cm|mm|mph")


def expand_abbreviations(text: str) -> str:
    if "St." in text or "Dr." in text or "ST." in text or "DR." in text:
        text = sub(_ST_DR, _st_dr, text, "St./Dr.")
    if "." in text or _UNIT_HINT.search(text):
        text = sub(_ABBR_RE, _abbr, text, "abbreviation")
    return text


# --- blanked names ------------------------------------------------------------------------------------
# "Mr. ⸻", "Lady ——", "D——": a name the author left out, printed as a long dash (two or more em dashes,
# the two- and three-em dashes) or a row of underscores. A narrator says "blank"; a single em dash, or a
# dash run after a lowercase word (speech broken off: "But I thought——"), is a pause, not a name.
_BLANK_DASHES = r"(?:[—―]{2,}|[⸺⸻][—―⸺⸻]*|-{4,})"
_BLANKED_NAME = re.compile(
    r"\b(?P<who>(?![IA][^A-Za-z.])[A-Z][A-Za-z]{0,11}\.?)(?P<sp>[ \u00a0]?)"
    + _BLANK_DASHES
    + r"(?=[\s.,;:!?'\")\u2019\u201d]|$)"
)
_UNDERSCORES = re.compile(r"_{3,}")


def expand_blanks(text: str) -> str:
    """Names left blank read as "blank": "Mr. ⸻" -> "Mr. Blank", "D——" -> "D Blank", "Miss ___" ->
    "Miss blank"."""
    if "_" in text:
        text = _UNDERSCORES.sub(" blank ", text)
    if "\u2014" in text or "\u2015" in text or "\u2e3a" in text or "\u2e3b" in text or "----" in text:
        text = sub(_BLANKED_NAME, lambda m: f"{m.group('who')} Blank", text, "blanked name")
    return text


# --- Roman numerals -----------------------------------------------------------------------------------
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
REGNAL_NAMES = frozenset(
    {
        "Henry",
        "Edward",
        "George",
        "William",
        "Richard",
        "Charles",
        "James",
        "John",
        "Elizabeth",
        "Mary",
        "Anne",
        "Louis",
        "Philip",
        "Philippe",
        "Napoleon",
        "Peter",
        "Catherine",
        "Frederick",
        "Friedrich",
        "Wilhelm",
        "Alexander",
        "Nicholas",
        "Ivan",
        "Pius",
        "Leo",
        "Gregory",
        "Benedict",
        "Innocent",
        "Clement",
        "Urban",
        "Boniface",
        "Paul",
        "Alfonso",
        "Ferdinand",
        "Carlos",
        "Juan",
        "Victor",
        "Umberto",
        "Gustav",
        "Gustavus",
        "Christian",
        "Frederik",
        "Haakon",
        "Olaf",
        "Harald",
        "Malcolm",
        "David",
        "Robert",
        "Stephen",
        "Constantine",
        "Justinian",
        "Otto",
        "Rudolf",
        "Leopold",
        "Joseph",
        "Francis",
        "Franz",
        "Ludwig",
        "Rama",
        "Ramesses",
        "Ramses",
        "Thutmose",
        "Amenhotep",
        "Ptolemy",
        "Antiochus",
        "Selim",
        "Mehmed",
        "Suleiman",
        "Cosimo",
        "Lorenzo",
        "Pedro",
        "Manuel",
        "Sancho",
        "Alfred",
        "Edmund",
        "Harold",
        "Canute",
        "Cnut",
        "Baldwin",
        "Conrad",
        "Sigismund",
        "Casimir",
        "Sobieski",
        "Darius",
        "Xerxes",
        "Cyrus",
        "Artaxerxes",
    }
)
# words after which a numeral is a plain number: "Chapter IV" is "Chapter Four"
NUMBERED_WORDS = (
    "chapter",
    "part",
    "book",
    "volume",
    "vol.",
    "act",
    "scene",
    "section",
    "article",
    "appendix",
    "canto",
    "psalm",
    "number",
    "phase",
    "stage",
    "level",
    "class",
    "type",
    "war",
    "lesson",
    "letter",
    "figure",
    "plate",
    "table",
    "stave",
    "verse",
    "episode",
    "round",
    "year",
    "tome",
    "fytte",
    "series",
    "season",
    "epistle",
    "sonnet",
    "ode",
    "hymn",
    "item",
    "day",
    "night",
)
_NUMBERED = frozenset(NUMBERED_WORDS)
_ROMAN_TOKEN = re.compile(
    r"(?<![\w'.-])(?=[MDCLXVImdclxvi])(?:" + _ROMAN + "|" + _ROMAN.lower() + r")(?![\w'-])"
)
_HEADING_ROMAN = re.compile(r"^(?P<r>" + _ROMAN + r")(?P<rest>[.:]\s*\S.*|\.?\s*$)", re.DOTALL)
_PRONOUN_AFTER = (
    "war",
    "day",
    "year",
    "letter",
    "number",
    "type",
    "item",
    "round",
    "night",
    "figure",
    "table",
    "class",
    "verse",
    "part",
    "book",
    "act",
    "scene",
    "level",
    "stage",
    "phase",
    "series",
)


def roman_value(numeral: str) -> int:
    """ "XIV" -> 14 (the numeral must be valid; see `_ROMAN`)."""
    total = 0
    prev = 0
    for ch in reversed(numeral.upper()):
        v = _ROMAN_VALUES[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def _roman_token(m: re.Match) -> str:
    r = m.group(0)
    before = m.string[max(0, m.start() - 16) : m.start()]
    if not before[-1:].isspace():
        return r
    word = before[:-1].rsplit(None, 1)[-1].lstrip("(\"'[") if before[:-1].strip() else ""
    if not word[:1].isalpha() or not (word.isalpha() or (word[:-1].isalpha() and word[-1] == ".")):
        return r
    if word.lower() in _NUMBERED:
        if r == "i" or (r == "I" and (word[0].islower() or word.lower() in _PRONOUN_AFTER)):
            after = m.string[m.end() : m.end() + 2]
            if r == "i" or (after[:1] == " " and after[1:2].isalpha()):
                return r  # "the day I met her", "Part I was"
        if r.lower() == r and len(r) == 1 and r not in "iv":
            return r
        words = cardinal(roman_value(r))
        return words.title() if word[0].isupper() else words
    if r.upper() != r or not word[0].isupper() or word.endswith("."):
        return r
    name = word
    if r == "I" and name not in REGNAL_NAMES:
        return r  # "Then I went": the pronoun
    if r == "I":
        after = m.string[m.end() : m.end() + 2]
        if after[:1] == " " and after[1:2].islower():
            return r  # "Henry I said": most likely the pronoun
    if name not in REGNAL_NAMES and (len(r) < 2 or roman_value(r) > 30 or len(name) < 3):
        return r  # "Plan B"-like letters: only known names
    return f"the {ordinal(roman_value(r)).title()}"


def is_roman_heading(title: str) -> str | None:
    """The numeral a heading starts with, when it is a Roman numeral alone or before a title ("IV",
    "IV.", "IV. The Return"); else None."""
    m = _HEADING_ROMAN.match(title.strip())
    return m.group("r") if m else None


def expand_roman(text: str, heading: bool = False, numbered_headings: bool = False) -> str:
    """Roman numerals read as numbers where they are numbers: after Chapter, Part, Book and the like
    ("Chapter IV" -> "Chapter Four"), after a monarch's or pope's name ("Henry VIII" -> "Henry the Eighth"),
    and at the start of a heading ("XII. The Return" -> "Twelve. The Return"). The pronoun "I" and single
    letters heading a dictionary's chapters ("I", "V", "X") are left alone, unless `numbered_headings` says
    the book numbers its headings with Roman numerals (then a heading "I" is "One", like "II" is "Two")."""
    if heading:
        m = _HEADING_ROMAN.match(text)
        if m and (len(m.group("r")) > 1 or m.group("rest").strip(" .:") or numbered_headings):
            text = cardinal(roman_value(m.group("r"))).title() + m.group("rest")
    return sub(_ROMAN_TOKEN, _roman_token, text, "Roman numeral")


# --- URLs, e-mail addresses, symbols --------------------------------------------------------------------
_URL = re.compile(r"(?<![\w@./:-])(?:(?:https?|ftp|HTTPS?|FTP)://|file:///?|www\.|WWW\.)[^\s<>\"']+")
_EMAIL = re.compile(r"(?<![\w.+&-])[\w.+&-]+@[\w-]+(?:\.[\w-]+)+(?:/[^\s<>\"']*)?")
_URL_PARTS = re.compile(r"[A-Za-z]+|\d+|[./:@_~?=&#%+-]")
_URL_SAY = {
    ".": "dot",
    "/": "slash",
    ":": "colon",
    "@": "at",
    "_": "underscore",
    "~": "tilde",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "%": "percent",
    "+": "plus",
    "-": "dash",
}
_SCHEME = re.compile(r"^(?P<s>https?|ftp|file)(?P<sl>:/{2,3})", re.I)
_SAID_AS = {"www": "WWW", "jpg": "jpeg"}


def _say_address(addr: str) -> str:
    """A web or e-mail address read out as the standard suites read it: the scheme in capitals and its
    slashes ("HTTPS colon slash slash"), "WWW", every mark by name, digits one by one ("slash one two three")."""
    trail = ""
    while addr and addr[-1] in ".,;:!?)":
        trail = addr[-1] + trail
        addr = addr[:-1]
    words = []
    scheme = _SCHEME.match(addr)
    if scheme:
        s = scheme.group("s").lower()
        words.append(s if s == "file" else s.upper())
        words.append("colon " + " ".join(["slash"] * (len(scheme.group("sl")) - 1)))
        addr = addr[scheme.end() :]
    for tok in _URL_PARTS.findall(addr):
        if tok.isdigit():  # "rtx-6000": a round number is said as one; others digit by digit
            round_number = len(tok) <= 6 and tok[0] != "0" and tok.endswith("00") and len(tok) > 2
            words.append(cardinal(int(tok)) if round_number else " ".join(DIGIT_NAMES[int(c)] for c in tok))
        elif tok in _URL_SAY:
            words.append(_URL_SAY[tok])
        else:
            words.append(_SAID_AS.get(tok.lower(), tok))
    return " ".join(words) + trail


DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


SYMBOLS = {
    "&": " and ",
    "%": " percent ",
    "@": " at ",
    "+": " plus ",
    "=": " equals ",
    "#": " number ",
    "*": " ",
    "^": " ",
    "|": ", ",
    "~": " about ",
    "<": " less than ",
    ">": " greater than ",
    "_": " ",
    "\\": " ",
    "{": ", ",
    "}": ", ",
    "[": ", ",
    "]": ", ",
    "(": ", ",
    ")": ", ",
}
_DEGREES = re.compile(r"\s?°\s?(?P<u>[CF]\b)?")
_SLASH = re.compile(r"(?<=[A-Za-z])/(?=[A-Za-z])|/")
_HASHTAG = re.compile(r"#(?!\s?\d)")  # "#mytext", "a # b"; "#5" is "number five"
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in SYMBOLS))


def _slash(m: re.Match) -> str:
    text = m.string
    if m.start() and text[m.start() - 1].isalpha() and m.end() < len(text) and text[m.end()].isalpha():
        return " or " if text[max(0, m.start() - 3) : m.start()].lower() != "and" else " "
    return " slash "


# top-level domains that are not also English words ("so.it was" is a missing space, not an address)
_TLDS = (
    "com",
    "org",
    "net",
    "edu",
    "gov",
    "io",
    "uk",
    "de",
    "fr",
    "nl",
    "ca",
    "au",
    "jp",
    "info",
    "biz",
    "tv",
    "eu",
    "ru",
    "cn",
    "ch",
    "nz",
)
_DOMAIN = re.compile(
    r"(?<![\w@./:-])[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.(?:"
    + "|".join(_TLDS)
    + r")(?:/[^\s<>\"']*)?(?![\w@-]|\.\w)"
)


def _say_email(addr: str) -> str:
    """An e-mail address: its digits one by one (asdf123@abc.com -> "asdf one two three at abc dot com")."""
    return _say_address(addr)


def expand_addresses(text: str) -> str:
    if "@" in text:
        text = sub(_EMAIL, lambda m: _say_email(m.group(0)), text, "e-mail address")
    if "//" in text or "www." in text or "WWW." in text:
        text = sub(_URL, lambda m: _say_address(m.group(0)), text, "web address")
    if "#" in text:
        text = _HASHTAG.sub(" hash ", text)
    if "." in text:
        text = sub(
            _DOMAIN,
            lambda m: _say_address(m.group(0)) if not m.group(0)[:1].isdigit() else m.group(0),
            text,
            "web address",
        )
    return text


def expand_symbols(text: str) -> str:
    if "°" in text:
        text = _DEGREES.sub(
            lambda m: " degrees" + {"C": " Celsius", "F": " Fahrenheit"}.get(m.group("u") or "", "") + " ",
            text,
        )
    if "/" in text:
        text = _SLASH.sub(_slash, text)
    return _SYMBOL_RE.sub(lambda m: SYMBOLS[m.group(0)], text)


# --- letters: initialisms -----------------------------------------------------------------------------------
# An initialism is written as one word in capitals, as the standard text-normalization suites write it ("the BBC",
# "U.S.A." -> "USA", "C. S. Lewis" -> "CS Lewis", "AM", "EST"): hibari's G2P reads a word in capitals that it does
# not know as letters ("PM" -> p-m, "BBC" -> b-b-c), better than it reads spaced letters ("U S A" ends in the
# article "a"). An engine that lowercases its text (Soprano) calls `spell_initialisms` first.
# Capitals with no vowel cannot be a word (BBC, DVD, HTML); these others are initialisms too (NASA, NATO,
# UNESCO, AIDS are words). The pronoun-like "US", "IT", "OK" and "AM" are left alone.
LETTER_WORDS = frozenset(
    """FBI CIA CEO CFO COO USA UK EU UN IBM ABC UFO IOU IQ AI UAE USSR NYPD LAPD ISBN URL USB CPU
GPU API ID IRA IRS EPA FAQ AOL ATM BMW CBS DIY DOA EEG ECG ESPN FYI ICU ICBM IMF IPO ISP KGB LED MIT MVP NAACP NBA
NFL NHL NCAA PTA RAF SUV TBA TNT UCLA UPS USAF USN VIP YMCA DOJ DOE FDA GOP HIV HBO NHS ITV SOS IOC OECD GDP EU
UEFA AP BA MA MBA PE PA PO RSVP TA UAW VA AWOL CEO EST EDT PST PDT GMT UTC BST AU EV OED OAP""".split()
)
_INTERJECTIONS = frozenset(
    "HMM HM SHH SH PSST PST BRR GRR ZZZ TSK PFFT MMM MM NTH CWM ST DR MR MRS MS MSS LTD JR SR PP NB".split()
)
_INITIALS = re.compile(
    r"(?<![\w.])(?P<w>(?:[A-Z]\.){2,}|Ph\.D\.|Ph\.D(?![\w.])|[A-Z]\.[a-z]\.)(?P<pl>'?s)?(?![\w])"
)
# initials of a name, spaced: "C. S. Lewis", "J. R. R. Tolkien" (two or more, before a capitalized name)
_NAME_INITIALS = re.compile(r"(?<![\w.])(?P<w>[A-Z]\.(?: [A-Z]\.){1,3})(?= [A-Z][a-z])")
_VOWEL = re.compile(r"[AEIOUY]")


def _initials(m: re.Match) -> str:
    w = m.group("w")
    out = ("PhD" if w.startswith("Ph") else w.replace(".", "").upper()) + (m.group("pl") or "")
    after = m.string[m.end() : m.end() + 12]
    if w.endswith(".") and not m.group("pl") and (not after.strip() or _looks_like_sentence_start(after)):
        out += "."  # "in the U.S. It was": the period ends the sentence too
    return out


def expand_letters(text: str) -> str:
    """Dotted initialisms written as one word in capitals: "U.S." -> "US", "U.S.A." -> "USA", "Ph.D." -> "PhD",
    "C. S. Lewis" -> "CS Lewis". Initialisms already in capitals ("the BBC", "DVDs") stay as they are."""
    if "." in text:
        text = sub(_INITIALS, _initials, text, "initials (U.S.)")
        if ". " in text:
            text = sub(
                _NAME_INITIALS,
                lambda m: m.group("w").replace(". ", "").rstrip("."),
                text,
                "initials of a name (C. S. Lewis)",
            )
    return text


_CAPS_TOKEN = re.compile(r"(?<![\w'.&-])(?P<w>[A-Z]{2,6})(?P<pl>s|'s)?(?![\w'&]|\.\w|-\w)")
_AM_PM = re.compile(r"(?<=[a-z'] )(?P<w>[AP]M)(?![\w'])")


def _spelled(m: re.Match) -> str:
    w = m.group("w")
    if w in _INTERJECTIONS or (_VOWEL.search(w) and w not in LETTER_WORDS):
        return m.group(0)
    return " ".join(w) + (m.group("pl") or "")


def spell_initialisms(text: str) -> str:
    """Initialisms as spaced letters, for an engine that lowercases its text (where "PM" would become the word
    "pm"): "the BBC at ten PM EST" -> "the B B C at ten P M E S T", "DVDs" -> "D V Ds". A word in capitals with
    a vowel is spelled only when it is a known initialism (USA, CEO); "NASA" and "NEVER" stay words, "AM" and
    "PM" are spelled after a lowercase word (as `normalize` writes a time: "ten AM"). Linear time."""
    if not any(c.isupper() for c in text):
        return text
    text = _AM_PM.sub(lambda m: " ".join(m.group("w")), text)
    return _CAPS_TOKEN.sub(_spelled, text)


# --- street addresses: 221B Baker Street, 1211 E Arques Ave, 123 Main St, Springfield, IL 62704 -----------------
STREET_TYPES = {
    "Street": "Street",
    "St": "Street",
    "Avenue": "Avenue",
    "Ave": "Avenue",
    "Av": "Avenue",
    "Road": "Road",
    "Rd": "Road",
    "Boulevard": "Boulevard",
    "Blvd": "Boulevard",
    "Lane": "Lane",
    "Ln": "Lane",
    "Drive": "Drive",
    "Dr": "Drive",
    "Court": "Court",
    "Ct": "Court",
    "Place": "Place",
    "Pl": "Place",
    "Way": "Way",
    "Terrace": "Terrace",
    "Ter": "Terrace",
    "Highway": "Highway",
    "Hwy": "Highway",
    "Expressway": "Expressway",
    "Expy": "Expressway",
    "Parkway": "Parkway",
    "Pkwy": "Parkway",
    "Square": "Square",
    "Sq": "Square",
    "Crescent": "Crescent",
    "Close": "Close",
    "Circle": "Circle",
    "Cir": "Circle",
    "Row": "Row",
    "Gardens": "Gardens",
    "Alley": "Alley",
    "Plaza": "Plaza",
    "Trail": "Trail",
    "Mews": "Mews",
}
US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "D C",
}
_DIRECTIONS = {
    "N": "North",
    "S": "South",
    "E": "East",
    "W": "West",
    "NE": "Northeast",
    "NW": "Northwest",
    "SE": "Southeast",
    "SW": "Southwest",
}
_STREET = re.compile(
    r"(?<![\w.,$£€#-])(?P<n>[1-9]\d{0,4})(?P<l>[A-Z])?\s(?:(?P<dir>NE|NW|SE|SW|[NSEW])\.?\s)?"
    r"(?P<name>(?:[A-Z][A-Za-z'-]*|\d{1,3}(?:st|nd|rd|th))(?:\s[A-Z][A-Za-z'-]*){0,3}?)\s"
    r"(?P<type>"
    + "|".join(sorted(STREET_TYPES, key=len, reverse=True))
    + "|"
    + "|".join(sorted((t.lower() for t in STREET_TYPES), key=len, reverse=True))
    + r")(?P<dot>\.)?(?![\w])"
)
_TYPE_OF = {t.lower(): full for t, full in STREET_TYPES.items()}
_STATE_ZIP = re.compile(
    r"(?<=[A-Za-z]),\s(?P<st>" + "|".join(US_STATES) + r")(?:(?P<c>,?)\s(?P<zip>\d{5})(?:-(?P<z4>\d{4}))?)?"
    r"(?![\w])"
)


def house_number(n: str) -> str:
    """How a house number is said: 12 -> "twelve", 221 -> "two twenty-one", 708 -> "seven oh eight",
    1428 -> "fourteen twenty-eight", 1600 -> "sixteen hundred", 12345 -> "one two three four five"."""
    if len(n) <= 2:
        return cardinal(int(n))
    if len(n) == 5:
        return " ".join(cardinal(int(c)) for c in n)
    head, tail = n[:-2], int(n[-2:])
    said = cardinal(int(head))
    if tail == 0:
        return said + " hundred"
    return f"{said} {'oh ' + cardinal(tail) if tail < 10 else cardinal(tail)}"


def _street(m: re.Match) -> str:
    name = m.group("name")
    if (
        m.group("type") in ("St", "Dr", "st", "dr")
        and m.group("dot")
        and _looks_like_sentence_start(" " + name)
    ):
        return m.group(0)
    out = [house_number(m.group("n")) + (" " + m.group("l") if m.group("l") else "")]
    if m.group("dir"):
        out.append(_DIRECTIONS[m.group("dir")])
    out.append(name)
    out.append(_TYPE_OF[m.group("type").lower()])
    said = " ".join(out)
    after = m.string[m.end() : m.end() + 12]
    if m.group("dot") and (not after.strip() or _looks_like_sentence_start(after) or re.match(r" \d", after)):
        said += "."  # "1428 Elm St. It was": the period ends the sentence too
    return said


def _state_zip(m: re.Match) -> str:
    out = ", " + US_STATES[m.group("st")]
    if m.group("zip"):
        out += f"{m.group('c')} " + " ".join(cardinal(int(c)) for c in m.group("zip"))
        if m.group("z4"):
            out += ", " + " ".join(cardinal(int(c)) for c in m.group("z4"))
    return out


_ANY_DIGIT = re.compile(r"\d")


def expand_street_addresses(text: str) -> str:
    """House numbers, compass points, street types and US state codes of a street address in words."""
    if not _ANY_DIGIT.search(text):
        return text
    text = sub(_STREET, _street, text, "street address")
    if ", " in text:
        text = sub(_STATE_ZIP, _state_zip, text, "state and ZIP code")
    return text
