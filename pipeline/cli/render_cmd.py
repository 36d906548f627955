"""`render BOOK --out DIR`: one command, every option; its docstring is the help text."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .. import defaults as D
from ..errors import EXIT_INTERNAL, RenderError, UsageError

log = logging.getLogger("pipeline")


def _setup_logging(debug: bool, quiet: bool) -> None:
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("render: %(message)s"))
    root = logging.getLogger("pipeline")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _print_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("render-audiobooks")
    except PackageNotFoundError:
        v = "unknown (not installed)"
    typer.echo(f"render {v} (Python {sys.version.split()[0]})")
    raise typer.Exit(0)


# the options that set a config key; the option's flag is its parameter's name (--model-path, --no-cache), so
# a bad value is reported against the flag the user typed
OPTION_KEYS = {
    "engine": "engine.name",
    "voice": "engine.voice",
    "speed": "engine.speed",
    "model_path": "engine.model_path",
    "batch_size": "engine.batch_size",
    "threads": "engine.threads",
    "format": "output.formats",
    "include_front_matter": "text.include_front_matter",
    "lexicon": "text.lexicon",
    "cache_dir": "cache.dir",
    "no_cache": "cache.enabled",
    "qc": "validate.qc",
    "strict": "validate.strict",
    "loudness": "output.loudness",
    "layout": "output.layout",
    "executor": "run.executor",
    "ray_address": "run.ray_address",
}


def _overrides(**options: object) -> dict:
    """Options (by parameter name, as OPTION_KEYS names them) to a nested config dict; None means "not given"
    and leaves the config's value."""
    out: dict = {}
    for name, value in options.items():
        if value is not None:
            section, key = OPTION_KEYS[name].split(".", 1)
            out.setdefault(section, {})[key] = value
    return out


def _load_config(config: Path | None, overrides: dict):
    """The config from the file and the options; a bad option value is named by its flag, not its config key."""
    from ..config import load_config
    from ..errors import ConfigError

    try:
        return load_config(config, overrides)
    except ConfigError as e:
        given = {f"{section}.{key}" for section, keys in overrides.items() for key in keys}
        flag = next(
            (f"--{name.replace('_', '-')}" for name, key in OPTION_KEYS.items() if key == e.key), None
        )
        if flag is not None and e.key in given:
            raise UsageError(f"{flag}: {e.reason[0].lower()}{e.reason[1:]}") from None
        raise


class Formats(list):
    """The type of --format's value: a list of format names (typer calls `_formats` to parse it)."""


def _formats(value: str) -> Formats:
    """--format's value: formats separated by commas, each one of FORMAT_CHOICES."""
    formats = Formats(f.strip().lower() for f in value.split(",") if f.strip())
    bad = [f for f in formats if f not in D.FORMAT_CHOICES]
    if bad or not formats:
        raise typer.BadParameter(
            f"unknown format '{','.join(bad) or value}'; choose from {', '.join(D.FORMAT_CHOICES)}"
        )
    return formats


def _preflight(cfg, voice_given: bool = False) -> None:
    """Optional features this run needs, checked before any work starts (one line, the install command);
    and the voice, which only the engine knows (a bad one is bad usage, named by its option)."""
    import importlib

    from ..errors import EngineError
    from ..synthesize import choose_engine

    needs = []
    if cfg.validate_.qc == "asr":
        needs.append(("pocketsphinx", "--qc asr", "asr"))
    if cfg.run.executor == "ray":
        needs.append(("ray", "--executor ray", "ray"))
    engine = choose_engine(cfg.engine)[0]
    if engine == "soprano":
        feature = "--engine soprano" if cfg.engine.name == "soprano" else "Soprano (its weights were found)"
        needs.append(("torch", feature, "soprano"))
        if cfg.engine.backend == "lmdeploy":
            needs.append(("lmdeploy", "Soprano's lmdeploy backend", "gpu"))
    elif engine == "hibari":
        try:
            from hibari.voices import VOICES
        except ImportError:
            VOICES = None  # the engine's own load says what to install
        if VOICES is not None and cfg.engine.voice not in VOICES:
            where = "--voice" if voice_given else "config 'engine.voice'"
            raise UsageError(
                f"{where}: unknown hibari voice '{cfg.engine.voice}'; choose from {', '.join(sorted(VOICES))}"
            )
    for module, feature, extra in needs:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise EngineError(
                f"{feature} needs {module} ({e}); install with: pip install -e '.[{extra}]'"
            ) from e


