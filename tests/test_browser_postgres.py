"""The app on a real PostgreSQL server (the one .ci/run starts, named in ANNOTATE_TEST_DB_URLS): a mark made in
headless Chromium is in the database, survives a reload, and exports to CSV through the CLI."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from fractions import Fraction

import pytest

from annotate.app.recordings import add_recording
from annotate.config import Settings
from annotate.store import Store
from annotate.testing import make_clip
from annotate.testing.browser import running_app, wait_for
from annotate.testing.databases import empty_database, raw_rows, server_urls

pytestmark = pytest.mark.browser
SERVERS = [u for u in server_urls() if u != "sqlite"]


@pytest.fixture(params=SERVERS or [None], ids=lambda u: "postgresql" if u else "no-server")
def pg_url(request, tmp_path):
    if request.param is None:
        pytest.skip("no PostgreSQL server: set ANNOTATE_TEST_DB_URLS (.ci/run starts one and sets it)")
    with empty_database(request.param, tmp_path) as url:
        yield url


rows = raw_rows


def test_mark_reload_and_export_on_postgresql(pg_url, tmp_path, browser):
    settings = Settings(data_dir=tmp_path / "data", db_url=pg_url).ensure_dirs()
    clip = make_clip(tmp_path / "call.mp4", frame_times=[Fraction(i, 25) for i in range(75)], audio=False)
    with Store.open(settings) as store:
        rec, _ = add_recording(store, settings, clip)
    with running_app(settings.data_dir, pg_url, tmp_path / "app.log") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        try:
            page.goto(f"{url}/review?rec={rec.id}")
            name = page.get_by_label("Your name")
            wait_for(lambda: name.count() > 0, timeout=90, what="the name box")
            name.fill("PG Tester")
            name.press("Enter")
            wait_for(lambda: page.locator("video").count() and page.locator("video").evaluate(
                "v => v.readyState >= 2"), timeout=90, what="the player")
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.keyboard.press("m")
            wait_for(lambda: rows(pg_url, "select count(*) from events")[0][0] == 1, timeout=30,
                     what="the mark in PostgreSQL")
            page.reload()
            wait_for(lambda: page.locator("tr[data-event-id]").count() == 1, timeout=90, what="the mark after a reload")
        finally:
            context.close()
    [(kind, start_ms, reviewer)] = rows(pg_url, "select kind, start_ms, reviewer from events")
    assert (kind, start_ms, reviewer) == ("moment_of_truth", 0, "PG Tester")
    out = tmp_path / "events.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    done = subprocess.run([sys.executable, "-m", "annotate", "--data-dir", str(settings.data_dir), "--db", pg_url,
                           "export", "-o", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    [row] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row["kind"] == "moment_of_truth" and float(row["start_s"]) == 0.0 and row["reviewer"] == "PG Tester"
