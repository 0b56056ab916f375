"""JSON: the lossless export of recordings, events and the codebook (versioned schema).

Layout (``schema_version`` 1)::

    {
      "format": "cx-annotate-events",
      "schema_version": 1,
      "exported_at": "2024-05-01T12:30:00.000Z",
      "recordings": [ {"id": 7, "path": "...", "title": "...", "duration_s": 10.01,
                       "fps": "30000/1001", "frame_count": 300, "width": 320, "height": 240,
                       "start_offset_s": 0.0, "vfr": false, "browser_playable": true,
                       "proxy_path": null, "content_hash": "...", "status": "new", "info": {...},
                       "created_at": "...Z", "updated_at": "...Z", "version": 1}, ... ],
      "codebook": {"stages": [...], "channels": [...], "actors": [...],
                   "labels": {"moment_of_truth": [{"text": "Greeting", "hotkey": null}, ...], ...},
                   "hotkeys": {"moment_of_truth": "M", ...}}  (or null),
      "events": [ {"id": "32 hex", "recording_id": 7, "kind": "moment_of_truth", "start_s": 1.5,
                   "end_s": null, "label": "", "stage": "", "channel": "", "actor": "",
                   "expectation": "", "emotion": null, "note": "", "reviewer": "",
                   "created_at": "...Z", "updated_at": null, "version": 1}, ... ]
    }

Times are seconds with millisecond precision (numbers); dates ISO 8601 UTC.
Import reads this layout, or just a list of event objects (only ``kind`` and
``start_s`` required; times may also be timecode strings). A reader must reject
a ``schema_version`` newer than it knows; new fields only ever get added.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, parse_status, utcnow, validate_event
from . import columns as colwise
from .cells import iso_utc, parse_iso
from .importer import Importer
from .json_values import item_values
from .kinds import KindResolver
from .problems import Problems
from .recording_info import as_recordings, recording_name
from .text import decode_text

NAME = "json"
TITLE = "JSON (lossless: recordings, events, codebook)"
SUFFIXES = (".json",)
MEDIA_TYPE = "application/json"

FORMAT_ID = "cx-annotate-events"
SCHEMA_VERSION = 1

def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    indent: int | None = 1,
    exported_at: Any = None,
) -> bytes:
    """Return the JSON document (UTF-8) holding ``events``, the ``recordings`` and the ``codebook``.

    ``indent=None`` gives the compact form. ``exported_at`` (a datetime) fixes
    the export time, e.g. for reproducible files.
    """
    recs = as_recordings(recordings)
    doc = {
        "format": FORMAT_ID,
        "schema_version": SCHEMA_VERSION,
        "exported_at": iso_utc(exported_at or utcnow()),
        "recordings": [_recording_dict(r) for r in recs.values()],
        "codebook": None if codebook is None else codebook.to_dict(),
        "events": [],
    }
    if indent is None:
        doc["events"] = _event_dicts(events)
        return _utf8(json.dumps(doc, ensure_ascii=False, default=str))
    # Readable but fast: the head indented, then one compact event per line (json's
    # C encoder only runs without indent, and 100,000 indented events take seconds).
    head = json.dumps(doc, ensure_ascii=False, indent=indent, default=str)
    dicts = _event_dicts(events)
    if not dicts:
        return _utf8(head)
    lines = _event_lines(dicts, json.JSONEncoder(ensure_ascii=False, default=str).encode, " " * (indent * 2))
    cut = head.rindex('"events": []') + len('"events": [')
    return _utf8(head[:cut] + "\n" + lines + "\n" + " " * indent + head[cut:])


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> bytes:
    """Return JSON text as UTF-8, a lone surrogate (a path's undecodable byte) written as its ``\\uXXXX`` escape.

    json.dumps writes every character outside strings in ASCII, so a surrogate
    is always inside a string, where the escape reads back as the same character
    (but for a high surrogate right before a low one, which read back as the one
    character the pair stands for; file names decoded with surrogateescape only
    ever give low ones).
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


_BOUNDARY = '}, {"id": '


def _event_lines(dicts: list[dict[str, Any]], encode: Any, pad: str) -> str:
    """Return the events' compact JSON, one per line after ``pad``, joined by ``",\\n"``.

    The whole list goes through json's C encoder in one call and is cut where
    one event ends and the next begins: ``}, {"id": `` occurs nowhere else, since
    inside a JSON string every ``"`` is escaped and an event holds no objects.
    Should the count not match (a field holding an object), each event is
    encoded on its own instead.
    """
    parts = encode(dicts)[2:-2].split(_BOUNDARY)  # without the list's '[{' and '}]'
    if len(parts) == len(dicts):
        return pad + "{" + ("},\n" + pad + '{"id": ').join(parts) + "}"
    return ",\n".join(pad + encode(d) for d in dicts)


_EVENT_KEYS = ("id", "recording_id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation",
               "emotion", "note", "reviewer", "created_at", "updated_at", "version")


def _event_dicts(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Return each event as the dict the file holds (``_EVENT_KEYS``), made a field at a time."""
    events = events if isinstance(events, list) else list(events)
    with colwise.no_gc():
        columns = colwise.event_columns(events)
        kinds = {k: k.value if isinstance(k, Kind) else str(k) for k in set(columns["kind"])}
        columns["kind"] = list(map(kinds.__getitem__, columns["kind"]))
        for key in ("created_at", "updated_at"):
            values = columns[key]
            cells = None if None in values else colwise.iso_text(values)
            columns[key] = [iso_utc(v) or None for v in values] if cells is None else cells.to_pylist()
        return [dict(zip(_EVENT_KEYS, row)) for row in zip(*(columns[key] for key in _EVENT_KEYS))]


def _recording_dict(rec: Recording) -> dict[str, Any]:
    out = {f.name: getattr(rec, f.name) for f in fields(Recording)}
    out["status"] = str(rec.status.value if hasattr(rec.status, "value") else rec.status)
    out["created_at"] = iso_utc(rec.created_at) or None
    out["updated_at"] = iso_utc(rec.updated_at) or None
    return out


# --- import -----------------------------------------------------------------------


@dataclass
class Bundle:
    """Everything a JSON export holds: recordings, validated events (by recording) and the codebook."""

    schema_version: int
    recordings: list[Recording] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    codebook: Codebook | None = None


def loads(data: bytes | str, *, recording: Recording, mapping: Mapping[str, Any] | Iterable[str] | None = None,
          codebook: Codebook | None = None, source: str = "events.json") -> list[Event]:
    """Return the validated events of ``recording`` in a JSON export (or a plain list of events).

    When the file holds several recordings, the events of the one matching
    ``recording`` (by content hash, else id, else path or title) are read.
    Raises FormatError listing every bad event (``"events.json event 7: ..."``).
    """
    problems = Problems(source)
    with colwise.no_gc():  # a document of many events is many small objects, none of them garbage yet
        doc = _parse(data, problems)
        items = _select(_event_items(doc, problems), doc, recording, problems)
        sink = Importer(recording, problems, _event_place)
        dicts = [item for _, item in items]
        values, bad = item_values(dicts, KindResolver(mapping))
        sink.add_values(values, bad, [n for n, _ in items], [item.get("id") for item in dicts])
    problems.raise_if_any()
    return sink.events


def load_bundle(data: bytes | str, *, source: str = "events.json") -> Bundle:
    """Return the recordings, events and codebook of a JSON export, each validated.

    Events keep their ids and recording ids; their times are checked against
    their recording's duration when the file holds it. Raises FormatError
    listing every problem.
    """
    problems = Problems(source)
    doc = _parse(data, problems)
    if not isinstance(doc, dict):
        problems.fail(None, "is a list of events, not a full export; import it into one recording instead")
    bundle = Bundle(schema_version=int(doc.get("schema_version") or SCHEMA_VERSION))
    for n, item in enumerate(doc.get("recordings") or [], 1):
        try:
            bundle.recordings.append(_recording_from(item))
        except (ValidationError, TypeError, ValueError) as exc:
            problems.add(f"recording {n}", exc)
    if doc.get("codebook") is not None:
        try:
            bundle.codebook = Codebook.from_dict(doc["codebook"])
        except ValidationError as exc:
            problems.add("codebook", exc)
    durations = {r.id: r.duration_s for r in bundle.recordings if r.duration_s}
    seen: set[str] = set()
    items = _event_items(doc, problems)
    values, bad = item_values([item for _, item in items], KindResolver(None))
    for k, (n, item) in enumerate(items):
        try:
            if k in bad:
                raise bad[k]
            event = Event(**{name: column[k] for name, column in values.items()})
            event.recording_id = item.get("recording_id")
            event.id = str(item.get("id") or "")
            if not event.id:
                raise ValidationError("id is empty; a full export gives every event its id")
            if event.id in seen:
                raise ValidationError(f"id {event.id} is used again; give each event its own id")
            seen.add(event.id)
            bundle.events.append(validate_event(event, durations.get(event.recording_id)))
        except ValidationError as exc:
            problems.add(f"event {n}", exc)
    problems.raise_if_any()
    return bundle


def _parse(data: bytes | str, problems: Problems) -> Any:
    text = decode_text(data, problems)
    if not text.strip():
        problems.fail(None, "is empty; expected a cx-annotate JSON export or a list of events")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.fail(f"line {exc.lineno} column {exc.colno}", f"is not valid JSON ({exc.msg}); the file may be cut short")
    except RecursionError:
        problems.fail(None, "nests too deeply to be an event file")
    if isinstance(doc, dict):
        if doc.get("format") not in (None, FORMAT_ID):
            problems.fail(None, f"is a '{doc.get('format')}' file, not a cx-annotate export")
        version = doc.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version < 1:
            problems.fail(None, f"schema_version {version!r} is not a version number")
        if version > SCHEMA_VERSION:
            problems.fail(None, f"was written with schema_version {version}, newer than this cx-annotate "
                                f"reads ({SCHEMA_VERSION}); update cx-annotate")
    elif not isinstance(doc, list):
        problems.fail(None, "holds neither a cx-annotate export nor a list of events")
    return doc


def _event_items(doc: Any, problems: Problems) -> list[tuple[int, dict]]:
    raw = doc if isinstance(doc, list) else doc.get("events", [])
    if not isinstance(raw, list):
        problems.fail(None, "'events' must be a list of event objects")
    items = []
    for n, item in enumerate(raw, 1):
        if isinstance(item, dict):
            items.append((n, item))
        else:
            problems.add(f"event {n}", f"is {type(item).__name__}, not an object with kind and start_s")
    return items


def _select(items, doc, recording: Recording, problems: Problems):
    ids = {item.get("recording_id") for _, item in items}
    if len(ids) <= 1:
        return items
    wanted = None
    for rec in doc.get("recordings", []) if isinstance(doc, dict) else []:
        if not isinstance(rec, dict):
            continue
        if recording.content_hash and rec.get("content_hash") == recording.content_hash:
            wanted = rec.get("id")
            break
        if wanted is None and (rec.get("path") == recording.path or
                               (recording.title and rec.get("title") == recording.title)):
            wanted = rec.get("id")
    if wanted is None and recording.id in ids:
        wanted = recording.id
    if wanted is None:
        problems.fail(None, f"holds events of {len(ids)} recordings and none matches '{recording_name(recording)}'"
                            "; export that recording alone and import it again")
    return [(n, item) for n, item in items if item.get("recording_id") == wanted]


def _event_place(n: int) -> str:
    return f"event {n}"


_RECORDING_FIELDS = {f.name for f in fields(Recording)}


def _recording_from(item: Any) -> Recording:
    if not isinstance(item, dict) or not item.get("path"):
        raise ValidationError("a recording needs at least its path")
    values = {k: v for k, v in item.items() if k in _RECORDING_FIELDS}
    if "status" in values:
        values["status"] = parse_status(values["status"])
    for key in ("created_at", "updated_at"):
        values[key] = parse_iso(key, str(values.get(key) or ""))
    if values.get("info") is None:
        values["info"] = {}
    return Recording(**values)
