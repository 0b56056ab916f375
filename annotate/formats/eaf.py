"""ELAN annotation files (``.eaf``, EAF 3.0): one tier per kind, the codebook as controlled vocabularies.

Export (one recording per file, times in milliseconds):

- ``HEADER`` with a ``MEDIA_DESCRIPTOR`` pointing at the recording (absolute
  ``file://`` URL plus the relative file name) and its MIME type;
- ``TIME_ORDER`` with one time slot per annotation boundary, in time order;
- tiers ``MOT``, ``INT`` and ``DEC`` (always all three, so ELAN users can add to
  them), each annotation's value the event's label; a point event gets
  ``point_length_s`` (default 1 s) so that ELAN shows it;
- a child tier per kind, ``MOT details`` (Symbolic Association), holding each
  event's other fields as JSON (id, point, stage, channel, actor, expectation,
  emotion, note, reviewer, dates), which makes the round trip lossless;
  ``details=False`` leaves these tiers out;
- a controlled vocabulary per kind (``MOT labels``...) with the codebook's labels
  and every label used, linked from the tier's linguistic type; annotations whose
  label is an entry refer to it (``CVE_REF``).

Import reads any EAF 2.x/3.0 file: top-level tiers are mapped to kinds by the
``mapping`` option (tier name -> kind) or by their name (``MOT``, ``Moment of
Truth``, ``decision point``...); other tiers are ignored. Each alignable
annotation becomes an event (start, end, label = value); ``MEDIA_DESCRIPTOR``
``TIME_ORIGIN`` is added to the times. Our ``details`` tiers restore the other
fields. Annotation ids ``a<32 hex>`` are kept as event ids; other ids (``a17``)
give a stable id, so a second import adds nothing. DTDs and entities are refused.
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from pathlib import Path, PurePath
from typing import Any, Iterable, Mapping

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, utcnow
from . import xmlsafe
from .common import (
    EVENT_ID_NAMESPACE,
    EventIds,
    KindResolver,
    Problems,
    as_recordings,
    finish_event,
    iso_utc,
    parse_iso,
    recording_key,
    sort_events,
    to_ms,
)

NAME = "eaf"
TITLE = "ELAN annotation file (EAF 3.0)"
SUFFIXES = (".eaf",)
MEDIA_TYPE = "application/xml"

DEFAULT_POINT_LENGTH_S = 1.0
DETAILS_TYPE = "cx-details"
_DETAILS_SUFFIX = " details"
_CONSTRAINTS = (
    ("Time_Subdivision", "Time subdivision of parent annotation's time interval, no time gaps allowed within this interval"),
    ("Symbolic_Subdivision", "Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered"),
    ("Symbolic_Association", "1-1 association with a parent annotation"),
    ("Included_In", "Time alignable annotations within the parent annotation's time interval, gaps are allowed"),
)


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    author: str = "cx-annotate",
    point_length_s: float = DEFAULT_POINT_LENGTH_S,
    details: bool = True,
    date: Any = None,
) -> bytes:
    """Return an EAF 3.0 document (UTF-8) for the events of one recording.

    Raises ValidationError if the events belong to more than one recording
    (an ELAN file describes one media file).
    """
    events = sort_events(list(events))
    recs = as_recordings(recordings)
    rids = {e.recording_id for e in events}
    if len(rids) > 1:
        raise ValidationError("an ELAN file describes one recording; export the recordings one at a time")
    rid = next(iter(rids)) if rids else (next(iter(recs)) if len(recs) == 1 else None)
    rec = recs.get(rid)
    book = codebook or Codebook()
    point_ms = max(1, int(round(point_length_s * 1000)))

    # time slots: every boundary, numbered in time order
    bounds = []
    for n, ev in enumerate(events):
        start = to_ms(ev.start_s)
        end = start + point_ms if ev.end_s is None else to_ms(ev.end_s)
        bounds += [(start, n, 0), (end, n, 1)]
    bounds.sort()
    slot_of: dict[tuple[int, int], str] = {}
    slots = []
    for i, (ms, n, side) in enumerate(bounds, 1):
        slot_of[(n, side)] = f"ts{i}"
        slots.append(f'        <TIME_SLOT TIME_SLOT_ID="ts{i}" TIME_VALUE="{ms}"/>')

    by_kind: dict[Kind, list[tuple[int, Event]]] = {k: [] for k in Kind}
    for n, ev in enumerate(events):
        by_kind[ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind))].append((n, ev))
    vocab = {k: _vocabulary(k, book, [e.label for _, e in by_kind[k]]) for k in Kind}

    x, a = xmlsafe.text, xmlsafe.attr
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ANNOTATION_DOCUMENT AUTHOR="{a(author)}" DATE="{_xsd_datetime(date)}" FORMAT="3.0" VERSION="3.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd">',
        '    <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">',
    ]
    if rec is not None and rec.path:
        out.append(f'        <MEDIA_DESCRIPTOR MEDIA_URL="{a(_media_url(rec.path))}" MIME_TYPE="{a(_mime(rec.path))}" '
                   f'RELATIVE_MEDIA_URL="{a("./" + PurePath(rec.path).name)}"/>')
    urn = uuid.uuid5(EVENT_ID_NAMESPACE, recording_key(rec) if rec is not None else "no recording")
    out += [
        f'        <PROPERTY NAME="URN">urn:nl-mpi-tools-elan-eaf:{urn}</PROPERTY>',
        f'        <PROPERTY NAME="lastUsedAnnotationId">{len(events)}</PROPERTY>',
        "    </HEADER>",
        "    <TIME_ORDER>", *slots, "    </TIME_ORDER>",
    ]
    for kind in Kind:
        annotators = sorted({e.reviewer for _, e in by_kind[kind] if e.reviewer})
        who = f' ANNOTATOR="{a(", ".join(annotators))}"' if annotators else ""
        out.append(f'    <TIER LINGUISTIC_TYPE_REF="{kind.short} labels" TIER_ID="{kind.short}"{who}>')
        entries = vocab[kind]
        for n, ev in by_kind[kind]:
            cve = entries.get(ev.label)
            ref = f' CVE_REF="{cve}"' if cve else ""
            out += [
                "        <ANNOTATION>",
                f'            <ALIGNABLE_ANNOTATION ANNOTATION_ID="a{ev.id}" TIME_SLOT_REF1="{slot_of[(n, 0)]}" '
                f'TIME_SLOT_REF2="{slot_of[(n, 1)]}"{ref}>',
                f"                <ANNOTATION_VALUE>{x(ev.label)}</ANNOTATION_VALUE>",
                "            </ALIGNABLE_ANNOTATION>",
                "        </ANNOTATION>",
            ]
        out.append("    </TIER>")
        if details:
            out.append(f'    <TIER LINGUISTIC_TYPE_REF="{DETAILS_TYPE}" PARENT_REF="{kind.short}" '
                       f'TIER_ID="{kind.short}{_DETAILS_SUFFIX}">')
            for _, ev in by_kind[kind]:
                out += [
                    "        <ANNOTATION>",
                    f'            <REF_ANNOTATION ANNOTATION_ID="d{ev.id}" ANNOTATION_REF="a{ev.id}">',
                    f"                <ANNOTATION_VALUE>{x(_details(ev))}</ANNOTATION_VALUE>",
                    "            </REF_ANNOTATION>",
                    "        </ANNOTATION>",
                ]
            out.append("    </TIER>")
    for kind in Kind:
        out.append(f'    <LINGUISTIC_TYPE CONTROLLED_VOCABULARY_REF="{kind.short} labels" GRAPHIC_REFERENCES="false" '
                   f'LINGUISTIC_TYPE_ID="{kind.short} labels" TIME_ALIGNABLE="true"/>')
    if details:
        out.append(f'    <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false" '
                   f'LINGUISTIC_TYPE_ID="{DETAILS_TYPE}" TIME_ALIGNABLE="false"/>')
    out.append('    <LANGUAGE LANG_DEF="http://cdb.iso.org/lg/CDB-00130975-001" LANG_ID="eng" LANG_LABEL="English (eng)"/>')
    out += [f'    <CONSTRAINT DESCRIPTION="{a(d)}" STEREOTYPE="{s}"/>' for s, d in _CONSTRAINTS]
    for kind in Kind:
        out.append(f'    <CONTROLLED_VOCABULARY CV_ID="{kind.short} labels">')
        out.append(f'        <DESCRIPTION LANG_REF="eng">{x(kind.title)} labels from the cx-annotate codebook</DESCRIPTION>')
        for label, cve in vocab[kind].items():
            out += [
                f'        <CV_ENTRY_ML CVE_ID="{cve}">',
                f'            <CVE_VALUE LANG_REF="eng">{x(label)}</CVE_VALUE>',
                "        </CV_ENTRY_ML>",
            ]
        out.append("    </CONTROLLED_VOCABULARY>")
    out += ["</ANNOTATION_DOCUMENT>", ""]
    return "\n".join(out).encode("utf-8")


def _vocabulary(kind: Kind, book: Codebook, used: list[str]) -> dict[str, str]:
    labels = dict.fromkeys(t for t in book.label_texts(kind) + used if t)
    return {label: f"cveid_{kind.short.lower()}_{i}" for i, label in enumerate(labels, 1)}


def _details(ev: Event) -> str:
    data = {
        "id": ev.id, "point": ev.end_s is None, "stage": ev.stage, "channel": ev.channel, "actor": ev.actor,
        "expectation": ev.expectation, "emotion": ev.emotion, "note": ev.note, "reviewer": ev.reviewer,
        "created_at": iso_utc(ev.created_at) or None, "updated_at": iso_utc(ev.updated_at) or None,
    }
    return json.dumps(data, ensure_ascii=False)


def _xsd_datetime(value: Any) -> str:
    return iso_utc(value or utcnow()).replace("Z", "+00:00")


def _media_url(path: str) -> str:
    return Path(path).absolute().as_uri()


def _mime(path: str) -> str:
    guess = mimetypes.guess_type(path)[0]
    return guess if guess and guess.startswith(("video/", "audio/")) else "video/mp4"


# --- import -----------------------------------------------------------------------


def loads(
    data: bytes | str,
    *,
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Any = None,
    source: str = "events.eaf",
) -> list[Event]:
    """Return the validated events in an ELAN file's tiers that name (or are mapped to) a kind.

    Raises FormatError listing every bad annotation by tier and annotation id,
    or when no tier maps to a kind.
    """
    problems = Problems(source)
    root = xmlsafe.parse_xml(data, problems)
    if _local(root.tag) != "ANNOTATION_DOCUMENT":
        problems.fail(None, f"is an XML file with a <{_local(root.tag)}> root, not an ELAN .eaf file")
    header = _child(root, "HEADER")
    units = header.get("TIME_UNITS", "milliseconds") if header is not None else "milliseconds"
    if units != "milliseconds":
        problems.fail("HEADER", f"uses {units} time units; save it from ELAN with milliseconds")
    origin = 0
    media = _child(header, "MEDIA_DESCRIPTOR") if header is not None else None
    if media is not None and media.get("TIME_ORIGIN"):
        try:
            origin = int(media.get("TIME_ORIGIN"))
        except ValueError:
            problems.fail("MEDIA_DESCRIPTOR", f"TIME_ORIGIN '{media.get('TIME_ORIGIN')}' is not milliseconds")

    slots: dict[str, int | None] = {}
    bad_slots: set[str] = set()
    order = _child(root, "TIME_ORDER")
    for n, slot in enumerate(_children(order, "TIME_SLOT") if order is not None else [], 1):
        sid, value = slot.get("TIME_SLOT_ID"), slot.get("TIME_VALUE")
        if value is None:
            slots[sid] = None
            continue
        try:
            ms = int(value)
        except ValueError:
            problems.add(f"time slot {sid or n}", f"TIME_VALUE '{value}' is not a whole number of milliseconds")
            bad_slots.add(sid)
            continue
        if ms < 0:
            problems.add(f"time slot {sid or n}", f"TIME_VALUE {ms} is negative; times count from 0")
            bad_slots.add(sid)
            continue
        slots[sid] = ms

    kinds = KindResolver(mapping)
    tiers = _children(root, "TIER")
    details: dict[str, dict] = {}
    for tier in tiers:
        if tier.get("PARENT_REF") and (tier.get("LINGUISTIC_TYPE_REF") == DETAILS_TYPE
                                       or (tier.get("TIER_ID") or "").endswith(_DETAILS_SUFFIX)):
            for ref in tier.iter("REF_ANNOTATION"):
                try:
                    value = json.loads(_value(ref))
                except ValueError:
                    continue  # a details tier someone typed into: the annotation still imports
                if isinstance(value, dict):
                    details[ref.get("ANNOTATION_REF", "")] = value
    chosen = [(t, kinds.lookup(t.get("TIER_ID", ""))) for t in tiers if not t.get("PARENT_REF")]
    chosen = [(t, k) for t, k in chosen if k is not None]
    if not chosen:
        names = ", ".join(t.get("TIER_ID", "?") for t in tiers)[:120] or "none"
        problems.fail(None, f"has no tier named after a kind (tiers: {names}); name tiers MOT, INT and DEC "
                            "or map them (--map 'TIER=MOT')")

    ids = EventIds(recording)
    seen: dict[str, str] = {}
    out: list[Event] = []
    for tier, kind in chosen:
        tid = tier.get("TIER_ID")
        for n, ann in enumerate(tier.iter("ALIGNABLE_ANNOTATION"), 1):
            aid = ann.get("ANNOTATION_ID") or ""
            where = f"tier {tid} annotation {aid or n}"
            if {ann.get("TIME_SLOT_REF1"), ann.get("TIME_SLOT_REF2")} & bad_slots:
                continue  # its time slot is already reported
            try:
                start = _slot_time(slots, ann.get("TIME_SLOT_REF1"))
                end = _slot_time(slots, ann.get("TIME_SLOT_REF2"))
                if end < start:
                    raise ValidationError(f"ends ({end} ms) before it starts ({start} ms); times are out of order")
                extra = details.get(aid, {})
                event = _event(kind, (start + origin) / 1000, (end + origin) / 1000, _value(ann), extra)
            except ValidationError as exc:
                problems.add(where, exc)
                continue
            raw_id = str(extra.get("id") or (aid[1:] if aid.startswith("a") and len(aid) == 33 else aid))
            event.recording_id = recording.id
            event = finish_event(event, recording, problems, where, ids, raw_id, seen)
            if event is not None:
                out.append(event)
    problems.raise_if_any()
    return out


def _event(kind: Kind, start: float, end: float, label: str, extra: dict) -> Event:
    end_s = None if extra.get("point") is True else end
    texts = {k: str(extra.get(k) or "") for k in ("stage", "channel", "actor", "expectation", "note", "reviewer")}
    return Event(
        kind=kind,
        start_s=start,
        end_s=end_s,
        label=label,
        emotion=extra.get("emotion"),
        id="",
        created_at=parse_iso("created_at", str(extra.get("created_at") or "")),
        updated_at=parse_iso("updated_at", str(extra.get("updated_at") or "")),
        **texts,
    )


def _slot_time(slots: dict[str, int | None], ref: str | None) -> int:
    if ref is None or ref not in slots:
        raise ValidationError(f"refers to time slot '{ref}', which TIME_ORDER does not define")
    value = slots[ref]
    if value is None:
        raise ValidationError(f"time slot {ref} has no time (unaligned); align the annotation in ELAN")
    return value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem, name: str):
    return None if elem is None else elem.find(name)


def _children(elem, name: str) -> list:
    return [] if elem is None else elem.findall(name)


def _value(ann) -> str:
    value = ann.find("ANNOTATION_VALUE")
    return "" if value is None or value.text is None else value.text
