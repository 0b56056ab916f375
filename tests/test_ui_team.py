"""The team pages under Streamlit's AppTest: assignments on the Library, blind coding on Review, the
Consensus page, comments and the inbox, the agreement panel on Analyse.

Pages run for real against a SQLite file in a temporary data directory (``--auth none``: the user holds
every role, so is a lead too); what they store is read back with the sqlite3 module.
"""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest

from annotate.app import review
from annotate.model import Kind
from annotate.testing import make_clip
from annotate.ui import services


def db_rows(data_dir: Path, sql: str):
    with sqlite3.connect(data_dir / "annotate.sqlite") as conn:
        return conn.execute(sql).fetchall()


def clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def player_events(at, rec_id: int) -> list:
    [el] = [e for e in at.get("bidi_component") if e.key == f"cx_player_{rec_id}"]
    return json.loads(el.proto.json)["events"]


def button(at, label: str):
    [b] = [b for b in at.button if b.label == label]
    return b


@pytest.fixture
def rec(data_dir, no_sample, tmp_path):
    from annotate.app.recordings import add_recording

    clip = make_clip(tmp_path / "clips" / "call.mp4", n_frames=150, fps=Fraction(15), audio=False)
    made, _ = add_recording(services.store(), services.settings(), clip, title="Call <b>7</b>")
    return made


def code(store, rec, who: str, marks) -> list:
    return [review.mark(store, rec, kind, t, who, label=label) for kind, t, label in marks]


# --- Library ------------------------------------------------------------------------------------


def test_lead_assigns_from_the_library_and_the_reviewer_sees_only_their_assignments(rec, data_dir, run_page,
                                                                                    tmp_path):
    from annotate.app.recordings import add_recording

    other, _ = add_recording(services.store(), services.settings(),
                             make_clip(tmp_path / "clips" / "b.mp4", n_frames=30, fps=Fraction(15), audio=False),
                             title="Other call")
    at = run_page("library", reviewer="Lead")
    clean(at)
    at.multiselect(key="cx_assign_recs").select(rec.id)
    at.text_input(key="cx_assign_names").input("Tess, Uma").run()
    button(at, "Assign").click().run()
    clean(at)
    assert db_rows(data_dir, "select recording_id, reviewer, status, assigned_by from assignments order by 2") == [
        (rec.id, "Tess", "new", "Lead"), (rec.id, "Uma", "new", "Lead")]
    assert db_rows(data_dir, "select count(*) from change_log where entity = 'assignment'") == [(2,)]

    at = run_page("library", reviewer="Tess")
    clean(at)
    assert at.segmented_control(key="cx_lib_view").value == "Assigned to me"
    assert any("Call" in m.value and "7" in m.value for m in at.markdown)
    assert not any("Other call" in m.value for m in at.markdown)  # the list shows only my recordings
    at.segmented_control(key="cx_lib_view").set_value("All recordings").run()
    assert any("Other call" in m.value for m in at.markdown)
    at.segmented_control(key="cx_lib_view").set_value("Assigned to me").run()
    button(at, "Submit").click().run()
    clean(at)
    assert db_rows(data_dir, "select reviewer, status from assignments order by 1") == [
        ("Tess", "submitted"), ("Uma", "new")]
    [progress_rec, progress_people] = [d for d in at.dataframe]
    people = progress_people.value
    assert list(people["reviewer"]) == ["Tess", "Uma"] and list(people["done"]) == ["1 of 1", "0 of 1"]
    assert list(progress_rec.value["done"]) == ["1 of 2"]
    assert other.id not in list(progress_rec.value["recording"])


def test_lead_returns_a_coding_with_a_note_and_a_return_without_one_is_refused(rec, data_dir, run_page):
    store = services.store()
    store.assignments.assign([rec.id], ["Tess"], "Lead")
    store.assignments.move(rec.id, "Tess", "submitted", "Tess")
    at = run_page("library", reviewer="Lead")
    [a] = store.assignments.list()
    at.selectbox(key=f"cx_move_to_{a.id}_{a.version}").select("returned")
    button(at, "Move").click().run()
    assert "needs a note" in at.error[0].value
    assert db_rows(data_dir, "select status from assignments") == [("submitted",)]
    at.text_input(key=f"cx_move_note_{a.id}_{a.version}").input("the DEC at 0:04 is missing")
    button(at, "Move").click().run()
    clean(at)
    assert db_rows(data_dir, "select status, note from assignments") == [("returned", "the DEC at 0:04 is missing")]
    at = run_page("library", reviewer="Tess")
    assert any("Returned" in m.value for m in at.markdown)
    assert any("DEC at 0" in c.value and "is missing" in c.value for c in at.caption)


# --- blind coding on Review ---------------------------------------------------------------------


def test_review_codes_blind_until_the_coder_has_submitted(rec, data_dir, run_page):
    from annotate.ui.player_data import stored_state

    store = services.store()
    store.assignments.assign([rec.id], ["Tess", "Uma"], "Lead")
    [tess] = code(store, rec, "Tess", [(Kind.MOMENT_OF_TRUTH, 1.0, "Greeting")])
    [uma] = code(store, rec, "Uma", [(Kind.DECISION_POINT, 2.0, "Pays")])
    at = run_page("review", reviewer="Tess")
    clean(at)
    assert [e[0] for e in player_events(at, rec.id)] == [tess.id]  # not Uma's
    session = at.session_state[f"cx_session_{rec.id}"]
    assert [r[0] for r in stored_state(store, session)["events"]] == [tess.id]  # the command route's answer too
    lead = review.ReviewSession(rec.id, reviewer="Lead")
    assert {r[0] for r in stored_state(store, lead)["events"]} == {tess.id, uma.id}  # the lead codes no set
    store.assignments.move(rec.id, "Tess", "submitted", "Tess")
    at.run()
    clean(at)
    assert {e[0] for e in player_events(at, rec.id)} == {tess.id, uma.id}
    assert [r[0] for r in stored_state(store, review.ReviewSession(rec.id, reviewer="Uma"))["events"]] == [uma.id]
