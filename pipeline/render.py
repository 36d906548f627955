"""The pipeline end to end for one book: ingest -> segment -> synthesize -> assemble -> export.

`plan_book` runs the text front end alone (no model): what `render --dry-run` prints.
`render_book` renders and writes the output folder.
"""
from __future__ import annotations

import errno
import logging
import os
import time
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import defaults as D
from .config import Config
from .errors import OutputError, UsageError
from .ingest import read_book, time_budget
from .normalize import load_lexicon
from .records import Book, Chapter, Segment
from .segment import Segmenter, SentenceSplitter, roman_numbered_headings
from .synthesize import choose_engine

log = logging.getLogger(__name__)

EXPORTS_IN_FLIGHT = 2      # chapters being assembled and encoded while the next one is synthesized
_NO_AUDIO = np.zeros(0, np.float32)
ENGINE_CHARS_PER_S = {"hibari": D.HIBARI_CHARS_PER_S, "soprano": D.SOPRANO_CHARS_PER_S}


def parse_chapters(spec: str | None, count: int) -> list[int]:
    """"1-3,7" -> [1, 2, 3, 7] (1-based, in book order). None or "" selects every chapter."""
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


@dataclass(slots=True)
class Plan:
    book: Book
    chapters: list[Chapter]
    segments: dict[int, list[Segment]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)     # what the text front end skipped, and why
    # segments of the book's other chapters (not selected by --chapters), when planned for a render: a
    # chapter an earlier run finished from the same text and settings belongs in the whole-book outputs
    others: dict[int, list[Segment]] = field(default_factory=dict)

    @property
    def est_seconds(self) -> float:
        return sum(s.est_seconds for segs in self.segments.values() for s in segs)

    def to_json(self) -> dict:
        """The plan as one JSON-ready dict (what `render --dry-run --json` prints; other tools read it)."""
        b = self.book
        return {
            "title": b.title, "authors": b.authors, "language": b.language, "publisher": b.publisher,
            "date": b.date, "description": b.description, "identifier": b.identifier, "series": b.series,
            "series_index": b.series_index,
            "cover": b.cover_type or None,
            "est_seconds": round(self.est_seconds, 1),
            "warnings": self.warnings,
            "chapters": [
                {"index": c.index, "title": c.title, "level": c.level, "parents": c.parents, "source": c.source,
                 "est_seconds": round(sum(s.est_seconds for s in self.segments[c.index]), 1),
                 "segments": [{"text": s.text, "normalized": s.normalized, "est_seconds": s.est_seconds,
                               "pause_after": s.pause_after.value, "paragraph": s.paragraph}
                              for s in self.segments[c.index]]}
                for c in self.chapters
            ],
        }


def plan_book(path: str | Path, cfg: Config, chapters: str | None = None, engine_name: str = "hibari",
              whole_book: bool = False) -> Plan:
    """Ingest, normalize and segment a book: no model is loaded. The whole of it runs within the book's
    time budget (`limits.ingest_seconds`). `whole_book` also segments the chapters `chapters` leaves out
    (into `Plan.others`), as a render needs them to keep every finished chapter in the whole-book outputs."""
    with time_budget(cfg.limits.ingest_seconds, str(path)):
        return _plan(path, cfg, chapters, engine_name, whole_book)


def _plan(path: str | Path, cfg: Config, chapters: str | None, engine_name: str, whole_book: bool) -> Plan:
    book = read_book(path, include_front_matter=cfg.text.include_front_matter, read_notes=cfg.text.read_notes,
                     limits=cfg.limits)
    selected = parse_chapters(chapters, len(book.chapters))
    chosen = [c for c in book.chapters if c.index in selected]
    segmenter = Segmenter(SentenceSplitter.for_book(book), load_lexicon(cfg.text.lexicon),
                          chars_per_second=ENGINE_CHARS_PER_S.get(engine_name, D.HIBARI_CHARS_PER_S) *
                          (cfg.engine.speed if engine_name == "hibari" else 1.0),
                          min_s=cfg.text.segment_min_s, max_s=cfg.text.segment_max_s,
                          merge_max_s=cfg.text.segment_merge_max_s,
                          numbered_headings=roman_numbered_headings(book))
    plan = Plan(book, chosen)
    for c in chosen:
        plan.segments[c.index] = segmenter.chapter_segments(c)
    notices = list(segmenter.warnings)
    if whole_book:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # notices about chapters this run does not read
            for c in book.chapters:
                if c.index not in plan.segments:
                    plan.others[c.index] = segmenter.chapter_segments(c)
    plan.warnings = [*book.warnings, *notices]
    return plan


