"""Stream a large event CSV as chunks of validated columns, so an import's memory is bounded by the chunk size.

The whole-file import (``csv_format.loads``) holds every row as an Event
(about 1 KB each). This module reads the same file a block of rows at a time
with Arrow's streaming reader and runs the same steps on each block: the
cells become values (``csv_values.cell_values``), are checked a whole column
at a time (``model.columns_valid``) and get their ids by the one rule
(``ids.EventIds``); the rows go on as columns to ``annotate.store.bulk``.
What it keeps across blocks is small: the ids seen so far (16 bytes each,
sorted) and the derived names that repeat.

A block with a bad row, a repeated id, several recordings or ids of other
forms raises :class:`NotStreamable`: the caller then reads the whole file
the usual way, which names every bad line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping


from ..model import Recording, columns_valid
from . import columns as colwise
from .ids import EventIds, SeenKeys
from .kinds import KindResolver
from .recording_info import duration_limit, recording_fps
from .csv_read import plain_header
from .csv_values import cell_values

# Files smaller than this are read whole (the column and row-by-row paths); larger ones are streamed.
STREAM_MIN_BYTES = 4 << 20
# Bytes of CSV per block: ~30,000 rows of a typical export, a few tens of MB of Python values at most.
BLOCK_BYTES = 2 << 20


class NotStreamable(Exception):
    """The file (or a block of it) needs the whole-file readers: for a conversion, a repeat or an error message."""


@dataclass
class Chunk:
    """Validated rows of one block, as columns: Event field name -> list of values (``id`` included)."""

    columns: dict[str, list[Any]]
    count: int


def stream_chunks(data: bytes | str, recording: Recording, mapping: Mapping[str, Any] | None, source: str,
                  block_bytes: int | None = None) -> Iterator[Chunk] | None:
    """Return an iterator of the file's validated rows a block at a time, or None when the file is not streamed.

    None for a small file, a file without a plain UTF-8 header of known columns
    or without a start column, and when pyarrow is missing. The iterator raises
    NotStreamable (at any block) when the file needs the whole-file readers.
    """
    if colwise.arrow() is None or isinstance(data, str) or len(data) < STREAM_MIN_BYTES:
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16: the whole-file readers
    plain = plain_header(data, source)
    if plain is None:
        return None
    body, delimiter, header, cols = plain
    return _chunks(body, delimiter, header, cols, recording, mapping, block_bytes or BLOCK_BYTES)


def _chunks(body: Any, delimiter: str, header: list[str], cols: dict[str, int], recording: Recording,
            mapping: Any, block_bytes: int) -> Iterator[Chunk]:
    """Yield the Chunks of ``body`` (see :func:`stream_chunks`); raises NotStreamable."""
    wanted = sorted(set(cols.values()))
    ids = SeenIds(recording)
    resolve, limit, fps = KindResolver(mapping), duration_limit(recording), recording_fps(recording)
    recordings: dict[str, set] = {}
    first = True
    for batch in _batches(body, delimiter, len(header), wanted, block_bytes):
        if first:
            if batch.num_rows == 0 or any(batch.column(f"f{i}")[0].as_py() != header[i] for i in wanted):
                raise NotStreamable("the header is not the first row")
            batch, first = batch.slice(1), False
        if batch.num_rows == 0:
            continue

        def column(name: str, batch: Any = batch) -> Any:
            return batch.column(f"f{cols[name]}")

        for name in ("recording_id", "recording"):
            if name in cols:
                seen = recordings.setdefault(name, set())
                seen.update(colwise.arrow().compute.unique(column(name)).to_pylist())
                if len(seen) > 1:
                    raise NotStreamable("several recordings")
        out, bad = cell_values(column, cols, resolve, fps)
        if bad or not columns_valid(out, limit):
            raise NotStreamable("a row needs the whole-file reader (its message, or a conversion)")
        out["id"] = ids.assign(out, column("event_id") if "event_id" in cols else None)
        yield Chunk(out, batch.num_rows)


def _batches(body: Any, delimiter: str, width: int, wanted: list[int], block_bytes: int) -> Iterator[Any]:
    """Yield Arrow record batches of the CSV's string cells ``f<i>`` (header row first); raises NotStreamable.

    Refuses (as ``columns.csv_table`` does) a file whose quotes are not all
    quoted cells, which Arrow and ``csv.reader(strict=True)`` would split apart.
    """
    pa = colwise.arrow()
    import pyarrow.csv as pacsv

    quotes = body.count(b'"')
    if quotes:
        pattern = colwise.quoted_cell_pattern(delimiter.encode())
        if b"".join(pattern.findall(body)).count(b'"') != quotes:  # the pattern has no group: whole cells
            raise NotStreamable("quotes inside unquoted cells")
    names, parse, convert = colwise.csv_options(delimiter, width, wanted)
    try:
        reader = pacsv.open_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=block_bytes, use_threads=False),
            parse_options=parse, convert_options=convert,
        )
        for batch in reader:
            yield batch
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise NotStreamable(f"Arrow cannot split the file: {exc}") from None


class SeenIds:
    """The ids given so far in one streamed file (16 bytes each) and the rule that gives new ones (:mod:`.ids`)."""

    def __init__(self, recording: Recording):
        self.ids = EventIds(recording)
        self.seen = SeenKeys()

    def assign(self, out: dict[str, list[Any]], raw: Any) -> list[str]:
        """Return the ids of a block's validated rows (``out``: field -> values; ``raw``: the id column or None).

        Raises NotStreamable for ids the whole-file reader must settle (other
        forms, some rows without one) and for an id used twice (its message).
        """
        if raw is not None and not colwise.all_match(raw, "^$"):
            if not colwise.all_match(raw, "^[0-9a-f]{32}$"):
                raise NotStreamable("ids of another form")
            raw = raw.to_pylist()
        else:
            raw = None
        count = len(out["kind"])
        ids = self.ids.assign(out["kind"], out["start_s"], out.get("end_s") or [None] * count,
                              out.get("label") or [""] * count, raw)
        keys = SeenKeys.keys(ids)
        if len(set(ids)) != count or self.seen.contains(keys).any():
            raise NotStreamable("an id is used twice")
        self.seen.add(keys)
        return ids
