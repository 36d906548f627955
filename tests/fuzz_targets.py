"""Fuzz targets shared by the test suite (a few hundred derandomized examples each, in `make test`) and the
deep campaign (`make fuzz`, scripts/fuzz.py: random, as long as it is given).

A target takes one generated input and either returns or raises an error a user is shown on purpose
(InputError, ConfigError); anything else is a crash. Every crash a campaign ever found is replayed in CI as an
explicit `@example` on the test in tests/test_fuzz.py.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import strategies as st

from pipeline.errors import ConfigError, InputError

XHTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br/>",
        "<div>",
        "</div>",
        "<sup>1</sup>",
        "&amp;",
        "&nbsp;",
        "<a href='#n1'>",
        "</a>",
        "<![CDATA[x]]>",
        "<!-- c -->",
        "<h2>",
        "</h2>",
        "<table><tr><td>",
        "</td></tr></table>",
        "&#0;",
        "&#xD800;",
        "&#xDFFF;",
        "&#x110000;",
        "&#99999999999;",
        "&#x1F600;",
        "<?pi x?>",
        "<!DOCTYPE html>",
        "<",
        ">",
        '"',
        "'",
        "\x00",
        "\ufeff",
        "\ud800",
        "<span epub:type='noteref'>",
        "<aside epub:type='footnote'>",
        "</aside>",
        "<section>",
        "</section>",
        "<img src='x.png' alt='a'/>",
        "<math><mi>x</mi></math>",
        "<svg><text>t</text></svg>",
    ]
)
TEXT_PIECES = st.sampled_from(
    [
        "CHAPTER I",
        "Chapter 1",
        "\n\n",
        "\r\n",
        "# Heading\n",
        "---\n",
        "*** START OF THE PROJECT GUTENBERG EBOOK X ***",
        "*** END OF THE PROJECT GUTENBERG EBOOK X ***",
        "Title: A\n",
        "Author: B\n",
        "\ufeff",
        "\x00",
        "\x1b[0m",
        "$3.50",
        "1859",
        "Dr.",
        "“",
        "”",
        "—",
        "…",
        "I.",
        "II.",
        "\t",
        " ",
        "A\n",
        "B\n",
        "1\n",
        "ONE\n",
        "CONTENTS\n",
        "ILLUSTRATIONS\n",
        "STAVE I.\n",
        "PREFACE\n",
        "BY\n",
        "by X\n",
        "[Illustration: x]",
        "[Illustration:",
        "]",
        "[Pg 1]",
        "_",
        "___",
        "=====\n",
        "Transcriber's Note\n",
        "[Transcriber's Note:",
        "Produced by Y\n",
        "*END*THE SMALL PRINT! X*END*",
        "End of the Project Gutenberg EBook",
        "Book the First",
        "The Project Gutenberg EBook of T, by A\n",
        "I. The Period\n",
        "       ",
    ]
)
MD_PIECES = st.sampled_from(
    [
        "---\n",
        "title: T\n",
        "author:\n  - A\n",
        "date: 1911\n",
        "...\n",
        "# H\n",
        "## Chapter\n",
        "### Sub\n",
        "\n\n",
        "- item\n",
        "1. item\n",
        "> quote\n",
        "```\n",
        "~~~py\n",
        "    code\n",
        "| a | b |\n",
        "|---|---|\n",
        "[^1]",
        "[^1]: note\n",
        "<div>",
        "</div>",
        "<!-- c -->",
        "<script>x</script>",
        "[t](http://x)",
        "![i](x.png)",
        "*",
        "**",
        "_",
        "`",
        "\\",
        "&amp;",
        "&#xD800;",
        "\x00",
        "\ufeff",
        "\r\n",
        ": ",
        "{",
        "[",
    ]
)
TOML_PIECES = st.sampled_from(
    [
        "[words]\n",
        "[engine]\n",
        "[text]\n",
        "[cache]\n",
        "[limits]\n",
        '"a" = "b"\n',
        '"" = "x"\n',
        "speed = 1.5\n",
        "speed = 99\n",
        'name = "hibari"\n',
        "batch_size = -1\n",
        'max_gb = "lots"\n',
        "x = [1, 2]\n",
        "= = =\n",
        '"Dr." = 1\n',
        "[words.inner]\n",
        "\x00",
        "\ud800",
        "unknown = 1\n",
        "[[array]]\n",
        '"a" = "/ˈeɪ/"\n',
        '"A" = "/q/"\n',
        '"b" = "/"\n',
        '"b c" = "/ b /"\n',
    ]
)


def _tmp(suffix: str, data: bytes) -> Path:
    d = Path(tempfile.mkdtemp(prefix="render-fuzz-"))
    p = d / f"book{suffix}"
    p.write_bytes(data)
    return p


def _cleanup(p: Path) -> None:
    for f in p.parent.iterdir():
        f.unlink()
    p.parent.rmdir()


def _read_clean(p, titled: bool = False) -> None:
    """Read the book at `p` (then remove it): an InputError is fine, a crash is not; no control character
    reaches a paragraph, and with `titled` every chapter has a title."""
    from pipeline.ingest import read_book

    try:
        book = read_book(p)
        for ch in book.chapters:
            assert not titled or ch.title.strip()
            for para in ch.paragraphs:
                assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", para.text), para.text
    except InputError:
        pass
    finally:
        _cleanup(p)


def ingest_epub_bytes(data: bytes) -> None:
    """Random bytes as an EPUB: read, or InputError."""
    from pipeline.ingest import read_book

    p = _tmp(".epub", data)
    try:
        read_book(p)
    except InputError:
        pass
    finally:
        _cleanup(p)


def ingest_xhtml(pieces: list[str]) -> None:
    """Random XHTML as a chapter of a well-formed EPUB: read (titles present), or InputError."""
    from pipeline.ingest import read_book
    from tests.epubs import write_epub

    d = Path(tempfile.mkdtemp(prefix="render-fuzz-"))
    raw = "".join(pieces).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    p = write_epub(d / "fuzz.epub", [("One", [])], raw={1: raw})
    try:
        book = read_book(p)
        assert all(c.title for c in book.chapters)
    except InputError:
        pass
    finally:
        _cleanup(p)


def ingest_text(pieces: list[str], encoding: str) -> None:
    """A random text book in some encoding: read, or InputError; no control characters in what is read."""
    text = "".join(pieces)
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    p = _tmp(".txt", data)
    _read_clean(p)


def normalize_text(text: str) -> None:
    from pipeline.normalize import SPEAKABLE, normalize

    out = normalize(text)
    assert set(out) <= SPEAKABLE, (text, out)


_SEGMENTER = None


def segment_text(text: str) -> None:
    """A random chapter: segments cover its words, every segment speakable."""
    from pipeline.normalize import SPEAKABLE
    from pipeline.records import Chapter, Paragraph, ParagraphKind
    from pipeline.segment import Segmenter, SentenceSplitter

    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = Segmenter(SentenceSplitter())
    paras = [Paragraph(t, ParagraphKind.TEXT) for t in re.split(r"\n\s*\n", text) if t.strip()]
    ch = Chapter(index=1, title="Fuzz", paragraphs=paras)
    for s in _SEGMENTER.chapter_segments(ch):
        assert s.text.strip() and set(s.normalized) <= SPEAKABLE


def lexicon_file(pieces: list[str], probe: str) -> None:
    """A random lexicon file: loaded (then applied to random text without error, its phoneme marks undone to
    the words by `plain_text`), or ConfigError."""
    from pipeline.normalize import load_lexicon, normalize, plain_text

    p = _tmp(".toml", "".join(pieces).encode("utf-8", "surrogatepass"))
    try:
        lex = load_lexicon([p], bundled=False)
        lex.apply(probe)
        marked = lex.mark_phonemes(probe)
        assert plain_text(marked) == plain_text(probe) or "](/" in probe, (probe, marked)
        normalize(probe, lex)
    except ConfigError:
        pass
    finally:
        _cleanup(p)


def config_file(pieces: list[str]) -> None:
    """A random config file: a Config, or ConfigError naming what is wrong."""
    from pipeline.config import load_config

    p = _tmp(".toml", "".join(pieces).encode("utf-8", "surrogatepass"))
    try:
        load_config(p)
    except ConfigError as e:
        assert str(e).strip()
    finally:
        _cleanup(p)


def markdown_book(pieces: list[str]) -> None:
    """A random Markdown book: read, or InputError; no markup characters of front matter or HTML read."""
    p = _tmp(".md", "".join(pieces).encode("utf-8", "surrogatepass"))
    _read_clean(p, titled=True)


def cache_entry(data: bytes, cut: int, flip: int) -> None:
    """A cache entry cut, flipped, or replaced by random bytes: the cache answers a miss or the entry it
    stored, never raises, and never returns audio other than what was stored."""
    import numpy as np

    from pipeline.cache import DiskCache

    d = Path(tempfile.mkdtemp(prefix="render-fuzz-"))
    try:
        cache = DiskCache(d)
        audio = np.linspace(-0.5, 0.5, 64, dtype=np.float32)
        key = cache.key("a", {"engine": "fuzz"})
        cache.put(key, audio, {"seed": 1, "attempts": 1, "checks": []})
        path = cache._path(key)
        raw = bytearray(path.read_bytes())
        if data:
            raw = bytearray(data)
        else:
            raw = raw[: cut % (len(raw) + 1)]
            if raw:
                raw[flip % len(raw)] ^= 0xFF
        path.write_bytes(bytes(raw))
        got = cache.get(key)
        assert got is None or np.array_equal(got[0], audio)
    finally:
        import shutil

        shutil.rmtree(d, ignore_errors=True)


FB2_PIECES = st.sampled_from(
    [
        "<section>",
        "</section>",
        "<title>",
        "</title>",
        "<p>",
        "</p>",
        "<empty-line/>",
        "<poem><stanza><v>",
        "</v></stanza></poem>",
        "<subtitle>",
        "</subtitle>",
        "<epigraph>",
        "</epigraph>",
        "<a l:href='#n1' type='note'>",
        "</a>",
        "<body name='notes'>",
        "</body>",
        "<body>",
        "<section id='n1'>",
        "<table><tr><td>",
        "</td></tr></table>",
        "&amp;",
        "&#xD800;",
        "<!DOCTYPE x [<!ENTITY e 'x'>]>",
        "&e;",
        "<binary id='c'>",
        "</binary>",
        "\x00",
        "<",
        ">",
    ]
)
DOCX_PIECES = st.sampled_from(
    [
        "<w:p>",
        "</w:p>",
        "<w:r>",
        "</w:r>",
        "<w:t>",
        "</w:t>",
        "<w:pPr><w:pStyle w:val='Heading1'/></w:pPr>",
        "<w:pPr><w:outlineLvl w:val='0'/></w:pPr>",
        "<w:fldChar w:fldCharType='begin'/>",
        "<w:fldChar w:fldCharType='separate'/>",
        "<w:fldChar w:fldCharType='end'/>",
        "<w:instrText> PAGE </w:instrText>",
        "<w:br/>",
        "<w:tab/>",
        "<w:footnoteReference w:id='1'/>",
        "<w:tbl><w:tr><w:tc>",
        "</w:tc></w:tr></w:tbl>",
        "<w:sdt><w:sdtContent>",
        "</w:sdtContent></w:sdt>",
        "<w:del>",
        "</w:del>",
        "&amp;",
        "&#0;",
        "\x00",
        "<",
        ">",
    ]
)
_DOCX_TEMPLATE: dict[str, bytes] = {}


def html_book(pieces: list[str]) -> None:
    """A random one-file HTML book: read (every chapter titled), or InputError."""
    raw = "".join(pieces).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    _read_clean(_tmp(".html", ("<html><body>" + raw).encode("utf-8")), titled=True)


def fb2_book(pieces: list[str]) -> None:
    """A random FictionBook: read, or InputError (malformed XML is refused, entities never expand)."""
    raw = "".join(pieces).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    doc = (
        "<?xml version='1.0'?><FictionBook xmlns='http://www.gribuser.ru/xml/fictionbook/2.0' "
        "xmlns:l='http://www.w3.org/1999/xlink'><description><title-info><book-title>F</book-title>"
        "</title-info></description><body>" + raw + "</body></FictionBook>"
    )
    _read_clean(_tmp(".fb2", doc.encode("utf-8")), titled=True)


def docx_book(pieces: list[str]) -> None:
    """Random WordprocessingML as the body of a real .docx: read, or InputError."""
    import io
    import zipfile

    if not _DOCX_TEMPLATE:
        import docx

        buf = io.BytesIO()
        docx.Document().save(buf)
        with zipfile.ZipFile(buf) as z:
            _DOCX_TEMPLATE.update({n: z.read(n) for n in z.namelist()})
    raw = "".join(pieces).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    body = (
        "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body>"
        + raw
        + "</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in _DOCX_TEMPLATE.items():
            z.writestr(name, body.encode("utf-8") if name == "word/document.xml" else data)
    _read_clean(_tmp(".docx", out.getvalue()), titled=True)


def kindle_bytes(data: bytes, cut: int, flip: int) -> None:
    """The committed Kindle sample cut short, with a byte flipped, or random bytes: read, or InputError."""
    sample = (Path(__file__).resolve().parent / "data" / "wodehouse-chapters-1-2.mobi").read_bytes()
    raw = bytearray(data) if data else bytearray(sample[: cut % (len(sample) + 1)])
    if raw and not data:
        raw[flip % len(raw)] ^= 0xFF
    _read_clean(_tmp(".mobi", bytes(raw)))


_PDF_SEED: list[bytes] = []


def _pdf_seed() -> bytes:
    """A small typeset PDF (title page, outline, two chapters, running heads, a footnote), made once."""
    if not _PDF_SEED:
        from tests.pdfbooks import draw, prose

        d = Path(tempfile.mkdtemp(prefix="render-fuzz-"))
        body = prose(
            [
                "It was a dark and stormy night, and the rain fell in tor-",
                "rents; the well-known house stood empty\u00ad",
                "ly on the hill.",
            ]
        )
        pages = [
            [(120, 400, "The Seed", "Times-Bold", 24)],
            [
                (200, 610, "The Seed", "Times-Italic", 9),
                (150, 580, "Chapter 1", "Times-Bold", 16),
                *body,
                (54, 40, "* A note at the foot.", "Times-Roman", 7),
                (210, 20, "2", "Times-Roman", 9),
            ],
            [
                (200, 610, "The Seed", "Times-Italic", 9),
                (150, 580, "Chapter 2", "Times-Bold", 16),
                *body,
                (210, 20, "3", "Times-Roman", 9),
            ],
        ]
        p = draw(
            d / "seed.pdf",
            pages,
            outline=[("Chapter 1", 0, 1), ("Chapter 2", 0, 2)],
            title="The Seed",
            author="A. Fuzzer",
        )
        _PDF_SEED.append(p.read_bytes())
        _cleanup(p)
    return _PDF_SEED[0]


def ingest_pdf(flips: list[tuple[int, int]], cut: int, insert: bytes) -> None:
    """A real PDF with bytes changed, one piece inserted and its end maybe cut: read, or InputError; never a
    crash, no control characters in what is read."""
    data = bytearray(_pdf_seed())
    for pos, value in flips:
        data[pos % len(data)] = value
    at = cut % (len(data) + 1)
    data[at:at] = insert
    if cut % 3 == 0:
        del data[at + len(insert) :]
    _read_clean(_tmp(".pdf", bytes(data)), titled=True)


# name -> (target, strategies as keyword arguments)
TARGETS = {
    "ingest-html": (
        html_book,
        {"pieces": st.lists(st.one_of(XHTML_PIECES, st.text(max_size=20)), max_size=40)},
    ),
    "ingest-fb2": (fb2_book, {"pieces": st.lists(st.one_of(FB2_PIECES, st.text(max_size=20)), max_size=40)}),
    "ingest-docx": (
        docx_book,
        {"pieces": st.lists(st.one_of(DOCX_PIECES, st.text(max_size=20)), max_size=40)},
    ),
    "ingest-kindle": (
        kindle_bytes,
        {
            "data": st.one_of(st.just(b""), st.binary(max_size=2048)),
            "cut": st.integers(0, 1 << 20),
            "flip": st.integers(0, 1 << 20),
        },
    ),
    "ingest-epub-bytes": (ingest_epub_bytes, {"data": st.binary(max_size=4096)}),
    "ingest-xhtml": (
        ingest_xhtml,
        {"pieces": st.lists(st.one_of(XHTML_PIECES, st.text(max_size=20)), max_size=40)},
    ),
    "ingest-text": (
        ingest_text,
        {
            "pieces": st.lists(st.one_of(TEXT_PIECES, st.text(max_size=30)), max_size=40),
            "encoding": st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
        },
    ),
    "normalize": (normalize_text, {"text": st.text(max_size=300)}),
    "segment": (segment_text, {"text": st.text(max_size=400)}),
    "lexicon": (
        lexicon_file,
        {
            "pieces": st.lists(st.one_of(TOML_PIECES, st.text(max_size=15)), max_size=12),
            "probe": st.text(max_size=60),
        },
    ),
    "config": (config_file, {"pieces": st.lists(st.one_of(TOML_PIECES, st.text(max_size=15)), max_size=12)}),
    "markdown": (
        markdown_book,
        {"pieces": st.lists(st.one_of(MD_PIECES, st.text(max_size=20)), max_size=40)},
    ),
    "ingest-pdf": (
        ingest_pdf,
        {
            "flips": st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
            "cut": st.integers(0, 1 << 20),
            "insert": st.sampled_from(
                [
                    b"",
                    b"obj",
                    b"endobj",
                    b"stream",
                    b"/Outlines 99 0 R",
                    b"%%EOF",
                    b"<<",
                    b">>",
                    b"/Encrypt",
                    b"\x00" * 64,
                ]
            ),
        },
    ),
    "cache-entry": (
        cache_entry,
        {
            "data": st.one_of(st.just(b""), st.binary(max_size=600)),
            "cut": st.integers(0, 10_000),
            "flip": st.integers(0, 10_000),
        },
    ),
}
