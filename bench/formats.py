"""Throughput of every event-file format: export and import of 100,000 events.

Prints events per second for each format next to baselines measured in the same
run on the same events: a plain ``csv.writer`` dump of the events' fields (export)
and a plain ``csv.reader`` read of that dump (import), plus ``validate_event``
alone, which every import calls once per event and so bounds import speed.
Targets (2 cores, issue 12): every format >= 40,000 events/s, CSV >= 150,000. On a shared machine
the rates move with the load; the ratios to the baselines measured beside them move less.

Two more rows read logs another tool wrote (import only): ``eventlog-foreign``, a CSV log with just
case_id, activity, timestamp, lifecycle, resource and kind of three cases (the recording's and two others a tenth
its size), entries paired by activity; ``xes-foreign``, an XES log of the same three traces with concept:name,
time:timestamp, lifecycle:transition, org:resource and kind, no identity:id or start_s/end_s, laid out as pm4py
writes it (read by the byte scan, annotate/formats/xes_scan.py, not the XML tree). Their rate counts the
recording's events (the other cases are read and left out).

    .venv/bin/python bench/formats.py [--events 100000] [--repeat 3] [--formats csv,json,eventlog-foreign]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.formats import FORMATS, dumps_events, loads_events  # noqa: E402
from annotate.model import Codebook, Event, Kind, Recording, validate_event  # noqa: E402
from annotate.timebase import floor_ms, seconds_from_ms  # noqa: E402

FOREIGN = ("case_id", "activity", "timestamp", "lifecycle", "resource", "kind")


def foreign_entries(events: list[Event], recs: list[Recording]) -> list[dict[str, str]]:
    """Return the entries another tool would log for ``events`` (of ``recs``): this tool's log, fewer columns."""
    data = dumps_events(events, recs, format="eventlog", bom=False).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    return [{"case_id": r["case_id"], "activity": r["activity"], "timestamp": r["timestamp"],
             "lifecycle": r["lifecycle"], "resource": r["actor"], "kind": r["kind_short"]} for r in rows]


def foreign_csv(entries: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, FOREIGN, lineterminator="\n")
    writer.writeheader()
    writer.writerows(entries)
    return buf.getvalue().encode("utf-8")


def foreign_xes(entries: list[dict[str, str]]) -> bytes:
    """Return ``entries`` as an XES log laid out as pm4py writes one (one trace per case)."""
    from xml.sax.saxutils import quoteattr
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">']
    case = None
    for e in entries:
        if e["case_id"] != case:
            if case is not None:
                out.append("\t</trace>")
            case = e["case_id"]
            out += ["\t<trace>", f'\t\t<string key="concept:name" value={quoteattr(case)} />']
        out += ["\t\t<event>", f'\t\t\t<string key="concept:name" value={quoteattr(e["activity"])} />',
                f'\t\t\t<string key="lifecycle:transition" value="{e["lifecycle"]}" />',
                f'\t\t\t<date key="time:timestamp" value="{e["timestamp"].replace("Z", "+00:00")}" />',
                f'\t\t\t<string key="org:resource" value={quoteattr(e["resource"])} />',
                f'\t\t\t<string key="kind" value="{e["kind"]}" />', "\t\t</event>"]
    out += ["\t</trace>", "</log>", ""]
    return "\n".join(out).encode("utf-8")


