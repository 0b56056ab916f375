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

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

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

Point = tuple[float, float]


class _WaitMark(NamedTuple):
    """A labelled wait's group in the document, its place on the connector and its label text."""

    group: Element
    x: float
    y: float
    text: str


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


@dataclass(frozen=True)
class _Frame:
    """Where things go on one map: its size, the lanes' rows and the time axis (seconds -> x)."""

    width: float
    height: float
    lane_h: float
    lanes: list[journey.Lane]
    end_s: float
    book: Codebook

    @property
    def plot_w(self) -> float:
        return self.width - PAD_L - PAD_R

    @property
    def emo_top(self) -> float:
        return LANES_TOP + self.lane_h * len(self.lanes) + EMO_GAP

    @property
    def emo_bottom(self) -> float:
        return self.emo_top + EMO_H

    def x_of(self, t: float) -> float:
        return PAD_L + self.plot_w * (t / self.end_s)

    def lane_y(self, e: Event) -> float:
        actor = self.book.actor_of(e) or journey.NO_ACTOR
        index = next(i for i, lane in enumerate(self.lanes) if lane.actor == actor)
        return LANES_TOP + self.lane_h * (index + 0.5)


def _frame(book: Codebook, ordered: list[Event], recording: Recording | None, width: int | None,
           height: int | None) -> _Frame:
    """Return the frame: ``width`` wide (default 1400, at least 480), lanes filling ``height`` when given."""
    duration = recording.duration_s if recording is not None else 0.0
    end_s = journey.timeline_end(duration, ordered) or 1.0
    lanes = journey.lanes(book, ordered)
    fixed = LANES_TOP + EMO_GAP + EMO_H + AXIS_H
    lane_h = LANE_H if height is None else max(MIN_LANE_H, (float(height) - fixed) / len(lanes))
    floor = LANES_TOP + lane_h * len(lanes) + EMO_GAP + EMO_H + AXIS_H
    H = floor if height is None else max(float(height), floor)
    return _Frame(float(max(width or DEFAULT_WIDTH, MIN_WIDTH)), H, lane_h, lanes, end_s, book)


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
    f = _frame(book, ordered, recording, width, height)
    scene = _heading(f, ordered, recording, wait_threshold_s)
    root = scene.root
    _stage_bands(root, f, journey.stage_order(book, ordered), journey.stage_spans(ordered, book, f.end_s))
    _lane_rows(root, f)
    _time_axis(root, f)
    r = max(3.0, min(7.0, f.plot_w / max(len(ordered), 1) / 1.6, f.lane_h / 6))
    pts = [(f.x_of(e.start_s), f.lane_y(e)) for e in ordered]
    _durations(root, f, ordered, pts)
    if len(pts) > 1:
        root.add("polyline", points=" ".join(f"{num(x)},{num(y)}" for x, y in pts), fill="none",
                 stroke=CONNECTOR_COLOR, stroke_width=1.2,
                 stroke_opacity=1 if len(ordered) <= 150 else 0.5, class_="connector")
    wait_marks = _wait_marks(root, ordered, pts, wait_threshold_s)
    marks = root.group(class_="events", stroke="#FFFFFF", stroke_width=1)
    for i, (e, (x, y)) in enumerate(zip(ordered, pts)):
        marker_element(marks, parse_kind(e.kind), x, y, r, class_="marker", data_event_id=e.id, data_step=i + 1,
                       data_start_s=e.start_s, title=_tooltip(i + 1, e, book))
    _labels(root, f, ordered, pts, r, wait_marks)
    _emotion_strip(root, ordered, pts, f.emo_top, f.width, min(5.0, r + 1.0))
    if not ordered:
        root.add("text", "No events on this recording yet", x=num(PAD_L + f.plot_w / 2),
                 y=num(LANES_TOP + f.lane_h), font_size=14, text_anchor="middle", fill="#888888",
                 class_="empty-note")
    return scene


def _heading(f: _Frame, ordered: list[Event], recording: Recording | None, wait_threshold_s: float) -> Scene:
    """Return a new Scene of the frame's size holding the title, the one-line summary and the legend."""
    counts = {k: sum(1 for e in ordered if parse_kind(e.kind) is k) for k in KINDS}
    title = _title(recording)
    scene = Scene(f.width, f.height, title=f"Process-activity map: {title}")
    scene.description = (
        f"{len(ordered)} events ("
        + ", ".join(f"{counts[k]} {k.short}" for k in KINDS)
        + f") over {clock(f.end_s)}; waits over {span_text(wait_threshold_s)} labelled"
    )
    root = scene.root
    root.add("text", title, x=PAD_L, y=22, font_size=15, font_weight="bold", fill="#222222", class_="map-title")
    root.add("text", scene.description, x=PAD_L, y=40, font_size=11, fill="#555555", class_="map-subtitle")
    _legend(root, f.width - PAD_R, 22)
    return scene


