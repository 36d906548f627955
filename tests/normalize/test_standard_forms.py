"""Readings where a narrator and the standard text-normalization suites agree: AM/PM and time zones written as
initialisms, initialisms in capitals, web and e-mail addresses read out in full, a currency sign or hash
named. Cases written for this project; `spell_initialisms` (for an engine that lowercases) tested alone."""

from __future__ import annotations

import pytest

from pipeline.normalize import normalize, spell_initialisms

CASES = [
    # --- times: AM, PM and zones as initialisms ---
    ("time", "The train left at 6:10 a.m. sharp.", "The train left at six ten AM sharp."),
    ("time", "We dined at 7.30 p.m., late as ever.", "We dined at seven thirty PM, late as ever."),
    ("time", "It began at 9pm.", "It began at nine PM."),
    ("time", "doors open 11 A.M.", "doors open eleven AM."),
    ("time", "the call is at 4:15 p.m. pst", "the call is at four fifteen PM PST"),
    ("time", "Lunch ran 12:30pm-2pm on Fridays.", "Lunch ran twelve thirty PM to two PM on Fridays."),
    ("time", "by 8:05 AM CET", "by eight oh five AM CET"),
    ("time", "Shifts: 6:00AM,2:00PM and 10:00PM.", "Shifts: six AM,two PM and ten PM."),
    ("time", "at 3 p.m. e.d.t. we met", "at three PM EDT we met"),
    # --- letters: initialisms stay one word in capitals ---
    ("letters", "She joined the RAF in the war.", "She joined the RAF in the war."),
    ("letters", "He moved to the U.K. in May.", "He moved to the UK in May."),
    ("letters", "A letter from the U.S.A. arrived.", "A letter from the USA arrived."),
    ("letters", "He read T. S. Eliot aloud.", "He read TS Eliot aloud."),
    ("letters", "a poem by W. H. Auden", "a poem by WH Auden"),
    ("letters", "She earned a Ph.D. at forty.", "She earned a PhD at forty."),
    ("letters", "NASA sent a probe.", "NASA sent a probe."),
    ("letters", "It was 300 BC or so.", "It was three hundred BC or so."),
    # --- electronic: the scheme, WWW, marks by name, digits one by one ---
    (
        "electronic",
        "Visit https://www.bookshop.org/list today.",
        "Visit HTTPS colon slash slash WWW dot bookshop dot org slash list today.",
    ),
    (
        "electronic",
        "the page http://news.example.net/2024/report",
        "the page HTTP colon slash slash news dot example dot net slash two zero two four slash report",
    ),
    ("electronic", "see www.library.org/room-7.", "see WWW dot library dot org slash room dash seven."),
    (
        "electronic",
        "open file:///home/ann/notes.txt",
        "open file colon slash slash slash home slash ann slash notes dot txt",
    ),
    (
        "electronic",
        "a photo at ftp://pics.example.com/cat.jpg",
        "a photo at FTP colon slash slash pics dot example dot com slash cat dot jpeg",
    ),
    (
        "electronic",
        "the model page example.com/tv-5000",
        "the model page example dot com slash tv dash five thousand",
    ),
    (
        "electronic",
        "write to b_smith99@post.co.uk.",
        "write to b underscore smith nine nine at post dot co dot uk.",
    ),
    (
        "electronic",
        "the form at help@site.com/form-2",
        "the form at help at site dot com slash form dash two",
    ),
    ("electronic", "ask j-r.k@mail.org now", "ask j dash r dot k at mail dot org now"),
    ("electronic", "ask tom&jo@mail.org now", "ask tom and jo at mail dot org now"),
    # --- symbols: a sign or a hash named, not read as an amount ---
    ("symbol", "the $ sign was smudged", "the dollar sign was smudged"),
    ("symbol", "a few more £ than that", "a few more pounds than that"),
    ("symbol", "a tag like #reading", "a tag like hash reading"),
    ("symbol", "press # twice", "press hash twice"),
    ("symbol", "in room #12", "in room number twelve"),
    # --- dates: a year glued to the month by a comma ---
    ("date", "born 4th june,1890 in Leeds", "born the fourth of June, eighteen ninety in Leeds"),
    ("date", "on March 3,1921 it snowed", "on March third, nineteen twenty-one it snowed"),
    ("date", "dated 3/9/07 in pencil", "dated March ninth, oh seven in pencil"),
    ("date", "the note of 12/24/99", "the note of December twenty-fourth, ninety-nine"),
    ("date", "on 25/12/10 we", "on the twenty-fifth of December, ten we"),
    # --- letters and digits: long runs one by one, capitals one initialism ---
    ("serial", "the code was xk7731", "the code was xk seven seven three one"),
    ("serial", "a COVID19 ward", "a COVID nineteen ward"),
    ("serial", "the TX5000 model", "the TX five thousand model"),
    ("serial", "the B29 flew", "the B twenty-nine flew"),
    ("serial", "on flight LH404 home", "on flight LH four oh four home"),
    ("serial", "an A320 jet", "an A three twenty jet"),
    ("serial", "the R100 airship", "the R one hundred airship"),
    # --- a number after an ellipsis ---
    ("cardinal", "he counted 12...36 and stopped", "he counted twelve, thirty-six and stopped"),
]


@pytest.mark.parametrize("category,text,expected", CASES, ids=[f"{c}:{t[:30]}" for c, t, _ in CASES])
def test_standard_form(category, text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("at ten PM EST", "at ten P M E S T"),
        ("the BBC and the FBI", "the B B C and the F B I"),
        ("three hundred DVDs", "three hundred D V Ds"),
        ("the USA, the CEO's desk", "the U S A, the C E O's desk"),
        ("NASA and NATO", "NASA and NATO"),  # words, not initialisms
        ("I AM here, NEVER", "I AM here, NEVER"),  # "AM" after a capital: the verb
        ("HMM, the US", "HMM, the US"),  # an interjection; the pronoun-like US
        ("no capitals at all", "no capitals at all"),
    ],
)
def test_spell_initialisms(text, expected):
    assert spell_initialisms(text) == expected


def test_spell_initialisms_after_normalize_lowercases_to_letters():
    """What Soprano's lowercasing would see: the letters of PM and EST, never the word "pm"."""
    said = spell_initialisms(normalize("We met at 3:30 p.m. EST at the BBC.")).lower()
    assert said == "we met at three thirty p m e s t at the b b c."


def test_spell_initialisms_is_linear():
    import time

    small, big = "AB " * 10_000, "AB " * 40_000
    t0 = time.perf_counter()
    spell_initialisms(small)
    t_small = max(time.perf_counter() - t0, 0.005)
    t0 = time.perf_counter()
    spell_initialisms(big)
    assert (time.perf_counter() - t0) / t_small < 9
