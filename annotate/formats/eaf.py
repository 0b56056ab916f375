"""ELAN annotation files (``.eaf``, EAF 3.0): one tier per kind, the codebook as controlled vocabularies.

Export (one recording per file, times in milliseconds):

- ``HEADER`` with a ``MEDIA_DESCRIPTOR`` pointing at the recording (absolute
  ``file://`` URL plus the relative file name, in which characters XML refuses
  are percent-encoded) and its MIME type;
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
import re
import uuid
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path, PurePath
from urllib.parse import quote
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..errors import FormatError, ValidationError
from ..model import Codebook, Event, Kind, Recording, utcnow
from . import columns as colwise
from . import xmlsafe
from .common import (
    EVENT_ID_NAMESPACE,
    Importer,
    KindResolver,
    Problems,
    as_recordings,
    iso_utc,
    json_value,
    parse_iso,
    recording_key,
    sort_events,
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
    events = list(events)
    point_ms = max(1, int(round(point_length_s * 1000)))
    with colwise.no_gc():
        fast = _columns(events, point_ms, details)
    if fast is not None:
        events, get, slots, annotation_lines, details_lines = fast
        slot_of: list[str] = []
    else:
        events = sort_events(events)
    recs = as_recordings(recordings)
    rids = {e.recording_id for e in events} if fast is None else set(get("recording_id"))
    if len(rids) > 1:
        raise ValidationError("an ELAN file describes one recording; export the recordings one at a time")
    rid = next(iter(rids)) if rids else (next(iter(recs)) if len(recs) == 1 else None)
    rec = recs.get(rid)
    book = codebook or Codebook()
    if fast is None:
        slots, slot_of = _slots(events, point_ms)
        annotation_lines = details_lines = None

    # each kind's events (their indexes), labels and reviewers
    rows: dict[Kind, list[int]] = {k: [] for k in Kind}
    if fast is not None:  # the kinds are all Kinds, as _columns checked
        labels, reviewers = get("label"), get("reviewer")
        codes = np.array(list(map(_KIND_CODES.__getitem__, map(attrgetter("_value_"), get("kind")))), dtype=np.int8)
        for code, kind in enumerate(Kind):
            rows[kind] = np.flatnonzero(codes == code).tolist()
    else:
        for n, ev in enumerate(events):
            rows[ev.kind if isinstance(ev.kind, Kind) else Kind(str(ev.kind))].append(n)
        labels, reviewers = [e.label for e in events], [e.reviewer for e in events]
    vocab = {k: _vocabulary(k, book, list(map(labels.__getitem__, rows[k]))) for k in Kind}

    x, a = xmlsafe.text, xmlsafe.attr
    out: list[str | bytes] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ANNOTATION_DOCUMENT AUTHOR="{a(author)}" DATE="{_xsd_datetime(date)}" FORMAT="3.0" VERSION="3.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="http://www.mpi.nl/tools/elan/EAFv3.0.xsd">',
        '    <HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">',
    ]
    if rec is not None and rec.path:
        out.append(f'        <MEDIA_DESCRIPTOR MEDIA_URL="{a(_media_url(rec.path))}" MIME_TYPE="{a(_mime(rec.path))}" '
                   f'RELATIVE_MEDIA_URL="{a(_relative_url(rec.path))}"/>')
    urn = uuid.uuid5(EVENT_ID_NAMESPACE, recording_key(rec) if rec is not None else "no recording")
    out += [
        f'        <PROPERTY NAME="URN">urn:nl-mpi-tools-elan-eaf:{urn}</PROPERTY>',
        f'        <PROPERTY NAME="lastUsedAnnotationId">{len(events)}</PROPERTY>',
        "    </HEADER>",
        "    <TIME_ORDER>", *([slots] if fast is not None else slots), "    </TIME_ORDER>",
    ]
    for kind in Kind:
        annotators = sorted({r for r in map(reviewers.__getitem__, rows[kind]) if r})
        who = f' ANNOTATOR="{a(", ".join(annotators))}"' if annotators else ""
        out.append(f'    <TIER LINGUISTIC_TYPE_REF="{kind.short} labels" TIER_ID="{kind.short}"{who}>')
        entries = vocab[kind]
        # label -> its ' CVE_REF="..."' and escaped value: labels repeat from event to event
        values = {label: (f' CVE_REF="{cve}"' if cve else "", x(label)) for label, cve in entries.items()}
        if annotation_lines is not None:
            out.append(annotation_lines(rows[kind], values))
        else:
            for n, ev in ((n, events[n]) for n in rows[kind]):
                ref, value = values.get(ev.label) or ("", x(ev.label))
                out.append(
                    "        <ANNOTATION>\n"
                    f'            <ALIGNABLE_ANNOTATION ANNOTATION_ID="a{a(ev.id)}" TIME_SLOT_REF1="{slot_of[2 * n]}" '
                    f'TIME_SLOT_REF2="{slot_of[2 * n + 1]}"{ref}>\n'
                    f"                <ANNOTATION_VALUE>{value}</ANNOTATION_VALUE>\n"
                    "            </ALIGNABLE_ANNOTATION>\n"
                    "        </ANNOTATION>"
                )
        out.append("    </TIER>")
        if details:
            out.append(f'    <TIER LINGUISTIC_TYPE_REF="{DETAILS_TYPE}" PARENT_REF="{kind.short}" '
                       f'TIER_ID="{kind.short}{_DETAILS_SUFFIX}">')
            if details_lines is not None:
                out.append(details_lines(rows[kind]))
            else:
                evs = [events[n] for n in rows[kind]]
                for ev, text in zip(evs, _details_texts(evs)):
                    out.append(
                        "        <ANNOTATION>\n"
                        f'            <REF_ANNOTATION ANNOTATION_ID="d{a(ev.id)}" ANNOTATION_REF="a{a(ev.id)}">\n'
                        f"                <ANNOTATION_VALUE>{text}</ANNOTATION_VALUE>\n"
                        "            </REF_ANNOTATION>\n"
                        "        </ANNOTATION>"
                    )
            out.append("    </TIER>")
    return _finish(out, vocab, details)


_KIND_CODES = {k.value: code for code, k in enumerate(Kind)}
_DETAIL_KEYS = ("id", "point", "stage", "channel", "actor", "expectation", "emotion", "note", "reviewer",
                "created_at", "updated_at")
# A text JSON writes as it is, between quotes, and XML as it is: no '"', '\', control character, '&', '<', '>',
# U+FFFE or U+FFFF (which XML refuses).
_PLAIN_JSON = r'^[^"\\\x00-\x1f&<>\x{fffe}\x{ffff}]*$'


def _columns(events: list[Event], point_ms: int, details: bool) -> tuple | None:
    """Return what ``dumps`` writes for the events, made a field at a time; None to write event by event.

    Gives the events in ``sort_events`` order, a getter of their fields
    (``colwise.fields_of``, in that order), the TIME_SLOT lines, and
    functions giving a tier's annotation lines and its details lines (None
    without details); the lines as UTF-8, each ending in a newline. Handles
    one recording's events with Kind kinds, float times and str ids.
    """
    pa = colwise.arrow()
    if pa is None or len(events) < colwise.MIN_EVENTS:
        return None
    field = colwise.fields_of(events)
    kinds, starts, ends, ids = field("kind"), field("start_s"), field("end_s"), field("id")
    if len(set(field("recording_id"))) > 1 or not (colwise.only_type(kinds, Kind) and colwise.only_type(starts, float)
                                                   and colwise.only_type(ends, float, type(None))
                                                   and colwise.only_type(ids, str)) or not xmlsafe.plain("".join(ids)):
        return None  # ids written as they are (numpy pads texts with NUL: an id ending in one would sort as without it)
    start = np.array(starts, dtype=np.float64)
    end = np.array(ends, dtype=np.float64)  # None -> NaN
    point = np.isnan(end)
    if int(point.sum()) != ends.count(None) or not (np.isfinite(start).all() and np.isfinite(end[~point]).all()):
        return None
    # sort_events' order: by start, end (-1 for a point), id; stable like sorted()
    order = np.lexsort((np.array(ids), np.where(point, -1.0, end), start))
    start_ms, end_ms = np.rint(start * 1000.0)[order], np.rint(np.where(point, 0.0, end) * 1000.0)[order]
    count, twice = len(events), 2 * len(events)
    if max(np.abs(start_ms).max(), np.abs(end_ms).max()) * twice >= 2**60:
        return None
    point = point[order]
    start_ms = start_ms.astype(np.int64)
    end_ms = np.where(point, start_ms + point_ms, end_ms.astype(np.int64))
    events = list(map(events.__getitem__, order.tolist()))
    field = _reordered(field, order.tolist())

    # time slots: every boundary, numbered in time order (as _slots numbers them)
    index = np.arange(count, dtype=np.int64)
    keys = np.sort(np.concatenate([start_ms * twice + 2 * index, end_ms * twice + 2 * index + 1]))
    ms, at = np.divmod(keys, twice)
    numbers = np.arange(1, twice + 1, dtype=np.int64)
    text, lines = colwise.text_array, colwise.join_lines
    slots = lines(['        <TIME_SLOT TIME_SLOT_ID="ts', text(numbers), '" TIME_VALUE="', text(ms), '"/>'], "", "\n")
    slot = np.empty(twice, dtype=np.int64)
    slot[at] = numbers
    labels = field("label")
    if not colwise.only_type(labels, str):
        return None
    ids = text(field("id"))
    head = pa.compute.binary_join_element_wise(
        '        <ANNOTATION>\n            <ALIGNABLE_ANNOTATION ANNOTATION_ID="a', ids, '" TIME_SLOT_REF1="ts',
        text(slot[0::2]), '" TIME_SLOT_REF2="ts', text(slot[1::2]), '"', "")
    x = xmlsafe.text

    def annotation_lines(chosen: list[int], values: dict[str, tuple[str, str]]) -> bytes:
        memo: dict[str, tuple[str, str]] = {}
        refs, texts = [], []
        for label in map(labels.__getitem__, chosen):
            pair = memo.get(label)
            if pair is None:
                pair = memo[label] = values.get(label) or ("", x(label))
            refs.append(pair[0])
            texts.append(pair[1])
        return lines([colwise.take(head, np.array(chosen, dtype=np.int64)), text(refs),
                      ">\n                <ANNOTATION_VALUE>", text(texts),
                      "</ANNOTATION_VALUE>\n            </ALIGNABLE_ANNOTATION>\n        </ANNOTATION>"], "", "\n")

    if not details:
        return events, field, slots, annotation_lines, None
    cells = _details_cells(field, point, ids)
    if cells is None:
        return None

    def details_lines(chosen: list[int]) -> bytes:
        which = np.array(chosen, dtype=np.int64)
        return lines([colwise.take(cell, which) for cell in cells], "", "\n")

    return events, field, slots, annotation_lines, details_lines


def _reordered(field: Callable[[str], list[Any]], order: list[int]) -> Callable[[str], list[Any]]:
    """Return a getter like ``field`` giving each field's values in ``order`` (indexes)."""
    columns: dict[str, list[Any]] = {}

    def get(name: str) -> list[Any]:
        if name not in columns:
            columns[name] = list(map(field(name).__getitem__, order))
        return columns[name]

    return get


