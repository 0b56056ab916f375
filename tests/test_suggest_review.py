"""Suggested moments answered from the Review player: the command protocol's accept and dismiss, on a real
SQLite store (the event made, the answer kept per reviewer, Z undoing an accept), and what the player is sent."""

from __future__ import annotations

from fractions import Fraction

import pytest

from annotate.app.commands import apply_commands
from annotate.app.review_session import ReviewSession
from annotate.suggest.types import Suggestion
from annotate.ui import services
from annotate.ui.player_data import SUGGESTION_COLUMNS, stored_state, suggestion_rows


@pytest.fixture
def setup(review_recording):
    rec = review_recording([Fraction(i, 25) for i in range(250)])
    store = services.store()
    found = [
        Suggestion("cut", 2.04, None, "screen changed", "moment_of_truth", 0.9),
        Suggestion("hold", 4.0, 9.0, "screen still for 5 s", "internal_interaction", 0.33),
        Suggestion("silence", 6.0, 8.0, "silence 2 s", "decision_point", 0.17),
    ]
    stored = store.suggestions.replace(rec.id, found, {"test": 1}, "digest")
    return store, rec, {s.type: s for s in stored}


def run(store, rec, session, *commands):
    return apply_commands(store, rec, session, [dict(c, id=f"c{n}-{c['op']}") for n, c in enumerate(commands, session.done.__len__())])


def test_enter_accepts_a_suggestion_as_its_kind_and_z_takes_it_back(setup):
    store, rec, by_type = setup
    session = ReviewSession(recording_id=rec.id, reviewer="Ana")
    [out] = run(store, rec, session, {"op": "accept", "suggestion": by_type["cut"].id})
    assert out.ok and out.event.kind.value == "moment_of_truth" and out.event.start_s == 2.04
    [event] = store.list_events(rec.id)
    assert (event.kind.value, event.start_s, event.end_s, event.reviewer, event.note) == (
        "moment_of_truth", 2.04, None, "Ana", "screen changed")
    assert {s.id: s.state for s in store.suggestions.list(rec.id, "Ana")}[by_type["cut"].id] == "accepted"
    assert {s.id: s.state for s in store.suggestions.list(rec.id, "Ben")}[by_type["cut"].id] == "open"
    [undo] = run(store, rec, session, {"op": "undo"})
    assert undo.ok and store.list_events(rec.id) == []
    assert {s.id: s.state for s in store.suggestions.list(rec.id, "Ana")}[by_type["cut"].id] == "open"


def test_another_kind_and_a_duration_keep_the_suggestions_times(setup):
    store, rec, by_type = setup
    session = ReviewSession(recording_id=rec.id, reviewer="Ana")
    [out] = run(store, rec, session, {"op": "accept", "suggestion": by_type["hold"].id, "kind": "decision_point"})
    assert out.ok
    [event] = store.list_events(rec.id)
    assert (event.kind.value, event.start_s, event.end_s) == ("decision_point", 4.0, 9.0)


def test_dismiss_is_remembered_for_that_reviewer_only_and_sent_to_the_player(setup):
    store, rec, by_type = setup
    session = ReviewSession(recording_id=rec.id, reviewer="Ana")
    [out] = run(store, rec, session, {"op": "dismiss", "suggestion": by_type["silence"].id})
    assert out.ok and store.list_events(rec.id) == []
    rows = {r[0]: dict(zip(SUGGESTION_COLUMNS, r)) for r in stored_state(store, session)["suggestions"]}
    assert rows[by_type["silence"].id]["state"] == "dismissed" and rows[by_type["cut"].id]["state"] == "open"
    assert [r[-1] for r in suggestion_rows(store, rec.id, "Ben")] == ["open", "open", "open"]
    assert rows[by_type["hold"].id]["e"] == 9.0 and rows[by_type["cut"].id]["kind"] == 0


def test_an_unknown_suggestion_is_a_one_line_error_and_nothing_changes(setup):
    store, rec, _ = setup
    session = ReviewSession(recording_id=rec.id, reviewer="Ana")
    [bad] = run(store, rec, session, {"op": "accept", "suggestion": "nope"})
    [bad_kind] = run(store, rec, session, {"op": "accept", "suggestion": "nope", "kind": "shouting"})
    assert not bad.ok and "\n" not in bad.message and not bad.retry
    assert not bad_kind.ok and store.list_events(rec.id) == []
