"""Fuzzing in CI: every target of tests/fuzz_targets.py on a fixed, derandomized set of inputs, plus every
input a campaign (`make fuzz`) ever found a crash with, replayed as an explicit example.

Add a new crash here as `@example(...)` on its target's test when `make fuzz` reports it, then fix it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings

from tests.fuzz_targets import TARGETS

CI = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


def strategies(name: str) -> dict:
    return TARGETS[name][1]


@CI
@given(**strategies("ingest-epub-bytes"))
@example(data=b"")
@example(data=b"PK\x05\x06" + b"\x00" * 18)  # an empty zip archive
def test_fuzz_ingest_epub_bytes(data):
    TARGETS["ingest-epub-bytes"][0](data)


@CI
@given(**strategies("ingest-xhtml"))
@example(pieces=["&#xD800;"])  # lone surrogate reference: UnicodeDecodeError
@example(pieces=["<p>", "a &#xDFFF; b", "</p>"])
@example(pieces=["&#0;", "&#x110000;", "&#99999999999;"])
@example(pieces=["\ud800"])  # a raw lone surrogate in the source text
def test_fuzz_ingest_xhtml(pieces):
    TARGETS["ingest-xhtml"][0](pieces)


@CI
@given(**strategies("ingest-html"))
@example(pieces=["<h1>", "</h1>", "<p hidden>", "x"])
def test_fuzz_ingest_html(pieces):
    TARGETS["ingest-html"][0](pieces)


@CI
@given(**strategies("ingest-fb2"))
@example(pieces=["<!DOCTYPE x [<!ENTITY e 'x'>]>", "&e;"])
@example(pieces=["<section>", "<title>", "</title>", "</section>"])
def test_fuzz_ingest_fb2(pieces):
    TARGETS["ingest-fb2"][0](pieces)


@CI
@given(**strategies("ingest-docx"))
@example(pieces=["<w:p>", "<w:r>", "<w:fldChar w:fldCharType='begin'/>", "</w:r>", "</w:p>"])
def test_fuzz_ingest_docx(pieces):
    TARGETS["ingest-docx"][0](pieces)


@CI
@given(**strategies("ingest-kindle"))
@example(data=b"", cut=0, flip=0)
@example(data=b"", cut=1 << 20, flip=0)  # the whole sample with its first byte flipped
def test_fuzz_ingest_kindle(data, cut, flip):
    TARGETS["ingest-kindle"][0](data, cut, flip)


@CI
@given(**strategies("ingest-text"))
@example(pieces=["Chapter 1\n\n", "x" * 5000, "\x00", "rang"], encoding="utf-8")  # NUL past the first 4 KB
@example(pieces=["\ufeff", "CHAPTER I", "\r\n"], encoding="utf-16")
def test_fuzz_ingest_text(pieces, encoding):
    TARGETS["ingest-text"][0](pieces, encoding)


@CI
@given(**strategies("normalize"))
def test_fuzz_normalize(text):
    TARGETS["normalize"][0](text)


@CI
@given(**strategies("segment"))
def test_fuzz_segment(text):
    TARGETS["segment"][0](text)


@CI
@given(**strategies("lexicon"))
@example(pieces=["[words]\n", '"" = "x"\n'], probe="one two")  # an empty key matched between words
def test_fuzz_lexicon(pieces, probe):
    TARGETS["lexicon"][0](pieces, probe)


@CI
@given(**strategies("config"))
def test_fuzz_config(pieces):
    TARGETS["config"][0](pieces)


@CI
@given(**strategies("markdown"))
def test_fuzz_markdown(pieces):
    TARGETS["markdown"][0](pieces)


@CI
@given(**strategies("ingest-pdf"))
@example(flips=[], cut=3000, insert=b"")  # cut short at byte 3000 (3000 % 3 == 0)
@example(flips=[], cut=10**6 + 1, insert=b"")  # the PDF as typeset
def test_fuzz_ingest_pdf(flips, cut, insert):
    TARGETS["ingest-pdf"][0](flips, cut, insert)


@CI
@given(**strategies("cache-entry"))
@example(data=b"", cut=10_000, flip=300)  # whole, one byte flipped mid-file
@example(data=b"", cut=0, flip=0)  # zero length
def test_fuzz_cache_entry(data, cut, flip):
    TARGETS["cache-entry"][0](data, cut, flip)


def test_every_target_has_a_ci_test():
    tested = {n.removeprefix("test_fuzz_").replace("_", "-") for n in globals() if n.startswith("test_fuzz_")}
    assert tested == set(TARGETS)


def test_the_suite_runs_derandomized():
    """The suite's hypothesis profile (tests/conftest.py) is fixed: the same inputs on every run, no example
    database, so a random draw can never fail CI; deep random search is `make fuzz`'s job."""
    assert settings.default.derandomize and settings.default.database is None