def _details_cells(field: Any, point: np.ndarray, ids: Any) -> list[Any] | None:
    """Return the pieces (Arrow arrays and text) whose joining gives each event's REF_ANNOTATION lines.

    The details are written as ``_details_texts`` writes them (JSON escaped
    for XML), a field at a time; None for fields of unexpected types.
    """
    pa, quoted = colwise.arrow(), _json_cells
    emotions = field("emotion")
    if not colwise.only_type(emotions, int, type(None)):
        return None
    values: dict[str, Any] = {"id": quoted(ids), "point": pa.compute.if_else(pa.array(point), "true", "false"),
                              "emotion": colwise.text_array(list(map({e: json.dumps(e) for e in set(emotions)}.__getitem__,
                                                                     emotions)))}
    for name in ("stage", "channel", "actor", "expectation", "note", "reviewer"):
        texts = field(name)
        if not colwise.only_type(texts, str):
            return None
        values[name] = quoted(colwise.text_array(texts))
    for name in ("created_at", "updated_at"):
        times = field(name)
        iso = None if None in times else colwise.iso_text(times)
        if iso is None:
            texts = [iso_utc(t) or None for t in times]
            values[name] = colwise.text_array([x if x is None else json.dumps(x) for x in texts])
            values[name] = pa.compute.fill_null(values[name], "null")
        else:
            values[name] = quoted(iso)
    cells: list[Any] = ['        <ANNOTATION>\n            <REF_ANNOTATION ANNOTATION_ID="d', ids,
                        '" ANNOTATION_REF="a', ids, '">\n                <ANNOTATION_VALUE>{']
    for n, name in enumerate(_DETAIL_KEYS):
        cells += [f'{", " if n else ""}"{name}": ', values[name]]
    cells.append("}</ANNOTATION_VALUE>\n            </REF_ANNOTATION>\n        </ANNOTATION>")
    return cells


