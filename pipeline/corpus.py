"""Shelves of books: discovery, one subfolder per book, one loaded model, failures isolated.

`render_corpus` renders every book found under the given paths into `out/<author-title slug>/`. The
engine (or the Ray actors) is set up once for the whole shelf. A book that cannot be read is recorded
with its reason and the shelf goes on; a book whose chapters are all unchanged is reported as such and
costs only its ingest. The summary goes to `out/corpus.json`.
"""
from __future__ import annotations

import glob
import logging
import re
import time
import unicodedata
from pathlib import Path

from .config import Config
from .errors import InputError, RenderError, UsageError
from .ingest import BOOK_SUFFIXES

log = logging.getLogger(__name__)

CORPUS_NAME = "corpus.json"
# files a folder of books holds that are not books (only skipped in folders; a file named on the
# command line is always read)
NOT_BOOKS = re.compile(r"^(readme|license|licence|copying|changelog|changes|contributing|authors|notice|todo)"
                       r"([._-].*)?$", re.IGNORECASE)
SLUG_MAX_CHARS = 80


def discover(paths: list[str | Path]) -> list[Path]:
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
        matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))] if glob.has_magic(text) else [Path(text)]
        if not matches:
            raise UsageError(f"{text}: the pattern matches no files")
        for p in matches:
            if p.is_dir():
                for f in sorted(p.rglob("*")):
                    if (f.is_file() and f.suffix.lower() in BOOK_SUFFIXES and not f.name.startswith(".")
                            and not NOT_BOOKS.match(f.name)):
                        add(f)
            elif p.exists():
                add(p)
            else:
                raise InputError(f"{p}: no such file or folder; check the path")
    return found


def slug(text: str, max_chars: int = SLUG_MAX_CHARS) -> str:
    """ASCII, lower case, words joined by '-': safe as a folder name on every system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return out[:max_chars].rstrip("-") or "book"


def book_folder_name(title: str, authors: list[str], source: Path) -> str:
    author = authors[0] if authors else ""
    return slug(f"{author} {title}".strip() or source.stem)


def render_corpus(paths: list[str | Path], out: str | Path, cfg: Config, chapters: str | None = None,
                  progress: bool = True) -> dict:
    """Render every book under `paths` into `out/<slug>/`; returns the corpus summary."""
    from tqdm.auto import tqdm

    from .export import write_json
    from .render import make_worker, open_cache, plan_book, render_book
    from .synthesize import choose_engine

    out = Path(out)
    books = discover(paths)
    if not books:
        raise InputError(f"no books found in {', '.join(str(p) for p in paths)} "
                         f"(looked for {', '.join(BOOK_SUFFIXES)})")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    worker = None
    results: list[dict] = []
    used: set[str] = set()
    audio_s = 0.0
    bar = tqdm(total=len(books), unit="book", disable=not progress, position=0, dynamic_ncols=True,
               desc="shelf")
    try:
        for path in books:
            entry: dict = {"source": str(path)}
            try:
                plan = plan_book(path, cfg, chapters, choose_engine(cfg.engine)[0], whole_book=True)
                name = book_folder_name(plan.book.title, plan.book.authors, path)
                base, n = name, 2
                while name in used:          # two books with the same author and title
                    name, n = f"{base}-{n}", n + 1
                used.add(name)
                entry.update(title=plan.book.title, authors=plan.book.authors, folder=name)
                if worker is None:
                    worker = make_worker(cfg, None, open_cache(cfg), on_done=None)
                target = out if cfg.output.layout == "audiobookshelf" else out / name   # a library: one root
                manifest = render_book(path, target, cfg, chapters, progress=progress, worker=worker,
                                       plan=plan, bar_position=1)
                st = manifest["stats"]
                unchanged = st["chapters_rendered"] == st["chapters_reencoded"] == st["rendered"] == 0
                entry.update(status="unchanged" if unchanged else "done", chapters=len(manifest["chapters"]),
                             audio_seconds=st["audio_seconds"], rendered=st["rendered"], reused=st["reused"],
                             failed_segments=st["failed"], wall_seconds=st["wall_seconds"])
                audio_s += st["audio_seconds"]
            except RenderError as e:
                if e.exit_code not in (3,):   # only a bad book is isolated; bad usage or a dead engine stops the shelf
                    raise
                entry.update(status="failed", reason=str(e))
            results.append(entry)
            bar.update(1)
            wall = time.perf_counter() - t0
            bar.set_postfix_str(f"audio {audio_s / 3600:.2f} h {audio_s / max(wall, 1e-9):.0f}x RT", refresh=False)
    finally:
        bar.close()
        if worker is not None:
            worker.close()
    wall = time.perf_counter() - t0
    summary = {
        "books": results,
        "done": sum(r.get("status") == "done" for r in results),
        "unchanged": sum(r.get("status") == "unchanged" for r in results),
        "failed": sum(r.get("status") == "failed" for r in results),
        "audio_hours": round(audio_s / 3600, 4),
        "wall_seconds": round(wall, 2),
        "x_real_time": round(audio_s / wall, 2) if wall > 0 else 0.0,
    }
    write_json(out / CORPUS_NAME, summary)
    return summary
