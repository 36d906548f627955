"""Properties of normalize: total on any unicode, only speakable output, no words lost, linear time."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.normalize import SPEAKABLE, normalize
from pipeline.normalize.semiotic import UNITS
from pipeline.normalize.words import ABBREVIATIONS, NUMBERED_WORDS

_ROMAN_LOWER = re.compile(r"^m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})$")
_RESERVED = {a.rstrip(".").lower() for a in ABBREVIATIONS} | {
    "no",
    "nos",
    "st",
    "dr",
    "www",
    "http",
    "https",
    "ftp",
    "per",
    "cent",
    "and",
    "or",
    "ad",
    "bc",
}
_RESERVED |= set(NUMBERED_WORDS)
_RESERVED |= {u.lower() for u in UNITS}  # "42 mol" is read "forty-two moles"
PLAIN_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9).filter(
    lambda w: w not in _RESERVED and not _ROMAN_LOWER.match(w)
)
SEPARATOR = st.sampled_from(
    [
        " ",
        "  ",
        "\n",
        "\t",
        ", ",
        ". ",
        "; ",
        " — ",
        " – ",
        "...",
        "…",
        " “",
        "” ",
        " ‘",
        "’ ",
        "!",
        "? ",
        " (",
        ") ",
        "\u00a0",
        "\u2009",
        " * ",
        " / ",
        " ☃ ",
        " 東京 ",
        "-",
        " & ",
        " 42 ",
        " $3.50 ",
        " 1859 ",
        " ... ",
        " ' ",
        ' " ',
    ]
)


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_unicode_normalizes_to_speakable_text(text):
    out = normalize(text)
    assert set(out) <= SPEAKABLE
    assert out == out.strip() and "  " not in out
    if re.search(r"[A-Za-z]", text):
        assert re.search(r"[A-Za-z]", out), (text, out)


@settings(
    max_examples=1_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.lists(st.tuples(PLAIN_WORD, SEPARATOR), min_size=1, max_size=30))
def test_no_words_lost(pairs):
    text = "".join(w + sep for w, sep in pairs)
    out = normalize(text).lower()
    said = re.findall(r"[a-z]+", out)
    pos = 0
    for word, _ in pairs:  # every word, in order
        assert word in said[pos:], (text, out, word)
        pos = said.index(word, pos) + 1


def test_normalize_is_idempotent_on_its_output():
    for text in [
        "In 1859 Dr. Smith paid $3.50.",
        "‘Hello,’ she said, ‘don’t go.’",
        "Chapter IV — the 1920s…",
    ]:
        once = normalize(text)
        assert normalize(once) == once


ADVERSARIAL = {
    "digits and dots": "1.",
    "dots": ".",
    "digits": "1",
    "spaces": " ",
    "quotes": "'",
    "double quotes": '"',
    "dashes": "-",
    "em dashes": "—",
    "digit comma": "1,",
    "slashes": "1/",
    "pronoun": "I ",
    "colons": "1:",
    "letters and dots": "a.",
    "at signs": "a@",
    "mixed": "1.-'\" ",
    "ellipses": ". ",
    "url-ish": "www.",
    "spaced thousands": "111 ",
    "capitals and dots": "A.",
    "capitals": "AB ",
    "house numbers": "1 Main ",
    "hour ranges": "1-",
    "mixed fractions": "1 1/2 ",
    "domains": "x.com/",
    "hyphened months": "Jan-1",
    "spaced initials": "A. B. ",
    "dots before a digit": "...1",
}


def _best_of(n: int, fn) -> float:
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_linear_time_on_adversarial_runs(name):
    """4x the input costs about 4x the time (quadratic would be 16x); the ratio is generous for a busy box."""
    unit = ADVERSARIAL[name]
    small = unit * (25_000 // len(unit))
    big = unit * (100_000 // len(unit))
    t_small = max(_best_of(2, lambda: normalize(small)), 0.005)
    t_big = _best_of(2, lambda: normalize(big))
    assert t_big / t_small < 9, (name, t_small, t_big)


@pytest.mark.slow
def test_ten_megabytes_of_digits_and_dots_finish_in_seconds():
    t = time.perf_counter()
    out = normalize("1." * 5_000_000)
    assert time.perf_counter() - t < 30
    assert out.startswith("one dot one dot")