def _json_cells(texts: Any) -> Any:
    """Return Arrow strings as JSON strings escaped for XML: ``xmlsafe.text(json.dumps(t, ensure_ascii=False))``."""
    pc = colwise.arrow().compute
    if colwise.all_match(texts, _PLAIN_JSON):
        return pc.binary_join_element_wise('"', texts, '"', "")
    return colwise.text_array(colwise.map_unique(texts, lambda t: xmlsafe.text(json.dumps(t, ensure_ascii=False))))


def _slots(events: list[Event], point_ms: int) -> tuple[list[str], list[str]]:
    """Return the TIME_SLOT lines and each event's slot ids (start at 2n, end at 2n + 1), event by event."""
    # time slots: every boundary, numbered in time order. A boundary (ms, event n, side) is
    # sorted as the one integer (ms * N + n) * 2 + side: the same order as the tuples, quicker.
    twice = 2 * max(len(events), 1)
    keys = []
    for n, ev in enumerate(events):
        start = int(round(ev.start_s * 1000))  # to_ms, inline
        end = start + point_ms if ev.end_s is None else int(round(ev.end_s * 1000))
        keys.append(start * twice + 2 * n)
        keys.append(end * twice + 2 * n + 1)
    keys.sort()
    slot_of = [""] * len(keys)  # by 2 * n + side
    slots = []
    for i, key in enumerate(keys, 1):
        ms, at = divmod(key, twice)
        slot_of[at] = f"ts{i}"
        slots.append(f'        <TIME_SLOT TIME_SLOT_ID="ts{i}" TIME_VALUE="{ms}"/>')
    return slots, slot_of


