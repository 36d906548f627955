"""The read-along book: an EPUB 3 with Media Overlays, so a reader plays the audio and lights up each piece
of text as it is spoken (EPUB 3.3 Media Overlays; played by Thorium, Storyteller, BookFusion, Readest...).

The renderer knows where every segment starts and ends in its chapter's audio, so the sync is exact, not
guessed: one content document per chapter, each segment of the book's own text in a `span` with an id,
one SMIL overlay per chapter with a `par` per segment whose `audio` clip runs from the segment's start to
the next one's (pauses included, so the clips tile the chapter file), and the chapter's MP3 inside the book
(a core media type). `media:duration` is given per overlay and in total, `media:active-class` names the CSS
class a reader adds to the span being read, and `media:narrator` names the voice. Chapters of the book not
rendered yet keep their text, without an overlay.

From an EPUB 3, the book is the source itself (`build_from_source`): its own documents, styles, fonts and
images, with a span (id `rdr-cNNNsKKKK`) wrapped around each rendered segment's text where it stands in the
source markup (found exactly, else ignoring all but letters and digits; a segment whose text crosses
elements gets one span per piece, the first carrying the id), one overlay per content document. From EPUB 2
(XHTML 1.1 documents are not EPUB 3 content) and from text, the content documents are generated from the
book's paragraphs (`build_readalong`).

The package: `align` (where each segment stands in the source's markup), `package` (the EPUB from the source
or from generated pages), `check` (EPUBCheck); `readalong_epub` chooses between the two books.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ...records import Book, ChapterRecord
from .check import epubcheck_problems
from .package import ACTIVE_CLASS, SourceBuild, build_from_source, build_readalong

log = logging.getLogger(__name__)


def readalong_epub(
    book: Book, records: list[ChapterRecord], out: Path, narrator: str
) -> tuple[bytes, dict[str, Any]]:
    """The read-along book for `records` (the finished chapters, their MP3s in `out`), and how it was made:
    {"made_from": "source" | "text", "reason": why not the source, "epubcheck": "passed" | [problems] |
    "not run"}.

    From an EPUB 3 the source's own documents are used when every rendered segment was found in them, so
    each segment has its own clip; otherwise (EPUB 2, text, Markdown, or a segment the source's markup does
    not hold as read) the pages are generated from the book's text, where that holds by construction. Where
    EPUBCheck can run, the book is checked; a source-made book it faults (the source's own faults travel with
    it) gives way to the generated one when that one passes."""
    made = build_from_source(book, records, out, narrator)
    info: dict[str, Any] = {}
    source_problems: list[str] | None = None
    if made.data is not None and not made.unmatched:
        source_problems = epubcheck_problems(made.data)
        if not source_problems:
            return made.data, {
                "made_from": "source",
                "epubcheck": "passed" if source_problems == [] else "not run",
            }
        info["reason"] = f"EPUBCheck faults the book made from the source: {source_problems[0]}"
        log.warning(
            "read-along book: %s (%d messages); trying pages generated from the text",
            info["reason"],
            len(source_problems),
        )
    elif made.data is None:
        info["reason"] = made.reason
    else:
        missing = ", ".join(f"chapter {c}: {n}" for c, n in sorted(made.unmatched.items()))
        info["reason"] = f"segments not found in the source's text ({missing})"
        log.info("read-along book: %s; its pages are generated from the book's text instead", info["reason"])
    data = build_readalong(book, records, out, narrator)
    problems = epubcheck_problems(data)
    if problems and source_problems and made.data is not None:
        log.warning(
            "read-along book: EPUBCheck faults the generated pages too (%s); the source's are kept",
            problems[0],
        )
        return made.data, {"made_from": "source", "epubcheck": source_problems}
    if problems:
        log.warning(
            "read-along book: EPUBCheck reports %d messages, the first: %s", len(problems), problems[0]
        )
    return data, {
        "made_from": "text",
        **info,
        "epubcheck": problems if problems else ("passed" if problems == [] else "not run"),
    }


__all__ = [
    "ACTIVE_CLASS",
    "SourceBuild",
    "build_from_source",
    "build_readalong",
    "epubcheck_problems",
    "readalong_epub",
]
