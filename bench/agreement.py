"""Agreement over 200 recordings x 2 coders x 50 events: the whole report in under 1 s (issue 16).

Times, interleaved and best of N in the same run: the vectorised matching alone
(``annotate.agreement.match_events``), the plain nested-loop matcher it must
equal (``annotate.agreement.reference.match_loop``, grouped by recording and
kind, the baseline), and the whole report (``compare``: matching, per-kind
figures, slice kappa over 1 s slices of 10-minute recordings, stage and channel
kappa), and, unless ``--no-store``, the same report read from a SQLite store
(``annotate.app.agreement.agreement_of``: both coders' sets in one query each,
then ``compare``). Prints seconds, the ratio of the baseline to each, and the
load average.

    .venv/bin/python bench/agreement.py [--recordings 200] [--events 50] [--repeat 5] [--no-store]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.agreement import coding_from_columns, compare, match_events  # noqa: E402
from annotate.agreement.reference import match_loop  # noqa: E402
from annotate.app.agreement import agreement_of  # noqa: E402
from annotate.model import KINDS, Event, Kind, Recording  # noqa: E402
from annotate.store import Store  # noqa: E402

DURATION_S = 600.0
TARGET_S = 1.0


def codings(recordings: int, per: int, seed: int = 16):
    """Return (A, B): B finds 85% of A's events within +-1.5 s, and 10% of its kinds differ."""
    rnd = random.Random(seed)
    stages, channels = ["Awareness", "Care", "Use"], ["phone", "web", "store"]
    cols = {"a": {k: [] for k in ("id", "recording_id", "kind", "start_s", "end_s", "stage", "channel")}}
    cols["b"] = {k: [] for k in cols["a"]}
    for rec in range(1, recordings + 1):
        for i in range(per):
            kind, start = rnd.choice(KINDS).value, rnd.randrange(0, int(DURATION_S * 1000) - 30_000)
            end = None if rnd.random() < 0.5 else start + rnd.randrange(500, 20_000)
            rows = [("a", start, kind)]
            if rnd.random() < 0.85:
                other = kind if rnd.random() < 0.9 else rnd.choice(KINDS).value
                rows.append(("b", max(0, start + rnd.randrange(-1500, 1501)), other))
            for coder, at, k in rows:
                c = cols[coder]
                c["id"].append(f"{coder}{rec}-{i}")
                c["recording_id"].append(rec)
                c["kind"].append(k)
                c["start_s"].append(at / 1000)
                c["end_s"].append(None if end is None else max(end, at) / 1000)
                c["stage"].append(rnd.choice(stages))
                c["channel"].append(rnd.choice(channels))
    return coding_from_columns(cols["a"]), coding_from_columns(cols["b"])


def stored(folder: str, a, b, recordings: int) -> Store:
    """Return a SQLite store in ``folder`` holding the recordings and both codings (as reviewers ana and ben)."""
    store = Store(f"sqlite:///{folder}/bench.sqlite")
    for rec in range(recordings):
        store.add_recording(Recording(path=f"/v/{rec}.mp4", duration_s=DURATION_S, content_hash=uuid.uuid4().hex))
    for who, c in (("ana", a), ("ben", b)):
        rows = zip(c["kind"], c["start_ms"], c["end_ms"], c["point"], c["recording_id"], c["stage"], c["channel"])
        store.add_events([Event(Kind(k), s / 1000, int(r), end_s=None if p else e / 1000, stage=st, channel=ch,
                                reviewer=who) for k, s, e, p, r, st, ch in rows], reviewer=who)
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-store", action="store_true", help="Skip the read from a SQLite store.")
    args = parser.parse_args()
    a, b = codings(args.recordings, args.events)
    durations = {rec: DURATION_S for rec in range(1, args.recordings + 1)}
    steps = {
        "baseline: nested-loop matcher": lambda: match_loop(a, b, 1000),
        "vectorised matcher": lambda: match_events(a, b, 1000),
        "whole report (compare)": lambda: compare(a, b, 1.0, 1.0, durations),
    }
    folder = tempfile.TemporaryDirectory()
    if not args.no_store:
        store = stored(folder.name, a, b, args.recordings)
        refs = list(range(1, args.recordings + 1))
        steps["from a SQLite store (agreement_of)"] = lambda: agreement_of(store, refs, ("ana", "ben"))
    m = match_events(a, b, 1000)
    assert list(zip(m.a.tolist(), m.b.tolist(), m.offset_ms.tolist())) == match_loop(a, b, 1000)
    best = {name: float("inf") for name in steps}
    for _ in range(args.repeat):  # interleaved: each round times every step once
        for name, step in steps.items():
            started = time.perf_counter()
            step()
            best[name] = min(best[name], time.perf_counter() - started)
    load = os.getloadavg()
    print(f"{args.recordings} recordings x 2 coders x {args.events} events: A {len(a)}, B {len(b)}, "
          f"{len(m)} matched; best of {args.repeat}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")
    baseline = best["baseline: nested-loop matcher"]
    for name, seconds in best.items():
        print(f"  {name:<36} {seconds:8.4f} s   baseline / this {baseline / seconds:6.1f}")
    whole = best["whole report (compare)"]
    print(f"whole report {whole:.3f} s: {'within' if whole < TARGET_S else 'OVER'} the {TARGET_S:.0f} s target")
    if not args.no_store:
        store.close()
    folder.cleanup()
    return 0 if whole < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
