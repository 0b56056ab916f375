"""The per-recording process-activity map: a swimlane chart, and its table.

x is recording time; lanes are actors in codebook order with a dashed line of
visibility between the customer-facing lanes and the internal ones; journey
stages are background bands; each event is a marker in its kind's colour and
shape (MOT circle, INT square, DEC diamond) joined in time order by a grey
connector; long waits are labelled; an emotion strip shows pain points and
gains. Labels thin out when events crowd; markers never do.

Markers carry ``class="marker"``, ``data-kind``, ``data-shape``, ``data-step``
and ``data-event-id``; stage bands ``class="stage-band"`` and ``data-stage``;
wait labels ``class="wait"`` and ``data-wait-s``, so the SVG can be checked
(and scripted) without looking at pixels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from ..model import KINDS, Codebook, Event, Kind, Recording, parse_kind
from . import journey
from .journey import clock, span_text
from .scene import Element, LabelPlacer, Scene, diamond_points, num, text_width, triangle_points, truncate

WAIT_THRESHOLD_S = 30.0
DEFAULT_WIDTH = 1400
MIN_WIDTH = 480

PAD_L, PAD_R = 130.0, 30.0
STAGE_TOP = 54.0
LANES_TOP = STAGE_TOP + 22.0
LANE_H, MIN_LANE_H = 66.0, 40.0
EMO_GAP, EMO_H = 8.0, 86.0
AXIS_H = 34.0
LABEL_SIZE = 10.0
LABEL_CHARS = 26

PAIN_COLOR, GAIN_COLOR = "#E66101", "#5E3C99"  # orange / purple: apart from the kind colours, colour-blind safe
CONNECTOR_COLOR = "#9E9E9E"
STAGE_FILLS = ("#FBEFE6", "#E8F1F8", "#EAF5EC", "#F3ECF6", "#FBF6E3", "#E9F4F4", "#F6EAEA", "#EEEEF6")

TABLE_COLUMNS = [
    "step", "time", "start_s", "to_next_s", "wait_s", "kind", "actor", "stage",
    "label", "expectation", "emotion", "event_id",
]


def activity_table(events: Iterable[Event], codebook: Codebook | None = None) -> pd.DataFrame:
    """Return the process-activity table of one recording's events, one row per step.

    Columns: step (1-based), time (``m:ss.mmm``), start_s, to_next_s (start to
    the next step's start; NaN for the last), wait_s (idle time to the next
    step, see :mod:`annotate.maps.journey`), kind (MOT/INT/DEC), actor, stage,
    label, expectation, emotion (nullable int), event_id.
    """
    book = codebook or Codebook()
    ordered = journey.steps(events)
    gaps = journey.waits(ordered)
    rows = []
    for i, e in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        rows.append(
            {
                "step": i + 1,
                "time": clock(e.start_s, ms=True),
                "start_s": e.start_s,
                "to_next_s": None if nxt is None else round(nxt.start_s - e.start_s, 3),
                "wait_s": gaps[i] if i < len(gaps) else None,
                "kind": parse_kind(e.kind).short,
                "actor": book.actor_of(e),
                "stage": book.stage_of(e),
                "label": e.label,
                "expectation": e.expectation,
                "emotion": e.emotion,
                "event_id": e.id,
            }
        )
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    frame["to_next_s"] = frame["to_next_s"].astype("float64")
    frame["wait_s"] = frame["wait_s"].astype("float64")
    frame["emotion"] = frame["emotion"].astype("Int64")
    return frame


def marker_element(parent: Element, kind: Kind, x: float, y: float, r: float, **attrs) -> Element:
    """Append the marker of ``kind`` centred on (x, y): circle, square or diamond in the kind's colour."""
    common = dict(fill=kind.color, data_kind=kind.value, data_short=kind.short, data_shape=kind.marker, **attrs)
    if kind.marker == "circle":
        return parent.add("circle", cx=num(x), cy=num(y), r=num(r), **common)
    if kind.marker == "square":
        s = r * 0.9
        return parent.add("rect", x=num(x - s), y=num(y - s), width=num(2 * s), height=num(2 * s), **common)
    return parent.add("polygon", points=diamond_points(x, y, r * 1.25), **common)


def _tick_step(span: float, plot_w: float) -> float:
    """Return a tick interval giving at most one label per ~80 px."""
    wanted = span / max(plot_w / 80.0, 1.0)
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
        if step >= wanted:
            return float(step)
    return 28800.0


