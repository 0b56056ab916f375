"""Assignments, blind double coding and consensus in the store: real SQLite files (and PostgreSQL with
ANNOTATE_TEST_DB_URLS), what is stored read back without the store where it matters."""

from __future__ import annotations

import uuid

import pytest

from annotate.agreement import coding_from_events, compare
from annotate.errors import NotFoundError, ValidationError
from annotate.model import Event, Kind, Recording
from annotate.store import Store
from annotate.store.consensus import Resolution
from annotate.testing.databases import backend_id, empty_database, raw_rows, server_urls

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT


@pytest.fixture(params=server_urls(), ids=backend_id)
def db(request, tmp_path):
    with empty_database(request.param, tmp_path) as url, Store(url) as store:
        yield store, url


def recording(store: Store, duration_s: float = 60.0) -> int:
    rec = Recording(path=f"/videos/{uuid.uuid4().hex}.mp4", duration_s=duration_s, content_hash=uuid.uuid4().hex)
    return store.add_recording(rec, reviewer="lead").id


def mark(store: Store, rid: int, who: str, kind: Kind, start: float, end: float | None = None, **kw) -> Event:
    return store.add_event(Event(kind, start, rid, end_s=end, **kw), reviewer=who)


def test_assign_is_stored_logged_and_not_repeated(db):
    store, url = db
    r1, r2 = recording(store), recording(store)
    made = store.assignments.assign([r1, r2], ["ana", "ben"], actor="lead")
    assert [(a.recording_id, a.reviewer, a.status, new) for a, new in made] == [
        (r1, "ana", "new", True), (r1, "ben", "new", True), (r2, "ana", "new", True), (r2, "ben", "new", True)]
    again = store.assignments.assign([r1], ["ana"], actor="lead")
    assert again[0][1] is False and again[0][0].id == made[0][0].id
    rows = raw_rows(url, "SELECT recording_id, reviewer, status, assigned_by FROM assignments ORDER BY id")
    assert rows == [(r1, "ana", "new", "lead"), (r1, "ben", "new", "lead"), (r2, "ana", "new", "lead"),
                    (r2, "ben", "new", "lead")]
    logged = raw_rows(url, "SELECT action, entity, reviewer FROM change_log WHERE entity = 'assignment'")
    assert logged == [("create", "assignment", "lead")] * 4
    assert store.assignments.coders(r1) == ["ana", "ben"]
    assert [a.recording_id for a in store.assignments.list(reviewer="ben")] == [r1, r2]


def test_assigning_an_unknown_recording_stores_nothing(db):
    store, url = db
    r1 = recording(store)
    with pytest.raises(NotFoundError):
        store.assignments.assign([r1, 999], ["ana"], actor="lead")
    assert raw_rows(url, "SELECT count(*) FROM assignments") == [(0,)]
    with pytest.raises(ValidationError):
        store.assignments.assign([r1], [" "], actor="lead")


def test_with_accounts_a_name_must_be_an_account_and_events_name_its_display_name(db):
    store, _ = db
    store.accounts.add("ana", ["reviewer"], None, display_name="Ana Lima")
    store.accounts.add("old", ["reviewer"], None)
    store.accounts.set_disabled("old")
    rid = recording(store)
    (made, _new), = store.assignments.assign([rid], ["ANA"], actor="lead")
    assert (made.reviewer, made.login) == ("Ana Lima", "ana")
    with pytest.raises(ValidationError, match="no user 'zoe'; the users are: ana"):
        store.assignments.assign([rid], ["zoe"])
    with pytest.raises(ValidationError, match="disabled"):
        store.assignments.assign([rid], ["old"])


