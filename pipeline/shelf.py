"""Shelves of books: discovery, one subfolder per book, one loaded model, failures isolated.

`render_shelf` renders every book found under the given paths into `out/<author-title slug>/`. The
engine (or the Ray actors) is set up once for the whole shelf. A book that cannot be read is recorded
with its reason and the shelf goes on; a book whose chapters are all unchanged is reported as such and
costs only its ingest. The summary (`ShelfSummary`) goes to `out/corpus.json`.
"""

from __future__ import annotations

import glob
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path

from . import defaults as D
from .cache import open_cache
from .config import Config
from .errors import EXIT_INPUT, InputError, RenderError, UsageError
from .executors import make_worker
from .export.names import book_folder_name
from .files import write_json
from .ingest import BOOK_SUFFIXES, book_suffix
from .plan import plan_book
from .progress import ShelfProgress
from .records import ShelfBook, ShelfSummary
from .render import render_book
from .serialize import to_json
from .synthesize import choose_engine

log = logging.getLogger(__name__)

# files a folder of books holds that are not books (only skipped in folders; a file named on the
# command line is always read)
NOT_BOOKS = re.compile(
    r"^(readme|license|licence|copying|changelog|changes|contributing|authors|notice|todo)"
    r"([._-].*)?$",
    re.IGNORECASE,
)


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """Book files under `paths`: files as given, folders searched recursively, globs expanded.
    Sorted within each argument, duplicates removed, order of arguments kept."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            found.append(p)

    for raw in paths:
        text = str(raw)
        matches = (
            [Path(m) for m in sorted(glob.glob(text, recursive=True))]
            if glob.has_magic(text)
            else [Path(text)]
        )
        if not matches:
            raise UsageError(f"{text}: the pattern matches no files")
        for p in matches:
            if p.is_dir():
                for f in sorted(p.rglob("*")):
                    if (
                        f.is_file()
                        and book_suffix(f) in BOOK_SUFFIXES
                        and not f.name.startswith(".")
                        and not NOT_BOOKS.match(f.name)
                    ):
                        add(f)
            elif p.exists():
                add(p)
            else:
                raise InputError(f"{p}: no such file or folder; check the path")
    return found


def render_shelf(
    paths: Sequence[str | Path],
    out: str | Path,
    cfg: Config,
    chapters: str | None = None,
    progress: ShelfProgress | None = None,
) -> ShelfSummary:
    """Render every book under `paths` into `out/<slug>/`; returns the shelf's summary. `progress` hears how
    it goes (`pipeline.progress`; the command line draws it)."""
    progress = progress or ShelfProgress()
    out = Path(out)
    books = discover(paths)
    if not books:
        raise InputError(
            f"no books found in {', '.join(str(p) for p in paths)} (looked for {', '.join(BOOK_SUFFIXES)})"
        )
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    worker = None
    results: list[ShelfBook] = []
    used: set[str] = set()
    audio_s = 0.0
    progress.started(len(books))
    try:
        for path in books:
            entry = ShelfBook(str(path))
            try:
                plan = plan_book(path, cfg, chapters, choose_engine(cfg.engine)[0], whole_book=True)
                name = book_folder_name(plan.book.title, plan.book.authors, path)
                base, n = name, 2
                while name in used:  # two books with the same author and title
                    name, n = f"{base}-{n}", n + 1
                used.add(name)
                entry.title, entry.authors, entry.folder = plan.book.title, plan.book.authors, name
                if worker is None:
                    worker = make_worker(cfg, None, open_cache(cfg.cache))
                target = out if cfg.output.layout == "audiobookshelf" else out / name  # a library: one root
                manifest = render_book(
                    path, target, cfg, chapters, progress=progress.book(), worker=worker, plan=plan
                )
                st = manifest.stats
                unchanged = st.chapters_rendered == st.chapters_reencoded == st.rendered == 0
                entry.status = "unchanged" if unchanged else "done"
                entry.chapters, entry.audio_seconds = len(manifest.chapters), st.audio_seconds
                entry.rendered, entry.reused, entry.failed_segments = st.rendered, st.reused, st.failed
                entry.wall_seconds = st.wall_seconds
                audio_s += st.audio_seconds
            except RenderError as e:
                if (
                    e.exit_code != EXIT_INPUT
                ):  # only a bad book is isolated; bad usage or a dead engine stops the shelf
                    raise
                entry.status, entry.reason = "failed", str(e)
            results.append(entry)
            progress.book_done(audio_s, time.perf_counter() - t0)
    finally:
        progress.finished()
        if worker is not None:
            worker.close()
    wall = time.perf_counter() - t0
    summary = ShelfSummary(
        results,
        sum(r.status == "done" for r in results),
        sum(r.status == "unchanged" for r in results),
        sum(r.status == "failed" for r in results),
        round(audio_s / 3600, 4),
        round(wall, 2),
        round(audio_s / wall, 2) if wall > 0 else 0.0,
    )
    write_json(out / D.SHELF_SUMMARY_NAME, to_json(summary))
    return summary