def build_map(
    events: Iterable[Event],
    codebook: Codebook | None = None,
    recording: Recording | None = None,
    *,
    wait_threshold_s: float = WAIT_THRESHOLD_S,
    width: int | None = None,
    height: int | None = None,
) -> Scene:
    """Return the process-activity map of one recording as a :class:`Scene`.

    ``events`` are that recording's events (any order); ``codebook`` gives the
    lane and stage order (default codebook if None); ``recording`` gives the
    title and duration. Waits longer than ``wait_threshold_s`` are labelled.
    ``width``/``height`` are the size to lay out for (default 1400 wide, height
    as the lanes need).
    """
    book = codebook or Codebook()
    ordered = journey.steps(events)
    gaps = journey.waits(ordered)
    duration = recording.duration_s if recording is not None else 0.0
    end_s = journey.timeline_end(duration, ordered) or 1.0
    lanes = journey.lanes(book, ordered)
    lane_index = {lane.actor: i for i, lane in enumerate(lanes)}
    stages = journey.stage_order(book, ordered)
    spans = journey.stage_spans(ordered, book, end_s)

    W = float(max(width or DEFAULT_WIDTH, MIN_WIDTH))
    fixed = LANES_TOP + EMO_GAP + EMO_H + AXIS_H
    lane_h = LANE_H if height is None else max(MIN_LANE_H, (float(height) - fixed) / len(lanes))
    lanes_bottom = LANES_TOP + lane_h * len(lanes)
    emo_top = lanes_bottom + EMO_GAP
    emo_bottom = emo_top + EMO_H
    H = emo_bottom + AXIS_H if height is None else max(float(height), emo_bottom + AXIS_H)
    plot_w = W - PAD_L - PAD_R

    def x_of(t: float) -> float:
        return PAD_L + plot_w * (t / end_s)

    def lane_y(e: Event) -> float:
        actor = book.actor_of(e) or journey.NO_ACTOR
        return LANES_TOP + lane_h * (lane_index[actor] + 0.5)

    counts = {k: sum(1 for e in ordered if parse_kind(e.kind) is k) for k in KINDS}
    title = _title(recording)
    scene = Scene(W, H, title=f"Process-activity map: {title}")
    scene.description = (
        f"{len(ordered)} events ("
        + ", ".join(f"{counts[k]} {k.short}" for k in KINDS)
        + f") over {clock(end_s)}; waits over {span_text(wait_threshold_s)} labelled"
    )
    root = scene.root
    root.add("text", title, x=PAD_L, y=22, font_size=15, font_weight="bold", fill="#222222", class_="map-title")
    root.add("text", scene.description, x=PAD_L, y=40, font_size=11, fill="#555555", class_="map-subtitle")
    _legend(root, W - PAD_R, 22)

    # stage bands, in codebook order in the document, placed by time
    bands = root.group(class_="stage-bands")
    by_stage = {s.stage: s for s in spans}
    for order, stage in enumerate(stages):
        span = by_stage.get(stage)
        if span is None:
            continue
        x0, x1 = x_of(span.start_s), x_of(span.end_s)
        g = bands.group(
            class_="stage-band", data_stage=stage, data_order=order,
            data_start_s=span.start_s, data_end_s=span.end_s,
            title=f"{stage}: {clock(span.start_s)}–{clock(span.end_s)} ({span_text(span.duration_s)})",
        )
        g.add("rect", x=num(x0), y=STAGE_TOP, width=num(max(x1 - x0, 0.5)), height=num(emo_bottom - STAGE_TOP),
              fill=STAGE_FILLS[order % len(STAGE_FILLS)])
        g.add("line", x1=num(x0), y1=STAGE_TOP, x2=num(x0), y2=num(emo_bottom), stroke="#C8C8C8", stroke_width=1)
        chars = int((x1 - x0 - 6) / (11 * 0.6))
        if chars >= 3:
            g.add("text", truncate(stage, chars), x=num((x0 + x1) / 2), y=STAGE_TOP + 15, font_size=11,
                  font_weight="bold", text_anchor="middle", fill="#444444", class_="stage-name")

    # lanes and the line of visibility
    lane_g = root.group(class_="lanes")
    for i, lane in enumerate(lanes):
        top = LANES_TOP + lane_h * i
        lane_g.add("line", x1=PAD_L, y1=num(top + lane_h), x2=num(W - PAD_R), y2=num(top + lane_h),
                   stroke="#DDDDDD", stroke_width=1)
        lane_g.add("text", truncate(lane.actor, 18), x=PAD_L - 10, y=num(top + lane_h / 2 + 4), font_size=12,
                   text_anchor="end", fill="#222222" if lane.customer_facing else "#555555",
                   font_weight="bold" if lane.customer_facing else None, class_="lane-name", data_actor=lane.actor)
        if i + 1 < len(lanes) and lane.customer_facing != lanes[i + 1].customer_facing:
            y = num(top + lane_h)
            lane_g.add("line", x1=8, y1=y, x2=num(W - PAD_R), y2=y, stroke="#444444", stroke_width=1.5,
                       stroke_dasharray="7 4", class_="line-of-visibility")
            lane_g.add("text", "line of visibility", x=8, y=num(top + lane_h - 4), font_size=9, fill="#444444")
    lane_g.add("line", x1=PAD_L, y1=LANES_TOP, x2=num(W - PAD_R), y2=LANES_TOP, stroke="#BBBBBB", stroke_width=1)

    # time axis with m:ss ticks and a faint grid
    axis = root.group(class_="axis")
    step = _tick_step(end_s, plot_w)
    t = 0.0
    while t <= end_s + 1e-9:
        x = num(x_of(t))
        axis.add("line", x1=x, y1=LANES_TOP, x2=x, y2=num(emo_bottom + 4), stroke="#000000", stroke_opacity=0.07)
        axis.add("text", clock(t), x=x, y=num(emo_bottom + 17), font_size=10, text_anchor="middle", fill="#444444")
        t += step
    axis.add("text", "time (m:ss)", x=num(W - PAD_R), y=num(emo_bottom + 30), font_size=9, text_anchor="end", fill="#777777")

    n = len(ordered)
    r = max(3.0, min(7.0, plot_w / max(n, 1) / 1.6, lane_h / 6))
    pts = [(x_of(e.start_s), lane_y(e)) for e in ordered]

    durations = root.group(class_="durations")
    for e, (x, y) in zip(ordered, pts):
        if e.end_s is not None and e.end_s > e.start_s:
            durations.add("rect", x=num(x), y=num(y - 3), width=num(max(x_of(e.end_s) - x, 0.5)), height=6,
                          fill=parse_kind(e.kind).color, fill_opacity=0.3, class_="duration", data_event_id=e.id)

    if len(pts) > 1:
        root.add("polyline", points=" ".join(f"{num(x)},{num(y)}" for x, y in pts), fill="none",
                 stroke=CONNECTOR_COLOR, stroke_width=1.2,
                 stroke_opacity=1 if n <= 150 else 0.5, class_="connector")

    # wait marks on the connector; their labels and the event labels share the room below
    waits_g = root.group(class_="waits")
    wait_groups = []
    for i, gap in enumerate(gaps):
        if gap <= wait_threshold_s:
            continue
        (xa, ya), (xb, yb) = pts[i], pts[i + 1]
        mx, my = (xa + xb) / 2, (ya + yb) / 2
        g = waits_g.group(class_="wait", data_wait_s=gap, data_after_step=i + 1,
                          title=f"{span_text(gap)} with nothing happening after step {i + 1} at {clock(journey.event_end(ordered[i]))}")
        g.add("circle", cx=num(mx), cy=num(my), r=2.5, fill="#444444")
        wait_groups.append((i, g, mx, my, f"wait {span_text(gap)}"))

    marks = root.group(class_="events", stroke="#FFFFFF", stroke_width=1)
    for i, (e, (x, y)) in enumerate(zip(ordered, pts)):
        marker_element(marks, parse_kind(e.kind), x, y, r, class_="marker", data_event_id=e.id, data_step=i + 1,
                       data_start_s=e.start_s, title=_tooltip(i + 1, e, book))

    # Labels thin out: MOT labels claim room first (they are what the map is read for), then the
    # other events' labels, then the wait labels, each only where it overlaps no label already
    # placed. A wait whose label found no room keeps its mark and tooltip.
    placer = LabelPlacer()
    labels = root.group(class_="labels", font_size=LABEL_SIZE, fill="#222222")
    jobs = [(0 if parse_kind(e.kind) is Kind.MOMENT_OF_TRUTH else 1, i, "event") for i, e in enumerate(ordered)]
    jobs += [(2, j, "wait") for j in range(len(wait_groups))]
    for _, i, what in sorted(jobs):
        if what == "wait":
            _, g, mx, my, text = wait_groups[i]
            tw = text_width(text, 9.5) + 6
            for top in (my - 17, my + 4):
                box = (mx - tw / 2, top, mx + tw / 2, top + 13)
                if placer.fits(box):
                    placer.take(box)
                    g.add("rect", x=num(box[0]), y=num(top), width=num(tw), height=13, rx=3, fill="#FFFFFF",
                          fill_opacity=0.85, stroke="#999999", stroke_width=0.6)
                    g.add("text", text, x=num(mx), y=num(top + 10), font_size=9.5, text_anchor="middle", fill="#333333")
                    break
            continue
        e = ordered[i]
        x, y = pts[i]
        text = f"{i + 1} {truncate(e.label or parse_kind(e.kind).short, LABEL_CHARS)}"
        tw = text_width(text, LABEL_SIZE)
        anchor_end = x - r + tw > W - 12  # near the right edge the label ends at the marker instead
        x0 = x + r - tw if anchor_end else x - r
        for ty in (y - r - 4, y + r + LABEL_SIZE + 2):
            box = (x0, ty - LABEL_SIZE, x0 + tw, ty + 2)
            if placer.fits(box):
                placer.take(box)
                labels.add("text", text, x=num(x + r if anchor_end else x0), y=num(ty), class_="label",
                           data_step=i + 1, text_anchor="end" if anchor_end else None)
                break

    _emotion_strip(root, ordered, pts, emo_top, W, min(5.0, r + 1.0))
    if not ordered:
        root.add("text", "No events on this recording yet", x=num(PAD_L + plot_w / 2), y=num(LANES_TOP + lane_h),
                 font_size=14, text_anchor="middle", fill="#888888", class_="empty-note")
    return scene