def _finish(out: list[str | bytes], vocab: dict[Kind, dict[str, str]], details: bool) -> bytes:
    """Return the document: ``out`` (header, time slots, tiers) and the types, constraints and vocabularies."""
    x, a = xmlsafe.text, xmlsafe.attr
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
    out.append("</ANNOTATION_DOCUMENT>")
    return _joined(out)


def _joined(out: list[str | bytes]) -> bytes:
    """Return the lines of ``out`` as UTF-8, each ending in a newline; a bytes item is such lines already."""
    chunks: list[bytes] = []
    lines: list[str] = []
    for item in out:
        if isinstance(item, bytes):
            chunks += [("\n".join(lines) + "\n").encode("utf-8") if lines else b"", item]
            lines = []
        else:
            lines.append(item)
    chunks.append(("\n".join(lines) + "\n").encode("utf-8"))
    return b"".join(chunks)


def _vocabulary(kind: Kind, book: Codebook, used: list[str]) -> dict[str, str]:
    labels = dict.fromkeys(t for t in book.label_texts(kind) + used if t)
    return {label: f"cveid_{kind.short.lower()}_{i}" for i, label in enumerate(labels, 1)}


def _details_dict(ev: Event) -> dict[str, Any]:
    return {
        "id": ev.id, "point": ev.end_s is None, "stage": ev.stage, "channel": ev.channel, "actor": ev.actor,
        "expectation": ev.expectation, "emotion": ev.emotion, "note": ev.note, "reviewer": ev.reviewer,
        "created_at": iso_utc(ev.created_at) or None, "updated_at": iso_utc(ev.updated_at) or None,
    }


_BOUNDARY = '}, {"id": '


def _details_texts(events: list[Event]) -> list[str]:
    """Return each event's details as JSON escaped for element content.

    All go through json's C encoder (and the XML escape) in one call, cut where
    one event ends and the next begins: ``}, {"id": `` occurs nowhere else,
    since inside a JSON string every ``"`` is escaped.
    """
    return _details_json([_details_dict(ev) for ev in events])


def _details_json(dicts: list[dict[str, Any]]) -> list[str]:
    """Return each details dict as JSON escaped for element content (see ``_details_texts``)."""
    if not dicts:
        return []
    parts = xmlsafe.text(json.dumps(dicts, ensure_ascii=False))[2:-2].split(_BOUNDARY)
    if len(parts) != len(dicts):  # a field holding an object: one by one
        return [xmlsafe.text(json.dumps(d, ensure_ascii=False)) for d in dicts]
    parts[0] = parts[0][6:]  # '"id": ' of the first, which the split left in place
    return ['{"id": ' + part + "}" for part in parts]


def _xsd_datetime(value: Any) -> str:
    return iso_utc(value or utcnow()).replace("Z", "+00:00")


def _media_url(path: str) -> str:
    """Return the ``file://`` URL of ``path`` (made absolute), every byte that needs it percent-encoded."""
    absolute = Path(path).absolute()
    try:
        return absolute.as_uri()
    except UnicodeEncodeError:  # a lone surrogate the file system encoding cannot give back as a byte
        return "file://" + quote(str(absolute).encode("utf-8", "surrogatepass"))


def _relative_url(path: str) -> str:
    """Return ``./`` and the file name of ``path``, the characters XML refuses in it percent-encoded."""
    name = "./" + PurePath(path).name
    if xmlsafe.xml_chars(name) == name:
        return name
    return "".join(c if xmlsafe.xml_chars(c) else quote(c.encode("utf-8", "surrogateescape" if "\udc80" <= c <= "\udcff"
                                                            else "surrogatepass"))
                   for c in name)


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
    with colwise.no_gc():  # the collector would walk the tree and the new events again and again
        return _read(data, recording, mapping, Problems(source))


def _read(data: bytes | str, recording: Recording, mapping: Any, problems: Problems) -> list[Event]:
    """Return the events of ``loads``, with the problems collected in ``problems``."""
    root, cut = _parse(data, problems)
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
    slots, bad_slots = _time_slots(_child(root, "TIME_ORDER"), cut, problems)

    kinds = KindResolver(mapping)
    tiers = _children(root, "TIER")
    details: dict[str, dict] = {}
    for tier in tiers:
        if tier.get("PARENT_REF") and (tier.get("LINGUISTIC_TYPE_REF") == DETAILS_TYPE
                                       or (tier.get("TIER_ID") or "").endswith(_DETAILS_SUFFIX)):
            details.update(_references(tier, cut))
    chosen = [(t, kinds.lookup(t.get("TIER_ID", ""))) for t in tiers if not t.get("PARENT_REF")]
    chosen = [(t, k) for t, k in chosen if k is not None]
    if not chosen:
        names = ", ".join(t.get("TIER_ID", "?") for t in tiers)[:120] or "none"
        problems.fail(None, f"has no tier named after a kind (tiers: {names}); name tiers MOT, INT and DEC "
                            "or map them (--map 'TIER=MOT')")

    sink = Importer(recording, problems, _annotation_place, defer=True)
    annotations = [(tier.get("TIER_ID"), kind, _annotations(tier, cut)) for tier, kind in chosen]
    if not (colwise.ENABLED and not bad_slots and _add_columns(sink, annotations, slots, origin, details)):
        _add_each(sink, annotations, slots, bad_slots, origin, details)
    sink.finish()
    problems.raise_if_any()
    return sink.events


