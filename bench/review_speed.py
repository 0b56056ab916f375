"""Benchmark: how many of the bundled sample's 14 known events the suggested moments point at.

Analyses ``sample_media/checkout.mp4`` (annotate.suggest.service.analyse, the
default thresholds) and, for each event of ``sample_media/checkout.events.csv``,
finds the nearest suggestion. Prints each event with its nearest suggestion and
the counts: events whose start lies within 1 s of a suggestion's start (the
figure issue 15 asks for), and within 1 s of a suggestion's start or end; how
many suggestions there are (what a reviewer has to confirm or dismiss) and the
analysis time next to a plain PyAV decode of the same file in the same run, with
the load average.

    .venv/bin/python bench/review_speed.py [--within 1.0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.app.recordings import recording_from_file  # noqa: E402
from annotate.app.sample import SAMPLE_EVENTS, SAMPLE_VIDEO, sample_dir  # noqa: E402
from annotate.formats import read_events  # noqa: E402
from annotate.suggest.service import analyse  # noqa: E402


def nearest(t: float, found, ends: bool):
    """Return (distance, suggestion) of the suggestion whose start (or end, with ``ends``) is nearest ``t``."""
    best = None
    for s in found:
        for edge in (s.start_s, s.end_s) if ends and s.end_s is not None else (s.start_s,):
            d = abs(edge - t)
            if best is None or d < best[0]:
                best = (d, s)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--within", type=float, default=1.0, help="seconds between an event and a suggestion")
    args = ap.parse_args()
    folder = sample_dir()
    if folder is None:
        sys.exit("no sample_media/ folder found")
    video = folder / SAMPLE_VIDEO
    events = read_events(folder / SAMPLE_EVENTS, recording=recording_from_file(video))
    t0 = time.perf_counter()
    with av.open(str(video)) as c:
        c.streams.video[0].thread_type = "AUTO"
        sum(1 for _ in c.decode(video=0))
    decode = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = analyse(video)
    took = time.perf_counter() - t0
    hits = hits_edges = 0
    for ev in events:
        d, s = nearest(ev.start_s, found, ends=False)
        d2, _ = nearest(ev.start_s, found, ends=True)
        hits += d <= args.within
        hits_edges += d2 <= args.within
        print(f"{ev.kind.short} {ev.start_s:7.3f} {ev.label:<18} nearest {s.type:<7} {s.start_s:7.3f} "
              f"({d:+.3f} s){'  *' if d <= args.within else ''}")
    by_type = {t: sum(1 for s in found if s.type == t) for t in ("cut", "hold", "silence", "speech")}
    print(f"{hits} of {len(events)} events start within {args.within:g} s of a suggestion's start; "
          f"{hits_edges} of {len(events)} within {args.within:g} s of a suggestion's start or end")
    print(f"{len(found)} suggestions {by_type}; analysis {took:.1f} s, plain decode {decode:.1f} s "
          f"({took / decode:.2f}x; load %.2f %.2f %.2f)" % os.getloadavg())


if __name__ == "__main__":
    main()
