"""The driver for one book: plan, lock, resume state, synthesis beside export, whole-book outputs.

`pipeline.plan.plan_book` runs the text front end alone (what `render --dry-run` prints); `render_book`
renders and writes the output folder, with the synthesis worker from `pipeline.executors` and the
stages' own modules doing the work.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from . import defaults as D
from .cache import open_cache
from .config import Config
from .errors import OutputError
from .executors import SynthesisWorker, make_worker
from .export import BookExporter
from .export.names import book_folder_name
from .files import inside, remove_stale_temporaries, write_json
from .interrupt import doing
from .layout import narrator_name, publish_audiobookshelf, work_folder
from .lock import OutputLock
from .narrator.takes import TakeStore, assemble_with_takes, render_with_firsts
from .plan import parse_chapters, plan_book
from .progress import RenderProgress
from .records import BookInfo, BookOutputs, Chapter, ChapterRecord, Manifest, Plan, RenderedSegment, RunStats
from .report import build_report
from .report_html import write_html
from .serialize import to_json
from .state import StateStore, chapter_fingerprint
from .synthesize import choose_engine
from .synthesize.worker import WorkerStats

log = logging.getLogger(__name__)

EXPORTS_IN_FLIGHT = 2  # chapters being assembled and encoded while the next one is synthesized


def _check_writable(out: Path) -> None:
    """Make the output folder (the lock then proves it writable, with a uniquely named probe)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(
            f"{out}: output folder is not writable: it cannot be made ({e.strerror or e}); choose another --out"
        ) from e


def render_book(
    path: str | Path,
    out: str | Path,
    cfg: Config,
    chapters: str | None = None,
    progress: RenderProgress | None = None,
    engine=None,
    worker=None,
    plan: Plan | None = None,
    retake: list[tuple[str, int | None]] | None = None,
) -> Manifest:
    """Render a book into `out`; returns the manifest (also written to `out/manifest.json`). `progress`
    hears how the render goes (`pipeline.progress`; the command line draws it).

    Resumable: segments come from the cache when their audio was made before, and a chapter whose
    fingerprint and files are unchanged is not assembled or encoded again. One render per folder.
    `retake`: (segment id, seed or None) pairs to take again (`pipeline.narrator.takes`).
    """
    out = Path(out)
    if plan is None:
        engine_name = engine.name if engine is not None else choose_engine(cfg.engine)[0]
        plan = plan_book(path, cfg, chapters, engine_name, whole_book=True)
    library = None
    if cfg.output.layout == "audiobookshelf":  # work in <out>/.render/<slug>, publish the book folder
        library, out = out, work_folder(out, book_folder_name(plan.book.title, plan.book.authors, Path(path)))
        if "m4b" not in cfg.output.formats:
            cfg = cfg.model_copy(deep=True)
            cfg.output.formats = [*cfg.output.formats, "m4b"]
    takes = TakeStore(out)  # the chosen takes; a bad --retake ID stops here, before any write
    if retake:
        takes.retake(plan, retake)
    takes.apply(plan)
    _check_writable(out)
    with OutputLock(out):
        remove_stale_temporaries(out)
        try:
            takes.save()
            manifest = _render_locked(
                plan, path, out, cfg, progress or RenderProgress(), engine, worker, takes
            )
            if library is not None:
                _step_reporter(progress or RenderProgress())(f"publishing the book folder in {library}")
                manifest.library_folder = str(publish_audiobookshelf(manifest, out, library, plan.book))
            return manifest
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise OutputError(
                    f"{out}: disk full ({e.strerror}); finished chapters are intact; free some "
                    "space and run the same command again to resume"
                ) from e
            blocked = _output_blocked(e, [out, library] if library is not None else [out])
            if blocked:
                raise OutputError(blocked) from e
            raise


_BLOCKED = {
    errno.EISDIR: "a folder stands where the render writes a file",
    errno.ENOTDIR: "a file stands where the render makes a folder",
    errno.EEXIST: "a file stands where the render makes a folder",
    errno.ENOTEMPTY: "a folder stands where the render writes a file",
    errno.EACCES: "not writable (permission denied)",
    errno.EPERM: "not writable (operation not permitted)",
    errno.EROFS: "not writable (read-only filesystem)",
}


def _output_blocked(e: OSError, folders: list[Path]) -> str:
    """The one-line message for an OSError on a path inside the output folder that the user's files cause
    (a folder named like a chapter file, a file named `.parts`, a read-only file), or "" for anything else."""
    if e.errno not in _BLOCKED:
        return ""
    target = e.filename2 if e.filename2 is not None else e.filename
    if target is None:
        return ""
    target = Path(os.fsdecode(target))
    roots = [Path(f).absolute() for f in folders]
    if not any(target.absolute() == r or r in target.absolute().parents for r in roots):
        return ""
    return (
        f"{target}: {_BLOCKED[e.errno]}; move it away (or fix its permissions) and run the same command "
        "again; finished chapters are intact"
    )