def test_status_moves_through_the_workflow_and_every_step_is_logged(db):
    store, url = db
    rid = recording(store)
    store.assignments.assign([rid], ["ana"], actor="lead")
    a = store.assignments.move(rid, "ana", "in_review", actor="ana")
    assert a.status == "in_review" and a.version == 2 and a.submitted_at is None
    with pytest.raises(ValidationError, match="in_review: it can move to submitted, not approved"):
        store.assignments.move(rid, "ana", "approved", actor="lead")
    a = store.assignments.move(rid, "ana", "submitted", actor="ana")
    assert a.submitted_at is not None
    with pytest.raises(ValidationError, match="needs a note"):
        store.assignments.move(rid, "ana", "returned", actor="lead")
    a = store.assignments.move(rid, "ana", "returned", actor="lead", note="the DEC at 0:41 is missing")
    assert (a.status, a.note) == ("returned", "the DEC at 0:41 is missing")
    store.assignments.move(rid, "ana", "submitted", actor="ana")
    assert store.assignments.move(rid, "ana", "approved", actor="lead").status == "approved"
    steps = raw_rows(url, "SELECT reviewer, action, after FROM change_log WHERE entity = 'assignment' ORDER BY id")
    assert [(who, action) for who, action, _ in steps] == [
        ("lead", "create"), ("ana", "update"), ("ana", "update"), ("lead", "update"), ("ana", "update"),
        ("lead", "update")]
    assert '"status": "returned"' in steps[3][2] and "0:41" in steps[3][2]
    with pytest.raises(ValidationError, match="no assignment status"):
        store.assignments.move(rid, "ana", "done")
    with pytest.raises(NotFoundError, match="not assigned"):
        store.assignments.move(rid, "ben", "submitted")


def test_blind_double_coding_hides_the_other_coder_until_submitted(db):
    store, _ = db
    rid = recording(store)
    store.assignments.assign([rid], ["ana", "ben"], actor="lead")
    mine = mark(store, rid, "ana", MOT, 1.0)
    theirs = mark(store, rid, "ben", MOT, 1.2)
    assert not store.assignments.may_see_others(rid, "ana")
    assert [e.id for e in store.assignments.events_for(rid, "ana")] == [mine.id]
    assert [e.id for e in store.assignments.events_for(rid, "ben")] == [theirs.id]
    assert store.assignments.may_see_others(rid, "lead")  # not a coder of it
    assert len(store.assignments.events_for(rid, "lead")) == 2
    store.assignments.move(rid, "ana", "submitted", actor="ana")
    assert store.assignments.may_see_others(rid, "ana") and not store.assignments.may_see_others(rid, "ben")
    assert len(store.assignments.events_for(rid, "ana")) == 2
    store.assignments.move(rid, "ana", "returned", actor="lead", note="look again")
    assert store.assignments.may_see_others(rid, "ana")  # once submitted, seen: no point hiding again


def test_a_singly_coded_recording_is_not_blind(db):
    store, _ = db
    rid = recording(store)
    store.assignments.assign([rid], ["ana"], actor="lead")
    mark(store, rid, "ben", DEC, 3.0)
    assert store.assignments.may_see_others(rid, "ana") and len(store.assignments.events_for(rid, "ana")) == 1


def double_coded(store):
    rid = recording(store)
    store.assignments.assign([rid], ["ana", "ben"], actor="lead")
    a = [mark(store, rid, "ana", MOT, 1.0, stage="Care"), mark(store, rid, "ana", INT, 3.0, 5.0, stage="Care"),
         mark(store, rid, "ana", DEC, 8.0)]
    b = [mark(store, rid, "ben", MOT, 1.4, stage="Use", channel="phone"), mark(store, rid, "ben", INT, 3.5, 6.0),
         mark(store, rid, "ben", DEC, 6.5)]
    return rid, a, b


