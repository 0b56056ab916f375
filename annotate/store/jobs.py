"""The store's record of long jobs (proxies, overlays, clips, reels): what was asked, who runs it, how far.

A job row is the truth the pages and ``annotate jobs`` show; the queue (Huey) only
carries job ids to workers. States: ``queued`` -> ``running`` -> ``done`` | ``failed``.
A worker claims a queued job with a compare-and-set (so two workers never run one
job), beats its ``heartbeat_at`` while it works, and a job whose heartbeat stopped
(its worker was killed) is put back to ``queued`` by :meth:`JobRecords.requeue_stale`.
Jobs are not in the change log: they are work, not the library's content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..errors import NotFoundError
from ..model import utcnow
from .schema import JSONText, UTCDateTime, metadata

if TYPE_CHECKING:
    from .store import Store

STATES = ("queued", "running", "done", "failed")
ACTIVE = ("queued", "running")
MAX_ERROR = 500

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("recording_id", sa.Integer, nullable=True),
    sa.Column("params", JSONText, nullable=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("done", sa.Integer, nullable=False, default=0),
    sa.Column("total", sa.Integer, nullable=False, default=0),
    sa.Column("worker", sa.Text, nullable=False, default=""),
    sa.Column("error", sa.Text, nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("heartbeat_at", UTCDateTime, nullable=True),
)


@dataclass(frozen=True)
class JobRecord:
    """One job as stored."""

    id: str
    kind: str
    recording_id: int | None
    params: dict[str, Any]
    output: str
    label: str
    state: str
    done: int
    total: int
    worker: str
    error: str
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None

    @property
    def fraction(self) -> float:
        """Return how much is done, 0..1 (1 once done)."""
        if self.state == "done":
            return 1.0
        return min(self.done / self.total, 1.0) if self.total else 0.0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        """Return the job as JSON-ready values (``annotate jobs --json``)."""
        return {"id": self.id, "kind": self.kind, "recording": self.recording_id, "state": self.state,
                "progress": round(self.fraction, 4), "worker": self.worker, "error": self.error,
                "attempts": self.attempts, "label": self.label, "output": self.output,
                "created_at": self.created_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


def _record(row: Row) -> JobRecord:
    return JobRecord(**{c.name: getattr(row, c.name) for c in jobs.columns})


class JobRecords:
    """The jobs of one store (``Store.jobs``)."""

    def __init__(self, store: Store):
        self._store = store

    def create(self, kind: str, output: str, label: str, params: dict[str, Any],
               recording_id: int | None = None) -> tuple[JobRecord, bool]:
        """Return (the job writing ``output``, whether it is new).

        A queued or running job for the same output is returned as it is (one job
        per file however many people ask); otherwise a new queued job is stored.
        """
        with self._store._write_conn() as conn:
            active = conn.execute(
                sa.select(jobs).where(jobs.c.output == output, jobs.c.state.in_(ACTIVE)).limit(1)
            ).first()
            if active is not None:
                return _record(active), False
            job_id = uuid.uuid4().hex
            conn.execute(jobs.insert().values(
                id=job_id, kind=kind, recording_id=recording_id, params=params, output=output, label=label,
                state="queued", done=0, total=0, worker="", error="", attempts=0, created_at=utcnow()))
            return self._get(conn, job_id), True

    def get(self, job_id: str) -> JobRecord:
        """Return job ``job_id``. Raises NotFoundError."""
        with self._store._read() as conn:
            return self._get(conn, job_id)

    def latest_for(self, output: str) -> JobRecord | None:
        """Return the newest job that writes ``output``, or None."""
        with self._store._read() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.output == output)
                               .order_by(jobs.c.created_at.desc()).limit(1)).first()
        return None if row is None else _record(row)

    def list(self, states: tuple[str, ...] | None = None, recording_id: int | None = None,
             limit: int = 200) -> list[JobRecord]:
        """Return jobs, newest first, optionally only in ``states`` or of one recording."""
        q = sa.select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
        if states:
            q = q.where(jobs.c.state.in_(states))
        if recording_id is not None:
            q = q.where(jobs.c.recording_id == recording_id)
        with self._store._read() as conn:
            return [_record(r) for r in conn.execute(q)]

    def claim(self, job_id: str, worker: str) -> JobRecord | None:
        """Mark a queued job running for ``worker``; return it, or None when it is not queued any more."""
        now = utcnow()
        with self._store._write_conn() as conn:
            claimed = conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.state == "queued").values(
                state="running", worker=worker, started_at=now, heartbeat_at=now, attempts=jobs.c.attempts + 1,
                error="")).rowcount
            return self._get(conn, job_id) if claimed == 1 else None

    def beat(self, job_id: str, worker: str, done: int | None = None, total: int | None = None) -> bool:
        """Record that ``worker`` is still on the job (and how far); return False when it lost the job."""
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if done is not None:
            values.update(done=int(done), total=int(total or 0))
        with self._store._write_conn() as conn:
            return conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.state == "running",
                                                    jobs.c.worker == worker).values(**values)).rowcount == 1

    def finish(self, job_id: str, worker: str, error: str | None = None) -> bool:
        """Mark ``worker``'s job done (or failed with a one-line ``error``); return False when it lost the job."""
        values: dict[str, Any] = {"state": "failed" if error else "done", "finished_at": utcnow(),
                                  "error": (error or "").splitlines()[0][:MAX_ERROR] if error else ""}
        with self._store._write_conn() as conn:
            return conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.state == "running",
                                                    jobs.c.worker == worker).values(**values)).rowcount == 1

    def requeue_stale(self, older_than_s: float, max_attempts: int = 3) -> tuple[list[str], list[str]]:
        """Put running jobs whose heartbeat is older than ``older_than_s`` back to queued.

        A job that has already been tried ``max_attempts`` times fails instead
        (a file that kills every worker must not go round for ever). Returns
        (ids requeued, ids failed).
        """
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        requeued, failed = [], []
        with self._store._write_conn() as conn:
            stale = conn.execute(sa.select(jobs.c.id, jobs.c.attempts, jobs.c.heartbeat_at).where(
                jobs.c.state == "running", jobs.c.heartbeat_at < cutoff)).all()
            for job_id, attempts, beat in stale:
                again = attempts < max_attempts
                values = ({"state": "queued", "worker": ""} if again else
                          {"state": "failed", "finished_at": utcnow(),
                           "error": f"the worker stopped {attempts} times on this job; see the workers' logs"})
                changed = conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.state == "running",
                                                           jobs.c.heartbeat_at == beat).values(**values)).rowcount
                if changed == 1:
                    (requeued if again else failed).append(job_id)
        return requeued, failed

    def preparing(self) -> set[int]:
        """Return the ids of recordings whose browser proxy is queued or being made."""
        with self._store._read() as conn:
            rows = conn.execute(sa.select(jobs.c.recording_id).where(
                jobs.c.kind == "proxy", jobs.c.state.in_(ACTIVE), jobs.c.recording_id.is_not(None)).distinct())
            return {int(r[0]) for r in rows}

    def counts(self) -> dict[str, int]:
        """Return how many jobs are in each state."""
        with self._store._read() as conn:
            rows = conn.execute(sa.select(jobs.c.state, sa.func.count()).group_by(jobs.c.state)).all()
        return {state: 0 for state in STATES} | {state: int(n) for state, n in rows}

    def workers_seen(self, within_s: float = 60.0) -> list[str]:
        """Return the workers that reported on a job in the last ``within_s`` seconds."""
        cutoff = utcnow() - timedelta(seconds=within_s)
        with self._store._read() as conn:
            rows = conn.execute(sa.select(jobs.c.worker).where(jobs.c.heartbeat_at >= cutoff,
                                                               jobs.c.worker != "").distinct()).all()
        return sorted(r[0] for r in rows)

    @staticmethod
    def _get(conn: Connection, job_id: str) -> JobRecord:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no job {job_id!r}: see `annotate jobs`")
        return _record(row)
