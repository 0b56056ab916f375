"""Time one Streamlit page in a fresh process (bench/scale.py runs it): cold first run, then warm reruns.

``ours``: the app's Analyse page on the store at ``--db`` (streamlit AppTest, as
the UI tests drive it). ``plain``: bench/analyse_plain_page.py on the same SQLite
file. Cold is from this process's start (imports included) to the first run
finished; warm is the best of ``--reruns`` reruns with nothing changed. Prints
one JSON line {"cold": s, "warm": s, "events_shown": text}.

    .venv/bin/python bench/analyse_page.py ours|plain --db sqlite:///library.sqlite [--reruns 3]
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _app(which: str, url: str):
    from streamlit.testing.v1 import AppTest

    if which == "plain":
        os.environ["CX_BENCH_DB"] = url.removeprefix("sqlite:///")
        at = AppTest.from_file(str(ROOT / "bench" / "analyse_plain_page.py"), default_timeout=600)
        return at.run(), at.run
    os.environ["ANNOTATE_DB"] = url
    os.environ.setdefault("ANNOTATE_DATA_DIR", tempfile.mkdtemp(prefix="cx-bench-page-"))
    os.environ["ANNOTATE_SAMPLE_DIR"] = tempfile.mkdtemp(prefix="cx-bench-nosample-")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["cx_reviewer"] = "bench"
    at.run()
    at.switch_page("annotate/ui/pages/analyse.py").run()
    return at, at.run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("which", choices=["ours", "plain"])
    ap.add_argument("--db", required=True)
    ap.add_argument("--reruns", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    at, rerun = _app(args.which, args.db)
    cold = time.perf_counter() - STARTED
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception[0].value}")
    warm = []
    for _ in range(args.reruns):
        t = time.perf_counter()
        rerun()
        warm.append(time.perf_counter() - t)
    shown = next((m.value for m in at.markdown if "events" in m.value), "")
    print(json.dumps({"cold": round(cold, 3), "warm": round(min(warm), 3), "events_shown": shown}))


if __name__ == "__main__":
    main()