def _time_slots(order, cut: dict, problems: Problems) -> tuple[dict[str | None, int | None], set[str | None]]:
    """Return the time slots (id -> ms, None when unaligned) and the ids of those with a bad time (reported)."""
    found = cut.get(order) if order is not None else None
    if found is not None:  # read from the text: ids, and times of digits only
        sids, values = zip(*found[1])
        return dict(zip(sids, map(int, values))), set()
    slots: dict[str | None, int | None] = {}
    bad_slots: set[str | None] = set()
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
    return slots, bad_slots


def _references(tier, cut: dict) -> list[tuple[str, Any]]:
    """Return (ANNOTATION_REF, details) for each REF_ANNOTATION of ``tier`` whose value is a JSON object.

    The details are that object, or for details as this module writes them
    the tuple of their values as written (see ``_canonical_details``).
    Other values are left out: a details tier someone typed into still imports.
    """
    found = cut.get(tier)
    if found is not None:
        return found[1] if found[0] == "ref" else []
    pairs = [(ref.get("ANNOTATION_REF", ""), _json_or_none(_value(ref))) for ref in tier.iter("REF_ANNOTATION")]
    return [(ref, value) for ref, value in pairs if isinstance(value, dict)]


def _annotations(tier, cut: dict) -> list[tuple[str, str | None, str | None, str]]:
    """Return each ALIGNABLE_ANNOTATION of ``tier`` as (id or "", TIME_SLOT_REF1, TIME_SLOT_REF2, value)."""
    found = cut.get(tier)
    if found is not None:
        return found[1] if found[0] == "align" else []
    return [(ann.get("ANNOTATION_ID") or "", ann.get("TIME_SLOT_REF1"), ann.get("TIME_SLOT_REF2"), _value(ann))
            for ann in tier.iter("ALIGNABLE_ANNOTATION")]


def _json_or_none(text: str) -> Any:
    try:
        return json_value(text)
    except ValueError:
        return None


def _add_each(sink: Importer, annotations: list, slots: dict, bad_slots: set, origin: int, details: dict) -> None:
    """Give ``sink`` the event of each annotation (or report why it has none), one at a time."""
    rid = sink.recording.id
    problems = sink.problems
    for tid, kind, rows in annotations:
        for n, (aid, ref1, ref2, value) in enumerate(rows, 1):
            if bad_slots and (ref1 in bad_slots or ref2 in bad_slots):
                continue  # its time slot is already reported
            start = slots.get(ref1) if ref1 is not None else None
            end = slots.get(ref2) if ref2 is not None else None
            try:
                if start is None:
                    start = _slot_time(slots, ref1)
                if end is None:
                    end = _slot_time(slots, ref2)
                if end < start:
                    raise ValidationError(f"ends ({end} ms) before it starts ({start} ms); times are out of order")
                extra = details.get(aid) or _NO_DETAILS
                if type(extra) is tuple:
                    extra = _canonical_details(extra)
                event = _event(kind, (start + origin) / 1000, (end + origin) / 1000, value, extra)
            except ValidationError as exc:
                problems.add(_annotation_place((tid, aid or n)), exc)
                continue
            raw_id = extra.get("id") or (aid[1:] if aid.startswith("a") and len(aid) == 33 else aid)
            event.recording_id = rid
            sink.add(event, (tid, aid or n), raw_id if type(raw_id) is str else str(raw_id))


