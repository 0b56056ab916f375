"""ELAN export (see :mod:`annotate.formats.eaf` for the layout): events to an EAF 3.0 document.

The document is written in named steps: the header, the time slots, each
kind's tier and details tier (made a field at a time with Arrow), and the
types, constraints and controlled vocabularies.
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from pathlib import Path, PurePath
from typing import Any, Callable, Iterable, Mapping, NamedTuple
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..errors import ValidationError
from ..model import Codebook, Event, Kind, Recording, utcnow
from . import columns as colwise
from . import xmlsafe
from .common import EVENT_ID_NAMESPACE, as_recordings, iso_utc, recording_key
from .eaf_transcript import transcript_parts, transcript_type
from .ordering import ms_from_seconds, ms_of, sorted_fields

DEFAULT_POINT_LENGTH_S = 1.0
DETAILS_TYPE = "cx-details"
DETAILS_SUFFIX = " details"
# The keys of a details annotation's JSON, in the order they are written.
DETAIL_KEYS = ("id", "point", "stage", "channel", "actor", "expectation", "emotion", "note", "reviewer",
               "created_at", "updated_at")
_CONSTRAINTS = (
    ("Time_Subdivision", "Time subdivision of parent annotation's time interval, no time gaps allowed within this interval"),
    ("Symbolic_Subdivision", "Symbolic subdivision of a parent annotation. Annotations refering to the same parent are ordered"),
    ("Symbolic_Association", "1-1 association with a parent annotation"),
    ("Included_In", "Time alignable annotations within the parent annotation's time interval, gaps are allowed"),
)
# A text JSON writes as it is, between quotes, and XML as it is: no '"', '\', control character, '&', '<', '>',
# U+FFFE or U+FFFF (which XML refuses).
_PLAIN_JSON = r'^[^"\\\x00-\x1f&<>\x{fffe}\x{ffff}]*$'


def dumps(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    codebook: Codebook | None = None,
    author: str = "cx-annotate",
    point_length_s: float = DEFAULT_POINT_LENGTH_S,
    details: bool = True,
    date: Any = None,
    transcripts: Mapping[int, Any] | None = None,
) -> bytes:
    """Return an EAF 3.0 document (UTF-8) for the events of one recording (with a ``transcript`` tier when
    ``transcripts``, recording id -> EventTranscript, holds the recording's; see eaf_transcript.py).

    Raises ValidationError if the events belong to more than one recording
    (an ELAN file describes one media file).
    """
    events = events if isinstance(events, list) else list(events)
    point_ms = max(1, ms_from_seconds(point_length_s))
    with colwise.no_gc():
        field = sorted_fields(events)
        recs = as_recordings(recordings)
        rids = set(field("recording_id"))
        if len(rids) > 1:
            raise ValidationError("an ELAN file describes one recording; export the recordings one at a time")
        rid = next(iter(rids)) if rids else (next(iter(recs)) if len(recs) == 1 else None)
        cells = _Cells.of(field, point_ms)
        rows = {kind: [n for n, k in enumerate(cells.kinds) if k is kind] for kind in Kind}
        labels = field("label")
        vocab = {k: _vocabulary(k, codebook or Codebook(), list(map(labels.__getitem__, rows[k]))) for k in Kind}
        out = _header(recs.get(rid), author, date, len(events))
        said = (transcripts or {}).get(rid)
        slots, tier = transcript_parts(said) if said is not None else ("", [])
        out += ["    <TIME_ORDER>", cells.slots, *([slots] if slots else []), "    </TIME_ORDER>"]
        reviewers = field("reviewer")
        details_cells = _details_cells(field, cells) if details else None
        for kind in Kind:
            annotators = sorted({r for r in map(reviewers.__getitem__, rows[kind]) if r})
            out += _tier(kind, annotators, _annotation_lines(cells, labels, rows[kind], vocab[kind]))
            if details_cells is not None:
                out += [f'    <TIER LINGUISTIC_TYPE_REF="{DETAILS_TYPE}" PARENT_REF="{kind.short}" '
                        f'TIER_ID="{kind.short}{DETAILS_SUFFIX}">', _lines_of(details_cells, rows[kind]), "    </TIER>"]
        out += tier
    return _finish(out, vocab, details, bool(tier))


def _header(rec: Recording | None, author: str, date: Any, count: int) -> list[str]:
    """Return the document's first lines: the XML declaration, the root's start and the HEADER."""
    a = xmlsafe.attr
    out = [
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
    return out + [
        f'        <PROPERTY NAME="URN">urn:nl-mpi-tools-elan-eaf:{urn}</PROPERTY>',
        f'        <PROPERTY NAME="lastUsedAnnotationId">{count}</PROPERTY>',
        "    </HEADER>",
    ]


def _tier(kind: Kind, annotators: list[str], annotations: bytes) -> list[str | bytes]:
    """Return the lines of a kind's tier, its annotations given (UTF-8 lines)."""
    who = f' ANNOTATOR="{xmlsafe.attr(", ".join(annotators))}"' if annotators else ""
    return [f'    <TIER LINGUISTIC_TYPE_REF="{kind.short} labels" TIER_ID="{kind.short}"{who}>', annotations,
            "    </TIER>"]


class _Cells(NamedTuple):
    """What the annotations of every event (in export order) are made of, as Arrow arrays."""

    kinds: list[Kind]
    point: np.ndarray  # True for a point event
    ids: Any  # the event ids, escaped for an attribute
    slots: bytes  # the TIME_SLOT lines
    heads: Any  # each ALIGNABLE_ANNOTATION's start, up to its CVE_REF

    @classmethod
    def of(cls, field: Callable[[str], list[Any]], point_ms: int) -> "_Cells":
        """Return the cells of the sorted events' fields (``field``); a point event lasts ``point_ms``."""
        kinds = [k if isinstance(k, Kind) else Kind(str(k)) for k in field("kind")]
        ends = field("end_s")
        point = np.array([e is None for e in ends], dtype=bool)
        start_ms = ms_of(field("start_s"))
        end_ms = np.where(point, start_ms + point_ms, ms_of([0.0 if e is None else e for e in ends]))
        slots, slot = _time_slots(start_ms, end_ms)
        ids = field("id")
        ids = colwise.text_array(ids if xmlsafe.plain("".join(ids)) else list(map(xmlsafe.attr, ids)))
        text = colwise.text_array
        heads = pa.compute.binary_join_element_wise(
            '        <ANNOTATION>\n            <ALIGNABLE_ANNOTATION ANNOTATION_ID="a', ids, '" TIME_SLOT_REF1="ts',
            text(slot[0::2]), '" TIME_SLOT_REF2="ts', text(slot[1::2]), '"', "")
        return cls(kinds, point, ids, slots, heads)


def _time_slots(start_ms: np.ndarray, end_ms: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Return the TIME_SLOT lines (every boundary, numbered in time order) and each event's slot numbers.

    Event n's start is at ``2n`` of the numbers, its end at ``2n + 1``. A
    boundary (ms, event n, side) sorts as the one integer (ms * N + n) * 2 + side.
    """
    count, twice = len(start_ms), 2 * max(len(start_ms), 1)
    index = np.arange(count, dtype=np.int64)
    if not count or max(np.abs(start_ms).max(), np.abs(end_ms).max()) * twice < 2**60:
        keys = np.sort(np.concatenate([start_ms * twice + 2 * index, end_ms * twice + 2 * index + 1]))
        ms, at = np.divmod(keys, twice)
        ms_text = colwise.text_array(ms)
    else:  # times so large that the keys need Python's integers
        pairs = [divmod(key, twice) for key in sorted([s * twice + 2 * n for n, s in enumerate(start_ms.tolist())]
                                                      + [e * twice + 2 * n + 1 for n, e in enumerate(end_ms.tolist())])]
        ms_text = colwise.text_array([str(m) for m, _ in pairs])
        at = np.array([a for _, a in pairs], dtype=np.int64)
    numbers = np.arange(1, 2 * count + 1, dtype=np.int64)
    slots = colwise.join_lines(['        <TIME_SLOT TIME_SLOT_ID="ts', colwise.text_array(numbers), '" TIME_VALUE="',
                                ms_text, '"/>'], "", "\n")
    slot = np.empty(2 * count, dtype=np.int64)
    slot[at] = numbers
    return slots, slot


def _annotation_lines(cells: _Cells, labels: list[str], chosen: list[int], vocab: dict[str, str]) -> bytes:
    """Return the ANNOTATION lines of events ``chosen``, each value its label (a ``CVE_REF`` when in ``vocab``)."""
    x = xmlsafe.text
    values = {label: (f' CVE_REF="{cve}"' if cve else "", x(label)) for label, cve in vocab.items()}
    refs, texts = [], []
    for label in map(labels.__getitem__, chosen):
        pair = values.get(label)
        if pair is None:
            pair = values[label] = ("", x(label))
        refs.append(pair[0])
        texts.append(pair[1])
    text = colwise.text_array
    return colwise.join_lines([colwise.take(cells.heads, np.array(chosen, dtype=np.int64)), text(refs),
                               ">\n                <ANNOTATION_VALUE>", text(texts),
                               "</ANNOTATION_VALUE>\n            </ALIGNABLE_ANNOTATION>\n        </ANNOTATION>"],
                              "", "\n")


def _lines_of(pieces: list[Any], chosen: list[int]) -> bytes:
    """Return the lines the joined ``pieces`` give for events ``chosen``."""
    which = np.array(chosen, dtype=np.int64)
    return colwise.join_lines([colwise.take(cell, which) if not isinstance(cell, str) else cell for cell in pieces],
                              "", "\n")


def _details_cells(field: Callable[[str], list[Any]], cells: _Cells) -> list[Any]:
    """Return the pieces (Arrow arrays and text) whose joining gives each event's REF_ANNOTATION lines.

    The details are JSON escaped for XML, ``xmlsafe.text(json.dumps(details))``
    as one dict of :data:`DETAIL_KEYS` per event, made a field at a time; a
    column of values other than text (and ints for the emotion) is written
    value by value.
    """
    ids = field("id")
    point = pa.compute.if_else(pa.array(cells.point), "true", "false")
    values: dict[str, Any] = {"id": _json_values(ids), "point": point}
    for name in ("stage", "channel", "actor", "expectation", "emotion", "note", "reviewer"):
        values[name] = _json_values(field(name))
    for name in ("created_at", "updated_at"):
        times = field(name)
        iso = None if None in times else colwise.iso_text(times)
        values[name] = _json_values([iso_utc(t) or None for t in times]) if iso is None else _json_cells(iso)
    pieces: list[Any] = ['        <ANNOTATION>\n            <REF_ANNOTATION ANNOTATION_ID="d', cells.ids,
                         '" ANNOTATION_REF="a', cells.ids, '">\n                <ANNOTATION_VALUE>{']
    for n, name in enumerate(DETAIL_KEYS):
        pieces += [f'{", " if n else ""}"{name}": ', values[name]]
    pieces.append("}</ANNOTATION_VALUE>\n            </REF_ANNOTATION>\n        </ANNOTATION>")
    return pieces


def _json_values(values: list[Any]) -> Any:
    """Return ``xmlsafe.text(json.dumps(v, ensure_ascii=False))`` of each value, an Arrow array."""
    if colwise.only_type(values, str):
        try:
            return _json_cells(colwise.text_array(values))
        except UnicodeEncodeError:  # a lone surrogate, which XML refuses: the escape below drops it
            pass
    try:  # by type too: True and 1 are one key but two JSON values
        keys = list(zip(map(type, values), values))
        made = {key: xmlsafe.text(json.dumps(key[1], ensure_ascii=False)) for key in set(keys)}
    except TypeError:  # an unhashable value
        return colwise.text_array([xmlsafe.text(json.dumps(v, ensure_ascii=False)) for v in values])
    return colwise.text_array(list(map(made.__getitem__, keys)))


def _json_cells(texts: Any) -> Any:
    """Return Arrow strings as JSON strings escaped for XML: ``xmlsafe.text(json.dumps(t, ensure_ascii=False))``."""
    pc = pa.compute
    if colwise.all_match(texts, _PLAIN_JSON):
        return pc.binary_join_element_wise('"', texts, '"', "")
    return colwise.text_array(colwise.map_unique(texts, lambda t: xmlsafe.text(json.dumps(t, ensure_ascii=False))))


def _finish(out: list[str | bytes], vocab: dict[Kind, dict[str, str]], details: bool, transcript: bool = False) -> bytes:
    """Return the document: ``out`` (header, time slots, tiers) and the types, constraints and vocabularies."""
    x, a = xmlsafe.text, xmlsafe.attr
    for kind in Kind:
        out.append(f'    <LINGUISTIC_TYPE CONTROLLED_VOCABULARY_REF="{kind.short} labels" GRAPHIC_REFERENCES="false" '
                   f'LINGUISTIC_TYPE_ID="{kind.short} labels" TIME_ALIGNABLE="true"/>')
    if details:
        out.append(f'    <LINGUISTIC_TYPE CONSTRAINTS="Symbolic_Association" GRAPHIC_REFERENCES="false" '
                   f'LINGUISTIC_TYPE_ID="{DETAILS_TYPE}" TIME_ALIGNABLE="false"/>')
    if transcript:
        out.append(transcript_type())
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