def _step_reporter(progress: RenderProgress):
    """A whole-book step ("writing the M4B") told to the progress display, and to the stop message of a
    Ctrl-C."""

    def step(what: str) -> None:
        doing("encode", what)
        progress.step(what)

    return step


def _render_locked(
    plan: Plan, path, out: Path, cfg: Config, progress: RenderProgress, engine, worker, takes: TakeStore
) -> Manifest:
    state = StateStore(out)
    owned = worker is None
    if owned:
        worker = make_worker(cfg, engine, open_cache(cfg.cache))
    try:
        return _render_with(worker, plan, path, out, cfg, progress, state, takes)
    finally:
        worker.on_done = None
        if owned:
            worker.close()


def _render_with(
    worker: SynthesisWorker,
    plan: Plan,
    path,
    out: Path,
    cfg: Config,
    progress: RenderProgress,
    state: StateStore,
    takes: TakeStore,
) -> Manifest:
    book = plan.book
    identity = worker.identity
    settings = cfg.audio_settings()
    total_chapters = len(book.chapters)
    fingerprints = {
        c.index: chapter_fingerprint(book, c, plan.segments[c.index], identity, settings, total_chapters)
        for c in plan.chapters
    }
    stats = RunStats(segments=sum(len(s) for s in plan.segments.values()))
    before = replace(worker.stats)  # a shared worker (a shelf of books) counts across books
    t0 = time.perf_counter()
    progress.started(book.title, stats.segments, len(plan.chapters))
    worker.on_done = lambda _r: progress.segment_done(worker.stats.audio_s - before.audio_s)
    comment = f"Rendered by render from {Path(path).name} with {worker.describe()}"
    exporter = BookExporter(book, out, cfg.output, comment, total_chapters, narrator=narrator_name(identity))
    exporter.on_step = _step_reporter(progress)
    records = _render_chapters(worker, plan, out, cfg, progress, state, exporter, fingerprints, stats)
    # whole-book outputs describe every finished chapter in the folder, whichever --chapters this run had:
    # this run's chapters, and those an earlier run finished from the same text and settings
    records.update(_finished_before(plan, state, out, identity, settings))
    chapter_records = [records[i] for i in sorted(records)]
    stats.chapters_missing = [c.index for c in book.chapters if c.index not in records]
    outputs = exporter.finish(chapter_records)
    _count_run(stats, before, worker.stats, chapter_records, time.perf_counter() - t0)
    manifest = Manifest(
        BookInfo.of(book, str(path)),
        identity,
        settings,
        chapter_records,
        **{f.name: getattr(outputs, f.name) for f in fields(BookOutputs)},
        stats=stats,
    )
    _write_reports(manifest, worker, plan, out, cfg, takes)
    return manifest


def _render_chapters(
    worker: SynthesisWorker,
    plan: Plan,
    out: Path,
    cfg: Config,
    progress: RenderProgress,
    state: StateStore,
    exporter: BookExporter,
    fingerprints: dict[int, str],
    stats: RunStats,
) -> dict[int, ChapterRecord]:
    """This run's chapters, by index: each reused from the resume state, or synthesized and then assembled
    and encoded beside the next one's synthesis. Counts the chapters in `stats`."""
    records: dict[int, ChapterRecord] = {}
    # Synthesis runs here; assembling and encoding a finished chapter runs beside it (ffmpeg in its own
    # processes), at most EXPORTS_IN_FLIGHT chapters at a time so memory stays flat with book length.
    pending: deque[tuple[Chapter, str, set[str], Future]] = deque()

    def settle_oldest() -> None:
        ch, fp, old_files, future = pending.popleft()
        records[ch.index] = _settle(ch, fp, old_files, future.result(), out, state)

    def export(ch: Chapter, rendered, firsts) -> ChapterRecord:
        try:
            audio = assemble_with_takes(ch, rendered, firsts, cfg.pauses, cfg.output)
            for r in rendered:  # the chapter's buffer holds the audio now; records keep timing and checks
                r.release_audio()
            return exporter.chapter(audio)
        finally:
            progress.chapter_encoded(ch.index)

    with ThreadPoolExecutor(max_workers=EXPORTS_IN_FLIGHT, thread_name_prefix="export") as pool:
        try:
            for ch in plan.chapters:
                fp = fingerprints[ch.index]
                record = _reuse_chapter(ch, fp, plan, out, state, stats, progress)
                if record is not None:
                    records[ch.index] = record
                    continue
                rendered, firsts = _synthesize_chapter(worker, ch, plan, stats, progress)
                while len(pending) >= EXPORTS_IN_FLIGHT:
                    settle_oldest()
                doing("encode", f"encoding chapter {ch.index}")
                progress.encoding_started(ch.index)
                pending.append(
                    (ch, fp, set(state.files_of(ch.index)), pool.submit(export, ch, rendered, firsts))
                )
            while pending:
                settle_oldest()
        except BaseException:
            for *_, future in pending:
                future.cancel()
            raise
        finally:
            progress.finished()
            doing("synth", None)
            doing("encode", "writing the whole-book files")
    return records


