"""The ``annotate`` command line: parse, call the library, print.

User errors (the project's AnnotateError types, bad options) print one line on
stderr and exit with code 2, never a traceback. ``--data-dir`` and ``--db``
work before or after the sub-command name.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import AnnotateError
from .common import AppContext, data_options, open_store, pass_app
from .core_cmds import export_cmd, import_cmd, info_cmd, list_cmd

__all__ = ["LAZY_COMMANDS", "LazyGroup", "cli", "load_command", "main", "AppContext", "data_options", "open_store", "pass_app"]


# Commands whose modules import the heavy layers (PyAV encoders, pandas, the maps), as name ->
# ("module:function", help line). :class:`LazyGroup` imports a module the first time one of its commands is
# run or asked for its own help, so `annotate --help` and the core commands do not pay for them (start-up must
# stay under 0.3 s, see bench/startup.py). The help line is the command's docstring's first sentence, written
# here so the listing needs no import (a test checks the two agree).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("annotate.cli.add_cmds:add_cmd",
            "Register recordings (a VIDEO may be a folder: every video under it); prints each one's id, path and title."),
    "serve": ("annotate.cli.serve_cmds:serve_cmd", "Start the browser app on this data directory."),
    "render": ("annotate.cli.render_cmds:render_cmd",
               "Write the overlay video: the recording with every event flashed, captioned and on a timeline."),
    "clip": ("annotate.cli.render_cmds:clip_cmd",
             "Write a frame-exact clip around one time, with the overlay by default."),
    "reel": ("annotate.cli.render_cmds:reel_cmd",
             "Write a highlight reel: every matching event's clip in time order, each after a title card."),
    "map": ("annotate.cli.maps_cmds:map_cmd",
            "Draw one recording's process-activity map (swimlanes by actor, stages, waits, emotion)."),
    "flow": ("annotate.cli.maps_cmds:flow_cmd",
             "Draw the flow map (which activity directly follows which) across recordings."),
    "metrics": ("annotate.cli.maps_cmds:metrics_cmd",
                "Compute the 15 diagnostics metrics (see docs/metrics.md) per recording, stage or kind."),
    "user": ("annotate.cli.user_cmds:user_cmd",
             "Manage the accounts that sign in to the app (annotate serve --auth local)."),
    "worker": ("annotate.cli.jobs_cmds:worker_cmd",
               "Run queued jobs (proxies, overlays, clips, reels) until stopped; start one on every machine that helps."),
    "jobs": ("annotate.cli.jobs_cmds:jobs_cmd",
             "List the jobs on the queue: id, kind, recording, state, progress, worker and error."),
    "suggest": ("annotate.cli.suggest_cmds:suggest_cmd",
                "List a recording's suggested moments (screen changes, holds, silences, speech), finding them first if needed."),
    "agreement": ("annotate.cli.agreement_cmds:agreement_cmd",
                  "Measure how well two coders agree: matched events per kind, F1, kappa over time slices."),
    "assign": ("annotate.cli.agreement_cmds:assign_cmd",
               "Assign recordings to reviewers (two or more code blind), or move their assignments' status."),
    "assignments": ("annotate.cli.agreement_cmds:assignments_cmd",
                    "List who codes which recording and how far each is (new, in review, submitted, approved, "
                    "returned)."),
    "consensus": ("annotate.cli.agreement_cmds:consensus_cmd",
                  "Settle two coders' sets into the recording's events: A's for matched pairs unless --decisions says "
                  "otherwise."),
    "comment": ("annotate.cli.comment_cmds:comment_cmd",
                "Comment on a recording, one of its events or a moment of it; @name puts it in that name's inbox."),
    "comments": ("annotate.cli.comment_cmds:comments_cmd",
                 "List a recording's comments, oldest first, with their time, event and author."),
    "inbox": ("annotate.cli.comment_cmds:inbox_cmd",
              "List the comments that mention NAME (@login), newest first; --read marks them read."),
    "transcript": ("annotate.cli.transcript_cmds:transcript_cmd",
                   "Import, export and search the transcripts of recordings (WebVTT, SRT, with speakers)."),
    "transcribe": ("annotate.cli.transcript_cmds:transcribe_cmd",
                   "Transcribe a recording's speech offline (faster-whisper) into its transcript, as a queued job."),
}


def load_command(target: str) -> click.Command:
    """Return the click command ``target`` ("module:function") names, importing its module."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class LazyGroup(click.Group):
    """A click group that lists :data:`LAZY_COMMANDS` by their help lines and imports one when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            command = load_command(LAZY_COMMANDS[name][0])
            self.add_command(command, name=name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name not in self.commands and name in LAZY_COMMANDS:
                rows.append((name, click.Command(name, help=LAZY_COMMANDS[name][1]).get_short_help_str(limit)))
            else:
                rows.append((name, self.get_command(ctx, name).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@data_options
@click.version_option(__version__, prog_name="annotate")
def cli() -> None:
    """Annotate recorded customer experiences: Moments of Truth (MOT, red),
    Internal Interactions (INT, blue) and Decision Points (DEC, green)."""


for _command in (info_cmd, list_cmd, import_cmd, export_cmd):
    cli.add_command(_command)


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
