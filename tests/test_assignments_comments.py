"""Comments on events and moments, and @mention inboxes: in the store (SQLite, and PostgreSQL with
ANNOTATE_TEST_DB_URLS) and through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from annotate.errors import NotFoundError, ValidationError
from annotate.model import Event, Kind, Recording
from annotate.store import Store
from annotate.store.comments import mentioned
from annotate.testing.databases import backend_id, empty_database, raw_rows, server_urls


@pytest.fixture(params=server_urls(), ids=backend_id)
def db(request, tmp_path):
    with empty_database(request.param, tmp_path) as url, Store(url) as store:
        yield store, url


def setup(store: Store) -> tuple[int, Event]:
    rid = store.add_recording(Recording(path="/v/a.mp4", duration_s=20.0, content_hash=uuid.uuid4().hex)).id
    return rid, store.add_event(Event(Kind.MOMENT_OF_TRUTH, 3.25, rid), reviewer="ana")


def test_mentions_are_names_after_an_at_sign_not_addresses():
    assert mentioned("ask @Ben and @ana.lima. (not ana@example.com) @ben again") == ["ben", "ana.lima"]
    assert mentioned("no one") == []


def test_comments_on_an_event_a_moment_and_the_recording_are_stored_and_logged(db):
    store, url = db
    rid, event = setup(store)
    on_event = store.comments.add(rid, "is this a MOT, @ben?", "ana", event_id=event.id)
    assert (on_event.at_s, on_event.event_id, on_event.mentions) == (3.25, event.id, ("ben",))
    at = store.comments.add(rid, "the customer waits here", "ben", at_s=12.5)
    whole = store.comments.add(rid, "good call overall", "lead")
    assert [c.id for c in store.comments.thread(rid)] == [on_event.id, at.id, whole.id]
    assert [c.id for c in store.comments.thread(rid, event.id)] == [on_event.id]
    assert raw_rows(url, "SELECT author, at_ms, text FROM comments ORDER BY id") == [
        ("ana", 3250, "is this a MOT, @ben?"), ("ben", 12500, "the customer waits here"),
        ("lead", None, "good call overall")]
    assert raw_rows(url, "SELECT entity, action, reviewer FROM change_log WHERE entity = 'comment' ORDER BY id") == [
        ("comment", "create", "ana"), ("comment", "create", "ben"), ("comment", "create", "lead")]
    assert store.comments.thread(rid)[1].to_dict()["at_s"] == 12.5


def test_an_inbox_holds_the_unread_mentions_until_read(db):
    store, url = db
    rid, _ = setup(store)
    first = store.comments.add(rid, "@ben @ana look", "lead")
    second = store.comments.add(rid, "@BEN again", "ana")
    assert [c.id for c in store.comments.inbox(["ben"])] == [second.id, first.id]
    assert store.comments.mark_read(["Ben"], [first.id]) == 1
    assert [c.id for c in store.comments.inbox(["ben"])] == [second.id]
    assert [c.id for c in store.comments.inbox(["ana"])] == [first.id]  # ana's mention of the first is unread
    assert store.comments.mark_read(["ben"]) == 1 and store.comments.inbox(["ben"]) == []
    assert len(store.comments.inbox(["ben"], unread_only=False)) == 2
    assert raw_rows(url, "SELECT count(*) FROM mentions WHERE read_at IS NULL") == [(1,)]


def test_bad_comments_store_nothing(db):
    store, url = db
    rid, event = setup(store)
    other = store.add_recording(Recording(path="/v/b.mp4", duration_s=5.0, content_hash=uuid.uuid4().hex)).id
    with pytest.raises(ValidationError, match="needs a text and an author"):
        store.comments.add(rid, "  ", "ana")
    with pytest.raises(ValidationError, match="outside the recording"):
        store.comments.add(rid, "late", "ana", at_s=25.0)
    with pytest.raises(ValidationError, match="not 2"):
        store.comments.add(other, "wrong place", "ana", event_id=event.id)
    with pytest.raises(NotFoundError):
        store.comments.add(rid, "nothing", "ana", event_id="nosuchevent")
    with pytest.raises(NotFoundError):
        store.comments.add(999, "nothing", "ana")
    assert raw_rows(url, "SELECT count(*) FROM comments") == [(0,)]


def annotate(data_dir, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")}
    return subprocess.run([sys.executable, "-m", "annotate", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_comment_comments_and_inbox_through_the_cli(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with Store(f"sqlite:///{data / 'annotate.sqlite'}") as store:
        rid, event = setup(store)
    made = annotate(data, "comment", "--recording", str(rid), "--at", "00:00:07.5", "--as", "ana", "why wait, @ben?")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "#1 recording 1 at 00:00:07.500, ana: why wait, @ben?  (to ben)"
    assert annotate(data, "comment", "--recording", "1", "--event", event.id, "--as", "ben", "agreed").returncode == 0
    listed = json.loads(annotate(data, "comments", "--recording", "1", "--json").stdout)
    assert [(c["author"], c["at_s"], c["event"]) for c in listed] == [("ana", 7.5, None), ("ben", 3.25, event.id)]
    inbox = annotate(data, "inbox", "ben", "--read")
    assert inbox.stdout.strip() == "#1 recording 1 at 00:00:07.500, ana: why wait, @ben?"
    assert annotate(data, "inbox", "ben").stdout.strip() == "nothing unread for ben"
    assert len(json.loads(annotate(data, "inbox", "ben", "--all", "--json").stdout)) == 1
    bad = annotate(data, "comment", "--recording", "1", "--at", "soon", "x")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "not a time" in bad.stderr
