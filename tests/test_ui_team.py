"""The team pages under Streamlit's AppTest: assignments on the Library, blind coding on Review, the
Consensus page, comments and the inbox, the agreement panel on Analyse.

Pages run for real against a SQLite file in a temporary data directory (``--auth none``: the user holds
every role, so is a lead too); what they store is read back with the sqlite3 module.
"""

from __future__ import annotations

import base64
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


# --- Consensus ----------------------------------------------------------------------------------

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT


def two_codings(store, rec):
    """Tess and Uma agree on one MOT; differ in a label (a pair), an INT only Tess has, a DEC only Uma has."""
    store.assignments.assign([rec.id], ["Tess", "Uma"], "Lead")
    t = code(store, rec, "Tess", [(MOT, 1.0, "Greeting"), (MOT, 4.0, "Asks"), (INT, 6.0, "Checks")])
    u = code(store, rec, "Uma", [(MOT, 1.2, "Greeting"), (MOT, 4.5, "Asks again"), (DEC, 8.0, "Pays")])
    return t, u


def test_consensus_page_shows_agreement_and_writes_three_decisions(rec, data_dir, run_page):
    store = services.store()
    t, u = two_codings(store, rec)
    at = run_page("consensus", reviewer="Lead")
    clean(at)
    assert at.title[0].value == "Consensus"
    assert at.selectbox(key=f"cx_cons_a_{rec.id}").value == "Tess"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["F1 (B against A)"] == "0.667"  # 2 matched of 3 each: P = R = 2/3
    assert "Cohen's kappa (1 s slices)" in metrics
    [lanes] = [base64.b64decode(i.url.split(",", 1)[1]).decode() for e in at.get("image") for i in e.proto.imgs
               if i.url.startswith("data:image/svg+xml")]
    assert 'class="cx-lanes"' in lanes and lanes.count("cx-lane-event") == 6
    rid = rec.id
    # the agreeing pair is hidden; three disagreements are listed
    keys = [s.key for s in at.get("button_group") if s.key.startswith(f"cx_cons_{rid}_")]
    assert sorted(keys) == sorted([f"cx_cons_{rid}_{t[1].id}_{u[1].id}", f"cx_cons_{rid}_{t[2].id}_-",
                                   f"cx_cons_{rid}_-_{u[2].id}"])
    at.button_group(key=f"cx_cons_{rid}_{t[1].id}_{u[1].id}").set_value("accept_b")
    at.button_group(key=f"cx_cons_{rid}_{t[2].id}_-").set_value("drop")
    at.button_group(key=f"cx_cons_{rid}_-_{u[2].id}").set_value("accept_b")
    button(at, "Write the consensus").click().run()
    clean(at)
    live = db_rows(data_dir, "select kind, start_ms, label, reviewer from events where deleted_at is null "
                             "order by start_ms")
    assert live == [("moment_of_truth", 1000, "Greeting", "Lead"), ("moment_of_truth", 4500, "Asks again", "Lead"),
                    ("decision_point", 8000, "Pays", "Lead")]
    [decided] = store.consensus.decisions(rec.id)
    assert sorted(d["action"] for d in decided["decisions"]) == ["accept_a", "accept_b", "accept_b", "drop"]
    assert any("Consensus written: 3 events" in s.value for s in at.success)


def test_lanes_svg_escapes_names_and_labels(rec):
    from annotate.app.team import Item
    from annotate.ui.pages.consensus import lanes_svg

    store = services.store()
    [e] = code(store, rec, "<i>x</i>", [(MOT, 1.0, "<script>alert(1)</script>")])
    svg = lanes_svg(rec, ("<i>x</i>", "b"), [Item(e, None, None)])
    assert "<script>" not in svg and "<i>" not in svg
    assert "&lt;script&gt;" in svg and "&lt;i&gt;" in svg


# --- Comments and the inbox ---------------------------------------------------------------------


def test_review_comment_with_a_mention_seeks_and_fills_the_inbox(rec, data_dir, run_page):
    store = services.store()
    store.positions.remember(rec.id, "Tess", 3.5)
    at = run_page("review", reviewer="Tess")
    clean(at)
    assert at.text_input(key=f"cx_comment_at_{rec.id}").value == "00:00:03.500"
    at.text_area(key=f"cx_comment_text_{rec.id}").input("the customer <waits> here, @uma?")
    [add] = [b for b in at.button if b.label == "Add comment"]
    add.click().run()
    clean(at)
    assert db_rows(data_dir, "select author, text, at_ms from comments") == [
        ("Tess", "the customer <waits> here, @uma?", 3500)]
    assert db_rows(data_dir, "select name, read_at from mentions") == [("uma", None)]
    [seek] = [b for b in at.button if b.key.startswith("cx_comment_seek_")]
    seek.click().run()
    clean(at)
    session = at.session_state[f"cx_session_{rec.id}"]
    assert session.seek_to == 3.5
    [el] = [e for e in at.get("bidi_component") if e.key == f"cx_player_{rec.id}"]
    assert json.loads(el.proto.json)["seek"]["t"] == 3.5

    at = run_page("library", reviewer="Uma")
    clean(at)
    [box] = [e for e in at.expander if e.label.startswith("Inbox")]
    assert box.label == "Inbox (1 unread)"
    assert any("waits" in m.value and "Tess" in m.value for m in at.markdown)
    assert not any("<waits>" in m.value for m in at.markdown)  # shown as text: the brackets are escaped
    button(at, "Mark read").click().run()
    clean(at)
    assert [e.label for e in at.expander if e.label.startswith("Inbox")] == ["Inbox"]
    assert db_rows(data_dir, "select count(*) from mentions where read_at is not null") == [(1,)]