def _add_columns(sink: Importer, annotations: list, slots: dict, origin: int, details: dict) -> bool:
    """Give ``sink`` the events of all annotations a field at a time; return False (adding nothing) when it can't.

    It can when every annotation refers to aligned time slots in order and
    every event is valid as it stands: what ``_add_each`` then gives.
    """
    count = sum(len(rows) for _, _, rows in annotations)
    if count < colwise.MIN_EVENTS:
        return False
    aids, refs1, refs2, labels = map(list, zip(*chain.from_iterable(rows for _, _, rows in annotations)))
    if None in refs1 or None in refs2:
        return False
    try:
        start = np.array(list(map(slots.__getitem__, refs1)), dtype=np.int64)
        end = np.array(list(map(slots.__getitem__, refs2)), dtype=np.int64)
    except (KeyError, TypeError, OverflowError):  # an unknown or unaligned slot, or a huge time: one at a time
        return False
    if (end < start).any() or max(int(end.max()), abs(origin)) >= 2**51:
        return False
    fields = _detail_columns([details.get(aid) or _NO_DETAILS for aid in aids])
    columns: dict[str, list[Any]] = {
        "kind": list(chain.from_iterable([kind] * len(rows) for _, kind, rows in annotations)),
        "start_s": ((start + origin) / 1000).tolist(),  # exact ints, so the same double as int / int
        "end_s": [None if p is True else e for p, e in zip(fields["point"], ((end + origin) / 1000).tolist())],
        "label": labels,
        "emotion": fields["emotion"],
    }
    for name in _DETAIL_TEXTS + ("created_at", "updated_at"):
        values = fields[name]
        columns[name] = values if _all_text(values) else [v if type(v) is str else str(v or "") for v in values]
    for name in ("created_at", "updated_at"):
        columns[name] = colwise.iso_column(columns[name])
        if columns[name] is None:
            return False
    raw_ids = fields["id"]
    if not (_all_text(raw_ids) and all(raw_ids)):
        raw_ids = [raw_id or (aid[1:] if aid.startswith("a") and len(aid) == 33 else aid)
                   for raw_id, aid in zip(raw_ids, aids)]
        raw_ids = [raw_id if type(raw_id) is str else str(raw_id) for raw_id in raw_ids]
    wheres: list[tuple[str | None, Any]] = []
    for tid, _, rows in annotations:
        tier_aids = [row[0] for row in rows]
        wheres += zip([tid] * len(rows), tier_aids) if all(tier_aids) else [
            (tid, aid or n) for n, aid in enumerate(tier_aids, 1)]
    return sink.add_columns(columns, wheres, raw_ids)


def _all_text(values: list[Any]) -> bool:
    """Return True when every value is a str; values read from JSON or the text are never of a subclass of str."""
    try:
        "".join(values)
    except TypeError:
        return False
    return True


def _detail_columns(extras: list[Any]) -> dict[str, list[Any]]:
    """Return the values of each details key (None where missing) in ``extras``, a list per key.

    ``extras`` holds details dicts and details as written (tuples, see ``_canonical_details``).
    """
    if colwise.only_type(extras, tuple):  # all as written: converted a key at a time
        columns = dict(zip(_DETAIL_KEYS, map(list, zip(*extras))))
        escaped = [key for key in _JSON_TEXT_KEYS if "\\" in "".join(columns[key])]  # ("null" and quotes have none)
        columns["point"] = list(map("true".__eq__, columns["point"]))
        columns["emotion"] = list(map(_JSON_DIGITS.__getitem__, columns["emotion"]))
        for key in ("created_at", "updated_at"):
            values = columns[key]
            columns[key] = ([None if c == "null" else c[1:-1] for c in values] if "null" in values
                            else list(map(_UNQUOTED, values)))
        for key in escaped:
            columns[key] = [_json_text(v) if v and "\\" in v else v for v in columns[key]]
        return columns
    written = [n for n, extra in enumerate(extras) if type(extra) is tuple]
    if not written:
        try:
            return dict(zip(_DETAIL_KEYS, map(list, zip(*map(itemgetter(*_DETAIL_KEYS), extras)))))
        except KeyError:  # some annotation without (all of) our details
            return {name: [extra.get(name) for extra in extras] for name in _DETAIL_KEYS}
    # some of each: the columns of each kind, put back in the order of the annotations
    others = [n for n, extra in enumerate(extras) if type(extra) is not tuple]
    first = _detail_columns([extras[n] for n in written])
    rest = _detail_columns([extras[n] for n in others])
    where = np.argsort(np.array(written + others, dtype=np.int64), kind="stable").tolist()
    return {key: list(map((first[key] + rest[key]).__getitem__, where)) for key in _DETAIL_KEYS}


_JSON_DIGITS = {"null": None, **{f"{n}": n for n in range(10)}, **{f"-{n}": -n for n in range(10)}}


_JSON_TEXT_KEYS = tuple(key for key in _DETAIL_KEYS if key not in ("point", "emotion"))


def _canonical_details(values: tuple[str, ...]) -> dict[str, Any]:
    """Return the details dict JSON gives for details as written, from the text of each value (_DETAIL_KEYS' order)."""
    details = dict(zip(_DETAIL_KEYS, values))
    details["point"] = details["point"] == "true"
    details["emotion"] = _JSON_DIGITS[details["emotion"]]
    for key in ("created_at", "updated_at"):
        details[key] = None if details[key] == "null" else details[key][1:-1]
    for key in _JSON_TEXT_KEYS:
        if details[key] and "\\" in details[key]:
            details[key] = _json_text(details[key])
    return details


_UNQUOTED = itemgetter(slice(1, -1))


