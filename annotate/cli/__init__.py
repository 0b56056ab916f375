"""The ``annotate`` command line: parse, call the library, print.

User errors (the project's AnnotateError types, bad options) print one line on
stderr and exit with code 2, never a traceback. ``--data-dir`` and ``--db``
work before or after the sub-command name.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import AnnotateError
from .common import AppContext, data_options, open_store, pass_app
from .core_cmds import add_cmd, export_cmd, import_cmd, info_cmd, list_cmd, serve_cmd

__all__ = ["cli", "main", "AppContext", "data_options", "open_store", "pass_app"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@data_options
@click.version_option(__version__, prog_name="annotate")
def cli() -> None:
    """Annotate recorded customer experiences: Moments of Truth (MOT, red),
    Internal Interactions (INT, blue) and Decision Points (DEC, green)."""


for _command in (info_cmd, add_cmd, list_cmd, import_cmd, export_cmd, serve_cmd):
    cli.add_command(_command)


def _register_optional() -> None:
    """Add the command groups of other layers (render, maps) when their modules are present."""
    import importlib

    for module_name, names in (
        ("render_cmds", ("render", "clip", "reel")),
        ("maps_cmds", ("map", "flow", "metrics")),
    ):
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(module_name):
                continue
            raise
        for name in names:
            command = getattr(module, f"{name}_cmd", None) or getattr(module, name, None)
            if isinstance(command, click.Command):
                cli.add_command(command, name=name)


_register_optional()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 2 user error, 130 interrupted)."""
    try:
        cli.main(args=argv, prog_name="annotate", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        return 2
    except AnnotateError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing half-written was kept.", err=True)
        return 130
    return 0


def entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