# Over 80 lines only by its signature: every option is one Annotated parameter, typer's way of declaring them;
# the body below the docstring is short and hands each mode to its own function.
def render(
    books: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Books: .epub, .txt, .md, .pdf, .docx, .html, .fb2, .mobi, .azw3 (others through Calibre) files, "
            "folders (searched recursively) or globs. One file renders into "
            "--out; several, or a folder, render a shelf into --out/<author-title>/.",
            show_default=False,
            readable=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: out/<book name>).")
    ] = None,
    engine: Annotated[
        D.Engine | None,
        typer.Option(
            help=f"TTS engine [default: {D.ENGINE}]; "
            "auto picks Soprano when its weights are found, hibari otherwise."
        ),
    ] = None,
    chapters: Annotated[
        str | None, typer.Option(help="Chapters to render, e.g. 1-3,7 (numbers as --dry-run lists them).")
    ] = None,
    format: Annotated[
        Formats | None,
        typer.Option(
            "--format",
            "-f",
            parser=_formats,
            metavar="FORMATS",
            help=f"Output formats, comma-separated: {', '.join(D.FORMAT_CHOICES)} [default: {','.join(D.FORMATS)}].",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="A TOML config file (see configs/default.toml).", readable=False)
    ] = None,
    voice: Annotated[
        str | None,
        typer.Option(
            help=f"Engine voice (hibari: heart, emma, fenrir, fable, kore) [default: {D.HIBARI_VOICE}]."
        ),
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help=f"Speaking speed, 0.5-2.0 (hibari) [default: {D.HIBARI_SPEED}].")
    ] = None,
    model_path: Annotated[
        str | None, typer.Option(help="Soprano weights folder (or SOPRANO_MODEL_PATH).")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            help=f"Segments per engine batch [default: the engine's own, hibari {D.HIBARI_BATCH_SIZE}, Soprano {D.SOPRANO_BATCH_SIZE}]."
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help=f"Engine threads [default: {D.HIBARI_THREADS}].")
    ] = None,
    lexicon: Annotated[
        list[Path] | None,
        typer.Option(help="Extra pronunciation lexicon (TOML); repeatable.", readable=False),
    ] = None,
    include_front_matter: Annotated[
        bool | None,
        typer.Option("--include-front-matter", help="Also read title page, imprint, colophon and the like."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Segment cache folder [default: RENDER_CACHE_DIR or ~/.cache/render/segments]."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the segment cache.")
    ] = False,
    qc: Annotated[
        D.QcCheck | None,
        typer.Option(
            help=f"Extra quality check; asr transcribes each segment (pocketsphinx) and re-renders those whose word error rate is over validate.asr_wer_max [default: {D.QC}]."
        ),
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option("--strict", help="Exit 4 when any segment still fails its checks after every attempt."),
    ] = None,
    loudness: Annotated[
        D.LoudnessPreset | None,
        typer.Option(
            help=f"Loudness preset: acx (RMS {D.TARGET_RMS_DB:g} dB, peak {D.PEAK_CEILING_DB:g} dBFS) or ebu (R128, {D.TARGET_LUFS:g} LUFS) [default: {D.LOUDNESS_PRESET}]."
        ),
    ] = None,
    layout: Annotated[
        D.Layout | None,
        typer.Option(
            help=f"Folder layout; audiobookshelf puts the M4B, read-along EPUB, cover and metadata.json in <out>/Author/[Series/]Title/ and the chapter files in <out>/.render/ [default: {D.LAYOUT}]."
        ),
    ] = None,
    executor: Annotated[
        D.Executor | None, typer.Option(help=f"Where segments are synthesized [default: {D.EXECUTOR}].")
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster address for --executor ray (or RAY_ADDRESS; default: a local Ray instance)."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the plan (chapters, segments, duration) without loading a model."
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --dry-run: print the plan as one JSON document.")
    ] = False,
    normalize: Annotated[
        str | None,
        typer.Option("--normalize", help="Print the normalized text of TEXT ('-' reads stdin) and exit."),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="With --normalize: after each paragraph, one line per rewrite: the span, the rule, the reading.",
        ),
    ] = False,
    retake: Annotated[
        str | None,
        typer.Option(
            help="Render these segments again with a new seed, or ID@SEED for a given one (IDs as report.html shows them: 002-00005,002-00007@42); the rest of their chapters stays bit-identical."
        ),
    ] = None,
    sample: Annotated[
        float | None,
        typer.Option(
            help="Render only a sample of each book: the first chapter's first SECONDS of speech, cut at a segment end, to <out>/<author-title> - sample.<format> (default out/samples).",
            metavar="SECONDS",
        ),
    ] = None,
    voices: Annotated[
        bool,
        typer.Option(
            "--voices",
            help="List each engine's voices and render one sentence in each voice available here (to --out, default out/voices).",
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bar.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            is_eager=True,
            callback=lambda v: _print_version() if v else None,
        ),
    ] = False,
) -> None:
    """Render a book (EPUB, PDF, Word, HTML, FB2, Kindle or text) to finished audio: one file per chapter plus a manifest.

    Examples:

      render book.epub --out out/book

      render book.epub --dry-run

      echo "On 3 May 1859 Dr. Smith paid $3.50." | render --normalize -
    """
    _setup_logging(debug, quiet)
    from ..interrupt import install

    install()  # Ctrl-C and SIGTERM stop within a second or two (pipeline.interrupt)
    overrides = _overrides(
        engine=engine,
        voice=voice,
        speed=speed,
        model_path=model_path,
        batch_size=batch_size,
        threads=threads,
        format=format,
        include_front_matter=include_front_matter,
        lexicon=[str(p) for p in lexicon] if lexicon else None,
        cache_dir=str(cache_dir) if cache_dir else None,
        no_cache=False if no_cache else None,
        qc=qc,
        strict=strict,
        loudness=loudness,
        layout=layout,
        executor=executor,
        ray_address=ray_address,
    )
    with _one_line_errors(debug):
        cfg = _load_config(config, overrides)
        if normalize is not None:
            _print_normalized(normalize, cfg, explain)
        elif voices or sample is not None or retake is not None:  # the narrator's pass (pipeline.narrator)
            _narrator(books, out, cfg, chapters, quiet, retake, sample, voices, dry_run, voice is not None)
        elif not books:
            raise UsageError("no book given; usage: render BOOK.epub --out DIR (see render --help)")
        elif len(books) > 1 or books[0].is_dir() or any(ch in str(books[0]) for ch in "*?["):
            if dry_run:
                raise UsageError("--dry-run takes one book")
            _preflight(cfg, voice_given=voice is not None)
            _render_shelf(books, out, cfg, chapters, quiet)
        elif dry_run:
            _print_plan(books[0], cfg, chapters, as_json)
        else:
            _preflight(cfg, voice_given=voice is not None)
            _render_one(books[0], out, cfg, chapters, quiet)


