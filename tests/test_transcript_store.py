"""Transcripts in the store: replaced whole on import as one undoable change, all or nothing, read back in time
order, searched across recordings. Each test runs on a SQLite file and on each ANNOTATE_TEST_DB_URLS server;
what is stored is read back without the store too."""

from __future__ import annotations

import uuid

import pytest

from annotate.errors import FormatError, NothingToUndoError, NotFoundError
from annotate.model import Recording
from annotate.store import Store
from annotate.store import transcripts as store_transcripts
from annotate.testing.databases import raw_rows
from annotate.transcripts.lines import Line


def recording(store: Store, title: str) -> int:
    return store.add_recording(Recording(path=f"/videos/{title}.mp4", title=title, duration_s=600.0,
                                         content_hash=uuid.uuid4().hex)).id


def texts(store: Store, rid: int) -> list[str]:
    return [ln.text for ln in store.transcripts.lines(rid)]


def test_an_import_replaces_the_transcript_and_undo_puts_the_previous_one_back(store, db_url):
    rid = recording(store, "call")
    first = store.transcripts.replace(rid, [Line(0, 900, "hello", "Ana"), Line(1000, 2000, "bye", "Bo")], "a.vtt", "tess")
    second = store.transcripts.replace(rid, [Line(500, 700, "only line")], "b.srt", "tess")
    assert texts(store, rid) == ["only line"] and store.transcripts.info(rid).source == "b.srt"
    assert store.transcripts.speakers(rid) == []
    assert raw_rows(db_url, f"SELECT state FROM transcripts WHERE id = '{first.id}'") == [("replaced",)]

    change = store.undo(recording_id=rid)
    assert store.transcripts.speakers(rid) == ["Ana", "Bo"]
    assert (change.entity, change.entity_id, change.after["transcript"]) == ("transcript", str(rid), first.id)
    assert [(ln.start_ms, ln.end_ms, ln.speaker, ln.text) for ln in store.transcripts.lines(rid)] == [
        (0, 900, "Ana", "hello"), (1000, 2000, "Bo", "bye")]
    assert raw_rows(db_url, f"SELECT state FROM transcripts WHERE id = '{second.id}'") == [("undone",)]

    store.undo(recording_id=rid)
    assert store.transcripts.info(rid) is None and texts(store, rid) == []
    with pytest.raises(NothingToUndoError):
        store.undo(recording_id=rid, reviewer="tess")


def test_a_failed_import_leaves_the_stored_transcript_and_no_rows(store, db_url, monkeypatch):
    monkeypatch.setattr(store_transcripts, "LINE_BATCH", 3)
    rid = recording(store, "call")
    store.transcripts.replace(rid, [Line(0, 10, "kept")])

    def broken():
        for i in range(7):  # two batches are written before the file turns out bad
            yield Line(i * 100, i * 100 + 50, f"line {i}")
        raise FormatError("bad.srt line 30: '00:00:xx' is not a cue time")

    with pytest.raises(FormatError):
        store.transcripts.replace(rid, broken())
    assert texts(store, rid) == ["kept"]
    assert raw_rows(db_url, "SELECT count(*) FROM transcripts") == [(1,)]
    assert raw_rows(db_url, "SELECT count(*) FROM transcript_lines") == [(1,)]
    with pytest.raises(NotFoundError):
        store.transcripts.replace(9999, [Line(0, 1, "x")])


def test_lines_come_back_in_time_order_a_page_at_a_time(store):
    rid = recording(store, "long")
    given = [Line(5000 - i * 10, 5000 - i * 10 + 5, f"t{i}") for i in range(25)] + [Line(0, 1, "same start a"),
                                                                                   Line(0, 1, "same start b")]
    store.transcripts.replace(rid, given)
    back = list(store.transcripts.lines(rid, page=4))
    assert [ln.text for ln in back] == ["same start a", "same start b"] + [f"t{i}" for i in reversed(range(25))]
    assert store.transcripts.counts() == {rid: 27}


def test_search_finds_a_word_across_recordings_in_any_case(store):
    a, b, c = recording(store, "alpha"), recording(store, "beta"), recording(store, "gone")
    store.transcripts.replace(a, [Line(1000, 2000, "Please HOLD the line", "Agent"), Line(3000, 4000, "no")])
    store.transcripts.replace(b, [Line(61_500, 63_000, "I have been on hold for ages", "Customer"),
                                  Line(70_000, 71_000, "Holding pattern: 100% _sure_")])
    store.transcripts.replace(c, [Line(0, 1, "hold me")])
    store.delete_recording(c)

    hits = store.transcripts.search("hold")
    assert [(h.recording_id, h.title, h.line.start_s, h.line.text) for h in hits] == [
        (a, "alpha", 1.0, "Please HOLD the line"), (b, "beta", 61.5, "I have been on hold for ages"),
        (b, "beta", 70.0, "Holding pattern: 100% _sure_")]
    assert [h.line.text for h in store.transcripts.search("Hold", whole_words=True)] == [
        "Please HOLD the line", "I have been on hold for ages"]
    assert [h.line.text for h in store.transcripts.search("0% _s")] == ["Holding pattern: 100% _sure_"]
    assert [h.line.text for h in store.transcripts.search("%")] == ["Holding pattern: 100% _sure_"]  # not wildcards
    assert [h.line.text for h in store.transcripts.search("_")] == ["Holding pattern: 100% _sure_"]
    assert [h.recording_id for h in store.transcripts.search("hold", recording_ids=[b])] == [b, b]
    assert len(store.transcripts.search("hold", limit=1)) == 1
    assert store.transcripts.search("   ") == [] and store.transcripts.search("absent") == []
    assert store.transcripts.search("hold")[1].to_dict() == {
        "recording": b, "title": "beta", "start_s": 61.5, "end_s": 63.0, "speaker": "Customer",
        "text": "I have been on hold for ages"}


def test_search_folds_case_beyond_ascii(store):
    rid = recording(store, "de")
    store.transcripts.replace(rid, [Line(0, 1, "Die STRASSE ist ÜBERFÜLLT"), Line(2, 3, "Straße")])
    assert [h.line.text for h in store.transcripts.search("überfüllt")] == ["Die STRASSE ist ÜBERFÜLLT"]
    assert [h.line.start_ms for h in store.transcripts.search("strasse")] == [0, 2]  # ß folds to ss


def test_for_export_gives_each_transcribed_recording_its_transcript_beside_its_events(store):
    from annotate.model import Event, Kind
    from annotate.transcripts.events import for_export

    a, b = recording(store, "with"), recording(store, "without")
    store.transcripts.replace(a, [Line(2000, 4000, "second", "Bo"), Line(0, 1500, "first", "Ana")])
    found = for_export(store, [a, b, a])
    assert found and a in found and b not in found and found.get(b) is None and len(found.get(a)) == 2
    events = [Event(kind=Kind.MOMENT_OF_TRUTH, start_s=1.0, recording_id=a),
              Event(kind=Kind.DECISION_POINT, start_s=1.2, end_s=2.5, recording_id=a)]
    assert found.get(a).column(events) == ["Ana: first", "Ana: first / Bo: second"]
    assert not for_export(store, [b])