def _emotion_strip(root: Element, ordered: Sequence[Event], pts, top: float, W: float, size: float) -> None:
    g = root.group(class_="emotion-strip")
    g.add("rect", x=PAD_L, y=num(top), width=num(W - PAD_L - PAD_R), height=EMO_H, fill="#FFFFFF",
          fill_opacity=0.6, stroke="#CCCCCC", stroke_width=1)
    g.add("text", "Emotion", x=PAD_L - 34, y=num(top + EMO_H / 2 + 4), font_size=12, text_anchor="end", fill="#222222")

    def y_of(value: int) -> float:
        return top + 11 + (2 - value) * 16

    for level in range(-2, 3):
        y = num(y_of(level))
        g.add("line", x1=PAD_L, y1=y, x2=num(W - PAD_R), y2=y, stroke="#000000",
              stroke_opacity=0.25 if level == 0 else 0.08, stroke_dasharray=None if level == 0 else "2 3")
        g.add("text", f"{level:+d}" if level else "0", x=PAD_L - 6, y=num(y_of(level) + 3), font_size=9,
              text_anchor="end", fill="#666666")
    rated = [(e, (pts[i][0], y_of(e.emotion))) for i, e in enumerate(ordered) if e.emotion is not None]
    if len(rated) > 1:
        g.add("polyline", points=" ".join(f"{num(x)},{num(y)}" for _, (x, y) in rated), fill="none",
              stroke="#888888", stroke_width=1, class_="emotion-line")
    for e, (x, y) in rated:
        tip = f"{parse_kind(e.kind).short} {e.label}: emotion {e.emotion:+d}"
        if e.emotion <= -1:
            g.add("polygon", points=triangle_points(x, y, size, down=True), fill=PAIN_COLOR, class_="pain",
                  data_event_id=e.id, data_emotion=e.emotion, title="pain point — " + tip)
        elif e.emotion >= 1:
            g.add("polygon", points=triangle_points(x, y, size, down=False), fill=GAIN_COLOR, class_="gain",
                  data_event_id=e.id, data_emotion=e.emotion, title="gain — " + tip)
        else:
            g.add("circle", cx=num(x), cy=num(y), r=min(2.5, size / 2), fill="#777777", class_="neutral",
                  data_event_id=e.id, data_emotion=0, title=tip)


