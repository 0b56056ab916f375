"""The job rows the queue's workers share, on SQLite and on each PostgreSQL server of ANNOTATE_TEST_DB_URLS."""

from __future__ import annotations

import threading
import time

import pytest

from annotate.model import Recording
from annotate.store import Store
from annotate.store.jobs import JobRecords
from annotate.testing.databases import backend_id, empty_database, raw_rows, server_urls


@pytest.fixture(params=server_urls(), ids=backend_id)
def jobs(request, tmp_path):
    with empty_database(request.param, tmp_path) as url, Store(url) as store:
        yield JobRecords(store), store, url


def test_one_job_per_output_while_it_is_active(jobs):
    records, _, url = jobs
    first, new = records.create("overlay", "/r/a.mp4", "overlay of #1", {"recording_id": 1}, 1)
    again, new_again = records.create("overlay", "/r/a.mp4", "overlay of #1", {"recording_id": 1}, 1)
    assert new and not new_again and again.id == first.id
    assert raw_rows(url, "select state, attempts from jobs") == [("queued", 0)]
    assert records.claim(first.id, "w1") is not None and records.finish(first.id, "w1")
    later, new_later = records.create("overlay", "/r/a.mp4", "overlay of #1", {"recording_id": 1}, 1)
    assert new_later and later.id != first.id  # a finished job does not block a new one


def test_only_one_of_many_workers_claims_a_job(jobs):
    records, _, _ = jobs
    job, _ = records.create("proxy", "/p/x.mp4", "browser copy", {"recording_id": 1}, 1)
    won: list[str] = []
    barrier = threading.Barrier(6)

    def claim(name: str) -> None:
        barrier.wait()
        if records.claim(job.id, name) is not None:
            won.append(name)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    stored = records.get(job.id)
    assert (stored.state, stored.worker, stored.attempts) == ("running", won[0], 1)


def test_a_worker_that_lost_its_job_cannot_report_on_it(jobs):
    records, _, _ = jobs
    job, _ = records.create("clip", "/r/c.mp4", "clip", {}, None)
    records.claim(job.id, "w1")
    assert records.beat(job.id, "w1", 5, 10) and records.get(job.id).fraction == 0.5
    time.sleep(0.05)
    assert records.requeue_stale(0.01) == ([job.id], [])
    assert not records.beat(job.id, "w1", 6, 10) and not records.finish(job.id, "w1")
    assert records.claim(job.id, "w2").attempts == 2
    assert records.finish(job.id, "w2", "the clip could not be made\nTraceback ...")
    done = records.get(job.id)
    assert (done.state, done.error, done.worker) == ("failed", "the clip could not be made", "w2")


def test_a_job_that_kills_every_worker_fails_after_three_tries(jobs):
    records, _, _ = jobs
    job, _ = records.create("overlay", "/r/b.mp4", "overlay", {}, None)
    for attempt in range(3):
        assert records.claim(job.id, f"w{attempt}") is not None
        time.sleep(0.05)
        requeued, failed = records.requeue_stale(0.01)
    assert (requeued, failed) == ([], [job.id])
    gone = records.get(job.id)
    assert gone.state == "failed" and "stopped 3 times" in gone.error


def test_preparing_counts_and_workers_seen(jobs):
    records, store, _ = jobs
    rec = store.add_recording(Recording(path="/v/a.mp4", duration_s=10.0, content_hash="ab" * 20))
    proxy, _ = records.create("proxy", "/p/a.mp4", "browser copy", {"recording_id": rec.id}, rec.id)
    records.create("overlay", "/r/a.mp4", "overlay", {"recording_id": rec.id}, rec.id)
    assert records.preparing() == {rec.id}
    records.claim(proxy.id, "host:1:2")
    assert records.workers_seen() == ["host:1:2"]
    records.finish(proxy.id, "host:1:2")
    assert records.preparing() == set()
    assert records.counts() == {"queued": 1, "running": 0, "done": 1, "failed": 0}
    assert [j["state"] for j in map(lambda j: j.to_dict(), records.list())] == ["queued", "done"]