def _stage_bands(root: Element, f: _Frame, stages: list[str], spans: list[journey.StageSpan]) -> None:
    """Add the stage bands: in codebook order in the document, placed by time."""
    bands = root.group(class_="stage-bands")
    by_stage = {s.stage: s for s in spans}
    for order, stage in enumerate(stages):
        span = by_stage.get(stage)
        if span is None:
            continue
        x0, x1 = f.x_of(span.start_s), f.x_of(span.end_s)
        g = bands.group(
            class_="stage-band", data_stage=stage, data_order=order,
            data_start_s=span.start_s, data_end_s=span.end_s,
            title=f"{stage}: {clock(span.start_s)}–{clock(span.end_s)} ({span_text(span.duration_s)})",
        )
        g.add("rect", x=num(x0), y=STAGE_TOP, width=num(max(x1 - x0, 0.5)), height=num(f.emo_bottom - STAGE_TOP),
              fill=STAGE_FILLS[order % len(STAGE_FILLS)])
        g.add("line", x1=num(x0), y1=STAGE_TOP, x2=num(x0), y2=num(f.emo_bottom), stroke="#C8C8C8", stroke_width=1)
        chars = int((x1 - x0 - 6) / (11 * 0.6))
        if chars >= 3:
            g.add("text", truncate(stage, chars), x=num((x0 + x1) / 2), y=STAGE_TOP + 15, font_size=11,
                  font_weight="bold", text_anchor="middle", fill="#444444", class_="stage-name")


def _lane_rows(root: Element, f: _Frame) -> None:
    """Add the lanes (actor names, separators) and the line of visibility."""
    lane_g = root.group(class_="lanes")
    lanes, lane_h, right = f.lanes, f.lane_h, num(f.width - PAD_R)
    for i, lane in enumerate(lanes):
        top = LANES_TOP + lane_h * i
        lane_g.add("line", x1=PAD_L, y1=num(top + lane_h), x2=right, y2=num(top + lane_h),
                   stroke="#DDDDDD", stroke_width=1)
        lane_g.add("text", truncate(lane.actor, 18), x=PAD_L - 10, y=num(top + lane_h / 2 + 4), font_size=12,
                   text_anchor="end", fill="#222222" if lane.customer_facing else "#555555",
                   font_weight="bold" if lane.customer_facing else None, class_="lane-name", data_actor=lane.actor)
        if i + 1 < len(lanes) and lane.customer_facing != lanes[i + 1].customer_facing:
            y = num(top + lane_h)
            lane_g.add("line", x1=8, y1=y, x2=right, y2=y, stroke="#444444", stroke_width=1.5,
                       stroke_dasharray="7 4", class_="line-of-visibility")
            lane_g.add("text", "line of visibility", x=8, y=num(top + lane_h - 4), font_size=9, fill="#444444")
    lane_g.add("line", x1=PAD_L, y1=LANES_TOP, x2=right, y2=LANES_TOP, stroke="#BBBBBB", stroke_width=1)


def _time_axis(root: Element, f: _Frame) -> None:
    """Add the time axis with m:ss ticks and a faint grid."""
    axis = root.group(class_="axis")
    step = _tick_step(f.end_s, f.plot_w)
    t = 0.0
    while t <= f.end_s + 1e-9:
        x = num(f.x_of(t))
        axis.add("line", x1=x, y1=LANES_TOP, x2=x, y2=num(f.emo_bottom + 4), stroke="#000000", stroke_opacity=0.07)
        axis.add("text", clock(t), x=x, y=num(f.emo_bottom + 17), font_size=10, text_anchor="middle", fill="#444444")
        t += step
    axis.add("text", "time (m:ss)", x=num(f.width - PAD_R), y=num(f.emo_bottom + 30), font_size=9, text_anchor="end",
             fill="#777777")


def _durations(root: Element, f: _Frame, ordered: list[Event], pts: list[Point]) -> None:
    """Add a bar from start to end behind each duration event."""
    durations = root.group(class_="durations")
    for e, (x, y) in zip(ordered, pts):
        if e.end_s is not None and e.end_s > e.start_s:
            durations.add("rect", x=num(x), y=num(y - 3), width=num(max(f.x_of(e.end_s) - x, 0.5)), height=6,
                          fill=parse_kind(e.kind).color, fill_opacity=0.3, class_="duration", data_event_id=e.id)


