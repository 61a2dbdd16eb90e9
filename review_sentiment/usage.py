"""One-line usage errors for the project's command lines (the CLI and the training container).

Click prints a usage error as a usage line, a hint and a framed message. A user's mistake gets one line
here instead, saying what was wrong and where the help is:

    error: Missing option '--model-kind'; see `python -m review_sentiment.cli train --help`

Use `OneLineGroup` as a Typer app's `cls`, `OneLineCommand` as a single command's `cls`. Exit codes are
Click's: 2 for a usage error, the command's own code otherwise.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperCommand, TyperGroup

# Typer raises the exceptions of the Click it is built on (its own copy in recent versions): take them
# from there rather than from the `click` package.
_click = sys.modules[typer.BadParameter.__module__]
_NoArgsIsHelp = getattr(_click, "NoArgsIsHelpError", ())


class _OneLineErrors:
    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NoArgsIsHelp as exc:  # no arguments at all: the help itself, not an error
            exc.show()
            code = 0
        except _click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else (prog_name or "the command")
            message = " ".join(exc.format_message().split()).rstrip(".")
            typer.echo(f"error: {message}; see `{where} --help`", err=True)
            code = exc.exit_code
        except _click.ClickException as exc:
            typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo("aborted", err=True)
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


class OneLineGroup(_OneLineErrors, TyperGroup):
    """A Typer group whose usage errors are one line."""


class OneLineCommand(_OneLineErrors, TyperCommand):
    """A single Typer command whose usage errors are one line."""
