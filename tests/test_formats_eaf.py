"""ELAN .eaf: exports validate against the EAF 3.0 schema; files in ELAN's layout import."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from annotate.errors import FormatError, ValidationError
from annotate.formats import dumps_events, loads_events, read_events
from annotate.model import Codebook, Kind
from test_formats_common import make_recording, many_events, tricky_events

DATA = Path(__file__).parent / "data"
etree = pytest.importorskip("lxml.etree")


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(DATA / "EAFv3.0.xsd")))


def assert_valid(schema, data: bytes) -> None:
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize("events", ["tricky", "many", "none"])
def test_export_validates_against_the_eaf_3_schema(schema, events):
    rec = make_recording()
    evs = {"tricky": tricky_events(rec), "many": many_events(rec, 1000), "none": []}[events]
    assert_valid(schema, dumps_events(evs, [rec], format="eaf", codebook=Codebook()))
    assert_valid(schema, dumps_events(evs, [rec], format="eaf", details=False))


def test_export_layout_tiers_vocabularies_and_media(schema):
    rec = make_recording()
    events = tricky_events(rec)
    root = ET.fromstring(dumps_events(events, [rec], format="eaf", codebook=Codebook()))
    media = root.find("HEADER/MEDIA_DESCRIPTOR")
    assert media.get("MEDIA_URL") == "file:///media/Kass%C3%A9%20checkout.mp4"
    assert media.get("RELATIVE_MEDIA_URL") == "./Kassé checkout.mp4" and media.get("MIME_TYPE") == "video/mp4"
    assert root.find("HEADER").get("TIME_UNITS") == "milliseconds"
    tiers = {t.get("TIER_ID"): t for t in root.findall("TIER")}
    assert set(tiers) == {"MOT", "INT", "DEC", "MOT details", "INT details", "DEC details"}
    slots = {s.get("TIME_SLOT_ID"): int(s.get("TIME_VALUE")) for s in root.iter("TIME_SLOT")}
    assert list(slots.values()) == sorted(slots.values())
    for kind in Kind:
        cv = root.find(f"CONTROLLED_VOCABULARY[@CV_ID='{kind.short} labels']")
        values = [v.text for v in cv.iter("CVE_VALUE")]
        assert values[: len(Codebook().label_texts(kind))] == Codebook().label_texts(kind)
        lt = root.find(f"LINGUISTIC_TYPE[@LINGUISTIC_TYPE_ID='{kind.short} labels']")
        assert lt.get("CONTROLLED_VOCABULARY_REF") == cv.get("CV_ID")
        for ann in tiers[kind.short].iter("ALIGNABLE_ANNOTATION"):
            label = ann.find("ANNOTATION_VALUE").text or ""
            ref = ann.get("CVE_REF")
            entry = cv.find(f"CV_ENTRY_ML[@CVE_ID='{ref}']") if ref else None
            assert (entry is not None and entry.find("CVE_VALUE").text == label) or (not label and not ref)
    wait = next(e for e in events if e.label == "Long wait")
    ann = root.find(f".//ALIGNABLE_ANNOTATION[@ANNOTATION_ID='a{wait.id}']")
    assert (slots[ann.get("TIME_SLOT_REF1")], slots[ann.get("TIME_SLOT_REF2")]) == (2002, 9977)


def test_one_file_per_recording():
    a, b = make_recording(rid=1), make_recording(rid=2, content_hash="b" * 64)
    with pytest.raises(ValidationError, match="one recording"):
        dumps_events(tricky_events(a)[:1] + tricky_events(b)[:1], [a, b], format="eaf")


def test_hand_written_elan_file_is_schema_valid_and_imports_with_a_tier_mapping(schema):
    path = DATA / "elan_store_visit.eaf"
    assert_valid(schema, path.read_bytes())
    rec = make_recording()
    events = read_events(path, recording=rec, mapping=["Moments of Truth=MOT", "Backstage=internal interaction"])
    got = sorted((e.start_s, e.end_s, e.kind.short, e.label) for e in events)
    assert got == [
        (0.52, 2.1, "MOT", "Greeting"),
        (2.1, 3.35, "INT", "Lookup"),
        (3.35, 4.0, "DEC", "Choose channel"),
        (4.87, 6.125, "MOT", "Refund & apology — ça va"),
        (6.125, 7.44, "INT", "Hand-off"),
        (7.44, 8.0, "DEC", ""),
    ]
    assert all(e.recording_id == rec.id for e in events)
    again = read_events(path, recording=rec, mapping=["Moments of Truth=MOT", "Backstage=INT"])
    assert sorted(e.id for e in again) == sorted(e.id for e in events)


def test_tiers_named_after_kinds_need_no_mapping_and_others_are_ignored():
    events = read_events(DATA / "elan_store_visit.eaf", recording=make_recording())
    assert [(e.kind, e.label) for e in events] == [(Kind.DECISION_POINT, "Choose channel"), (Kind.DECISION_POINT, "")]


def test_no_tier_naming_a_kind_is_an_error_listing_the_tiers():
    data = (DATA / "elan_store_visit.eaf").read_bytes().replace(b'TIER_ID="Decision point"', b'TIER_ID="Choices"')
    with pytest.raises(FormatError, match=r"no tier named after a kind \(tiers: Customer speech, Moments of Truth"):
        loads_events(data, format="eaf", recording=make_recording())


def test_time_origin_shifts_and_unaligned_slots_are_reported():
    base = (DATA / "elan_store_visit.eaf").read_bytes()
    shifted = base.replace(b'MIME_TYPE="video/mp4"', b'MIME_TYPE="video/mp4" TIME_ORIGIN="1000"')
    events = loads_events(shifted, format="eaf", recording=make_recording())
    assert [e.start_s for e in events] == [4.35, 8.44]
    unaligned = base.replace(b'TIME_SLOT_REF2="ts9"', b'TIME_SLOT_REF2="ts10"')
    with pytest.raises(FormatError, match="tier Decision point annotation a7: time slot ts10 has no time"):
        loads_events(unaligned, format="eaf", recording=make_recording())


def test_other_time_units_and_other_xml_are_refused():
    frames = (DATA / "elan_store_visit.eaf").read_bytes().replace(b'TIME_UNITS="milliseconds"', b'TIME_UNITS="PAL-frames"')
    with pytest.raises(FormatError, match="PAL-frames time units"):
        loads_events(frames, format="eaf", recording=make_recording())
    with pytest.raises(FormatError, match="not an ELAN .eaf file"):
        loads_events(b"<svg/>", format="eaf", recording=make_recording())
