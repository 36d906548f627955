"""`render --sample SECONDS`: a short sample of each book, to pick a voice and settings before the long render.

The sample is the book's first SECONDS of speech: the first chapter's segments in order (the next
chapters' when the first is shorter), cut at the segment end nearest SECONDS, assembled and loudness-
normalized as a chapter is, encoded to the run's first format as `<out>/<author-title> - sample.<ext>`. Only
the chapters it reaches are segmented and only the segments it keeps (and a few more) are synthesized, so a
book takes a few seconds. A shelf gets one file per book from one loaded engine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .. import defaults as D
from ..assemble import assemble_chapter
from ..cache import open_cache
from ..config import Config
from ..errors import EXIT_INPUT, InputError, RenderError, UsageError
from ..executors import make_worker
from ..export.encode import encode_to_target
from ..export.names import EXTENSIONS, book_folder_name
from ..files import atomic_path, inside
from ..plan import plan_book
from ..records import Book, Chapter, Pause, RenderedSegment, Segment
from ..synthesize import choose_engine
from .words import make_folder

log = logging.getLogger(__name__)

_MORE = 1.25  # synthesize this much more than the estimate asks, for the cut


@dataclass(slots=True)
class Sample:
    book: str
    file: Path
    seconds: float  # the file's length
    segments: int
    wall_seconds: float = 0.0  # what it took, the book's ingest included


def _segments(path: Path, cfg: Config, engine: str, seconds: float) -> tuple[Book, list[Segment]]:
    """(the book, its first segments in reading order), planning one more chapter until they are expected to
    last `seconds` x `_MORE` or the book ends. A chapter's last segment, not the sample's, gets a paragraph pause."""
    n = 2  # a dedication or an epigraph often comes first
    while True:
        plan = plan_book(path, cfg, f"1-{n}", engine)
        segs: list[Segment] = []
        for c in plan.chapters:
            chapter = plan.segments[c.index]
            segs += [
                replace(s, pause_after=Pause.PARAGRAPH) if s.pause_after == Pause.END else s for s in chapter
            ]
        if plan.est_seconds >= seconds * _MORE or n >= len(plan.book.chapters):
            return plan.book, segs
        n *= 2  # each plan reads the book again: few, growing steps


def _cut(rendered: list[RenderedSegment], chapter: Chapter, cfg: Config, seconds: float):
    """The assembled sample whose last segment ends nearest `seconds`."""
    whole = assemble_chapter(chapter, rendered, cfg.pauses, cfg.output)
    ends = [t.end for t in whole.timings]
    k = min(range(len(ends)), key=lambda i: abs(ends[i] - seconds))
    return assemble_chapter(chapter, rendered[: k + 1], cfg.pauses, cfg.output)


def sample_book(path: Path, out: Path, cfg: Config, seconds: float, worker, used: set[str]) -> Sample:
    """Write one book's sample into `out`; `used`: the file names a shelf's earlier books took."""
    t0 = time.perf_counter()
    book, segs = _segments(path, cfg, choose_engine(cfg.engine)[0], seconds)
    if not segs:
        raise InputError(f"{path}: nothing to read in its first chapters")
    first: list[Segment] = []
    est = 0.0
    for seg in segs:  # the estimate's share first; more only when the speech ran short
        if first and est >= seconds * _MORE:
            break
        first.append(seg)
        est += seg.est_seconds + cfg.pauses.sentence_s
    rendered = worker.render(first)
    while len(rendered) < len(segs) and sum(r.duration for r in rendered) < seconds:
        rendered += worker.render(segs[len(rendered) : len(rendered) + 4])
    audio = _cut(rendered, Chapter(0, f"{book.title} (sample)", []), cfg, seconds)
    fmt = next((f for f in cfg.output.formats if f in EXTENSIONS), "mp3")
    base = name = book_folder_name(book.title, book.authors, path)
    n = 2
    while name in used:  # two books with the same author and title
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    target = inside(out, out / f"{name} - sample{EXTENSIONS[fmt]}")
    with atomic_path(target) as tmp:
        encode_to_target(audio.audio, audio.sample_rate, tmp, fmt, cfg.output)
    return Sample(
        str(path), target, round(audio.duration, 2), len(audio.timings), round(time.perf_counter() - t0, 2)
    )


def render_samples(
    books: list[Path], out: Path | None, cfg: Config, seconds: float, quiet: bool
) -> list[Sample]:
    """A sample of each book (a shelf: every book found) into `out` (default out/samples); prints a line each."""
    import typer

    from ..shelf import discover

    if not 0 < seconds <= D.SAMPLE_MAX_S:
        raise UsageError(f"--sample: {seconds:g} seconds; a sample lasts 1-{D.SAMPLE_MAX_S:.0f} seconds")
    paths = discover(list(books))
    if not paths:
        raise InputError(f"no books found in {', '.join(map(str, books))}")
    out = Path(out) if out is not None else Path(D.SAMPLE_OUT)
    make_folder(out)
    worker = make_worker(cfg, None, open_cache(cfg.cache))
    done: list[Sample] = []
    failed = 0
    used: set[str] = set()
    try:
        for path in paths:
            try:
                s = sample_book(path, out, cfg, seconds, worker, used)
            except RenderError as e:
                if e.exit_code != EXIT_INPUT or len(paths) == 1:
                    raise
                failed += 1
                typer.echo(f"render: failed: {e}", err=True)
                continue
            done.append(s)
            if not quiet:
                typer.echo(
                    f"render: sample of {path.name}: {s.file} ({s.seconds:.1f} s, {s.segments} segments, "
                    f"made in {s.wall_seconds:.1f} s)",
                    err=True,
                )
    finally:
        worker.close()
    if failed:
        from ..errors import EXIT_PARTIAL

        raise typer.Exit(EXIT_PARTIAL)
    return done