def test_play_lists_comments_and_a_bad_time_is_one_line_error(rec, data_dir, run_page):
    store = services.store()
    store.comments.add(rec.id, "look here", "Uma", at_s=2.0)
    at = run_page("play", reviewer="Tess")
    assert not at.exception
    assert any(s.value == "Comments (1)" for s in at.subheader)
    at.text_area(key=f"cx_comment_text_{rec.id}").input("later")
    at.text_input(key=f"cx_comment_at_{rec.id}").input("soon")
    [add] = [b for b in at.button if b.label == "Add comment"]
    add.click().run()
    assert not at.exception
    assert any("is not a time" in e.value for e in at.error)
    assert db_rows(data_dir, "select count(*) from comments") == [(1,)]
    [seek] = [b for b in at.button if b.key.startswith("cx_comment_seek_")]
    seek.click().run()
    assert at.session_state[f"cx_play_seek_{rec.id}"]["t"] == 2.0


# --- Analyse ------------------------------------------------------------------------------------


def test_analyse_agreement_panel_and_the_consensus_feeds_the_events(rec, data_dir, run_page):
    store = services.store()
    t, u = two_codings(store, rec)
    at = run_page("analyse", reviewer="Lead")
    assert not at.exception
    assert at.multiselect(key="cx_agree_recs").value == [rec.id]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["F1 (B against A)"] == "0.667"
    table = [d.value for d in at.dataframe if "only A" in d.value.columns][0]
    assert list(table["matched"])[-1] == 2 and list(table["only A"])[-1] == 1
    assert any("6** of 6 events" in m.value or "**6** of 6" in m.value for m in at.markdown)
    from annotate.app.agreement import settle

    settle(store, rec.id, ("Tess", "Uma"), "Lead", [{"a": t[2].id, "b": None, "action": "drop"}])
    at = run_page("analyse", reviewer="Lead")
    assert not at.exception
    assert any("**3** of 3 events" in m.value for m in at.markdown)  # the consensus is what Analyse reads


def test_review_comment_on_the_selected_event_takes_its_time(rec, data_dir, run_page):
    store = services.store()
    [e] = code(store, rec, "Tess", [(MOT, 2.5, "Greeting")])
    session = review.ReviewSession(rec.id, reviewer="Tess", selected=e.id)
    at = run_page("review", reviewer="Tess", **{f"cx_session_{rec.id}": session})
    clean(at)
    at.radio(key=f"cx_comment_where_{rec.id}").set_value("On the selected event")
    at.text_area(key=f"cx_comment_text_{rec.id}").input("is this the greeting?")
    [add] = [b for b in at.button if b.label == "Add comment"]
    add.click().run()
    clean(at)
    assert db_rows(data_dir, "select event_id, at_ms, author from comments") == [(e.id, 2500, "Tess")]
    assert any("on an event" in m.value for m in at.markdown)


def test_consensus_merge_of_a_disagreeing_pair(rec, data_dir, run_page):
    store = services.store()
    t, u = two_codings(store, rec)
    at = run_page("consensus", reviewer="Lead")
    at.button_group(key=f"cx_cons_{rec.id}_{t[1].id}_{u[1].id}").set_value("merge")
    button(at, "Write the consensus").click().run()
    clean(at)
    assert ("moment_of_truth", 4250, "Asks") in db_rows(
        data_dir, "select kind, start_ms, label from events where deleted_at is null")
    at.run()
    assert any("Settled by Lead" in s.value for s in at.success)  # decided: no second worksheet
    assert not [b for b in at.button if b.label == "Write the consensus"]


def test_coding_blind_hides_the_other_coders_comments_until_submitted(rec, data_dir, run_page):
    store = services.store()
    store.assignments.assign([rec.id], ["Tess", "Uma"], "Lead")
    store.comments.add(rec.id, "Uma thinks the greeting is a MOT", "Uma", at_s=1.0)
    store.comments.add(rec.id, "watch the wait at 4 s", "Lead", at_s=4.0)
    at = run_page("review", reviewer="Tess")
    clean(at)
    shown = " ".join(m.value for m in at.markdown)
    assert "watch the wait" in shown and "greeting is a MOT" not in shown
    assert any("hidden until you submit" in c.value for c in at.caption)
    store.assignments.move(rec.id, "Tess", "submitted", "Tess")
    at.run()
    assert "greeting is a MOT" in " ".join(m.value for m in at.markdown)


def test_a_first_mark_moves_the_coders_assignment_to_in_review(rec, data_dir):
    store = services.store()
    store.assignments.assign([rec.id], ["Tess", "Uma"], "Lead")
    code(store, rec, "Tess", [(Kind.MOMENT_OF_TRUTH, 1.0, "Greeting"), (Kind.DECISION_POINT, 2.0, "Pays")])
    assert dict(db_rows(data_dir, "select reviewer, status from assignments")) == {"Tess": "in_review", "Uma": "new"}
