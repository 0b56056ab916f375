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
from typing import Any, Iterable, Mapping

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording
from ..timebase import seconds_from_ms
from . import columns as colwise
from .eaf_runs import parse
from .eaf_write import DEFAULT_POINT_LENGTH_S, DETAIL_KEYS, DETAILS_SUFFIX, DETAILS_TYPE, dumps
from .common import (
    Importer,
    KindResolver,
    Problems,
    json_value,
    parse_iso,
)

NAME = "eaf"
TITLE = "ELAN annotation file (EAF 3.0)"
SUFFIXES = (".eaf",)
MEDIA_TYPE = "application/xml"

# --- import -----------------------------------------------------------------------


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.eaf") -> list[Event]:
    """Return the validated events in an ELAN file's tiers that name (or are mapped to) a kind.

    Raises FormatError listing every bad annotation by tier and annotation id,
    or when no tier maps to a kind.
    """
    with colwise.no_gc():  # the collector would walk the tree and the new events again and again
        return _read(data, recording, mapping, Problems(source))


def _read(data: bytes | str, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None,
          problems: Problems) -> list[Event]:
    """Return the events of ``loads``, with the problems collected in ``problems``."""
    root, cut = parse(data, problems)
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
                                       or (tier.get("TIER_ID") or "").endswith(DETAILS_SUFFIX)):
            details.update(_references(tier, cut))
    chosen = [(t, kinds.lookup(t.get("TIER_ID", ""))) for t in tiers if not t.get("PARENT_REF")]
    chosen = [(t, k) for t, k in chosen if k is not None]
    if not chosen:
        names = ", ".join(t.get("TIER_ID", "?") for t in tiers)[:120] or "none"
        problems.fail(None, f"has no tier named after a kind (tiers: {names}); name tiers MOT, INT and DEC "
                            "or map them (--map 'TIER=MOT')")

    annotations = [(tier.get("TIER_ID"), kind, _annotations(tier, cut)) for tier, kind in chosen]
    sink = _add_each(recording, problems, annotations, slots, bad_slots, origin, details)
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


def _add_each(recording: Recording, problems: Problems, annotations: list, slots: dict, bad_slots: set,
              origin: int, details: dict) -> Importer:
    """Return an importer holding the events of the annotations (or why each bad one has none).

    The one path: each annotation's cells (times from its slots, details) read
    into a row of event fields, and the rows validated by the importer a whole
    column at a time. Problems and events take keys in the order the
    annotations come, as the messages list them; each key names its tier and
    annotation.
    """
    order: list[tuple[str | None, Any]] = []
    left_out: dict[int, Any] = {}
    values: list[tuple[Any, ...]] = []
    keys: list[int] = []
    raw_ids: list[str] = []
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
                values.append(_values(kind, seconds_from_ms(start + origin), seconds_from_ms(end + origin), value,
                                      extra))
            except ValidationError as exc:
                left_out[len(order)] = exc
                order.append((tid, aid or n))
                continue
            raw_id = extra.get("id") or (aid[1:] if aid.startswith("a") and len(aid) == 33 else aid)
            keys.append(len(order))
            order.append((tid, aid or n))
            raw_ids.append(raw_id if type(raw_id) is str else str(raw_id))
    sink = Importer(recording, problems, lambda k: _annotation_place(order[k]))
    columns = list(zip(*values)) or [()] * len(_VALUE_FIELDS)
    sink.add_values(dict(zip(_VALUE_FIELDS, map(list, columns))), {}, keys, raw_ids, left_out)
    return sink


_JSON_DIGITS = {"null": None, **{f"{n}": n for n in range(10)}, **{f"-{n}": -n for n in range(10)}}


_JSON_TEXT_KEYS = tuple(key for key in DETAIL_KEYS if key not in ("point", "emotion"))


def _canonical_details(values: tuple[str, ...]) -> dict[str, Any]:
    """Return the details dict JSON gives for details as written, from the text of each value (DETAIL_KEYS' order)."""
    details = dict(zip(DETAIL_KEYS, values))
    details["point"] = details["point"] == "true"
    details["emotion"] = _JSON_DIGITS[details["emotion"]]
    for key in ("created_at", "updated_at"):
        details[key] = None if details[key] == "null" else details[key][1:-1]
    for key in _JSON_TEXT_KEYS:
        if details[key] and "\\" in details[key]:
            details[key] = _json_text(details[key])
    return details


def _json_text(text: str) -> str:
    """Return what the inside of a JSON string (valid, with escapes) stands for, as ``json.loads`` reads it."""
    return _scan_string(text + '"', 0)[0]


_scan_string = json.decoder.scanstring


def _annotation_place(key: tuple[str | None, Any]) -> str:
    return f"tier {key[0]} annotation {key[1]}"


_NO_DETAILS: dict[str, Any] = {}
_DETAIL_TEXTS = ("stage", "channel", "actor", "expectation", "note", "reviewer")
_ALL_TEXT = (str,) * len(_DETAIL_TEXTS)


_VALUE_FIELDS = ("kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note",
                 "reviewer", "created_at", "updated_at")


def _values(kind: Kind, start: float, end: float, label: str, extra: dict) -> tuple[Any, ...]:
    """Return the values (:data:`_VALUE_FIELDS`) of an annotation and its details; raises ValidationError."""
    end_s = None if extra.get("point") is True else end
    texts = tuple(map(extra.get, _DETAIL_TEXTS))
    if tuple(map(type, texts)) != _ALL_TEXT:
        texts = tuple(str(value or "") for value in texts)
    stage, channel, actor, expectation, note, reviewer = texts
    created, updated = extra.get("created_at"), extra.get("updated_at")
    return (kind, start, end_s, label, stage, channel, actor, expectation, extra.get("emotion"), note, reviewer,
            parse_iso("created_at", created if type(created) is str else str(created or "")),
            parse_iso("updated_at", updated if type(updated) is str else str(updated or "")))


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
