"""`render BOOK --out DIR`: one command, every option; its docstring is the help text."""
from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

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


# config keys the command line sets, so a bad value is reported against the option the user typed
FLAGS = {"engine.name": "--engine", "engine.voice": "--voice", "engine.speed": "--speed",
         "engine.model_path": "--model-path", "engine.batch_size": "--batch-size", "engine.threads": "--threads",
         "output.formats": "--format", "text.include_front_matter": "--include-front-matter",
         "text.lexicon": "--lexicon", "cache.dir": "--cache-dir", "cache.enabled": "--no-cache",
         "validate.qc": "--qc", "validate.strict": "--strict", "output.loudness": "--loudness", "output.layout": "--layout",
         "run.executor": "--executor", "run.ray_address": "--ray-address"}


def _load_config(config, overrides: dict):
    """The config from the file and the flags; a bad flag value is named by its flag, not its config key."""
    from ..config import load_config
    from ..errors import ConfigError
    try:
        return load_config(config, overrides)
    except ConfigError as e:
        m = re.match(r"^config: '([\w.]+)': (.*)$", str(e))
        given = {f"{sec}.{key}" for sec, keys in overrides.items() for key in keys}
        if m and m.group(1) in FLAGS and m.group(1) in given:
            raise UsageError(f"{FLAGS[m.group(1)]}: {m.group(2)[0].lower()}{m.group(2)[1:]}") from None
        raise


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
            VOICES = None                      # the engine's own load says what to install
        if VOICES is not None and cfg.engine.voice not in VOICES:
            where = "--voice" if voice_given else "config 'engine.voice'"
            raise UsageError(f"{where}: unknown hibari voice '{cfg.engine.voice}'; choose from "
                             f"{', '.join(sorted(VOICES))}")
    for module, feature, extra in needs:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise EngineError(f"{feature} needs {module} ({e}); install with: pip install -e '.[{extra}]'") from e


def _overrides(**kw) -> dict:
    """CLI flags to a nested config dict; None means "not given" and leaves the config's value."""
    out: dict = {}
    for dotted, value in kw.items():
        if value is None:
            continue
        section, key = dotted.split("__", 1)
        out.setdefault(section, {})[key] = value
    return out


