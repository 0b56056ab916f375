"""The helpers every event-file format shares, by one name: problems, decoding, cells, kinds, ids, validation.

Nothing here knows a particular format. Formats turn files into validated
:class:`~annotate.model.Event` objects and back; they never talk to the store.
Each helper lives in the module named for its job (:mod:`.problems`,
:mod:`.text`, :mod:`.cells`, :mod:`.kinds`, :mod:`.ids`, :mod:`.importer`,
:mod:`.recording_info`); this module gathers them for the formats.
"""

from __future__ import annotations

from ..model import FREE_TEXT_FIELDS
from ..timebase import nearest_ms as to_ms
from .cells import (
    ESCAPED_START, FORMULA_START, TextCells, csv_cell_writer, iso_utc, json_value, ms_str, ms_timecode, neutralise,
    parse_iso, unneutralise,
)
from .ids import EVENT_ID_NAMESPACE, EventIds, recording_key, uuid5_hex, uuid5_hex_many
from .importer import Importer
from .kinds import KindResolver, label_kinds, norm_key, parse_mapping
from .problems import SHOWN_PROBLEMS, Problems, one_line, source_name
from .recording_info import as_recordings, duration_limit, recording_fps, recording_name, sort_events
from .text import BOM, FREE_TEXT_CELL, SHORT_CELL, CsvLines, decode_text, refuse_long_cells, utf8_body

__all__ = [
    "BOM", "ESCAPED_START", "EVENT_ID_NAMESPACE", "FORMULA_START", "FREE_TEXT_CELL", "FREE_TEXT_FIELDS",
    "SHORT_CELL", "SHOWN_PROBLEMS", "CsvLines", "EventIds", "Importer", "KindResolver", "Problems", "TextCells",
    "as_recordings", "csv_cell_writer", "decode_text", "duration_limit", "iso_utc", "json_value", "label_kinds",
    "ms_str", "ms_timecode", "neutralise", "norm_key", "one_line", "parse_iso", "parse_mapping", "recording_fps",
    "recording_key", "recording_name", "refuse_long_cells", "sort_events", "source_name", "to_ms", "unneutralise",
    "utf8_body", "uuid5_hex", "uuid5_hex_many",
]
