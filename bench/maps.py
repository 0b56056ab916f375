"""Time the process-activity map, the flow map and the metrics on synthetic journeys.

Two workloads: 1 recording with 500 events, and 200 recordings with 50 events
each (10,000 events). Each step is timed (best of 3) and printed with its ratio
to a trivial baseline measured in the same run: serialising the same events to
JSON. Target: every map and flow build under 2 s on 2 cores.

    .venv/bin/python bench/maps.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.maps import build_flow, build_flow_map, build_map, metrics, prune, to_png, to_svg  # noqa: E402
from annotate.testing.journeys import journeys  # noqa: E402
from annotate.model import Codebook  # noqa: E402

TARGET_S = 2.0


def best(fn, repeat: int = 3) -> float:
    """Return the fastest of ``repeat`` runs of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    book = Codebook()
    workloads = {"1 x 500": journeys(1, 500, seed=1), "200 x 50": journeys(200, 50, seed=2)}
    failed = []
    print(f"{'workload':<10} {'step':<34} {'seconds':>8} {'x baseline':>11}  target")
    for name, (recs, events) in workloads.items():
        baseline = best(lambda: json.dumps([e.to_dict() for e in events], default=str))
        print(f"{name:<10} {'baseline: events to JSON':<34} {baseline:8.4f} {1.0:11.1f}")
        by_rec = {r.id: [e for e in events if e.recording_id == r.id] for r in recs}
        steps = {
            "map: layout + SVG (every recording)": lambda: [to_svg(build_map(by_rec[r.id], book, r)) for r in recs],
            "map: layout + PNG (first recording)": lambda: to_png(build_map(by_rec[recs[0].id], book, recs[0])),
            "flow: graph + layout + SVG": lambda: to_svg(build_flow_map(build_flow(events, recs), "frequency")),
            "flow: graph + top 8 + layout + PNG": lambda: to_png(build_flow_map(prune(build_flow(events, recs), 8))),
            "metrics: by recording + by stage": lambda: (metrics(events, recs, book, "recording"),
                                                         metrics(events, recs, book, "stage")),
        }
        for step, fn in steps.items():
            seconds = best(fn)
            timed = step.startswith(("map", "flow"))
            ok = seconds < TARGET_S
            if timed and not ok:
                failed.append(f"{name} {step}")
            mark = ("ok" if ok else "SLOW") if timed else ""
            print(f"{name:<10} {step:<34} {seconds:8.4f} {seconds / baseline:11.1f}  {mark}")
    if failed:
        print("over the 2 s target: " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
