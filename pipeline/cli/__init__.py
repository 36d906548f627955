"""The `render` command line. Heavy modules load inside the command, so `render --help` is instant."""
from __future__ import annotations

import typer

from .render_cmd import render

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]})
app.command()(render)


def main() -> None:
    app()