def _reuse_chapter(
    ch: Chapter,
    fp: str,
    plan: Plan,
    out: Path,
    state: StateStore,
    stats: RunStats,
    progress: RenderProgress,
) -> ChapterRecord | None:
    """The chapter's record when the resume state has it finished with fingerprint `fp` and its files intact
    (counted as reused), or None (the reason logged) when it must be made again."""
    record = state.reusable(ch.index, fp, out)
    if record is None and state.last_reason:
        log.warning("chapter %d: %s; making it again", ch.index, state.last_reason)
    if record is not None:
        stats.chapters_reused += 1
        stats.reused += len(plan.segments[ch.index])
        progress.chapter_reused(len(plan.segments[ch.index]))
    return record


def _synthesize_chapter(
    worker: SynthesisWorker, ch: Chapter, plan: Plan, stats: RunStats, progress: RenderProgress
) -> tuple[list[RenderedSegment], dict[int, RenderedSegment]]:
    """The chapter's segments synthesized (or read from the cache): (rendered, firsts of retakes), as
    `render_with_firsts` returns them; counted in `stats` as rendered or only encoded again."""
    synth_before = worker.stats.rendered
    doing("synth", f"synthesizing chapter {ch.index}")
    rendered, firsts = render_with_firsts(worker, plan.segments[ch.index])  # firsts: of retakes
    if worker.stats.rendered == synth_before:
        stats.chapters_reencoded += 1  # every segment from the cache: only encoded again
    else:
        stats.chapters_rendered += 1
    progress.chapter_synthesized()
    return rendered, firsts


def _write_reports(
    manifest: Manifest, worker: SynthesisWorker, plan: Plan, out: Path, cfg: Config, takes: TakeStore
) -> None:
    """The checks' report built into the manifest, the takes recorded, then `report.json`, `manifest.json`
    and `report.html` written."""
    report = build_report(manifest, worker.history, cfg.validate_.qc)
    manifest.checks = report.summary
    takes.record(manifest, plan.lexicons)  # the takes' history, the lexicons read (the narrator's pass)
    write_json(out / D.REPORT_NAME, to_json(report))
    write_json(out / D.MANIFEST_NAME, to_json(manifest))
    write_html(manifest, report, out)


def _settle(
    ch: Chapter, fp: str, old_files: set[str], record: ChapterRecord, out: Path, state: StateStore
) -> ChapterRecord:
    """A chapter written: the files its earlier version had and this one has not are removed (its title, so
    its file name, changed), and it is saved in the resume state."""
    for stale in old_files - set(record.all_files):
        try:
            inside(out, out / stale).unlink(missing_ok=True)
        except OutputError:
            log.warning("state names a file outside the output folder (%s); left alone", stale)
    state.save_chapter(ch.index, fp, record, out=out)
    return record


def _finished_before(
    plan: Plan, state: StateStore, out: Path, identity: dict[str, Any], settings: dict[str, Any]
) -> dict[int, ChapterRecord]:
    """The chapters outside this run's --chapters that an earlier run finished from the same text and
    settings, their files intact."""
    book = plan.book
    by_index = {c.index: c for c in book.chapters}
    found: dict[int, ChapterRecord] = {}
    for index, segments in plan.others.items():
        fp = chapter_fingerprint(book, by_index[index], segments, identity, settings, len(book.chapters))
        record = state.reusable(index, fp, out)
        if record is not None:
            found[index] = record
    return found


def _count_run(
    stats: RunStats, before: WorkerStats, now: WorkerStats, chapters: list[ChapterRecord], wall: float
) -> None:
    """This run's share of the worker's counts (a shelf's worker counts across books), and its totals."""
    stats.rendered, stats.retried = now.rendered - before.rendered, now.retried - before.retried
    stats.failed = now.failed - before.failed
    stats.reused += now.reused - before.reused
    stats.audio_seconds = round(sum(c.duration for c in chapters), 2)
    stats.wall_seconds = round(wall, 2)


__all__ = ["parse_chapters", "plan_book", "render_book"]