def test_consensus_becomes_the_recordings_events_and_keeps_the_coders_sets(db):
    store, url = db
    rid, a, b = double_coded(store)
    report = compare(coding_from_events(store.consensus.coder_events(rid, "ana")),
                     coding_from_events(store.consensus.coder_events(rid, "ben")))
    assert [(p[0], p[1]) for p in report.pairs] == [(a[0].id, b[0].id), (a[1].id, b[1].id)]
    decisions = [Resolution(a[0].id, b[0].id, "merge"), Resolution(a[1].id, b[1].id, "accept_b"),
                 Resolution(a[2].id, None, "accept_a"), Resolution(None, b[2].id, "drop")]
    made = store.consensus.apply(rid, ("ana", "ben"), decisions, actor="lead")
    assert [(e.kind, e.start_s, e.end_s, e.stage, e.channel, e.reviewer) for e in made] == [
        (MOT, 1.2, None, "Care", "phone", "lead"), (INT, 3.5, 6.0, "", "", "lead"), (DEC, 8.0, None, "", "", "lead")]
    live = store.list_events(rid)
    assert [e.id for e in live] == [e.id for e in made]  # what the maps and metrics read
    assert [e.id for e in store.consensus.coder_events(rid, "ana")] == [e.id for e in a]
    assert [e.id for e in store.consensus.coder_events(rid, "ben")] == [e.id for e in b]
    stored = raw_rows(url, f"SELECT decided_by, decisions FROM consensus WHERE recording_id = {rid}")
    assert stored[0][0] == "lead" and '"action": "drop"' in stored[0][1]
    assert store.consensus.decisions(rid)[0]["undone"] is False
    columns = store.consensus.coder_columns([rid], "ben")  # the same set, in columns for agreement_of
    assert columns["id"] == [e.id for e in b] and columns["start_s"] == [1.4, 3.5, 6.5]
    assert store.consensus.coders_on([rid]) == ["ana", "ben", "lead"]
    store.undo(reviewer="lead", recording_id=rid)  # a consensus is one transaction: undone as a whole
    assert sorted(e.id for e in store.list_events(rid)) == sorted(e.id for e in a + b)
    assert store.consensus.decisions(rid)[0]["undone"] is True
    assert [e.id for e in store.consensus.coder_events(rid, "ana")] == [e.id for e in a]


def test_a_consensus_that_leaves_an_event_undecided_writes_nothing(db):
    store, url = db
    rid, a, b = double_coded(store)
    partial = [Resolution(a[0].id, b[0].id, "accept_a"), Resolution(a[1].id, b[1].id, "accept_a")]
    with pytest.raises(ValidationError, match="not decided: "):
        store.consensus.apply(rid, ("ana", "ben"), partial, actor="lead")
    twice = partial + [Resolution(a[2].id, None, "drop"), Resolution(a[2].id, b[2].id, "drop")]
    with pytest.raises(ValidationError, match="more than once"):
        store.consensus.apply(rid, ("ana", "ben"), twice, actor="lead")
    with pytest.raises(ValidationError, match="no action"):
        store.consensus.apply(rid, ("ana", "ben"), [Resolution(a[0].id, None, "keep")], actor="lead")
    with pytest.raises(ValidationError, match="needs the event"):
        store.consensus.apply(rid, ("ana", "ben"), [Resolution(a[0].id, None, "accept_b")], actor="lead")
    with pytest.raises(ValidationError, match="no live event of coder B"):
        store.consensus.apply(rid, ("ana", "ben"), [Resolution(None, a[0].id, "accept_b")], actor="lead")
    with pytest.raises(ValidationError, match="two different coders"):
        store.consensus.apply(rid, ("ana", "ana"), [], actor="lead")
    with pytest.raises(ValidationError, match="who decides"):
        store.consensus.apply(rid, ("ana", "ben"), [], actor=" ")
    assert len(store.list_events(rid)) == 6
    assert raw_rows(url, "SELECT count(*) FROM consensus") == [(0,)]


def test_the_agreement_of_the_coders_is_the_same_before_and_after_their_consensus(db):
    from annotate.app.agreement import agreement_of

    store, _ = db
    rid, a, b = double_coded(store)
    before, _recs, names = agreement_of(store, [rid], ("ana", "ben"))
    store.consensus.apply(rid, ("ana", "ben"), [Resolution(a[0].id, b[0].id, "accept_a"),
                                               Resolution(a[1].id, b[1].id, "accept_a"),
                                               Resolution(a[2].id, b[2].id, "drop")], actor="ana")
    after, _recs, _names = agreement_of(store, [str(rid)], ("ana", "ben"))  # ana decided: her new events are not hers
    assert names == ("ana", "ben") and after.to_dict() == before.to_dict() and before.overall.matched == 2
    with pytest.raises(NotFoundError):
        store.consensus.coder_columns([rid, 999], "ana")
    with pytest.raises(ValidationError, match="no coder 'zed' on recording .*; the coders there are: ana, ben"):
        agreement_of(store, [rid], ("ana", "zed"))
