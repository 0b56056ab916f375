"""``annotate serve``: the browser app, with its job consumer beside it, as one command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from ..accounts.mode import MODES, check_listen
from ..config import Settings
from .common import AppContext, clean_stale_partials, data_options, pass_app


@click.command("serve")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="localhost", show_default=True, help="Address to listen on.")
@click.option("--auth", type=click.Choice(MODES), default=lambda: os.environ.get("ANNOTATE_AUTH", "none"),
              show_default="none", help="none: one person on localhost; local: sign in with `annotate user` accounts; "
              "oidc: sign in with the identity provider set in .streamlit/secrets.toml [auth] (docs/team.md).")
@click.option("--queue", "queue_url", help="The job queue: sqlite (a file in the data directory, the default), "
              "redis://HOST:PORT/DB, or inline (no worker process). Default: ANNOTATE_QUEUE.")
@click.option("--worker/--no-worker", default=True, help="Start one job worker beside the server (default: yes).")
@click.option("--open/--no-open", "open_browser", default=False, help="Open a browser tab.")
@data_options
@pass_app
def serve_cmd(app: AppContext, port: int, host: str, auth: str, queue_url: str | None, worker: bool,
              open_browser: bool) -> None:
    """Start the browser app on this data directory.

    This process becomes Streamlit (exec, same pid): SIGTERM or Ctrl-C stops
    the server itself and frees the port; the job worker it starts beside it
    (a separate process, unless --no-worker or the inline queue) stops when the
    server does. Streamlit's upload limit (server.maxUploadSize) is set to
    ANNOTATE_MAX_UPLOAD_MB. ``--auth none`` is refused on any address but localhost.
    """
    check_listen(auth, host)
    entry = app_entry()
    settings = app.settings.ensure_dirs()
    clean_stale_partials(settings)
    env = dict(os.environ, ANNOTATE_DATA_DIR=str(settings.data_dir), ANNOTATE_DB=settings.db_url, ANNOTATE_AUTH=auth)
    if queue_url:
        env["ANNOTATE_QUEUE"] = queue_url
    if auth == "local":
        _need_a_user(app)
    if auth == "oidc":
        _need_a_provider(entry)
    if worker and env.get("ANNOTATE_QUEUE", "sqlite") != "inline":
        start_worker(env)
    cmd = streamlit_command(entry, settings, port, host, open_browser)
    click.echo(f"cx-annotate on http://{host}:{port}  (data: {settings.data_dir}, sign-in: {auth})")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(cmd[0], cmd, env)
    except OSError as exc:
        raise click.ClickException(f"cannot start Streamlit ({cmd[0]}): {exc.strerror}; reinstall cx-annotate") from None


def _need_a_user(app: AppContext) -> None:
    """Raise ClickException when no account could sign in (so ``--auth local`` would lock everyone out)."""
    if not any(not u.disabled for u in app.store().accounts.all()):
        raise click.ClickException("no account can sign in yet: add one with "
                                   "`annotate user add NAME --role admin`, then start again")


def _need_a_provider(entry: Path) -> None:
    """Raise ClickException when ``--auth oidc`` could sign nobody in: no role map, no Authlib, no [auth] secrets."""
    from ..accounts.oidc import rules_from_env
    from ..errors import ValidationError

    try:
        rules_from_env()
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        import authlib  # noqa: F401  (Streamlit's st.login needs it)
    except ImportError:
        raise click.ClickException("--auth oidc needs Authlib: pip install 'streamlit[auth]'") from None
    auth = _secrets_auth(entry)
    if auth is None:
        return
    missing = [k for k in ("redirect_uri", "cookie_secret") if not auth.get(k)]
    providers = [auth] + [v for v in auth.values() if isinstance(v, dict)]
    if not any(p.get("client_id") and p.get("server_metadata_url") for p in providers):
        missing.append("client_id/server_metadata_url")
    if missing:
        raise click.ClickException(f"--auth oidc needs [auth] {', '.join(missing)} in .streamlit/secrets.toml "
                                   "(here or in ~/.streamlit): see docs/team.md")


def _secrets_auth(entry: Path) -> dict | None:
    """Return the [auth] table Streamlit will read (its secrets files merged in its order), {} when there is
    none, None where this Python cannot read TOML (3.10: Streamlit itself then says what is missing)."""
    try:
        import tomllib
    except ModuleNotFoundError:
        return None

    auth: dict = {}
    for folder in (Path.home(), Path.cwd(), entry.parent):
        path = folder / ".streamlit" / "secrets.toml"
        try:
            auth.update(tomllib.loads(path.read_text(encoding="utf-8")).get("auth") or {})
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.ClickException(f"cannot read {path}: {exc}") from None
    return auth


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """Start ``annotate worker --inbox`` for this server; it stops by itself when this process (pid) is gone."""
    cmd = [sys.executable, "-m", "annotate", "worker", "--inbox", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, start_new_session=False)


def streamlit_command(entry: Path, settings: Settings, port: int, host: str, open_browser: bool) -> list[str]:
    """Return the argv that runs the app under Streamlit with the project's settings."""
    return [
        sys.executable, "-m", "streamlit", "run", str(entry),
        "--server.port", str(port), "--server.address", host,
        "--server.headless", "false" if open_browser else "true",
        "--server.maxUploadSize", str(max(1, int(settings.max_upload_mb))),
        "--browser.gatherUsageStats", "false",
    ]


def app_entry() -> Path:
    """Return the Streamlit entry file ``app.py``; raise ClickException when it is missing."""
    for candidate in (Path(__file__).resolve().parents[2] / "app.py", Path.cwd() / "app.py"):
        if candidate.is_file():
            return candidate
    raise click.ClickException("app.py not found; run annotate serve from the cx-annotate folder")
