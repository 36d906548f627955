"""`render words BOOK`: the words the engine has to guess, as a lexicon to fill in and a page to listen to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import defaults as D


def words(
    book: Annotated[
        Path, typer.Argument(help="The book: .epub, .txt or .md.", show_default=False, readable=False)
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder [default: out/<book>-words].")
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help=f"The engine whose guesses to list: {', '.join(D.ENGINES)} [default: {D.ENGINE}]."),
    ] = None,
    voice: Annotated[str | None, typer.Option(help=f"hibari voice [default: {D.HIBARI_VOICE}].")] = None,
    chapters: Annotated[str | None, typer.Option(help="Only these chapters, e.g. 1-3,7.")] = None,
    config: Annotated[Path | None, typer.Option(help="A TOML config file.", readable=False)] = None,
    lexicon: Annotated[
        list[Path] | None, typer.Option(help="Extra lexicon (TOML); repeatable.", readable=False)
    ] = None,
    players: Annotated[
        int,
        typer.Option(
            help="Players on the page: the most heard words each get one, spoken in "
            "a segment of the book by the real engine.",
            min=0,
        ),
    ] = D.WORDS_PLAYERS,
    cache_dir: Annotated[Path | None, typer.Option(help="Segment cache folder.")] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the segment cache.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """List every word of BOOK the engine has to guess (hibari: words outside its dictionaries; Soprano: rare
    words and names), with counts, chapters, context and how it is said now, most heard first: a lexicon
    to fill in (<book>.lexicon.toml, every entry commented out) and a page with players (words.html).

    Example:

      render words book.epub --out out/book-words
    """
    from .render_cmd import _load_config, _one_line_errors, _overrides, _setup_logging

    _setup_logging(debug, quiet)
    with _one_line_errors(debug):
        if engine is not None and engine not in D.ENGINES:
            from ..errors import UsageError

            raise UsageError(f"--engine: unknown engine '{engine}'; choose from {', '.join(D.ENGINES)}")
        options = _overrides(
            engine=engine,
            voice=voice,
            lexicon=[str(p) for p in lexicon] if lexicon else None,
            cache_dir=str(cache_dir) if cache_dir else None,
            no_cache=False if no_cache else None,
        )
        cfg = _load_config(config, options)
        _check_voice(cfg, voice is not None)
        from ..narrator.words import render_words

        result = render_words(book, out, cfg, players, chapters)
    if not quiet:
        top = ", ".join(f"{w.word} ({w.count})" for w in result.words[:8])
        typer.echo(f"render: {len(result.words)} words to check{': ' + top if top else ''}", err=True)
        typer.echo(
            f"render: lexicon to fill in: {result.lexicon_file} (save it as "
            f"{Path(book).with_name(Path(book).stem + D.BOOK_LEXICON_SUFFIX)} to use it)",
            err=True,
        )
        typer.echo(
            f"render: page: {result.page} ({result.players} players)"
            + (f"; {result.note}" if result.note.startswith("No players") else ""),
            err=True,
        )


def _check_voice(cfg, given: bool) -> None:
    """An unknown hibari voice is bad usage, named by its option (as `render` does)."""
    from ..synthesize import choose_engine

    if choose_engine(cfg.engine)[0] != "hibari":
        return
    from hibari.voices import VOICES

    from ..errors import UsageError

    if cfg.engine.voice not in VOICES:
        where = "--voice" if given else "config 'engine.voice'"
        raise UsageError(
            f"{where}: unknown hibari voice '{cfg.engine.voice}'; choose from {', '.join(sorted(VOICES))}"
        )
