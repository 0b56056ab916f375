"""What every CLI command shares: settings, the store, error conversion, progress bars.

The store (SQLAlchemy) and annotate.fsutil (hashlib, socket, tempfile) are imported when a command first
needs them, not when the CLI starts: `annotate --help` must stay under 0.3 s (bench/startup.py). Those are
the only imports inside functions here.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

import click

from .. import config
from ..config import Settings
from ..errors import AnnotateError, MediaError

if TYPE_CHECKING:
    from ..store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """Per-invocation state: where the data lives and a lazily opened store."""

    data_dir: str | None = None
    db: str | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Return the settings for ``--data-dir`` / ``--db`` (or their environment defaults)."""
        return config.resolve(self.data_dir, self.db)

    def store(self) -> Store:
        """Return the Store for these settings, opening (and migrating) it on first use."""
        if self._store is None:
            from ..store import Store  # SQLAlchemy: only when a command needs the store (start-up time)

            settings = self.settings.ensure_dirs()
            clean_stale_partials(settings)
            self._store = Store.open(settings)
        return self._store


def clean_stale_partials(settings: Settings) -> list[Path]:
    """Remove the half-written files killed runs left in the data directory; return the removed paths.

    Only our own temporary names are touched (see :func:`annotate.fsutil.stale_partials`).
    """
    from ..fsutil import remove_stale_partials  # start-up time

    return remove_stale_partials(settings.own_dirs)


def output_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
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
    from ..fsutil import remove_stale_partials  # start-up time

    remove_stale_partials([folder], stem=Path(value).stem)
    return value


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        app = ctx.ensure_object(AppContext)
        setattr(app, param.name, value)
    return value


def data_options(fn: F) -> F:
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


def pass_app(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``fn`` called with the invocation's AppContext as its first argument."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(click.get_current_context().ensure_object(AppContext), *args, **kwargs)

    return wrapper


def open_store(app: AppContext | None = None) -> Store:
    """Return the store of the current invocation."""
    app = app or click.get_current_context().ensure_object(AppContext)
    return app.store()


_TITLES = "annotate.upload_titles"


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's user errors into one-line click errors (raises ClickException).

    A media error about an uploaded recording's file (named by its content hash) names the recording's title
    noted by :func:`remember_title`.
    """
    try:
        yield
    except AnnotateError as exc:
        titles = click.get_current_context().meta.get(_TITLES, {})
        if isinstance(exc, MediaError) and exc.path in titles:
            exc = exc.shown_as(titles[exc.path])
        raise click.ClickException(str(exc)) from exc


def remember_title(settings: Settings, title: str, path: str) -> None:
    """Note the title of a stored upload (its file is named by content hash) for :func:`user_errors`."""
    if title and Path(path).resolve().parent == settings.media_dir.resolve():
        click.get_current_context().meta.setdefault(_TITLES, {})[str(path)] = f"'{title}' (uploaded)"


class progress_bar:
    """A click progress bar fed by ``progress(done, total)`` callbacks; shown only when called."""

    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __enter__(self) -> "progress_bar":
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0))
        self.done = done

    def __exit__(self, *exc: object) -> bool:
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False