def render(
    books: Annotated[Optional[list[Path]], typer.Argument(
        help="Books: .epub, .txt, .md, .docx, .html, .fb2, .mobi, .azw3 (others through Calibre) files, folders (searched recursively) or globs. One file renders into "
             "--out; several, or a folder, render a shelf into --out/<author-title>/.", show_default=False, readable=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder (default: out/<book name>).")] = None,
    engine: Annotated[Optional[str], typer.Option(help=f"TTS engine: {', '.join(D.ENGINES)} [default: {D.ENGINE}]; "
                                                  "auto picks Soprano when its weights are found, hibari otherwise.")] = None,
    chapters: Annotated[Optional[str], typer.Option(help="Chapters to render, e.g. 1-3,7 (numbers as --dry-run lists them).")] = None,
    format: Annotated[Optional[str], typer.Option("--format", "-f", help=f"Output formats, comma-separated: {', '.join(D.FORMAT_CHOICES)} [default: {','.join(D.FORMATS)}].")] = None,
    config: Annotated[Optional[Path], typer.Option(help="A TOML config file (see configs/default.toml).", readable=False)] = None,
    voice: Annotated[Optional[str], typer.Option(help=f"Engine voice (hibari: heart, emma, fenrir, fable, kore) [default: {D.HIBARI_VOICE}].")] = None,
    speed: Annotated[Optional[float], typer.Option(help=f"Speaking speed, 0.5-2.0 (hibari) [default: {D.HIBARI_SPEED}].")] = None,
    model_path: Annotated[Optional[str], typer.Option(help="Soprano weights folder (or SOPRANO_MODEL_PATH).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help=f"Segments per engine batch [default: the engine's own, hibari {D.HIBARI_BATCH_SIZE}, Soprano {D.SOPRANO_BATCH_SIZE}].")] = None,
    threads: Annotated[Optional[int], typer.Option(help=f"Engine threads [default: {D.HIBARI_THREADS}].")] = None,
    lexicon: Annotated[Optional[list[Path]], typer.Option(help="Extra pronunciation lexicon (TOML); repeatable.", readable=False)] = None,
    include_front_matter: Annotated[Optional[bool], typer.Option("--include-front-matter", help="Also read title page, imprint, colophon and the like.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option(help="Segment cache folder [default: RENDER_CACHE_DIR or ~/.cache/render/segments].")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the segment cache.")] = False,
    qc: Annotated[Optional[str], typer.Option(help=f"Extra quality check: {', '.join(D.QC_CHOICES)}; asr transcribes each segment (pocketsphinx) and re-renders those whose word error rate is over validate.asr_wer_max [default: {D.QC}].")] = None,
    strict: Annotated[Optional[bool], typer.Option("--strict", help="Exit 4 when any segment still fails its checks after every attempt.")] = None,
    loudness: Annotated[Optional[str], typer.Option(help=f"Loudness preset: acx (RMS {D.TARGET_RMS_DB:g} dB, peak {D.PEAK_CEILING_DB:g} dBFS) or ebu (R128, {D.TARGET_LUFS:g} LUFS) [default: {D.LOUDNESS_PRESET}].")] = None,
    layout: Annotated[Optional[str], typer.Option(help=f"Folder layout: {', '.join(D.LAYOUTS)}; audiobookshelf puts the M4B, read-along EPUB, cover and metadata.json in <out>/Author/[Series/]Title/ and the chapter files in <out>/.render/ [default: {D.LAYOUT}].")] = None,
    executor: Annotated[Optional[str], typer.Option(help=f"Where segments are synthesized: {', '.join(D.EXECUTORS)} [default: {D.EXECUTOR}].")] = None,
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster address for --executor ray (or RAY_ADDRESS; default: a local Ray instance).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (chapters, segments, duration) without loading a model.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --dry-run: print the plan as one JSON document.")] = False,
    normalize: Annotated[Optional[str], typer.Option("--normalize", help="Print the normalized text of TEXT ('-' reads stdin) and exit.")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="With --normalize: after each paragraph, one line per rewrite: the span, the rule, the reading.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors; no progress bar.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=lambda v: _print_version() if v else None)] = False,
) -> None:
    """Render a book (EPUB or plain text) to finished audio: one file per chapter plus a manifest.

    Examples:

      render book.epub --out out/book

      render book.epub --dry-run

      echo "On 3 May 1859 Dr. Smith paid $3.50." | render --normalize -
    """
    options = {k: v for k, v in locals().items() if k not in ("debug", "version")}
    _setup_logging(debug, quiet)
    try:
        _run(**options)
    except RenderError as e:
        if debug:
            raise
        typer.echo(f"render: error: {e}", err=True)
        raise typer.Exit(e.exit_code) from None
    except BrokenPipeError:              # `render book.epub --dry-run | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        typer.echo("render: interrupted; run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as e:  # a bug, not bad input: one line, and --debug for the traceback
        if debug:
            raise
        typer.echo(f"render: internal error: {type(e).__name__}: {e} (run again with --debug and report it)",
                   err=True)
        raise typer.Exit(EXIT_INTERNAL) from None


def _run(*, books, out, engine, chapters, format, config, voice, speed, model_path, batch_size, threads, lexicon,
         include_front_matter, cache_dir, no_cache, executor, ray_address, dry_run, as_json, normalize, quiet,
         qc=None, strict=None, loudness=None, explain=False, layout=None) -> None:
    formats = None
    if format is not None:
        formats = [f.strip().lower() for f in format.split(",") if f.strip()]
        bad = [f for f in formats if f not in D.FORMAT_CHOICES]
        if bad or not formats:
            raise UsageError(f"--format: unknown format '{','.join(bad) or format}'; "
                             f"choose from {', '.join(D.FORMAT_CHOICES)}")
    for flag, what, value, choices in (("--qc", "check", qc, D.QC_CHOICES),
                                       ("--loudness", "preset", loudness, D.LOUDNESS_PRESETS),
                                       ("--layout", "layout", layout, D.LAYOUTS),
                                       ("--executor", "executor", executor, D.EXECUTORS),
                                       ("--engine", "engine", engine, D.ENGINES)):
        if value is not None and value not in choices:
            raise UsageError(f"{flag}: unknown {what} '{value}'; choose from {', '.join(choices)}")
    overrides = _overrides(engine__name=engine, engine__voice=voice, engine__speed=speed,
                           engine__model_path=model_path, engine__batch_size=batch_size, engine__threads=threads,
                           output__formats=formats, text__include_front_matter=include_front_matter,
                           text__lexicon=[str(p) for p in lexicon] if lexicon else None,
                           cache__dir=str(cache_dir) if cache_dir else None, cache__enabled=False if no_cache else None,
                           validate__qc=qc, validate__strict=strict, output__loudness=loudness, output__layout=layout,
                           run__executor=executor, run__ray_address=ray_address)
    cfg = _load_config(config, overrides)

    if normalize is not None:
        from ..normalize import load_lexicon, normalize as norm
        from ..ingest.text import decode_text
        text = decode_text(sys.stdin.buffer.read(), "stdin") if normalize == "-" else normalize
        lex = load_lexicon(cfg.text.lexicon)
        try:
            for para in re.split(r"\n[ \t]*\n", text):
                if not para.strip():
                    continue
                if explain:
                    from ..normalize import explain as explained
                    said, rewrites = explained(para, lex)
                    sys.stdout.write(said + "\n")
                    for span, rule, reading in rewrites:
                        sys.stdout.write(f"  {span!r:<28} {rule:<28} -> {reading}\n")
                else:
                    sys.stdout.write(norm(para, lex) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:        # `render --normalize - | head`: the reader left; that is not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    if not books:
        raise UsageError("no book given; usage: render BOOK.epub --out DIR (see render --help)")
    if not dry_run:
        _preflight(cfg, voice_given=voice is not None)
    if len(books) > 1 or books[0].is_dir() or any(ch in str(books[0]) for ch in "*?["):
        if dry_run:
            raise UsageError("--dry-run takes one book")
        _run_corpus(books, out, cfg, chapters, quiet)
        return
    book = books[0]

    if dry_run:
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
            typer.echo(f"  {c.index:3d}  {indent}{c.title[:70]:<70}  {len(segs):5d} segments  {est / 60:6.1f} min")
        n = sum(len(s) for s in plan.segments.values())
        typer.echo(f"{len(plan.chapters)} chapters, {n} segments, about {plan.est_seconds / 3600:.2f} h of audio")
        return

    from ..render import render_book
    if out is None:
        from ..export.names import safe_name
        out = Path("out") / safe_name(Path(book).stem)
    manifest = render_book(book, out, cfg, chapters, progress=not quiet)
    typer.echo(run_summary(manifest, out), err=True)
    if manifest.library_folder:
        typer.echo(f"render: book folder for Audiobookshelf: {manifest.library_folder}", err=True)
    report_path = Path(out) / D.REPORT_NAME
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
            raise StrictFailure(f"{failing} segments still failing their checks (--strict); see {report_path}")


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
    line = (f"render: {out} holds {n} chapter{'s' * (n != 1)} ({st.audio_seconds / 60:.1f} min of audio); this "
            f"run: {', '.join(made)} in {st.wall_seconds:.0f} s; {st.rendered} segments synthesized, "
            f"{st.reused} reused, {st.failed} still failing")
    if st.chapters_missing:
        line += f"; not rendered yet: chapter{'s' * (len(st.chapters_missing) > 1)} {_ranges(st.chapters_missing)}"
    return line


def _run_corpus(books, out, cfg, chapters, quiet) -> None:
    from ..errors import EXIT_PARTIAL
    from ..shelf import render_shelf
    if out is None:
        raise UsageError("a shelf of books needs --out DIR (each book gets its own subfolder)")
    summary = render_shelf(books, out, cfg, chapters, progress=not quiet)
    typer.echo(f"render: {summary.done} books rendered, {summary.unchanged} unchanged, "
               f"{summary.failed} failed; {summary.audio_hours:.2f} h of audio in "
               f"{summary.wall_seconds:.0f} s ({summary.x_real_time:.0f}x real time); see {out}/{D.SHELF_SUMMARY_NAME}",
               err=True)
    for b in summary.books:
        if b.status == "failed":
            typer.echo(f"render: failed: {b.reason}", err=True)
    if summary.failed:
        raise typer.Exit(EXIT_PARTIAL)
