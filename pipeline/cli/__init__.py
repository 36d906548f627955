"""The `render` command line. Heavy modules load inside the command, so `render --help` is instant."""

from __future__ import annotations

from typing import cast

import typer

from .render_cmd import render
from .words_cmd import words

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(render)
# `render words BOOK`: its own command. `render BOOK` stays the one command it was (a book path is never a
# subcommand name), so "words" as the first argument is the subcommand unless a file or folder of that name
# is here: then it is a book, as before (`render ./words` always is).
words_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
words_app.command()(words)


def _pick(args: list[str]) -> tuple[typer.Typer, list[str], str]:
    """The app a command line is for: (app, its arguments, program name)."""
    import os

    if args and args[0] == "words" and not os.path.lexists("words"):
        return words_app, args[1:], "render words"
    return app, args, "render"


def main() -> None:
    """The console script: click's usage errors (an unknown option, a value that is not a number) become
    our one line and exit 2, like every other error a user can cause."""
    import sys

    # typer vendors click; its UsageError is the base of BadParameter, NoSuchOption, MissingParameter...
    usage_error = cast(
        "type[typer.BadParameter]", next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    )
    target, args, prog = _pick(sys.argv[1:])
    try:
        code = target(args=args, prog_name=prog, standalone_mode=False)
    except usage_error as e:
        typer.echo(f"render: error: {e.format_message()} (see {prog} --help)", err=True)
        sys.exit(e.exit_code)
    except typer.Abort:
        typer.echo("render: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
