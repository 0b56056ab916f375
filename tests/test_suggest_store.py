"""The store's suggested moments: kept apart from events, answered per reviewer, accepted through the event path."""

from __future__ import annotations

import pytest

from annotate.errors import NotFoundError, UnknownKindError, ValidationError
from annotate.model import Kind
from annotate.store.migrations import MIGRATIONS
from annotate.suggest.types import Suggestion
from annotate.testing.databases import raw_rows
from annotate.testing.events import make_recording


@pytest.fixture
def rec(store):
    return store.add_recording(make_recording(rid=None))


def found() -> list[Suggestion]:
    return [
        Suggestion("cut", 1.335, None, "screen changed", "decision_point", 0.6, {"frame": 40}),
        Suggestion("hold", 2.002, 6.006, "screen still for 4 s", "internal_interaction", 0.3),
        Suggestion("silence", 3.0, 7.5, "silence 5 s", "internal_interaction", 0.33),
    ]


def test_migration_8_creates_the_suggestion_tables(store, db_url):
    assert (8, "suggestion tables: suggested moments per recording and each reviewer's answer") in [
        (n, name) for n, name, _ in MIGRATIONS]
    assert 8 in [n for n, _, _ in store.applied_migrations()]
    for table in ("suggestions", "suggestion_runs", "suggestion_reviews"):
        assert raw_rows(db_url, f"SELECT COUNT(*) FROM {table}") == [(0,)]


def test_stored_suggestions_read_back_in_time_order_and_are_no_events(store, rec):
    stored = store.suggestions.replace(rec.id, found()[::-1], {"hold_min_s": 5}, "abc")
    assert [(s.type, s.start_s, s.end_s) for s in stored] == [("cut", 1.335, None), ("hold", 2.002, 6.006),
                                                                ("silence", 3.0, 7.5)]
    assert stored[0].id == f"{rec.id}-cut-1335" and stored[0].detail == {"frame": 40} and stored[0].state == "open"
    assert store.suggestions.run(rec.id)["digest"] == "abc"
    assert store.list_events(rec.id) == []
    assert sum(store.event_counts().get(rec.id, {}).values()) == 0


def test_accepting_adds_the_event_as_a_mark_would_and_undo_reopens_it(store, rec):
    hold = store.suggestions.replace(rec.id, found(), {}, "d")[1]
    event = store.suggestions.accept(hold.id, "ana")
    assert (event.kind, event.start_s, event.end_s, event.note, event.reviewer) == (
        Kind.INTERNAL_INTERACTION, 2.002, 6.006, "screen still for 4 s", "ana")
    assert store.get_event(event.id).start_s == 2.002
    assert store.get_recording(rec.id).status.value == "in_review"
    again = store.suggestions.accept(hold.id, "ana")  # a second Enter: the same event, not another one
    assert again.id == event.id and len(store.list_events(rec.id)) == 1
    answered = store.suggestions.get(hold.id, "ana")
    assert (answered.state, answered.event_id) == ("accepted", event.id)
    assert store.suggestions.get(hold.id, "bo").state == "open"  # answers are per reviewer
    store.undo(reviewer="ana")
    assert store.list_events(rec.id) == []
    assert store.suggestions.get(hold.id, "ana").state == "open"
    assert store.suggestions.accept(hold.id, "ana").id != event.id


def test_accepting_as_another_kind_and_a_point_suggestion(store, rec):
    cut = store.suggestions.replace(rec.id, found(), {}, "d")[0]
    event = store.suggestions.accept(cut.id, "", kind="MOT")
    assert event.kind == Kind.MOMENT_OF_TRUTH and event.end_s is None and event.start_s == 1.335
    with pytest.raises(UnknownKindError):
        store.suggestions.accept(found_id(store, rec, "hold"), "", kind="nonsense")
    assert len(store.list_events(rec.id)) == 1  # the refused accept stored nothing


def found_id(store, rec, kind):
    return next(s.id for s in store.suggestions.list(rec.id) if s.type == kind)


def test_dismiss_and_reopen_per_reviewer(store, rec):
    sid = store.suggestions.replace(rec.id, found(), {}, "d")[2].id
    assert store.suggestions.dismiss(sid, "ana").state == "dismissed"
    assert store.suggestions.dismiss(sid, "ana").state == "dismissed"
    assert [s.state for s in store.suggestions.list(rec.id, "ana")] == ["open", "open", "dismissed"]
    assert store.suggestions.counts(rec.id, "ana") == {"open": 2, "accepted": 0, "dismissed": 1}
    assert store.suggestions.counts(rec.id, "bo") == {"open": 3, "accepted": 0, "dismissed": 0}
    assert store.suggestions.reopen(sid, "ana").state == "open"


def test_a_new_run_keeps_the_answers_to_what_it_finds_again(store, rec):
    first = store.suggestions.replace(rec.id, found(), {}, "d1")
    event = store.suggestions.accept(first[0].id, "ana")
    store.suggestions.dismiss(first[1].id, "ana")
    again = [found()[0], Suggestion("speech", 9.0, 9.9, "speech 1 s", "moment_of_truth", 0.05)]
    second = store.suggestions.replace(rec.id, again, {}, "d2")
    assert [s.type for s in second] == ["cut", "speech"]
    states = {s.type: (s.state, s.event_id) for s in store.suggestions.list(rec.id, "ana")}
    assert states == {"cut": ("accepted", event.id), "speech": ("open", None)}
    assert store.suggestions.run(rec.id)["digest"] == "d2"


def test_unknown_ids_recordings_and_types_are_refused(store, rec):
    with pytest.raises(NotFoundError, match="no suggestion"):
        store.suggestions.accept("nope", "ana")
    with pytest.raises(NotFoundError):
        store.suggestions.replace(999, found(), {}, "d")
    with pytest.raises(ValidationError, match="type"):
        store.suggestions.replace(rec.id, [Suggestion("wave", 1.0, None, "", "moment_of_truth", 0.1)], {}, "d")
    assert store.suggestions.list(rec.id) == [] and store.suggestions.run(rec.id) is None


def test_a_suggestion_past_the_recordings_end_is_refused_on_accept(store, rec):
    late = Suggestion("hold", 5.0, rec.duration_s + 5, "screen still for 10 s", "internal_interaction", 0.5)
    sid = store.suggestions.replace(rec.id, [late], {}, "d")[0].id
    with pytest.raises(ValidationError, match="outside the recording"):
        store.suggestions.accept(sid, "ana")
    assert store.suggestions.get(sid, "ana").state == "open"
