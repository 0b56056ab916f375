"""What every CLI command shares: settings, the store, error conversion."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field

import click

from .. import config
from ..config import Settings


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

            self._store = Store.open(self.settings.ensure_dirs())
        return self._store


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


def resolve_recording(store, ref: str):
    """Return the recording named by id or path; a ClickException-friendly NotFoundError otherwise."""
    return store.find_recording(ref)


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
