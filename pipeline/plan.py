"""The plan of a book: ingest, normalize and segment, with no model loaded (what `render --dry-run` prints,
and the first step of every render)."""

from __future__ import annotations

import warnings
from pathlib import Path

from .config import Config
from .errors import UsageError
from .ingest import read_book, time_budget
from .normalize import load_lexicon
from .pace import spec_of
from .records import Plan
from .segment import Segmenter, SentenceSplitter, roman_numbered_headings


def parse_chapters(spec: str | None, count: int) -> list[int]:
    """ "1-3,7" -> [1, 2, 3, 7] (1-based, in book order). None or "" selects every chapter."""
    if not spec:
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo) if lo.strip() else 1
            b = (int(hi) if hi.strip() else count) if sep else a
        except ValueError:
            raise UsageError(f"--chapters: '{part}' is not a number or a range like 1-3") from None
        if a < 1 or b < a:
            raise UsageError(f"--chapters: '{part}' is not a valid range (chapters are numbered from 1)")
        if a > count:
            raise UsageError(f"--chapters: the book has {count} chapters; '{part}' selects none of them")
        chosen.update(range(a, min(b, count) + 1))
    if not chosen:
        raise UsageError("--chapters selected no chapters")
    return sorted(chosen)


def plan_book(
    path: str | Path,
    cfg: Config,
    chapters: str | None = None,
    engine_name: str = "hibari",
    whole_book: bool = False,
) -> Plan:
    """Ingest, normalize and segment a book: no model is loaded. The whole of it runs within the book's
    time budget (`limits.ingest_seconds`). `whole_book` also segments the chapters `chapters` leaves out
    (into `Plan.others`), as a render needs them to keep every finished chapter in the whole-book outputs."""
    with time_budget(cfg.limits.ingest_seconds, str(path)):
        return _plan(path, cfg, chapters, engine_name, whole_book)


def _plan(path: str | Path, cfg: Config, chapters: str | None, engine_name: str, whole_book: bool) -> Plan:
    book = read_book(
        path,
        include_front_matter=cfg.text.include_front_matter,
        read_notes=cfg.text.read_notes,
        limits=cfg.limits,
    )
    selected = parse_chapters(chapters, len(book.chapters))
    chosen = [c for c in book.chapters if c.index in selected]
    segmenter = Segmenter(
        SentenceSplitter.for_book(book),
        load_lexicon(cfg.text.lexicon),
        chars_per_second=spec_of(engine_name).rate(cfg.engine.speed),
        min_s=cfg.text.segment_min_s,
        max_s=cfg.text.segment_max_s,
        merge_max_s=cfg.text.segment_merge_max_s,
        numbered_headings=roman_numbered_headings(book),
    )
    plan = Plan(book, chosen, chars_per_second=segmenter.cps)
    notices: list[str] = []
    for c in chosen:
        done = segmenter.segment(c)
        plan.segments[c.index] = done.segments
        notices += done.warnings
    if whole_book:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # notices about chapters this run does not read
            for c in book.chapters:
                if c.index not in plan.segments:
                    plan.others[c.index] = segmenter.chapter_segments(c)
    plan.warnings = [*book.warnings, *notices]
    return plan