def _json_text(text: str) -> str:
    """Return what the inside of a JSON string (valid, with escapes) stands for, as ``json.loads`` reads it."""
    return _scan_string(text + '"', 0)[0]


_scan_string = json.decoder.scanstring


def _annotation_place(key: tuple[str | None, Any]) -> str:
    return f"tier {key[0]} annotation {key[1]}"


_NO_DETAILS: dict[str, Any] = {}
_DETAIL_TEXTS = ("stage", "channel", "actor", "expectation", "note", "reviewer")
_ALL_TEXT = (str,) * len(_DETAIL_TEXTS)


def _event(kind: Kind, start: float, end: float, label: str, extra: dict) -> Event:
    end_s = None if extra.get("point") is True else end
    texts = tuple(map(extra.get, _DETAIL_TEXTS))
    if tuple(map(type, texts)) != _ALL_TEXT:
        texts = [str(value or "") for value in texts]
    stage, channel, actor, expectation, note, reviewer = texts
    created, updated = extra.get("created_at"), extra.get("updated_at")
    return Event(
        kind, start, None, end_s, label, stage, channel, actor, expectation, extra.get("emotion"), note, reviewer,
        "",
        parse_iso("created_at", created if type(created) is str else str(created or "")),
        parse_iso("updated_at", updated if type(updated) is str else str(updated or "")),
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


# --- reading the long runs of time slots and annotations from the text ---------------
#
# A file of 100,000 annotations is 1,000,000 elements, and building them is most
# of the time an import takes. So where the time order's and each tier's content
# is a plain run of the elements this module writes (any whitespace between),
# that content is read with a regular expression, and the rest of the file,
# each such run replaced by an empty marker element, is parsed as usual. The
# markers must come back as the only child of the time order and of top-level
# tiers: then each run was exactly that element's content, and as the run holds
# only well-formed elements (tags of fixed form, attribute values of printable
# ASCII, text without markup, control characters or references other than the
# ones decoded here), the file is well-formed exactly when the rest is, and the
# elements read give the values the parser would. Anything else is parsed.

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_MARKER = "cx-annotate-run-"
_W = "[ \t\n]*+"  # possessive (*+): what follows a run of these characters is never one of them
_ATTR = '[\x21\x23-\x25\x27-\x3b\x3d-\x7e]*+'  # printable ASCII but " & <: no reference, no normalisation
_END = _W + r"(?=<|\Z)"  # a run's element ends where the next begins or the run does
# Details as this module writes them: JSON with the keys in this order, read without building a dict;
# the groups are the text of each value (see _canonical_details). Strings hold no "&" or "<" (nothing to
# unescape for XML), and no control character: JSON refuses those, and so XML's are refused with them.
_JSON_STRING = r'[^"\\&<\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\&<\x00-\x1f]*+)*+'
_CANONICAL = r"\{" + ", ".join(
    f'"{key}": ' + {"point": "(true|false)", "emotion": "(-?[0-9]|null)", "created_at": f'(null|"{_JSON_STRING}")',
                    "updated_at": f'(null|"{_JSON_STRING}")'}.get(key, f'"({_JSON_STRING})"') for key in _DETAIL_KEYS
) + r"\}"
_RUNS = {  # kind of run -> (pattern of one element, with the values read; the "<" in one)
    "slot": (re.compile(f'<TIME_SLOT TIME_SLOT_ID="({_ATTR})" TIME_VALUE="([0-9]++)"/>{_END}'), 1),
    "align": (re.compile(
        f'<ANNOTATION>{_W}<ALIGNABLE_ANNOTATION ANNOTATION_ID="({_ATTR})" TIME_SLOT_REF1="({_ATTR})" '
        f'TIME_SLOT_REF2="({_ATTR})"(?: CVE_REF="{_ATTR}")?>{_W}<ANNOTATION_VALUE>([^<]*+)</ANNOTATION_VALUE>{_W}'
        f"</ALIGNABLE_ANNOTATION>{_W}</ANNOTATION>{_END}"), 6),
    "ref": (re.compile(
        f'<ANNOTATION>{_W}<REF_ANNOTATION ANNOTATION_ID="{_ATTR}" ANNOTATION_REF="({_ATTR})">{_W}'
        f"<ANNOTATION_VALUE>(?:{_CANONICAL}|([^<]*+))</ANNOTATION_VALUE>{_W}</REF_ANNOTATION>{_W}</ANNOTATION>{_END}"), 6),
}
_TIER_TAG = re.compile(r"<TIER(?:\s[^<>]*)?(?<!/)>")
_REFERENCES = ("&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#13;", "&#10;", "&#9;")
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _parse(data: bytes | str, problems: Problems) -> tuple[Any, dict]:
    """Return the root element and the values of the runs read from the text (element -> (kind, rows)).

    Raises (through ``problems``) what ``xmlsafe.parse_xml`` raises: the
    whole file is parsed whenever the quick reading does not apply.
    """
    if colwise.ENABLED and isinstance(data, bytes) and data.startswith(_XML_DECLARATION):
        found = _cut(data)
        if found is not None:
            skeleton, runs = found
            try:
                root = xmlsafe.parse_xml(skeleton, Problems(problems.source))
            except FormatError:
                root = None  # reported with the file's own line numbers below
            cut = None if root is None else _placed(root, runs)
            if cut is not None:
                return root, cut
    return xmlsafe.parse_xml(data, problems), {}


def _cut(data: bytes) -> tuple[str, dict[str, tuple[str, list]]] | None:
    """Return the file with its runs replaced by markers, and each marker's (kind, rows); None if none apply."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "]" in text and "]]>" in text:  # looking for one character is the quicker
        return None
    spans = []  # (start, end, kind, rows)
    start = text.find("<TIME_ORDER>")
    if start >= 0:
        start += len("<TIME_ORDER>")
        end = text.find("</TIME_ORDER>", start)
        rows = _run(text, start, end, "slot") if end >= 0 else None
        if rows is not None:
            spans.append((start, end, "slot", rows))
    at = spans[-1][1] if spans else 0
    while (at := text.find("<TIER ", at)) >= 0:
        tag = _TIER_TAG.match(text, at)
        at += 1
        if tag is None:
            continue
        start = tag.end()
        end = text.find("</TIER>", start)
        if end < 0:
            break
        for kind in ("align", "ref"):
            rows = _run(text, start, end, kind)
            if rows is not None:
                spans.append((start, end, kind, rows))
                at = end
                break
    if not spans:
        return None
    pieces, runs, done = [], {}, 0
    for n, (start, end, kind, rows) in enumerate(spans):
        marker = f"{_MARKER}{n}"
        pieces += [text[done:start], f"<{marker}/>"]
        runs[marker] = (kind, rows)
        done = end
    pieces.append(text[done:])
    skeleton = "".join(pieces)
    if skeleton.count(_MARKER) != len(runs):
        return None  # the rest of the file names a marker: it could stand where a run was cut from
    return skeleton, runs


def _run(text: str, start: int, end: int, kind: str) -> list[tuple] | None:
    """Return the values of the elements in ``text[start:end]`` if it is a run of ``kind`` elements, else None."""
    pattern, marks = _RUNS[kind]
    first = text.find("<", start, end)
    if first < 0 or text[start:first].strip(" \t\n") or text.find("\r", start, end) >= 0:
        return None
    rows = pattern.findall(text, first, end)
    # Every "<" of the run is in a match and matches end where the next begins: the matches are the run.
    if not rows or len(rows) * marks != text.count("<", start, end):
        return None
    if text.find("\ufffe", start, end) >= 0 or text.find("\uffff", start, end) >= 0:
        return None
    if kind == "align":
        labels = "".join({row[3] for row in rows})
        if _NOT_XML_TEXT.search(labels) or ("&" in labels and not _escapes_known(labels)):
            return None
        if "&" in labels:
            rows = [(aid, ref1, ref2, _unescape(label)) for aid, ref1, ref2, label in rows]
    elif kind == "ref":
        values = [(row[0], row[1:-1]) for row in rows if row[2]]  # the usual case: all details as written
        if len(values) == len(rows):
            return values
        values = []
        for ref, *fields, text in rows:
            if fields[1]:  # the details as written: no escapes, no control characters
                values.append((ref, tuple(fields)))
                continue
            if "&" in text:
                if not _escapes_known(text):
                    return None
                text = _unescape(text)
            try:
                value = json_value(text)
            except ValueError:
                # JSON holds no control characters, but text that is not JSON may
                if _NOT_XML_TEXT.search(text):
                    return None
                continue
            if isinstance(value, dict):
                values.append((ref, value))
        rows = values
    return rows


def _escapes_known(text: str) -> bool:
    """Return True when each ``&`` in ``text`` starts one of ``_REFERENCES``."""
    return text.count("&") == sum(text.count(ref) for ref in _REFERENCES)


def _unescape(text: str) -> str:
    """Return element text with its references (one of ``_REFERENCES`` at every ``&``) replaced."""
    if "&" not in text:
        return text
    for ref, char in zip(_REFERENCES[1:], "<>\"'\r\n\t"):
        text = text.replace(ref, char)
    return text.replace("&amp;", "&")


def _placed(root, runs: dict[str, tuple[str, list]]) -> dict | None:
    """Return element -> (kind, rows) for the runs whose markers are where they were cut from, else None."""
    order = root.find("TIME_ORDER")
    cut = {}
    for elem in ([order] if order is not None else []) + root.findall("TIER"):
        if len(elem) != 1 or elem.text is not None:
            continue
        marker = elem[0]
        found = runs.get(marker.tag)
        if found is None or marker.tail is not None or marker.attrib or len(marker):
            continue
        if (found[0] == "slot") != (elem is order):
            return None
        cut[elem] = found
    return cut if len(cut) == len(runs) else None
