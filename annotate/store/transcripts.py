"""The store's transcripts: one per recording, replaced whole on import, searched across recordings.

Tables (migration 9): ``transcripts`` has one row per imported transcript, its
``state`` ``pending`` while its lines are being written, then ``live`` (the
recording's transcript), ``replaced`` (an import after it is live) or
``undone``; ``transcript_lines`` holds its lines (times in whole milliseconds,
speaker, text, and the text case-folded for search).

An import (:meth:`Transcripts.replace`) writes its lines in short transactions
of LINE_BATCH rows under a pending row that no read sees, then one last short
transaction makes it live, marks the previous one replaced and logs ONE change
(entity ``transcript``, id the recording's, ``before``/``after`` naming the two
transcripts), so a reviewer's marks never wait for a long import and undo
(:func:`revert_transcript`, called by ``undo.py``) puts the previous transcript
back in one step. An import that fails, or whose process died, leaves nothing
visible; its rows are removed at once or by the next import.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..errors import ConflictError, StoreError
from ..model import utcnow
from ..transcripts.lines import Line
from .rows import parse_recording_id
from .schema import JSONText, UTCDateTime, metadata, recordings

if TYPE_CHECKING:
    from .base import Tx
    from .store import Store

LINE_BATCH = 5000  # lines per short transaction of an import
STALE_S = 600  # a pending transcript untouched this long died with its process
SEARCH_LIMIT = 200


def _tables(md: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """Return the ``transcripts`` and ``transcript_lines`` tables in ``md``, as migration 9 creates them."""
    heads = sa.Table(
        "transcripts",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("lines", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("touched_at", UTCDateTime, nullable=False),
    )
    body = sa.Table(
        "transcript_lines",
        md,
        sa.Column("transcript_id", sa.String(32), sa.ForeignKey("transcripts.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("end_ms", sa.BigInteger, nullable=False),
        sa.Column("speaker", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("folded", sa.Text, nullable=False),
        sa.Column("words", JSONText, nullable=True),
    )
    return heads, body


def m9_transcripts(conn: Connection) -> None:
    """Migration 9: the transcripts and transcript_lines tables and their indexes (frozen DDL)."""
    md = sa.MetaData()
    sa.Table("recordings", md, sa.Column("id", sa.Integer, primary_key=True))  # what the foreign key names
    heads, body = _tables(md)
    heads.create(conn)
    body.create(conn)
    sa.Index("ix_transcripts_recording", heads.c.recording_id, heads.c.state).create(conn)
    sa.Index("ix_transcript_lines_start", body.c.transcript_id, body.c.start_ms, body.c.seq).create(conn)


# The live tables. The schema has not changed since migration 9; a later change gets a migration and goes here.
transcripts, transcript_lines = _tables(metadata)


@dataclass(frozen=True)
class TranscriptInfo:
    """A stored transcript: which recording, where it came from, how many lines, who imported it when."""

    id: str
    recording_id: int
    source: str
    lines: int
    reviewer: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "recording": self.recording_id, "source": self.source, "lines": self.lines,
                "reviewer": self.reviewer, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class Hit:
    """One transcript line a search found: its recording (id and title) and the line."""

    recording_id: int
    title: str
    line: Line

    def to_dict(self) -> dict[str, Any]:
        return {"recording": self.recording_id, "title": self.title, **self.line.to_dict()}


def _info(row: Row) -> TranscriptInfo:
    return TranscriptInfo(row.id, row.recording_id, row.source, row.lines, row.reviewer, row.created_at)


def _line(row: Row) -> Line:
    words = tuple((int(a), int(b), str(w)) for a, b, w in row.words) if row.words else ()
    return Line(row.start_ms, row.end_ms, row.text, row.speaker, words)


def _live(conn: Connection, recording_id: int, lock: bool = False) -> Row | None:
    q = sa.select(transcripts).where(transcripts.c.recording_id == recording_id, transcripts.c.state == "live")
    return conn.execute(q.with_for_update() if lock else q).first()


class Transcripts:
    """The transcripts of one store (``Store.transcripts``)."""

    def __init__(self, store: Store):
        self._store = store

    def replace(self, recording_id: int, lines: Iterable[Line], source: str = "", reviewer: str = "") -> TranscriptInfo:
        """Make ``lines`` the recording's transcript, replacing the one it had, as ONE undoable change.

        All or nothing: whatever reading ``lines`` or a write raises (a FormatError
        of the file being read, NotFoundError for a recording gone meanwhile)
        leaves the stored transcript as it was, then is raised again. Lines are
        kept in the order given and read back in time order. Returns the new
        transcript. Raises NotFoundError for an unknown or deleted recording.
        """
        rid = parse_recording_id(recording_id)
        with self._store._read() as conn:
            self._store._recording_row(conn, rid)
        with self._pending(rid, source, reviewer) as tid:
            count, items = 0, iter(lines)
            while batch := list(itertools.islice(items, LINE_BATCH)):
                self._write_lines(tid, count, batch)
                count += len(batch)
            return self._go_live(rid, tid, count, reviewer)

    @contextlib.contextmanager
    def _pending(self, rid: int, source: str, reviewer: str) -> Iterator[str]:
        """Record a pending transcript (removing what dead imports left first); yield its id; remove it on error."""
        cutoff = utcnow() - timedelta(seconds=STALE_S)
        with self._store._read() as conn:
            stale = conn.execute(sa.select(transcripts.c.id).where(
                transcripts.c.state == "pending", transcripts.c.touched_at < cutoff)).scalars().all()
        for dead in stale:
            self._drop(dead)
        tid = uuid.uuid4().hex
        with self._store._write(reviewer) as tx:
            tx.conn.execute(transcripts.insert().values(
                id=tid, recording_id=rid, state="pending", source=str(source)[:1024], reviewer=tx.reviewer,
                lines=0, created_at=tx.now, touched_at=tx.now))
        try:
            yield tid
        except BaseException:
            with contextlib.suppress(Exception):  # if even that fails, the next import removes it (stale)
                self._drop(tid)
            raise

    def _write_lines(self, tid: str, first: int, batch: list[Line]) -> None:
        rows = [{"transcript_id": tid, "seq": first + i, "start_ms": ln.start_ms, "end_ms": ln.end_ms,
                 "speaker": ln.speaker, "text": ln.text, "folded": ln.text.casefold(),
                 "words": [list(w) for w in ln.words] or None} for i, ln in enumerate(batch)]
        with self._store._write_conn() as conn:
            conn.execute(transcript_lines.insert(), rows)
            conn.execute(transcripts.update().where(transcripts.c.id == tid).values(touched_at=utcnow()))

    def _go_live(self, rid: int, tid: str, count: int, reviewer: str) -> TranscriptInfo:
        """Make the pending transcript ``tid`` the recording's, in one transaction that logs the change."""
        with self._store._write(reviewer) as tx:
            self._store._recording_row(tx.conn, rid, lock=True)
            old = _live(tx.conn, rid, lock=True)
            if old is not None:
                tx.conn.execute(transcripts.update().where(transcripts.c.id == old.id).values(state="replaced"))
            done = tx.conn.execute(transcripts.update().where(transcripts.c.id == tid, transcripts.c.state == "pending")
                                   .values(state="live", lines=count, touched_at=tx.now)).rowcount
            if done != 1:
                raise StoreError("the import was cleared away as stale while it ran; import the transcript again")
            row = tx.conn.execute(sa.select(transcripts).where(transcripts.c.id == tid)).one()
            before = None if old is None else {"transcript": old.id, "lines": old.lines, "source": old.source}
            tx.log("import", "transcript", rid, rid, before, {"transcript": tid, "lines": count, "source": row.source})
            return _info(row)

    def _drop(self, tid: str) -> None:
        """Remove a pending transcript's lines, a batch per short transaction, then its row."""
        while True:
            with self._store._write_conn() as conn:
                seqs = conn.execute(sa.select(transcript_lines.c.seq).where(transcript_lines.c.transcript_id == tid)
                                    .order_by(transcript_lines.c.seq).limit(LINE_BATCH)).scalars().all()
                if not seqs:
                    break
                conn.execute(transcript_lines.delete().where(transcript_lines.c.transcript_id == tid,
                                                             transcript_lines.c.seq <= seqs[-1]))
        with self._store._write_conn() as conn:
            conn.execute(transcripts.delete().where(transcripts.c.id == tid, transcripts.c.state == "pending"))

    def info(self, recording_id: int) -> TranscriptInfo | None:
        """Return the recording's transcript, or None when it has none."""
        with self._store._read() as conn:
            row = _live(conn, parse_recording_id(recording_id))
        return None if row is None else _info(row)

    def counts(self) -> dict[int, int]:
        """Return {recording id: lines} of every recording that has a transcript."""
        with self._store._read() as conn:
            rows = conn.execute(sa.select(transcripts.c.recording_id, transcripts.c.lines)
                                .where(transcripts.c.state == "live")).all()
        return {int(r): int(n) for r, n in rows}

    def speakers(self, recording_id: int) -> list[str]:
        """Return the named speakers of the recording's transcript, sorted ([] without one)."""
        info = self.info(recording_id)
        if info is None:
            return []
        c = transcript_lines.c
        with self._store._read() as conn:
            names = conn.execute(sa.select(c.speaker).where(c.transcript_id == info.id, c.speaker != "")
                                 .distinct()).scalars().all()
        return sorted(names)

    def lines(self, recording_id: int, page: int = LINE_BATCH) -> Iterator[Line]:
        """Yield the recording's transcript lines in time order (nothing when it has none).

        Read ``page`` lines per query, so a long transcript is never all in memory.
        """
        info = self.info(recording_id)
        if info is None:
            return
        after: tuple[int, int] = (-1, -1)
        c = transcript_lines.c
        while True:
            q = (sa.select(transcript_lines).where(c.transcript_id == info.id,
                                                   sa.tuple_(c.start_ms, c.seq) > sa.tuple_(*after))
                 .order_by(c.start_ms, c.seq).limit(page))
            with self._store._read() as conn:
                rows = conn.execute(q).all()
            yield from (_line(r) for r in rows)
            if len(rows) < page:
                return
            after = (rows[-1].start_ms, rows[-1].seq)

    def search(self, text: str, *, whole_words: bool = False, recording_ids: Iterable[int] | None = None,
               limit: int = SEARCH_LIMIT) -> list[Hit]:
        """Return up to ``limit`` lines of live recordings' transcripts that hold ``text``, ignoring case.

        ``whole_words`` finds ``text`` only as whole words (``hold`` is not found in
        ``holding``). In recording, then time order. An empty ``text`` finds nothing.
        """
        needle = " ".join(str(text).split()).casefold()
        if not needle:
            return []
        c = transcript_lines.c
        q = (sa.select(transcripts.c.recording_id, recordings.c.title, transcript_lines)
             .join(transcripts, transcripts.c.id == c.transcript_id)
             .join(recordings, recordings.c.id == transcripts.c.recording_id)
             .where(transcripts.c.state == "live", recordings.c.deleted_at.is_(None),
                    c.folded.contains(needle, autoescape=True))
             .order_by(transcripts.c.recording_id, c.start_ms, c.seq))
        if recording_ids is not None:
            q = q.where(transcripts.c.recording_id.in_([parse_recording_id(r) for r in recording_ids]))
        found: list[Hit] = []
        with self._store._read() as conn:
            # Whole words: the substring's rows are filtered here, read a few hundred at a time (a server-side cursor
            # on PostgreSQL), so a common substring does not pull every line into memory.
            for row in conn.execute(q.execution_options(yield_per=500) if whole_words else q.limit(limit)):
                if whole_words and not _has_word(row.folded, needle):
                    continue
                found.append(Hit(row.recording_id, row.title, _line(row)))
                if len(found) >= limit:
                    break
        return found