def make_events(n: int, rec: Recording) -> list[Event]:
    rnd = random.Random(1)
    book = Codebook()
    t0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
    kinds = list(Kind)
    out = []
    for i in range(n):
        kind = kinds[i % 3]
        start = rnd.randrange(0, floor_ms(rec.duration_s) - 10_000)
        end = None if i % 2 else start + rnd.randrange(1, 8000)
        out.append(validate_event(Event(
            kind, seconds_from_ms(start), rec.id, end_s=None if end is None else seconds_from_ms(end),
            label=rnd.choice(book.label_texts(kind) + ["free, text", "=1+1"]), stage=rnd.choice(book.stages),
            channel=rnd.choice(book.channels), actor=rnd.choice(book.actors),
            emotion=rnd.choice([None, -2, -1, 0, 1, 2]), note="" if i % 5 else "a note,\nwith a line break",
            reviewer="ann", created_at=t0 + timedelta(seconds=i), updated_at=t0 + timedelta(seconds=i, milliseconds=250),
        ), rec.duration_s))
    return out


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default=",".join([*FORMATS, "eventlog-foreign", "xes-foreign"]))
    args = ap.parse_args()
    n = args.events
    rec = Recording(path="/data/checkout.mp4", title="Checkout", id=1, duration_s=4 * 3600.0, fps="30000/1001",
                    content_hash="ab" * 32)
    print(f"making {n:,} events ...", flush=True)
    events = make_events(n, rec)
    book = Codebook()
    others = [Recording(path=f"/data/other{i}.mp4", title=f"Other {i}", id=i, duration_s=rec.duration_s, fps=rec.fps,
                        content_hash=f"{i:02d}" * 32) for i in (2, 3)]
    mixed = events + [Event(e.kind, e.start_s, o.id, end_s=e.end_s, label=e.label, actor=e.actor)
                      for o in others for e in events[: n // 10]]
    entries = foreign_entries(mixed, [rec, *others])
    foreign = {"eventlog-foreign": foreign_csv(entries), "xes-foreign": foreign_xes(entries)}

    fields = ("id", "kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion",
              "note", "reviewer", "created_at", "updated_at")
    rows = [tuple("" if getattr(e, f) is None else str(getattr(e, f)) for f in fields) for e in events]

    def plain_write() -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(fields)
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8")

    plain = plain_write()

    def baselines() -> tuple[float, float]:
        # Measured next to each format: on a shared machine the load changes from minute to minute.
        w = n / best(plain_write, args.repeat)
        r = n / best(lambda: list(csv.reader(io.StringIO(plain.decode("utf-8"), newline=""))), args.repeat)
        return w, r

    validate = n / best(lambda: [validate_event(e, rec.duration_s) for e in events], args.repeat)
    base_w, base_r = baselines()
    print(f"baseline csv.writer dump {base_w:>10,.0f} ev/s | csv.reader read {base_r:>10,.0f} ev/s | "
          f"validate_event alone {validate:>9,.0f} ev/s (every import calls it once per event)")
    print(f"{'format':<17}{'export ev/s':>13}{'x writer':>10}{'import ev/s':>13}{'x reader':>10}{'MB':>7}  target")
    for name in args.formats.split(","):
        base_w, base_r = baselines()
        if name in foreign:
            data = foreign[name]
            fmt = name.split("-")[0]
            back = loads_events(data, format=fmt, recording=rec, codebook=book)
            assert len(back) == n, (name, len(back))
            imp = n / best(lambda: loads_events(data, format=fmt, recording=rec, codebook=book),
                           max(1, args.repeat - 1))
            verdict = "ok" if imp >= 40_000 else "below 40,000"
            print(f"{name:<17}{'-':>13}{'-':>10}{imp:>13,.0f}{imp / base_r:>10.2f}{len(data) / 1e6:>7.1f}  {verdict}",
                  flush=True)
            continue
        data = dumps_events(events, [rec], format=name, codebook=book)
        export = n / best(lambda: dumps_events(events, [rec], format=name, codebook=book), args.repeat)
        back = loads_events(data, format=name, recording=rec, codebook=book)
        assert len(back) == n, (name, len(back))
        imp = n / best(lambda: loads_events(data, format=name, recording=rec, codebook=book), max(1, args.repeat - 1))
        target = 150_000 if name == "csv" else 40_000
        verdict = "ok" if min(export, imp) >= target else f"below {target:,}"
        print(f"{name:<17}{export:>13,.0f}{export / base_w:>10.2f}{imp:>13,.0f}{imp / base_r:>10.2f}"
              f"{len(data) / 1e6:>7.1f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
