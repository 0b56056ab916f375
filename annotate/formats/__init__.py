"""Event files: export events to the formats other tools open, and import them back.

Every format is a module with ``dumps(events, recordings, *, codebook, **opts) -> bytes``
and ``loads(data, *, recording, mapping, codebook, source, **opts) -> list[Event]``;
this package keeps a registry of them by name and file suffix and offers the
file-level functions the CLI and the app use::

    write_events("out.csv", events, {rec.id: rec})                 # format from the suffix
    data = dumps_events(events, recordings, format="vtt")           # bytes, for a download
    events = read_events("in.eaf", recording=rec, mapping={"Speaker A": "MOT"})

Imports return validated events for one recording, all or nothing: a bad file
raises FormatError whose ``problems`` lists every bad line or element.
Formats never touch the store; the caller adds the events (``store.add_events``,
whose ``skip_existing`` makes a second import of the same file add nothing,
because imported events keep the ids the file carries or get ids derived from
their content).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import FormatError
from ..fsutil import atomic_path, atomic_write_bytes
from ..model import Codebook, Event, Recording
from .common import FREE_TEXT_CELL, Problems, one_line, parse_mapping, refuse_long_cells, source_name, utf8_body

__all__ = [
    "FORMATS",
    "Format",
    "detect_format",
    "dumps_events",
    "format_for_path",
    "get_format",
    "loads_events",
    "parse_mapping",
    "read_events",
    "write_events",
]


@dataclass(frozen=True)
class Format:
    """One event-file format: its name, title, file suffixes, media type and converter module.

    The module (``module_name``, in this package) is imported on first use, so
    reading or writing one format never imports the others (start-up time).
    """

    name: str
    title: str
    suffixes: tuple[str, ...]
    media_type: str
    module_name: str

    @property
    def module(self) -> ModuleType:
        """Return the converter module, imported now if it was not yet."""
        return import_module(f".{self.module_name}", __name__)

    @property
    def suffix(self) -> str:
        """Return the suffix new files get, e.g. ``".csv"``."""
        return self.suffixes[0]

    def dumps(self, events: Iterable[Event], recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
              **opts: Any) -> bytes:
        """Return ``events`` in this format as bytes (see the module's ``dumps``)."""
        return self.module.dumps(events, recordings, **opts)

    def loads(self, data: bytes | str, **opts: Any) -> list[Event]:
        """Return the validated events in ``data`` (see the module's ``loads``).

        A table (BORIS, event log) with a cell over FREE_TEXT_CELL characters,
        or captions with a line over CAPTION_LINE, are refused by line first,
        before the reader builds anything from them.
        """
        if self.name in _TABLES:
            _refuse_long_cells(data, opts.get("source") or f"events{self.suffix}")
        elif self.name in _CAPTIONS:
            _refuse_long_lines(data, opts.get("source") or f"events{self.suffix}")
        return self.module.loads(data, **opts)


_TABLES = ("boris", "eventlog")  # CSV-like; the event CSV checks each column against its own limit


def _refuse_long_cells(data: bytes | str, source: str) -> None:
    body = utf8_body(data)
    if body is None:
        return  # not text: the reader names the bad byte
    first = bytes(body[:4096]).decode("utf-8", "replace").split("\n", 1)[0]
    delimiter = max(("\t", ",", ";"), key=first.count)
    names = [(f"'{one_line(name.strip().strip(chr(34)), 40)}' cell", FREE_TEXT_CELL) for name in first.split(delimiter)]
    refuse_long_cells(body, delimiter, Problems(source), names, ("cell", FREE_TEXT_CELL))


_CAPTIONS = ("vtt", "srt")
CAPTION_LINE = 4 * FREE_TEXT_CELL  # a WebVTT NOTE line carries every field of an event as JSON


def _refuse_long_lines(data: bytes | str, source: str, chunk: int = 1 << 21) -> None:
    body = utf8_body(data)
    if body is None:
        return
    whole = np.frombuffer(body, dtype=np.uint8)
    prev, lines = -1, 0
    for base in range(0, len(whole) + 1, chunk):
        ends = base + np.flatnonzero(whole[base : base + chunk] == 10)
        if base + chunk >= len(whole):
            ends = np.append(ends, len(whole))  # the last line, with or without a line end
        starts = np.concatenate(([prev + 1], ends[:-1] + 1)) if len(ends) else ends
        long = np.flatnonzero(ends - starts > CAPTION_LINE)
        if len(long):
            i = int(long[0])
            chars = len(bytes(body[int(starts[i]) : int(ends[i])]).decode("utf-8", "replace").rstrip("\r"))
            if chars > CAPTION_LINE:
                Problems(source).fail(f"line {lines + i + 1}", f"the line is {chars:,} characters; a caption line "
                                                               f"holds at most {CAPTION_LINE:,} (see docs/formats.md); "
                                                               "shorten it")
        if len(ends):
            prev = int(ends[-1])
        lines += len(ends)


def _register(entries: Sequence[tuple[str, str, str, tuple[str, ...], str]]) -> dict[str, Format]:
    return {name: Format(name=name, title=title, suffixes=suffixes, media_type=media, module_name=module)
            for module, name, title, suffixes, media in entries}


# (module, NAME, TITLE, SUFFIXES, MEDIA_TYPE): each the module's own constants, repeated here so that the
# registry needs no module imported (tests/test_formats_csv.py checks each entry against its module).
FORMATS: dict[str, Format] = _register([
    ("csv_format", "csv", "Event CSV (spreadsheets, BI tools)", (".csv",), "text/csv"),
    ("json_format", "json", "JSON (lossless: recordings, events, codebook)", (".json",), "application/json"),
    ("vtt", "vtt", "WebVTT captions (browsers, VLC)", (".vtt",), "text/vtt"),
    ("srt", "srt", "SRT subtitles (video players)", (".srt",), "application/x-subrip"),
    ("eaf", "eaf", "ELAN annotation file (EAF 3.0)", (".eaf",), "application/xml"),
    ("boris", "boris", "BORIS aggregated events (TSV)", (".tsv", ".boris.tsv", ".boris.csv"),
     "text/tab-separated-values"),
    ("xes", "xes", "XES event log (IEEE 1849, process mining)", (".xes",), "application/xml"),
    ("eventlog", "eventlog", "Process-mining event log (CSV)", (".eventlog.csv",), "text/csv"),
])


def get_format(name: str | Format) -> Format:
    """Return the Format called ``name`` (case-insensitive); raises FormatError for an unknown one."""
    if isinstance(name, Format):
        return name
    fmt = FORMATS.get(str(name).strip().lower().lstrip("."))
    if fmt is None:
        raise FormatError(f"unknown format '{name}'; use one of {', '.join(FORMATS)}")
    return fmt


def format_for_path(path: str | os.PathLike) -> Format:
    """Return the Format a file name asks for by its suffix (longest match, e.g. ``.eventlog.csv``).

    Raises FormatError when the suffix names no format.
    """
    name = Path(path).name.lower()
    matches = [(len(s), f) for f in FORMATS.values() for s in f.suffixes if name.endswith(s)]
    if not matches:
        raise FormatError(
            f"cannot tell the format of '{Path(path).name}' from its name; "
            f"give it one of the suffixes {', '.join(f.suffix for f in FORMATS.values())} or choose a format "
            f"({', '.join(FORMATS)})"
        )
    return max(matches, key=lambda m: m[0])[1]


def detect_format(path: str | os.PathLike, data: bytes | None = None) -> Format:
    """Return the format of an existing file: by suffix, and for a plain ``.csv``/``.tsv`` by its header.

    A CSV whose header has BORIS's columns is read as BORIS, one with
    ``case_id`` and ``activity`` as an event log.
    """
    fmt = format_for_path(path)
    if data is not None and fmt.name in ("csv", "boris") and Path(path).name.lower().count(".") == 1:
        head = data[:4096].decode("utf-8", "replace").lstrip("\ufeff").split("\n", 1)[0].lower()
        if "behavior" in head and ("observation id" in head or "behavior type" in head) and "boris" in FORMATS:
            return FORMATS["boris"]
        if "case_id" in head and "activity" in head and "eventlog" in FORMATS:
            return FORMATS["eventlog"]
    return fmt


def dumps_events(
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    format: str | Format = "csv",
    codebook: Codebook | None = None,
    **opts: Any,
) -> bytes:
    """Return ``events`` written in ``format`` as bytes (for a download or a pipe).

    ``recordings`` (by id, or a list) name the recordings and give their frame
    rate, path and duration; ``codebook`` feeds formats that carry one (JSON, ELAN).
    Raises FormatError for an unknown format.
    """
    return get_format(format).dumps(list(events), recordings, codebook=codebook, **opts)


def write_events(
    path: str | os.PathLike,
    events: Iterable[Event],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    *,
    format: str | Format | None = None,
    codebook: Codebook | None = None,
    **opts: Any,
) -> Path:
    """Write ``events`` to ``path`` atomically and return the path.

    The format comes from ``format`` or else from the file suffix (``.csv``,
    ``.json``, ``.vtt``, ``.srt``, ``.eaf``, ``.tsv``/``.boris.csv``, ``.xes``,
    ``.eventlog.csv``). Raises FormatError when neither names a format.
    """
    fmt = get_format(format) if format is not None else format_for_path(path)
    hint = getattr(fmt.module, "options_for_path", None)
    if hint is not None:
        opts = {**hint(str(path)), **opts}
    data = fmt.dumps(list(events), recordings, codebook=codebook, **opts)
    return atomic_write_bytes(path, data)


def write_event_tables(
    path: str | os.PathLike,
    tables: Iterable[Mapping[str, list[Any]]],
    recordings: Mapping[int, Recording] | Iterable[Recording] | None = None,
    **opts: Any,
) -> Path:
    """Write the event CSV of ``tables`` (tables of events, e.g. ``Store.event_columns`` chunks) to ``path``,
    streamed (memory bounded by one table, whatever the count) and atomically; return the path.

    Raises ValidationError for an unsupported delimiter; nothing is left at ``path`` on any error.
    """
    from .csv_format import dump_tables

    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        for piece in dump_tables(tables, recordings, **opts):
            out.write(piece)
    return Path(path)


def loads_events(
    data: bytes | str,
    *,
    format: str | Format = "csv",
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Codebook | None = None,
    source: str | None = None,
    **opts: Any,
) -> list[Event]:
    """Return the validated events of ``recording`` in ``data`` (an upload's bytes).

    ``mapping`` maps names in the file (kind text, behaviour, tier, label) to
    kinds, as a dict or ``["Greeting=MOT", ...]``. ``source`` names the file in
    messages. Raises FormatError listing every problem; nothing is returned then.
    """
    fmt = get_format(format)
    name = source or f"events{fmt.suffix}"
    return fmt.loads(data, recording=recording, mapping=mapping, codebook=codebook, source=name, **opts)


def read_events(
    path: str | os.PathLike,
    *,
    format: str | Format | None = None,
    recording: Recording,
    mapping: Mapping[str, Any] | Iterable[str] | None = None,
    codebook: Codebook | None = None,
    **opts: Any,
) -> list[Event]:
    """Return the validated events of ``recording`` in the file at ``path``.

    The format comes from ``format``, else from the suffix (and, for ``.csv``,
    the header). Raises FormatError if the file is missing or has any problem;
    then nothing is returned.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{p} does not exist; check the path of the file to import") from None
    except IsADirectoryError:
        raise FormatError(f"{p} is a folder; give the path of an event file") from None
    except OSError as exc:
        raise FormatError(f"{p} cannot be read ({exc.strerror}); check the file's permissions") from None
    fmt = get_format(format) if format is not None else detect_format(p, data)
    return fmt.loads(
        data, recording=recording, mapping=mapping, codebook=codebook, source=source_name(p, "events"), **opts
    )