@contextmanager
def _one_line_errors(debug: bool) -> Iterator[None]:
    """Every error a user can cause as one line on stderr and its exit code (README); a bug as one line too,
    and its traceback with --debug."""
    try:
        yield
    except RenderError as e:
        if debug:
            raise
        typer.echo(f"render: error: {e}", err=True)
        raise typer.Exit(e.exit_code) from None
    except BrokenPipeError:  # `render book.epub --dry-run | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        from ..interrupt import exit_code, leave_now, stopping

        typer.echo("render: interrupted; run the same command again to resume", err=True)
        if stopping():
            leave_now()  # a signal: everything is written or dropped; skip seconds of interpreter teardown
        raise typer.Exit(exit_code()) from None
    except typer.Exit:
        raise
    except Exception as e:  # a bug, not bad input: one line, and --debug for the traceback
        if debug:
            raise
        typer.echo(
            f"render: internal error: {type(e).__name__}: {e} (run again with --debug and report it)",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def _print_normalized(text: str, cfg, explain: bool) -> None:
    """`--normalize TEXT` ('-': stdin): each paragraph as the engine will read it; with `explain`, one line
    per rewrite under it (the span, the rule, the reading)."""
    from ..ingest.text import decode_text
    from ..normalize import explain as explained
    from ..normalize import load_lexicon
    from ..normalize import normalize as norm

    if text == "-":
        text = decode_text(sys.stdin.buffer.read(), "stdin")
    lex = load_lexicon(cfg.text.lexicon)
    try:
        for para in re.split(r"\n[ \t]*\n", text):
            if not para.strip():
                continue
            if explain:
                said, rewrites = explained(para, lex)
                sys.stdout.write(said + "\n")
                for span, rule, reading in rewrites:
                    sys.stdout.write(f"  {span!r:<28} {rule:<28} -> {reading}\n")
            else:
                sys.stdout.write(norm(para, lex) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `render --normalize - | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_plan(book: Path, cfg, chapters: str | None, as_json: bool) -> None:
    """`--dry-run`: the plan (chapters, segments, estimated duration) without loading a model."""
    from ..plan import plan_book
    from ..serialize import plan_json
    from ..synthesize import choose_engine

    name, why = choose_engine(cfg.engine)
    plan = plan_book(book, cfg, chapters, name)
    if as_json:
        doc = plan_json(plan)
        doc["engine"] = {"name": name, "why": why}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return
    typer.echo(f"{plan.book.title} by {plan.book.author or 'unknown author'}")
    typer.echo(f"engine: {name} ({why})")
    for c in plan.chapters:
        segs = plan.segments[c.index]
        est = plan.chapter_seconds(c.index)
        indent = "  " * c.level
        typer.echo(
            f"  {c.index:3d}  {indent}{c.display_title[:70]:<70}  {len(segs):5d} segments  {est / 60:6.1f} min"
        )
    n = sum(len(s) for s in plan.segments.values())
    k = len(plan.chapters)
    typer.echo(
        f"{k} chapter{'s' * (k != 1)}, {n} segment{'s' * (n != 1)}, about {plan.est_seconds / 3600:.2f} h of audio"
    )


def _narrator(
    books,
    out,
    cfg,
    chapters,
    quiet: bool,
    retake: str | None,
    sample: float | None,
    voices: bool,
    dry_run: bool,
    voice_given: bool,
) -> None:
    """--voices, --sample SECONDS, --retake IDS (see README, "The narrator's pass")."""
    if voices:
        from ..narrator.voices import render_voices

        render_voices(cfg, out, quiet)
        return
    if not books:
        raise UsageError("no book given; usage: render BOOK.epub --out DIR (see render --help)")
    if retake is not None and (dry_run or sample is not None or len(books) > 1 or books[0].is_dir()):
        raise UsageError("--retake takes one book and a render (not --dry-run, --sample or a shelf)")
    if dry_run:
        raise UsageError("--sample renders; leave --dry-run out")
    _preflight(cfg, voice_given=voice_given)
    if sample is not None:
        from ..narrator.sample import render_samples

        render_samples(books, out, cfg, sample, quiet)
        return
    from ..narrator.takes import parse_retake

    _render_one(books[0], out, cfg, chapters, quiet, parse_retake(retake or ""))


def _render_one(
    book: Path,
    out: Path | None,
    cfg,
    chapters: str | None,
    quiet: bool,
    retake: list[tuple[str, int | None]] | None = None,
) -> None:
    """One book into `out` (default out/<book name>), then the closing lines; --strict's exit."""
    from ..render import render_book
    from .progress import BookBars

    if out is None:
        from ..export.names import safe_name

        out = Path("out") / safe_name(Path(book).stem)
    manifest = render_book(book, out, cfg, chapters, progress=None if quiet else BookBars(), retake=retake)
    if not quiet:
        typer.echo(run_summary(manifest, out), err=True)
    if manifest.library_folder and not quiet:
        typer.echo(f"render: book folder for Audiobookshelf: {manifest.library_folder}", err=True)
    report_path = _work_folder(manifest, Path(out), book) / D.REPORT_NAME
    if report_path.is_file():
        from ..records import Report
        from ..report import summary
        from ..serialize import from_json

        report = from_json(Report, json.loads(report_path.read_text(encoding="utf-8")))
        failing = report.summary.still_failing
        if not quiet or failing:
            typer.echo(summary(report), err=True)
        if cfg.validate_.strict and failing:
            from ..errors import StrictFailure

            raise StrictFailure(
                f"{failing} segments still failing their checks (--strict); see {report_path}"
            )


def _work_folder(manifest, out: Path, book: Path) -> Path:
    """Where the render wrote its reports: `out`, or in the Audiobookshelf layout `out/.render/<slug>`."""
    if not manifest.library_folder:
        return out
    from ..export.names import book_folder_name
    from ..layout import work_folder

    return work_folder(out, book_folder_name(manifest.book.title, manifest.book.authors, book))


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    out: list[str] = []
    for n in numbers:
        if out and n == int(out[-1].split("-")[-1]) + 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def run_summary(manifest, out: Path) -> str:
    """The line after a render (`manifest`: the `Manifest` it returned): what the folder now holds and what
    this run did to get there."""
    st = manifest.stats
    n = len(manifest.chapters)
    made = [f"{st.chapters_rendered} rendered"]
    if st.chapters_reencoded:
        made.append(f"{st.chapters_reencoded} re-encoded from the cache")
    made.append(f"{st.chapters_reused} reused as they were")
    if st.retaken:
        made.append(f"{st.retaken} segment{'s' * (st.retaken != 1)} retaken")
    line = (
        f"render: {out} holds {n} chapter{'s' * (n != 1)} ({st.audio_seconds / 60:.1f} min of audio); this "
        f"run: {', '.join(made)} in {st.wall_seconds:.0f} s; {st.rendered} segments synthesized, "
        f"{st.reused} reused, {st.failed} still failing"
    )
    if st.chapters_missing:
        line += f"; not rendered yet: chapter{'s' * (len(st.chapters_missing) > 1)} {_ranges(st.chapters_missing)}"
    return line


def _render_shelf(books: list[Path], out: Path | None, cfg, chapters: str | None, quiet: bool) -> None:
    """Several books, or a folder: each into its own folder under `out`, then the shelf's closing lines."""
    from ..errors import EXIT_PARTIAL
    from ..shelf import render_shelf
    from .progress import ShelfBars

    if out is None:
        raise UsageError("a shelf of books needs --out DIR (each book gets its own subfolder)")
    summary = render_shelf(books, out, cfg, chapters, progress=None if quiet else ShelfBars())
    typer.echo(
        f"render: {summary.done} books rendered, {summary.unchanged} unchanged, "
        f"{summary.failed} failed; {summary.audio_hours:.2f} h of audio in "
        f"{summary.wall_seconds:.0f} s ({summary.x_real_time:.0f}x real time); see {out}/{D.SHELF_SUMMARY_NAME}",
        err=True,
    )
    for b in summary.books:
        if b.status == "failed":
            typer.echo(f"render: failed: {b.reason}", err=True)
    if summary.failed:
        raise typer.Exit(EXIT_PARTIAL)