def _has_word(folded: str, needle: str) -> bool:
    """Return True when ``needle`` stands in ``folded`` as whole words (no letter or digit either side)."""
    at = folded.find(needle)
    while at >= 0:
        end = at + len(needle)
        if (at == 0 or not folded[at - 1].isalnum()) and (end == len(folded) or not folded[end].isalnum()):
            return True
        at = folded.find(needle, at + 1)
    return False


def revert_transcript(store: Store, tx: Tx, change: Row) -> tuple[dict | None, dict | None]:
    """Undo one transcript import (``change``): the transcript before it is the recording's again.

    Returns the (before, after) of the revert. Raises ConflictError when a later
    import of the recording's transcript is still in effect, StoreError when the
    transcript it made is no longer the recording's.
    """
    if change.action != "import":
        raise StoreError(f"cannot undo a '{change.action}' of a transcript (change {change.id})")
    rid = int(change.recording_id)
    store._recording_row(tx.conn, rid, deleted=True, lock=True)
    store._check_undoable(tx, change)
    made, previous = (change.after or {}).get("transcript"), (change.before or {}).get("transcript")
    live = _live(tx.conn, rid, lock=True)
    if live is None or live.id != made:
        raise ConflictError(f"the transcript of recording {rid} was changed since; reload and look again")
    tx.conn.execute(transcripts.update().where(transcripts.c.id == made).values(state="undone", touched_at=tx.now))
    if previous:
        tx.conn.execute(transcripts.update().where(transcripts.c.id == previous).values(state="live", touched_at=tx.now))
    return change.after, change.before
