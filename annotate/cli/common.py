"""What every CLI command shares: settings, the store, error conversion."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from .. import config
from ..config import Settings
from ..wording import plural  # noqa: F401  (the commands import it from here)


@dataclass
class AppContext:
    """Per-invocation state: where the data lives and a lazily opened store."""

    data_dir: str | None = None
    db: str | None = None
    _store: object | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return config.resolve(self.data_dir, self.db)

    def store(self):
        """Return the Store for these settings, opening (and migrating) it on first use."""
        if self._store is None:
            from ..store import Store

            settings = self.settings.ensure_dirs()
            clean_stale_partials(settings)
            self._store = Store.open(settings)
        return self._store


def clean_stale_partials(settings: Settings) -> list[Path]:
    """Remove the half-written files killed runs left in the data directory; return the removed paths.

    Only our own temporary names are touched (see :func:`annotate.fsutil.stale_partials`).
    """
    from ..fsutil import remove_stale_partials

    return remove_stale_partials(settings.own_dirs)


def import_summary(result) -> str:
    """Return the one-line report of an ImportResult with counts in proper English (``Imported 1 event ...``)."""
    return result.summary()


def output_file(ctx: click.Context, param: click.Parameter, value):
    """Click callback for an output file: refuse (BadParameter) when its folder does not exist; return the value.

    Writers create missing folders; a typo in ``-o`` should not quietly make a new tree. Stale partial files
    an earlier killed run left for this same output (``.<stem>.partial.*``, see annotate.fsutil) are removed.
    """
    if value is None:
        return value
    folder = Path(value).expanduser().parent
    if not folder.is_dir():
        where = folder if str(folder) not in ("", ".") else Path.cwd()
        raise click.BadParameter(f"the folder {where} does not exist; create it first or choose another")
    from ..fsutil import remove_stale_partials

    remove_stale_partials([folder], stem=Path(value).stem)
    return value


def _remember(ctx: click.Context, param: click.Parameter, value):
    if value is not None:
        app = ctx.ensure_object(AppContext)
        setattr(app, param.name, value)
    return value


def data_options(fn):
    """Add ``--data-dir`` and ``--db`` to a command (accepted on the group and on each command)."""
    fn = click.option(
        "--db",
        metavar="URL",
        expose_value=False,
        callback=_remember,
        help="Database URL (default: SQLite file in the data directory; env ANNOTATE_DB).",
    )(fn)
    fn = click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_remember,
        help="Data directory (default ./annotate-data; env ANNOTATE_DATA_DIR).",
    )(fn)
    return fn


def pass_app(fn):
    """Pass the AppContext as the first argument of a command."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(click.get_current_context().ensure_object(AppContext), *args, **kwargs)

    return wrapper


def open_store(app: AppContext | None = None):
    """Return the store of the current invocation."""
    app = app or click.get_current_context().ensure_object(AppContext)
    return app.store()


class progress_bar:
    """A click progress bar fed by ``progress(done, total)`` callbacks; shown only when called."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.done = 0

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0))
        self.done = done

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False