def _wait_marks(root: Element, ordered: list[Event], pts: list[Point], threshold_s: float) -> list[_WaitMark]:
    """Add a mark on the connector for each wait over ``threshold_s``; return them for their labels."""
    waits_g = root.group(class_="waits")
    marks = []
    for i, gap in enumerate(journey.waits(ordered)):
        if gap <= threshold_s:
            continue
        (xa, ya), (xb, yb) = pts[i], pts[i + 1]
        mx, my = (xa + xb) / 2, (ya + yb) / 2
        g = waits_g.group(class_="wait", data_wait_s=gap, data_after_step=i + 1,
                          title=f"{span_text(gap)} with nothing happening after step {i + 1} at "
                                f"{clock(journey.event_end(ordered[i]))}")
        g.add("circle", cx=num(mx), cy=num(my), r=2.5, fill="#444444")
        marks.append(_WaitMark(g, mx, my, f"wait {span_text(gap)}"))
    return marks


def _labels(root: Element, f: _Frame, ordered: list[Event], pts: list[Point], r: float,
            wait_marks: list[_WaitMark]) -> None:
    """Add the labels that fit.

    Labels thin out: MOT labels claim room first (they are what the map is read for), then the
    other events' labels, then the wait labels, each only where it overlaps no label already
    placed. A wait whose label found no room keeps its mark and tooltip.
    """
    placer = LabelPlacer()
    labels = root.group(class_="labels", font_size=LABEL_SIZE, fill="#222222")
    jobs = [(0 if parse_kind(e.kind) is Kind.MOMENT_OF_TRUTH else 1, i, "event") for i, e in enumerate(ordered)]
    jobs += [(2, j, "wait") for j in range(len(wait_marks))]
    for _, i, what in sorted(jobs):
        if what == "wait":
            _wait_label(placer, wait_marks[i])
        else:
            _event_label(placer, labels, f, i, ordered[i], pts[i], r)


def _wait_label(placer: LabelPlacer, mark: _WaitMark) -> None:
    """Add the wait's label above its mark, else below, if either place is free."""
    tw = text_width(mark.text, 9.5) + 6
    for top in (mark.y - 17, mark.y + 4):
        box = (mark.x - tw / 2, top, mark.x + tw / 2, top + 13)
        if placer.fits(box):
            placer.take(box)
            mark.group.add("rect", x=num(box[0]), y=num(top), width=num(tw), height=13, rx=3, fill="#FFFFFF",
                           fill_opacity=0.85, stroke="#999999", stroke_width=0.6)
            mark.group.add("text", mark.text, x=num(mark.x), y=num(top + 10), font_size=9.5, text_anchor="middle",
                           fill="#333333")
            return


def _event_label(placer: LabelPlacer, labels: Element, f: _Frame, i: int, e: Event, pt: Point, r: float) -> None:
    """Add step ``i + 1``'s label above its marker, else below, if either place is free."""
    x, y = pt
    text = f"{i + 1} {truncate(e.label or parse_kind(e.kind).short, LABEL_CHARS)}"
    tw = text_width(text, LABEL_SIZE)
    anchor_end = x - r + tw > f.width - 12  # near the right edge the label ends at the marker instead
    x0 = x + r - tw if anchor_end else x - r
    for ty in (y - r - 4, y + r + LABEL_SIZE + 2):
        box = (x0, ty - LABEL_SIZE, x0 + tw, ty + 2)
        if placer.fits(box):
            placer.take(box)
            labels.add("text", text, x=num(x + r if anchor_end else x0), y=num(ty), class_="label",
                       data_step=i + 1, text_anchor="end" if anchor_end else None)
            return


def _emotion_strip(root: Element, ordered: Sequence[Event], pts: list[Point], top: float, W: float, size: float) -> None:
    """Add the emotion strip: one row per level -2..2, a line through the rated events, pains and gains."""
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
    """Add the legend (the kinds' markers, pain and gain), ending at ``right``."""
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
    """Return the map's title: ``#id name`` of the recording, or "Recording"."""
    if recording is None:
        return "Recording"
    name = recording.title or (Path(recording.path).name if recording.path else "")
    return f"#{recording.id} {name}".strip() if recording.id is not None else (name or "Recording")


def _tooltip(step: int, e: Event, book: Codebook) -> str:
    """Return a marker's tooltip: step, kind, label, time, then the event's other fields that are set."""
    parts = [f"{step}. {parse_kind(e.kind).short} {e.label}".rstrip(), clock(e.start_s, ms=True)]
    for name, value in (("actor", book.actor_of(e)), ("stage", book.stage_of(e)),
                        ("channel", e.channel), ("expectation", e.expectation)):
        if value:
            parts.append(f"{name}: {value}")
    if e.emotion is not None:
        parts.append(f"emotion {e.emotion:+d}")
    return " — ".join(parts)