def _legend(root: Element, right: float, y: float) -> None:
    g = root.group(class_="legend", font_size=10, fill="#333333")
    items: list[tuple[str, object]] = [(k.short, k) for k in KINDS] + [("pain ≤ −1", "pain"), ("gain ≥ +1", "gain")]
    x = right
    for text, what in reversed(items):
        x -= text_width(text, 10) + 22
        if isinstance(what, Kind):
            marker_element(g, what, x + 6, y - 4, 5, stroke="#FFFFFF")
        else:
            g.add("polygon", points=triangle_points(x + 6, y - 4, 5, down=what == "pain"),
                  fill=PAIN_COLOR if what == "pain" else GAIN_COLOR)
        g.add("text", text, x=num(x + 14), y=num(y))


def _title(recording: Recording | None) -> str:
    if recording is None:
        return "Recording"
    name = recording.title or (Path(recording.path).name if recording.path else "")
    return f"#{recording.id} {name}".strip() if recording.id is not None else (name or "Recording")


def _tooltip(step: int, e: Event, book: Codebook) -> str:
    parts = [f"{step}. {parse_kind(e.kind).short} {e.label}".rstrip(), clock(e.start_s, ms=True)]
    for name, value in (("actor", book.actor_of(e)), ("stage", book.stage_of(e)),
                        ("channel", e.channel), ("expectation", e.expectation)):
        if value:
            parts.append(f"{name}: {value}")
    if e.emotion is not None:
        parts.append(f"emotion {e.emotion:+d}")
    return " — ".join(parts)
