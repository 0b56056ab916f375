"""``annotate serve`` as a team server: sign-in refusals before it starts, and the job worker it runs beside it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from annotate.testing.browser import free_port

ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def annotate(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotate", "--data-dir", str(tmp_path / "data"), *args],
                          input=stdin, capture_output=True, text=True, env=clean_env(**env), cwd=tmp_path, timeout=120)


@pytest.mark.parametrize("args,message", [
    (["--host", "0.0.0.0"], "annotate user add NAME --role admin"),
    (["--host", "192.168.1.20", "--auth", "none"], "--auth local"),
    (["--host", "127.0.0.1", "--auth", "local"], "no account can sign in yet"),
])
def test_serve_refuses_to_start_open_or_locked(tmp_path, args, message):
    result = annotate(tmp_path, "serve", "--port", str(free_port()), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


SECRETS = ('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\nclient_id = "cx"\nclient_secret = "s"\n'
           'server_metadata_url = "http://localhost:1/.well-known/openid-configuration"\n')


@pytest.mark.parametrize("roles,secrets,message", [
    ("", SECRETS + 'cookie_secret = "x"\n', "--auth oidc needs ANNOTATE_OIDC_ROLES=group=role"),
    ("cx=boss", SECRETS + 'cookie_secret = "x"\n', "names unknown role 'boss'"),
    ("cx=reviewer", None, "needs [auth] redirect_uri, cookie_secret, client_id/server_metadata_url in"),
    ("cx=reviewer", SECRETS, "needs [auth] cookie_secret in .streamlit/secrets.toml"),
])
def test_serve_with_oidc_refuses_without_roles_or_a_provider(tmp_path, roles, secrets, message):
    if secrets is not None:
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "secrets.toml").write_text(secrets)
    result = annotate(tmp_path, "serve", "--port", str(free_port()), "--auth", "oidc", "--no-worker",
                      HOME=str(tmp_path / "home"), ANNOTATE_OIDC_ROLES=roles)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def children_of(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid:
                    found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
    return found


def alive(pid: int) -> bool:
    """Return True while ``pid`` runs (a zombie waiting to be reaped has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_serve_with_local_sign_in_runs_a_worker_that_stops_with_it(tmp_path):
    added = annotate(tmp_path, "user", "add", "admin", "--role", "admin", "--password-stdin", stdin="long password\n")
    assert added.returncode == 0, added.stderr
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "annotate", "--data-dir", str(tmp_path / "data"), "serve",
                             "--port", str(port), "--host", "127.0.0.1", "--auth", "local"],
                            env=clean_env(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 90
        while status_of(f"http://127.0.0.1:{port}/_stcore/health") != 200:
            assert proc.poll() is None and time.time() < deadline, "annotate serve did not start"
            time.sleep(0.3)
        assert status_of(f"http://127.0.0.1:{port}/cx/media/1") == 401
        workers = [(pid, cmd) for pid, cmd in children_of(proc.pid) if " worker " in cmd]
        assert len(workers) == 1 and f"--parent-pid {proc.pid}" in workers[0][1]
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        deadline = time.time() + 15
        while alive(workers[0][0]) and time.time() < deadline:
            time.sleep(0.2)
        assert not alive(workers[0][0]), "the worker outlived the server"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
