"""Double coding on a real server with ``--auth local``: two reviewers code one recording blind, the lead sees
their agreement and settles three disagreements into a consensus that Analyse then reads; an @mention reaches
the other reviewer's inbox.

The app runs as ``streamlit run app.py`` with ANNOTATE_AUTH=local on a store with three accounts (two reviewers
and a lead with the admin role) and one recording, which the lead assigns to both reviewers; headless
Chromium drives it and the SQLite file is read back with sqlite3.
"""

from __future__ import annotations

import re
import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest

from annotate.app.recordings import add_recording
from annotate.testing import make_clip
from annotate.testing import browser as browser_helpers
from annotate.testing.browser import add_accounts, running_app, wait_for

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
USERS = {"ana": ("Ana Lima", ["reviewer"]), "rui": ("Rui Costa", ["reviewer"]), "lea": ("Lea Lead", ["admin"])}


@pytest.fixture(scope="module")
def server(browser_store):
    base, settings, store = browser_store
    clip = make_clip(base / "call.mp4", frame_times=[Fraction(i, 25) for i in range(100)], audio=False)
    rec, _ = add_recording(store, settings, clip)
    add_accounts(store, USERS, PASSWORD)
    with running_app(settings.data_dir, settings.db_url, base / "app.log", env={"ANNOTATE_AUTH": "local"}) as url:
        yield url, Path(settings.data_dir) / "annotate.sqlite", rec


def sign_in(browser, url: str, login: str):
    return browser_helpers.sign_in(browser, url, login, PASSWORD, (1280, 900))


def rows(db: Path, sql: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def live(db: Path) -> int:
    return rows(db, "select count(*) from events where deleted_at is null")[0][0]


def mark(page, url: str, rec_id: int, keys: str, db: Path, then: int) -> None:
    """Open the recording's player and press the marking ``keys``; wait until the store has ``then`` events."""
    page.goto(f"{url}/review?rec={rec_id}")
    wait_for(lambda: page.locator("video").count() and page.locator("video").evaluate(
        "v => v.readyState >= 2"), timeout=90, what="the player")
    for key in keys:
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press(key)
        page.wait_for_timeout(300)
    wait_for(lambda: live(db) == then, timeout=30, what=f"{then} events in the database")


def listed(page) -> int:
    return page.locator("tr[data-event-id]").count()


def pick(page, label: str, option: str | None) -> None:
    """Choose ``option`` (the first one when None) in the multiselect labelled ``label``."""
    box = page.locator("[data-testid=stMultiSelect]").filter(has_text=label)
    box.locator("input").click()
    choice = page.get_by_role("option").first if option is None else page.get_by_role("option", name=option)
    choice.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)


def lead_assigns_both(browser, url: str, db: Path) -> None:
    """The lead assigns the recording to Ana and Rui on the Library page."""
    lead, page = sign_in(browser, url, "lea")
    try:
        page.goto(url + "/library")
        page.get_by_text("Assign recordings").click()
        pick(page, "Recordings", None)
        pick(page, "Reviewers", "ana")
        pick(page, "Reviewers", "rui")
        page.get_by_role("button", name="Assign", exact=True).click()
        wait_for(lambda: rows(db, "select reviewer, status from assignments order by 1") == [
            ("Ana Lima", "new"), ("Rui Costa", "new")], timeout=30, what="the two assignments")
    finally:
        lead.close()


def test_blind_double_coding_agreement_consensus_and_a_mention(server, browser):
    url, db, rec = server
    lead_assigns_both(browser, url, db)
    ana, ana_page = sign_in(browser, url, "ana")
    rui, rui_page = sign_in(browser, url, "rui")
    try:
        mark(ana_page, url, rec.id, "mi", db, 2)  # a MOT and an INT
        wait_for(lambda: listed(ana_page) == 2, timeout=30, what="Ana's two marks in her list")
        mark(rui_page, url, rec.id, "d", db, 3)  # a DEC
        wait_for(lambda: listed(rui_page) == 1, timeout=30, what="Rui's mark in his list")
        rui_page.wait_for_timeout(2000)
        assert listed(rui_page) == 1  # blind: not Ana's two
        ana_page.reload()
        wait_for(lambda: listed(ana_page) == 2, timeout=60, what="Ana's list after a reload")
        ana_page.wait_for_timeout(2000)
        assert listed(ana_page) == 2  # blind: not Rui's
        # Rui hands his coding in on the Library, then sees everyone's events.
        rui_page.goto(url + "/library")
        rui_page.get_by_role("button", name="Submit").click()
        wait_for(lambda: rows(db, "select status from assignments where reviewer = 'Rui Costa'") == [("submitted",)],
                 timeout=30, what="Rui's coding submitted")
        rui_page.goto(f"{url}/review?rec={rec.id}")
        wait_for(lambda: listed(rui_page) == 3, timeout=90, what="all three events once Rui submitted")
        # Ana comments with a mention of Rui; it shows in Rui's inbox.
        ana_page.get_by_label("Add a comment (@name tells that person)").fill("@rui is this a decision?")
        ana_page.get_by_role("button", name="Add comment").click()
        wait_for(lambda: rows(db, "select count(*) from mentions where name = 'rui'") == [(1,)], timeout=30,
                 what="the comment and its mention")
        rui_page.goto(url + "/library")
        wait_for(lambda: rui_page.get_by_text("Inbox (1 unread)").count() > 0, timeout=60, what="Rui's inbox badge")
    finally:
        ana.close()
        rui.close()

    lead, page = sign_in(browser, url, "lea")
    try:
        page.goto(url + "/consensus")
        wait_for(lambda: page.get_by_text("F1 (B against A)").count() > 0, timeout=90, what="the agreement figures")
        assert page.get_by_text("Cohen's kappa (1 s slices)").count() > 0
        lanes = page.locator("[data-testid=stImage] img").first
        wait_for(lambda: lanes.count() and lanes.evaluate("i => i.complete && i.naturalWidth > 0"), timeout=30,
                 what="both coders' lanes drawn")
        assert lanes.evaluate("i => atob(i.src.split(',')[1])").count("cx-lane-event") == 3
        drops = page.locator("[data-testid=stButtonGroup] button", has_text="drop")
        wait_for(lambda: drops.count() == 3, timeout=30, what="three disagreements to decide")
        drops.first.click()  # drop Ana's MOT; keep her INT and Rui's DEC
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Write the consensus").click()
        wait_for(lambda: rows(db, "select count(*) from consensus") == [(1,)], timeout=30, what="the consensus")
        assert rows(db, "select kind, reviewer from events where deleted_at is null order by kind") == [
            ("decision_point", "Lea Lead"), ("internal_interaction", "Lea Lead")]
        page.goto(url + "/analyse")
        wait_for(lambda: page.get_by_text(re.compile(r"2\s*of 2 events")).count() > 0, timeout=90,
                 what="Analyse reading the consensus")
    finally:
        lead.close()
