"""The `render` command line. Heavy modules load inside the command, so `render --help` is instant."""

from __future__ import annotations

from typing import cast

import typer

from .render_cmd import render

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(render)


def main() -> None:
    """The console script: click's usage errors (an unknown option, a value that is not a number) become
    our one line and exit 2, like every other error a user can cause."""
    import sys

    # typer vendors click; its UsageError is the base of BadParameter, NoSuchOption, MissingParameter...
    usage_error = cast(
        "type[typer.BadParameter]", next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    )
    try:
        code = app(standalone_mode=False)
    except usage_error as e:
        typer.echo(f"render: error: {e.format_message()} (see render --help)", err=True)
        sys.exit(e.exit_code)
    except typer.Abort:
        typer.echo("render: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
