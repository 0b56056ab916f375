"""Run the Streamlit app in a subprocess and find Debian's Chromium, for browser tests and benchmarks.

Nothing in the application imports this module.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import cv2
import numpy as np

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    """Return Debian's chromium, installing it with apt-get when missing and allowed; None if impossible."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run([apt, "install", "-y", "-qq", "chromium"], env=env, capture_output=True).returncode:
            subprocess.run([apt, "update", "-qq"], env=env, capture_output=True)
            subprocess.run([apt, "install", "-y", "-qq", "chromium"], env=env, capture_output=True)
    return CHROMIUM if Path(CHROMIUM).exists() else None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(data_dir: Path, db_url: str, log: Path, script: Path | None = None, timeout_s: float = 90,
                env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``streamlit run`` on ``script`` (default app.py) with this data directory; yield its base URL.

    ``env`` adds environment settings (``ANNOTATE_AUTH=local`` ...). The server is
    stopped on exit. Raises RuntimeError with the end of the log when it does not
    answer its health check within ``timeout_s``.
    """
    port = free_port()
    env = dict(os.environ, ANNOTATE_DATA_DIR=str(data_dir), ANNOTATE_DB=db_url, **(env or {}))
    env.setdefault("ANNOTATE_QUEUE", "inline")  # no worker process beside a bare `streamlit run`
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"), "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Return ``predicate()``'s first truthy value, polling every 0.1 s; raise AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def decode_png(data_url: str) -> np.ndarray:
    """Return the BGR picture of a ``data:image/png;base64,...`` URL (a canvas capture)."""
    raw = base64.b64decode(data_url.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)


def give_name(page, reviewer: str) -> None:
    """Type ``reviewer`` into the app's "Your name" box when the page asks for it (a no-op otherwise)."""
    from playwright.sync_api import Error as PlaywrightError

    name = page.get_by_label("Your name")
    if name.count() and name.is_visible():
        try:  # the form may be redrawn under us while the page starts; try again next round
            name.fill(reviewer, timeout=2000)
            name.press("Enter", timeout=2000)
        except PlaywrightError:
            pass


def open_player(page, url: str, log: Path, reviewer: str, timeout_s: float = 60):
    """Go to ``url``, give the reviewer's name when asked, and return the <video> locator once it has a frame.

    Raises AssertionError with the end of the app's ``log`` when the video does not load in ``timeout_s``.
    """
    page.goto(url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        give_name(page, reviewer)
        video = page.locator("video")
        if video.count() and video.evaluate("v => v.readyState >= 2 && v.videoWidth > 0"):
            return video
        page.wait_for_timeout(250)
    raise AssertionError(f"the player did not load the video:\n{log.read_text(errors='replace')[-2000:]}")


def add_accounts(store, users: dict[str, tuple[str, list[str]]], password: str) -> None:
    """Add ``users`` (login -> (display name, roles)) to ``store``, each with ``password``."""
    from ..accounts import passwords
    from ..store.accounts import Accounts

    accounts = Accounts(store)
    for login, (name, roles) in users.items():
        accounts.add(login, roles, passwords.hash_password(password), display_name=name)


def sign_in(browser, url: str, login: str, password: str, viewport: tuple[int, int] = (1280, 720)):
    """Sign ``login`` in on the app's sign-in page in a new browser context; return (context, page)."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto(url + "/")
    page.get_by_label("Name").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/cx/login" not in u, timeout=30000)
    return context, page
