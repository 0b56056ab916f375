"""Import an event file into a recording's events: the one call behind ``annotate import`` and the Library page.

All or nothing: the file is read and validated whole before anything is
stored, and the store adds the events as one import (``Store.import_events``:
short transactions of a few thousand rows, hidden until a last short one makes
them all visible; removed again if anything fails). Events already
stored (same event id, or same content for files without ids) are skipped, so
importing a file twice does not duplicate anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from ..formats import csv_format, csv_stream, detect_format, get_format, loads_events
from ..model import Recording
from ..store.bulk import import_chunks
from ..wording import plural

if TYPE_CHECKING:
    from ..store import Store

# Bytes of the file read per block of a streamed CSV import (about 5,500 rows of an export). The peak
# follows it: two blocks at once (one written while the next is read), their cells, rows and the
# allocator's slack. 100,000 events (4.5 MB), the CLI over a one-row import: 1 MB 49 MB, 256 KB 29 MB,
# 128 KB 26 MB; CPU 2.50 / 2.74 / 2.78 s (per block: Arrow calls, a transaction, a tail statement).
IMPORT_BLOCK_BYTES = 1 << 18


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the recording, how many events were added and skipped, the format read."""

    recording_id: int
    added: int
    skipped: int
    format: str

    def summary(self) -> str:
        """Return one line for the user, e.g. ``Imported 1 event into recording 3 (2 already present)``."""
        extra = f" ({self.skipped} already present)" if self.skipped else ""
        return f"Imported {plural(self.added, 'event')} into recording {self.recording_id}{extra}"


def import_events(
    store: Store,
    recording_id: int,
    data: bytes,
    filename: str,
    *,
    format: str | None = None,
    mapping: Mapping[str, str] | Iterable[str] | None = None,
    reviewer: str = "",
) -> ImportResult:
    """Read ``data`` (the bytes of the file called ``filename``) and add its events to the recording.

    ``format`` is a format name; by default it comes from the file name (and a
    plain CSV's header). ``mapping`` maps names in the file to kinds
    (``{"Greets": "MOT"}`` or ``["Greets=MOT"]``). Returns an ImportResult.
    Raises NotFoundError for an unknown recording and FormatError (one line per
    problem, with line or element numbers) for a file that cannot be imported;
    nothing is stored then.
    """
    rec = store.get_recording(recording_id)
    fmt = get_format(format) if format else detect_format(filename, data)
    if fmt.name == "csv" and not isinstance(data, str):
        added = _import_streamed(store, rec, data, filename, mapping, reviewer)
        if added is not None:
            return ImportResult(rec.id, added[0], added[1], fmt.name)
    events = loads_events(
        data, format=fmt, recording=rec, mapping=mapping or None, codebook=store.get_codebook(), source=filename
    )
    added = store.import_events(events, reviewer=reviewer)  # batches: reviewers' marks never wait long
    return ImportResult(rec.id, added, len(events) - added, fmt.name)


def _import_streamed(store: Store, rec: Recording, data: bytes, filename: str,
                     mapping: Mapping[str, str] | Iterable[str] | None, reviewer: str) -> tuple[int, int] | None:
    """Import a large event CSV a block of rows at a time; return (added, skipped), or None to read it whole.

    Memory stays bounded by the block size (``formats.csv_stream``) and rows
    go to the store straight from columns (``store.bulk``). None when the file
    is small or needs the whole-file readers (a bad row, a repeated id, ...):
    then nothing is stored, and the caller's whole-file import writes the message.
    """
    source = filename or "events.csv"
    data = csv_format.refuse_long_csv_cells(data, source)  # a cell over its cap: the one-line message, nothing read
    if not isinstance(data, bytes):
        return None
    chunks = csv_stream.stream_chunks(data, rec, mapping or None, source, block_bytes=IMPORT_BLOCK_BYTES)
    if chunks is None:
        return None
    counted = _Counted(chunks)
    try:
        added = import_chunks(store, rec.id, counted, reviewer=reviewer)
    except csv_stream.NotStreamable:
        return None
    return added, counted.rows - added


class _Counted:
    """Iterate over ``chunks`` counting their rows (in ``rows``)."""

    def __init__(self, chunks: Iterable[csv_stream.Chunk]):
        self.chunks, self.rows = chunks, 0

    def __iter__(self) -> Iterator[csv_stream.Chunk]:
        for chunk in self.chunks:
            self.rows += chunk.count
            yield chunk