def _check_writable(out: Path) -> None:
    """Make the output folder (the lock then proves it writable, with a uniquely named probe)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: output folder is not writable: it cannot be made ({e.strerror or e}); choose another --out") from e


def default_cache_dir() -> Path:
    """RENDER_CACHE_DIR, else $XDG_CACHE_HOME/render/segments, else ~/.cache/render/segments."""
    env = os.environ.get("RENDER_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "render" / "segments"


def open_cache(cfg: Config):
    from .cache import DiskCache
    if not cfg.cache.enabled:
        return None
    root = Path(cfg.cache.dir) if cfg.cache.dir else default_cache_dir()
    try:
        return DiskCache(root, int(cfg.cache.max_gb * 1024**3))
    except OSError as e:
        log.warning("segment cache at %s unusable (%s); rendering without it", root, e.strerror or e)
        return None


def _remove_stale_temporaries(out: Path) -> None:
    """Half-written files a killed run left behind (hidden `.NAME.part`); never a finished file."""
    for tmp in out.glob(".*.part"):
        try:
            tmp.unlink()
        except OSError:
            pass


@dataclass(slots=True)
class RunStats:
    segments: int = 0
    rendered: int = 0
    reused: int = 0
    retried: int = 0
    failed: int = 0
    chapters_rendered: int = 0      # synthesized (at least one segment) and encoded
    chapters_reencoded: int = 0     # every segment from the cache, assembled and encoded again
    chapters_reused: int = 0        # kept as they were
    chapters_missing: list[int] = field(default_factory=list)   # of the book, not finished in the folder


def render_book(path: str | Path, out: str | Path, cfg: Config, chapters: str | None = None,
                progress: bool = True, engine=None, worker=None, plan: Plan | None = None,
                bar_position: int = 0) -> dict:
    """Render a book into `out`; returns the manifest (also written to `out/manifest.json`).

    Resumable: segments come from the cache when their audio was made before, and a chapter whose
    fingerprint and files are unchanged is not assembled or encoded again. One render per folder.
    """
    from .lock import OutputLock

    out = Path(out)
    if plan is None:
        engine_name = engine.name if engine is not None else choose_engine(cfg.engine)[0]
        plan = plan_book(path, cfg, chapters, engine_name, whole_book=True)
    library = None
    if cfg.output.layout == "audiobookshelf":       # work in <out>/.render/<slug>, publish the book folder
        from .corpus import book_folder_name
        from .layout import work_folder
        library, out = out, work_folder(out, book_folder_name(plan.book.title, plan.book.authors, path))
        if "m4b" not in cfg.output.formats:
            cfg = cfg.model_copy(deep=True)
            cfg.output.formats = [*cfg.output.formats, "m4b"]
    _check_writable(out)
    with OutputLock(out):
        _remove_stale_temporaries(out)
        try:
            manifest = _render_locked(plan, path, out, cfg, progress, engine, worker, bar_position)
            if library is not None:
                from .layout import publish_audiobookshelf
                manifest["library_folder"] = str(publish_audiobookshelf(manifest, out, library, plan.book))
            return manifest
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise OutputError(f"{out}: disk full ({e.strerror}); finished chapters are intact; free some "
                                  "space and run the same command again to resume") from e
            raise


def make_worker(cfg: Config, engine, cache, on_done):
    """The synthesis worker for `cfg.run.executor`: in this process (local), or spread over Ray actors.

    Either has `render(segments) -> list[RenderedSegment]`, `stats`, `identity` (the engine identity that
    keys the cache and the chapter fingerprints), `describe()` and `close()`.
    """
    if cfg.run.executor == "ray":
        from .executors.ray_executor import RayWorker
        return RayWorker(cfg, cache, on_done=on_done)
    from .synthesize import load_engine
    from .synthesize.worker import Worker
    if engine is None:
        engine = load_engine(cfg.engine)
    return Worker(engine, cfg.validate_, cfg.engine.batch_size, cache=cache, on_done=on_done,
                  silence_db=cfg.pauses.silence_threshold_db)


def _render_locked(plan: Plan, path, out: Path, cfg: Config, progress: bool, engine, worker,
                   bar_position: int) -> dict:
    from .state import RenderState

    state = RenderState(out)
    owned = worker is None
    if owned:
        worker = make_worker(cfg, engine, open_cache(cfg), on_done=None)
    try:
        return _render_with(worker, plan, path, out, cfg, progress, state, bar_position)
    finally:
        worker.on_done = None
        if owned:
            worker.close()


def _render_with(worker, plan: Plan, path, out: Path, cfg: Config, progress: bool, state,
                 bar_position: int) -> dict:
    from tqdm.auto import tqdm

    from .assemble import assemble_chapter
    from .export import BookExporter, inside, write_json
    from .state import chapter_fingerprint

    book = plan.book
    identity = worker.identity
    settings = cfg.audio_settings()
    total_chapters = len(book.chapters)
    fingerprints = {c.index: chapter_fingerprint(book, c, plan.segments[c.index], identity, settings,
                                                 total_chapters) for c in plan.chapters}
    stats = RunStats(segments=sum(len(s) for s in plan.segments.values()))
    before = replace(worker.stats)            # a shared worker (a shelf of books) counts across books
    t0 = time.perf_counter()
    # two lines: segments synthesized (x real time, ETA), and chapters finished (encoded or kept) with the
    # chapters being assembled and encoded right now
    bar = tqdm(total=stats.segments, unit="seg", disable=not progress, dynamic_ncols=True,
               desc=(book.title or "book")[:30], position=bar_position, leave=bar_position == 0)
    ch_bar = tqdm(total=len(plan.chapters), unit="ch", disable=not progress, dynamic_ncols=True,
                  desc="chapters done", position=bar_position + 1, leave=bar_position == 0)
    synthesized = 0                           # chapters whose segments are all synthesized
    encoding: list[int] = []                  # chapters being assembled and encoded

    def show() -> None:
        elapsed = time.perf_counter() - t0
        audio_s = worker.stats.audio_s - before.audio_s
        bar.set_postfix_str(f"ch {synthesized}/{len(plan.chapters)} synthesized, {audio_s:,.0f} s of audio, "
                            f"{audio_s / max(elapsed, 1e-9):.0f}x real time", refresh=False)
        ch_bar.set_postfix_str(f"encoding ch {', '.join(map(str, encoding))}" if encoding else "", refresh=True)

    def on_done(_r):
        bar.update(1)
        show()

    worker.on_done = on_done

    comment = f"Rendered by render from {Path(path).name} with {worker.describe()}"
    from .layout import narrator_name
    exporter = BookExporter(book, out, cfg.output, comment, total_chapters, cfg.pauses,
                            narrator=narrator_name(identity))
    records: dict[int, dict] = {}
    # Synthesis runs here; assembling and encoding a finished chapter runs beside it (ffmpeg in its own
    # processes), at most EXPORTS_IN_FLIGHT chapters at a time so memory stays flat with book length.
    pending: deque[tuple[Chapter, str, set[str], Future]] = deque()

    def settle_oldest() -> None:
        ch, fp, old_files, future = pending.popleft()
        record = future.result()
        keep = set(record.get("files", {}).values()) | set(record.get("extra_files", []))
        for stale in old_files - keep:                 # the chapter's title (so its file name) changed
            try:
                inside(out, out / stale).unlink(missing_ok=True)
            except OutputError:
                log.warning("state names a file outside the output folder (%s); left alone", stale)
        state.save_chapter(ch.index, fp, record, record.get("extra_files", []), out=out)
        records[ch.index] = record

    def export(ch: Chapter, rendered) -> dict:
        try:
            audio = assemble_chapter(ch, rendered, cfg.pauses, cfg.output)
            for r in rendered:    # the chapter's buffer holds the audio now; records keep timing and checks
                r.audio = _NO_AUDIO
            return exporter.chapter(audio)
        finally:
            encoding.remove(ch.index)
            show()                  # the postfix first, so the count never shows with a finished chapter in it
            ch_bar.update(1)

    with ThreadPoolExecutor(max_workers=EXPORTS_IN_FLIGHT, thread_name_prefix="export") as pool:
        try:
            for ch in plan.chapters:
                fp = fingerprints[ch.index]
                record = state.reusable(ch.index, fp, out)
                if record is None and state.last_reason:
                    log.warning("chapter %d: %s; making it again", ch.index, state.last_reason)
                if record is not None:
                    records[ch.index] = record
                    stats.chapters_reused += 1
                    stats.reused += len(plan.segments[ch.index])
                    # kept as it was: its segments leave the bar's total, so the rate and ETA are synthesis's
                    bar.total -= len(plan.segments[ch.index])
                    synthesized += 1
                    ch_bar.update(1)
                    show()
                    continue
                synth_before = worker.stats.rendered
                rendered = worker.render(plan.segments[ch.index])
                if worker.stats.rendered == synth_before:
                    stats.chapters_reencoded += 1      # every segment from the cache: only encoded again
                else:
                    stats.chapters_rendered += 1
                synthesized += 1
                while len(pending) >= EXPORTS_IN_FLIGHT:
                    settle_oldest()
                encoding.append(ch.index)
                show()
                pending.append((ch, fp, set(state.files_of(ch.index)), pool.submit(export, ch, rendered)))
            while pending:
                settle_oldest()
        except BaseException:
            for *_, future in pending:
                future.cancel()
            raise
    bar.close()
    ch_bar.close()
    # whole-book outputs describe every finished chapter in the folder, whichever --chapters this run had:
    # this run's chapters, and those an earlier run finished from the same text and settings
    by_index = {c.index: c for c in book.chapters}
    for index, segments in plan.others.items():
        ch = by_index[index]
        fp = chapter_fingerprint(book, ch, segments, identity, settings, total_chapters)
        record = state.reusable(index, fp, out)
        if record is not None:
            records[index] = record
    chapter_records = [records[i] for i in sorted(records)]
    stats.chapters_missing = [c.index for c in book.chapters if c.index not in records]
    extra = exporter.finish(chapter_records)
    wall = time.perf_counter() - t0
    now = worker.stats
    stats.rendered, stats.retried = now.rendered - before.rendered, now.retried - before.retried
    stats.failed = now.failed - before.failed
    stats.reused += now.reused - before.reused
    manifest = {
        "book": {"title": book.title, "authors": book.authors, "language": book.language,
                 "publisher": book.publisher, "date": book.date, "identifier": book.identifier,
                 "description": book.description, "series": book.series, "series_index": book.series_index,
                 "source": str(path)},
        "engine": identity,
        "settings": settings,
        "chapters": chapter_records,
        **extra,
        "stats": {**asdict(stats),
                  "audio_seconds": round(sum(c["duration"] for c in chapter_records), 2),
                  "wall_seconds": round(wall, 2)},
    }
    from .report import build_report
    report = build_report(manifest, getattr(worker, "history", {}), cfg.validate_.qc)
    manifest["checks"] = report["summary"]
    write_json(out / D.REPORT_NAME, report)
    write_json(out / D.MANIFEST_NAME, manifest)
    from .report_html import write_html
    write_html(manifest, report, out)
    return manifest
