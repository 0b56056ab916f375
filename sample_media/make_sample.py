"""Generate the bundled sample recording: a screen capture of a web checkout that goes wrong and is rescued.

Run ``.venv/bin/python sample_media/make_sample.py`` to rewrite ``checkout.mp4`` (75 s, 1280x720,
30 fps, H.264 + AAC) and ``checkout.events.csv`` beside this file. Everything is drawn with
OpenCV/numpy and synthesised with numpy from fixed seeds, so the output is the same on every run.

One timeline (:func:`build_timeline`) drives the picture, the sound and the events file: each
event is attached to the cue that changes the picture, and its ``start_s`` is that frame's time
rounded up to the millisecond (``annotate.timebase.time_to_ms``), so the frame shown at
``start_s`` is the first frame of the change and the file can never drift from the video.

The story (customer Alex, agent Priya) follows the CX method in ``shared/seeds``: the recording of an
actual experience in which Moments of Truth, Internal Interactions and Decision Points can be
flagged across the journey stages Buy-In, Acquisition, Care and Share.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import math
import os
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import av
import cv2
import numpy as np

try:
    import annotate  # noqa: F401  (installed with `pip install -e .`)
except ImportError:  # run from a plain checkout: the package sits one folder up
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.fsutil import atomic_path, atomic_write_text
from annotate.model import Event, Kind, validate_event
from annotate.timebase import format_timecode, time_to_ms

HERE = Path(__file__).resolve().parent
VIDEO_NAME = "checkout.mp4"
EVENTS_NAME = "checkout.events.csv"

WIDTH, HEIGHT = 1280, 720
FPS = Fraction(30)
DURATION_S = Fraction(75)
FRAME_COUNT = int(DURATION_S * FPS)
SAMPLE_RATE = 48000
SAMPLES_PER_FRAME = int(SAMPLE_RATE / FPS)  # 1600: audio and video frames line up exactly
GOP = 60  # a keyframe every 2 s keeps seeking cheap
CRF = "23"
PRESET = "veryfast"  # screen content: "fast" is 1.6x the CPU for no visible gain
AUDIO_BITRATE = 64000
SEED = 20240312
BT601, LIMITED_RANGE = 6, 1  # AVCOL_SPC/PRI/TRC_SMPTE170M and AVCOL_RANGE_MPEG

CSV_COLUMNS = ("kind", "start_s", "end_s", "label", "stage", "channel", "actor", "expectation", "emotion", "note")

MOT, INT, DEC = Kind.MOMENT_OF_TRUTH, Kind.INTERNAL_INTERACTION, Kind.DECISION_POINT


# --- timeline -----------------------------------------------------------------------------------


def frame_of(t: Fraction | str | int) -> int:
    """Return the index of the frame that starts at (or nearest to) ``t`` seconds."""
    return round(Fraction(str(t)) * FPS)


def frame_time(index: int) -> Fraction:
    """Return the exact presentation time of frame ``index`` in seconds."""
    return Fraction(index) / FPS


@dataclass(frozen=True)
class Cue:
    """From ``frame`` on, the screen state has ``changes`` applied."""

    frame: int
    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Move:
    """The mouse travels from ``origin`` to ``target`` between frames ``start`` and ``end``."""

    start: int
    end: int
    origin: tuple[int, int]
    target: tuple[int, int]
    bend: float  # sideways bow of the path, as a fraction of its length


@dataclass(frozen=True)
class EventSpec:
    """An event as the script knows it: frames, not seconds."""

    kind: Kind
    start: int  # first frame of the change
    end: int | None  # first frame after the event, for duration events
    label: str
    stage: str
    channel: str
    actor: str
    expectation: str
    emotion: int
    note: str


@dataclass(frozen=True)
class Timeline:
    """Everything that happens in the recording, in frames. The single source of truth."""

    cues: tuple[Cue, ...]
    moves: tuple[Move, ...]
    clicks: tuple[int, ...]
    keys: tuple[int, ...]
    sounds: tuple[tuple[int, str], ...]
    voices: tuple[tuple[int, int], ...]  # (first frame, frames) of the agent's voice
    music: tuple[tuple[int, int], ...]  # (first frame, end frame) of hold music
    events: tuple[EventSpec, ...]
    cursor_start: tuple[int, int]

    def states(self) -> Iterator[dict[str, Any]]:
        """Yield the screen state of every frame in order (the dict is reused: copy to keep one)."""
        state = dict(INITIAL_STATE)
        i = 0
        for index in range(FRAME_COUNT):
            while i < len(self.cues) and self.cues[i].frame <= index:
                state.update(self.cues[i].changes)
                i += 1
            yield state

    def state_at(self, index: int) -> dict[str, Any]:
        """Return the screen state shown on frame ``index``."""
        state = dict(INITIAL_STATE)
        for cue in self.cues:
            if cue.frame > index:
                break
            state.update(cue.changes)
        return state

    def cursor_at(self, index: int) -> tuple[float, float]:
        """Return the mouse position on frame ``index``."""
        pos: tuple[float, float] = self.cursor_start
        for move in self.moves:
            if index < move.start:
                break
            if index >= move.end:
                pos = move.target
                continue
            u = (index - move.start) / (move.end - move.start)
            u = u * u * (3 - 2 * u)  # ease in and out like a hand does
            (x0, y0), (x1, y1) = move.origin, move.target
            # quadratic Bezier through a control point pushed sideways: hands move in arcs
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            cx, cy = mx - (y1 - y0) * move.bend, my + (x1 - x0) * move.bend
            a, b, c = (1 - u) ** 2, 2 * u * (1 - u), u * u
            return (a * x0 + b * cx + c * x1, a * y0 + b * cy + c * y1)
        return pos


INITIAL_STATE: dict[str, Any] = {
    "page": "product",
    "added": False,
    "delivery": None,
    "focus": None,
    "autofill": None,  # "open" while the browser's address suggestion shows
    "filled": False,  # name, email, address, city, ZIP filled by the browser
    "zip": "",
    "card": "",
    "expiry": "",
    "cvc": "",
    "pay": "idle",  # idle | processing | zip_error | declined
    "hover": None,
    "chat": None,  # None | starting | hold | agent
    "queue": 0,
    "messages": (),
    "draft": "",
    "agent_typing": False,
    "lookup": None,  # None | ("searching", first frame, end frame) | "found"
    "choice": None,  # None | "continue"
    "modal": None,  # None | authorising | accepted
    "stars": 0,
}

ADDRESS = ("Alex Morgan", "alex.morgan@example.com", "1432 NW Everett St", "Portland", "OR", "97209")

# Chat messages: id -> (who, text). "me" is the customer.
MESSAGES: dict[str, tuple[str, str]] = {
    "joined": ("sys", "Priya from Customer Care joined the chat"),
    "greet": ("agent", "Hi Alex, I'm Priya. I can see your payment didn't go through - I'll help you sort it out."),
    "ask": ("me", "It keeps rejecting my ZIP code but it's correct!"),
    "lookup_msg": ("agent", "Sorry about that. Let me look up your order, one moment."),
    "lookup": ("lookup", ""),
    "escalate": ("agent", "Your bank still has your old address, so its check failed. I've asked our payments team to release it."),
    "escalated": ("tag", "Escalated to Payments team - PAY-2291"),
    "released": ("notice", "Payments team released the hold"),
    "offer": ("agent", "All sorted. Would you like to finish your order now?"),
    "choice": ("choice", ""),
    "continue": ("me", "Continue checkout"),
}


class _Script:
    """Builds a Timeline from actions written in the order they happen (times in seconds)."""

    def __init__(self, cursor: tuple[int, int]):
        self.cursor_start = cursor
        self.pos = cursor
        self.state = dict(INITIAL_STATE)
        self.cues: list[Cue] = []
        self.moves: list[Move] = []
        self.clicks: list[int] = []
        self.keys: list[int] = []
        self.sounds: list[tuple[int, str]] = []
        self.voices: list[tuple[int, int]] = []
        self.music: list[tuple[int, int]] = []
        self.events: list[EventSpec] = []
        self.rng = np.random.default_rng(SEED)
        self.last = 0

    def set(self, t: Fraction | str, **changes: Any) -> int:
        """Change the screen at ``t``; return the frame of the change."""
        return self._cue(frame_of(t), changes)

    def _cue(self, frame: int, changes: dict[str, Any]) -> int:
        if frame < self.last:
            raise ValueError(f"cue at frame {frame} is before the previous cue at {self.last}")
        unknown = set(changes) - set(INITIAL_STATE)
        if unknown:
            raise ValueError(f"unknown state keys {sorted(unknown)}")
        self.cues.append(Cue(frame, tuple(changes.items())))
        self.state.update(changes)
        self.last = frame
        return frame

    def move(self, t: Fraction | str, seconds: Fraction | str, to: tuple[int, int]) -> Fraction:
        """Move the mouse to ``to``, starting at ``t``; return the arrival time."""
        start, end = frame_of(t), frame_of(Fraction(str(t)) + Fraction(str(seconds)))
        if self.moves and start < self.moves[-1].end:
            raise ValueError(f"mouse move at frame {start} starts before the previous one ends")
        bend = float(self.rng.uniform(0.06, 0.16) * self.rng.choice([-1, 1]))
        self.moves.append(Move(start, end, self.pos, to, bend))
        self.pos = to
        return frame_time(end)

    def click(self, t: Fraction | str, **changes: Any) -> int:
        """Click where the mouse is at ``t`` (ripple and sound) and apply ``changes``; return the frame."""
        frame = self._cue(frame_of(t), changes)
        self.clicks.append(frame)
        return frame

    def type(self, t: Fraction | str, key: str, text: str, gap: tuple[int, int] = (2, 4)) -> Fraction:
        """Type ``text`` into state ``key`` from ``t`` on, one key every ``gap`` frames; return the end time."""
        frame = frame_of(t)
        for i in range(1, len(text) + 1):
            self._cue(frame, {key: text[:i]})
            self.keys.append(frame)
            frame += int(self.rng.integers(gap[0], gap[1] + 1))
        return frame_time(frame)

    def say(self, t: Fraction | str, *ids: str, **changes: Any) -> int:
        """Add chat messages at ``t``; agent messages chime and are read out. Return the frame."""
        frame = self._cue(
            frame_of(t), {"messages": self.state["messages"] + ids, "agent_typing": False, **changes}
        )
        who = {MESSAGES[i][0] for i in ids}
        if "agent" in who:
            self.sounds.append((frame, "message"))
            words = sum(len(MESSAGES[i][1]) for i in ids if MESSAGES[i][0] == "agent")
            self.voices.append((frame + 4, min(int(words * 0.055 * FPS), int(4 * FPS))))
        elif "me" in who:
            self.sounds.append((frame, "sent"))
        return frame

    def sound(self, frame: int, name: str) -> None:
        """Play the named cue sound (see _cue_sound) at ``frame``."""
        self.sounds.append((frame, name))

    def mark(self, kind: Kind, start: int, end: int | None = None, **fields: Any) -> None:
        """Record an event that starts at frame ``start`` (and ends at ``end``)."""
        self.events.append(EventSpec(kind=kind, start=start, end=end, **fields))

    def timeline(self) -> Timeline:
        return Timeline(
            cues=tuple(self.cues),
            moves=tuple(self.moves),
            clicks=tuple(self.clicks),
            keys=tuple(self.keys),
            sounds=tuple(sorted(self.sounds)),
            voices=tuple(self.voices),
            music=tuple(self.music),
            events=tuple(sorted(self.events, key=lambda e: (e.start, e.kind.value))),
            cursor_start=self.cursor_start,
        )


def _s(text: str) -> Fraction:
    return Fraction(text)


def build_timeline() -> Timeline:
    """Return the whole recording as a Timeline: screen cues, mouse, sounds and the events."""
    s = _Script(cursor=(700, 610))
    # Buy-In: the product page; the customer looks at the photo, then adds the daypack.
    s.move("0.40", "1.20", (330, 430))
    s.move("2.10", "1.00", ADD_BUTTON)
    f = s.click("3.47", added=True)
    s.mark(DEC, f, label="Choose product", stage="Buy-In", channel="Web", actor="customer",
           expectation="The basket updates straight away", emotion=1,
           note="Adds the Trailblazer 30L daypack after looking at the photo and price")
    s.move("4.30", "1.10", TOAST_CHECKOUT)
    s.click("5.87", page="delivery")

    # Acquisition: delivery choice.
    s.move("6.30", "0.80", DELIVERY_CARDS["standard"])
    s.move("7.60", "0.70", DELIVERY_CARDS["next_day"])
    f = s.click("8.83", delivery="next_day")
    s.mark(DEC, f, label="Choose delivery", stage="Acquisition", channel="Web", actor="customer",
           expectation="Next-day delivery at a fair price", emotion=0,
           note="Reads the free standard option, then picks next-day for $4.99")
    s.move("9.30", "0.80", CONTINUE_BUTTON)
    s.click("10.43", page="payment")

    # Details filled by the browser, card typed by hand.
    t = s.move("10.80", "0.60", FIELD_CENTRES["name"])
    s.click(t + _s("0.27"), focus="name", autofill="open")
    t = s.move(t + _s("0.70"), "0.50", AUTOFILL_ROW)
    s.click(t + _s("0.33"), autofill=None, filled=True, zip=ADDRESS[5], focus=None)
    t = s.move(t + _s("0.80"), "0.60", FIELD_CENTRES["card"])
    f = s.click(t + _s("0.20"), focus="card")
    t = s.type(frame_time(f) + _s("0.30"), "card", "4929 1234 5678 9012", gap=(2, 4))
    t = s.move(t + _s("0.20"), "0.40", FIELD_CENTRES["expiry"])
    f = s.click(t + _s("0.10"), focus="expiry")
    t = s.type(frame_time(f) + _s("0.20"), "expiry", "08/27", gap=(3, 5))
    t = s.move(t + _s("0.10"), "0.35", FIELD_CENTRES["cvc"])
    f = s.click(t + _s("0.10"), focus="cvc")
    t = s.type(frame_time(f) + _s("0.20"), "cvc", "123", gap=(3, 5))
    t = s.move(t + _s("0.30"), "0.70", PAY_BUTTON)
    f = s.click(t + _s("0.30"), pay="processing", focus=None)

    # The form error: the ZIP the customer knows is right is rejected.
    f = s.set(frame_time(f) + _s("1.27"), pay="zip_error")
    s.sound(f, "error")
    s.mark(MOT, f, label="Form error", stage="Acquisition", channel="Web", actor="system",
           expectation="Payment goes through with the address I entered", emotion=-2,
           note="ZIP code rejected although it is correct; the message blames the customer")
    t = s.move(frame_time(f) + _s("0.80"), "0.80", FIELD_CENTRES["zip"])
    f = s.click(t + _s("0.20"), focus="zip", zip="")
    t = s.type(frame_time(f) + _s("0.40"), "zip", ADDRESS[5], gap=(5, 8))
    t = s.move(t + _s("0.40"), "0.60", PAY_BUTTON)
    f = s.click(t + _s("0.30"), pay="processing", focus=None)
    f = s.set(frame_time(f) + _s("1.33"), pay="declined")
    s.sound(f, "error")
    s.mark(MOT, f, label="Payment declined", stage="Acquisition", channel="Web", actor="system",
           expectation="A clear reason and a way to fix it", emotion=-2,
           note="Second attempt fails with a bank code; the only way forward offered is a chat")

    # The customer nearly closes the tab, then chooses the chat instead.
    t = s.move(frame_time(f) + _s("0.90"), "0.90", TAB_CLOSE)
    s.set(t, hover="tab_close")
    t = s.move(t + _s("1.20"), "1.00", CHAT_BUTTON)
    s.set(frame_time(s.moves[-1].start), hover=None)
    f = s.click(t + _s("0.37"), chat="starting")
    s.mark(DEC, f, label="Choose channel", stage="Care", channel="Web", actor="customer",
           expectation="Someone can tell me what is wrong", emotion=-1,
           note="Hovers over closing the tab for a second, then opens the chat instead of abandoning")

    # Care: hand-off to the chat queue, with hold music.
    hold = s.set(frame_time(f) + _s("1.00"), chat="hold", queue=3)
    s.set(frame_time(hold) + _s("3.00"), queue=2)
    s.set(frame_time(hold) + _s("6.00"), queue=1)
    greet = s.say(frame_time(hold) + _s("9.00"), "joined", "greet", chat="agent")
    s.music.append((hold, greet))
    s.sound(greet, "join")
    s.mark(INT, hold, greet, label="Hand-off", stage="Care", channel="Chat", actor="system",
           expectation="Reach a person within a minute", emotion=-1,
           note="Checkout hands the customer to the chat queue; 9 s on hold with music, queue 3 to 1")
    s.mark(MOT, greet, label="Greeting", stage="Care", channel="Chat", actor="frontline",
           expectation="Someone who already knows my problem", emotion=1,
           note="Agent greets by name and already knows the payment failed")

    t = s.move(frame_time(greet) + _s("1.90"), "0.70", CHAT_INPUT)
    f = s.click(t + _s("0.30"), focus="draft")
    t = s.type(frame_time(f) + _s("0.30"), "draft", MESSAGES["ask"][1], gap=(1, 3))
    f = s.say(t + _s("0.30"), "ask", draft="")
    s.keys.append(f)  # Enter
    s.set(frame_time(f) + _s("0.60"), agent_typing=True)
    f = s.say(frame_time(f) + _s("1.60"), "lookup_msg")
    look = frame_of(frame_time(f) + _s("1.03"))
    found = frame_of(frame_time(look) + _s("3.07"))
    s.say(frame_time(look), "lookup", lookup=("searching", look, found))
    s.set(frame_time(found), lookup="found")
    s.sound(found, "message")
    s.mark(INT, look, found, label="Lookup", stage="Care", channel="Chat", actor="frontline",
           expectation="The agent finds my order without me repeating everything", emotion=0,
           note="Agent looks the order up in the order system by the customer's email")
    s.set(frame_time(found) + _s("0.40"), agent_typing=True)
    esc = s.say(frame_time(found) + _s("1.20"), "escalate", "escalated")
    released = s.say(frame_time(esc) + _s("3.00"), "released")
    s.sound(released, "message")
    s.mark(INT, esc, released, label="Escalation", stage="Care", channel="Chat", actor="back office",
           expectation="The problem is fixed while I wait", emotion=0,
           note="Agent asks the payments team to release the bank's address check (AVS-N)")
    s.set(frame_time(released) + _s("0.40"), agent_typing=True)
    offer = s.say(frame_time(released) + _s("1.30"), "offer", "choice")

    # Decision: continue rather than cancel.
    layout = chat_layout(s.state["messages"])
    t = s.move(frame_time(offer) + _s("0.90"), "0.70", layout["cancel"])
    s.set(t, hover="cancel")
    t = s.move(t + _s("0.90"), "0.50", layout["continue"])
    s.set(frame_time(s.moves[-1].start), hover=None)
    s.set(t, hover="continue")
    f = s.say(t + _s("0.47"), "continue", choice="continue", hover=None)
    s.clicks.append(f)
    s.mark(DEC, f, label="Continue", stage="Acquisition", channel="Chat", actor="customer",
           expectation="Finish the order without starting again", emotion=1,
           note="Hovers over Cancel order, then continues: the abandon was avoided")

    # Acquisition: payment goes through, order confirmed.
    auth = s.set(frame_time(f) + _s("1.00"), chat=None, modal="authorising", messages=(), page="payment",
                 pay="idle")
    accepted = s.set(frame_time(auth) + _s("2.50"), modal="accepted")
    s.sound(accepted, "success")
    s.mark(INT, auth, accepted, label="Back-office step", stage="Acquisition", channel="Web", actor="system",
           expectation="No need to type the card again", emotion=0,
           note="Payment re-authorised with the stored card after the hold was released")
    s.mark(MOT, accepted, label="Payment accepted", stage="Acquisition", channel="Web", actor="system",
           expectation="Payment accepted first time", emotion=1,
           note="Relief, but only on the third attempt and after a chat")
    confirmed = s.set(frame_time(accepted) + _s("1.80"), page="confirmation", modal=None)
    s.mark(MOT, confirmed, label="Confirmation", stage="Acquisition", channel="Web", actor="system",
           expectation="A clear confirmation with the delivery date", emotion=2,
           note="Order number, next-day date and e-mail receipt on one page")

    # Share: the customer rates the checkout.
    t = s.move(frame_time(confirmed) + _s("0.60"), "0.80", STAR_CENTRES[3])
    f = s.click(t + _s("0.53"), stars=4)
    s.mark(DEC, f, label="Leave feedback", stage="Share", channel="Web", actor="customer",
           expectation="Tell the shop how it went", emotion=1,
           note="Gives 4 stars: the rescue by chat outweighed the failed payment")
    s.move(frame_time(f) + _s("0.80"), "0.90", (600, 660))

    tl = s.timeline()
    if tl.cues[-1].frame >= FRAME_COUNT or tl.moves[-1].end >= FRAME_COUNT:
        raise ValueError("the script runs past the end of the recording; shorten a step")
    return tl


# --- events ------------------------------------------------------------------------------------


def _seconds(frame: int) -> float:
    """Return frame ``frame``'s time rounded up to whole milliseconds, as seconds."""
    return time_to_ms(frame_time(frame)) / 1000


def timeline_events(timeline: Timeline | None = None) -> list[Event]:
    """Return the timeline's events as validated model Events (times in seconds).

    Raises ValidationError if the script produced an event the model rejects.
    """
    tl = timeline or build_timeline()
    out = []
    for spec in tl.events:
        event = Event(
            kind=spec.kind,
            start_s=_seconds(spec.start),
            end_s=None if spec.end is None else _seconds(spec.end),
            label=spec.label,
            stage=spec.stage,
            channel=spec.channel,
            actor=spec.actor,
            expectation=spec.expectation,
            emotion=spec.emotion,
            note=spec.note,
        )
        out.append(validate_event(event, duration_s=float(DURATION_S)))
    return out


def events_csv_text(events: Sequence[Event]) -> str:
    """Return ``events`` as the sample's CSV text (columns CSV_COLUMNS, LF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in events:
        writer.writerow([
            e.kind.value,
            f"{e.start_s:.3f}",
            "" if e.end_s is None else f"{e.end_s:.3f}",
            e.label, e.stage, e.channel, e.actor, e.expectation,
            "" if e.emotion is None else e.emotion,
            e.note,
        ])
    return buf.getvalue()


# --- drawing primitives ------------------------------------------------------------------------


def _hex(h: str) -> tuple[int, int, int]:
    return (int(h[5:7], 16), int(h[3:5], 16), int(h[1:3], 16))


INK = _hex("#1F2937")
MUTED = _hex("#6B7280")
FAINT = _hex("#9CA3AF")
LINE = _hex("#D1D5DB")
WHITE = (255, 255, 255)
PAPER = _hex("#F9FAFB")
BRAND = _hex("#14532D")
PINE = _hex("#1F6F5C")
PINE_DARK = _hex("#17564A")
ORANGE = _hex("#F59E0B")
BLUE = _hex("#2563EB")
BLUE_DARK = _hex("#1D4ED8")
BLUE_LIGHT = _hex("#EFF6FF")
AUTOFILL = _hex("#E8F0FE")
RED = _hex("#DC2626")
RED_LIGHT = _hex("#FEF2F2")
GREEN = _hex("#16A34A")
GREEN_DARK = _hex("#15803D")
GREEN_LIGHT = _hex("#F0FDF4")
GREEN_MID = _hex("#BBF7D0")
AMBER_MID = _hex("#FDE68A")
GREY_LIGHT = _hex("#F3F4F6")
GREY = _hex("#E5E7EB")
CHROME = _hex("#DEE1E6")
OMNIBOX = _hex("#F1F3F4")
TASKBAR = _hex("#202124")

FONT, BOLD = cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX
AA = cv2.LINE_AA


def _tw(text: str, scale: float, bold: bool = False, weight: int = 1) -> int:
    return cv2.getTextSize(text, BOLD if bold else FONT, scale, weight)[0][0]


def _text(img, text, x, y, scale=0.5, color=INK, bold=False, anchor="left", weight=1) -> None:
    if anchor != "left":
        w = _tw(text, scale, bold, weight)
        x = x - w // 2 if anchor == "center" else x - w
    cv2.putText(img, text, (int(x), int(y)), BOLD if bold else FONT, scale, color, weight, AA)


def _wrap(text: str, width: int, scale: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and _tw(trial, scale) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + [line] if line else lines


def _rrect(img, x0, y0, x1, y1, r, color, thickness=-1) -> None:
    r = int(max(0, min(r, (x1 - x0) // 2, (y1 - y0) // 2)))
    if thickness < 0:
        cv2.rectangle(img, (x0 + r, y0), (x1 - r, y1), color, -1)
        cv2.rectangle(img, (x0, y0 + r), (x1, y1 - r), color, -1)
        for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
            cv2.circle(img, (cx, cy), r, color, -1, AA)
        return
    cv2.line(img, (x0 + r, y0), (x1 - r, y0), color, thickness, AA)
    cv2.line(img, (x0 + r, y1), (x1 - r, y1), color, thickness, AA)
    cv2.line(img, (x0, y0 + r), (x0, y1 - r), color, thickness, AA)
    cv2.line(img, (x1, y0 + r), (x1, y1 - r), color, thickness, AA)
    for (cx, cy), ang in (((x0 + r, y0 + r), 180), ((x1 - r, y0 + r), 270), ((x1 - r, y1 - r), 0), ((x0 + r, y1 - r), 90)):
        cv2.ellipse(img, (cx, cy), (r, r), ang, 0, 90, color, thickness, AA)


def _box(img, x0, y0, x1, y1, r=8, fill=WHITE, border=LINE, thickness=1) -> None:
    _rrect(img, x0, y0, x1, y1, r, fill)
    if border is not None:
        _rrect(img, x0, y0, x1, y1, r, border, thickness)


def _shadow(img, x0, y0, x1, y1, r=10, strength=0.22) -> None:
    pad = 24
    X0, Y0, X1, Y1 = max(x0 - pad, 0), max(y0 - pad, 0), min(x1 + pad, WIDTH), min(y1 + pad, HEIGHT)
    mask = np.zeros((Y1 - Y0, X1 - X0), np.float32)
    _rrect(mask, x0 - X0, y0 - Y0 + 5, x1 - X0, y1 - Y0 + 5, r, 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), 8) * strength
    roi = img[Y0:Y1, X0:X1].astype(np.float32)
    img[Y0:Y1, X0:X1] = (roi * (1 - mask[..., None])).astype(np.uint8)


def _check(img, x, y, size, color, weight=3) -> None:
    pts = np.array([[x - size, y], [x - size // 3, y + size * 2 // 3], [x + size, y - size * 2 // 3]], np.int32)
    cv2.polylines(img, [pts], False, color, weight, AA)


def _star(img, cx, cy, r, color, filled=True) -> None:
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.45
        pts.append([cx + rr * math.cos(a), cy + rr * math.sin(a)])
    poly = np.array(pts, np.int32)
    if filled:
        cv2.fillPoly(img, [poly], color, AA)
    else:
        cv2.polylines(img, [poly], True, color, 2, AA)


def _button(img, x0, y0, x1, y1, label, fill, color=WHITE, border=None, scale=0.62, r=8) -> None:
    _box(img, x0, y0, x1, y1, r, fill, border)
    _text(img, label, (x0 + x1) // 2, (y0 + y1) // 2 + int(scale * 11), scale, color, bold=True, anchor="center")


def _padlock(img, x, y, color) -> None:
    cv2.rectangle(img, (x - 5, y - 2), (x + 5, y + 7), color, -1)
    cv2.ellipse(img, (x, y - 3), (4, 5), 0, 180, 360, color, 2, AA)


# --- page layout (shared by the renderer and the script's mouse targets) ---------------------------

CONTENT_TOP, CONTENT_BOTTOM = 76, 692
ADD_BUTTON = (830, 468)
TOAST_CHECKOUT = (1172, 221)
TAB_CLOSE = (316, 21)
DELIVERY_OPTIONS = (
    ("standard", "Standard delivery", "3-5 working days", "Free"),
    ("next_day", "Next-day delivery", "Order within 3 hrs, arrives tomorrow by 6 pm", "$4.99"),
    ("collect", "Click & Collect", "Collect from a store near you in 2 days", "Free"),
)
DELIVERY_TOPS = {"standard": 262, "next_day": 356, "collect": 450}
DELIVERY_CARDS = {k: (430, y + 40) for k, y in DELIVERY_TOPS.items()}
CONTINUE_BUTTON = (220, 586)
FIELDS = {  # name: (label, x0, y0, x1) -- boxes are 36 px tall
    "name": ("Full name", 60, 260, 410),
    "email": ("Email", 430, 260, 780),
    "address": ("Address", 60, 328, 780),
    "city": ("City", 60, 396, 410),
    "zip": ("ZIP code", 430, 396, 600),
    "region": ("State", 620, 396, 780),
    "card": ("Card number", 60, 496, 470),
    "expiry": ("Expiry", 490, 496, 620),
    "cvc": ("CVC", 640, 496, 780),
}
FIELD_CENTRES = {k: ((x0 + x1) // 2, y0 + 18) for k, (_, x0, y0, x1) in FIELDS.items()}
AUTOFILL_ROW = (230, 326)
PAY_BUTTON = (210, 576)
CHAT_BUTTON = (694, 649)
PANEL = (850, 88, 1250, 684)  # chat panel
PANEL_BODY = (140, 620)  # body rows inside the panel (screen y)
CHAT_INPUT = (1020, 652)
STAR_CENTRES = [(110 + i * 52, 538) for i in range(5)]


def _chrome(img, url_host: str, url_path: str, hover: str | None) -> None:
    img[0:36] = CHROME
    for i, c in enumerate(("#FF5F57", "#FEBC2E", "#28C840")):
        cv2.circle(img, (20 + 20 * i, 18), 6, _hex(c), -1, AA)
    _rrect(img, 80, 6, 332, 44, 9, WHITE)
    _rrect(img, 94, 13, 108, 27, 3, BRAND)
    _text(img, "N", 97, 25, 0.36, WHITE, bold=True)
    _text(img, "Checkout | Northwind Outfitters", 116, 25, 0.42, INK)
    if hover == "tab_close":
        cv2.circle(img, TAB_CLOSE, 9, GREY, -1, AA)
    x, y = TAB_CLOSE
    cv2.line(img, (x - 4, y - 4), (x + 4, y + 4), MUTED, 1, AA)
    cv2.line(img, (x + 4, y - 4), (x - 4, y + 4), MUTED, 1, AA)
    _text(img, "+", 344, 26, 0.6, MUTED)
    img[36:76] = WHITE
    cv2.line(img, (0, 75), (WIDTH, 75), _hex("#DADCE0"), 1)
    for x0, c in ((22, MUTED), (50, FAINT)):  # back, forward
        d = 1 if x0 == 50 else -1
        cv2.line(img, (x0 - 7, 56), (x0 + 7, 56), c, 2, AA)
        cv2.line(img, (x0 + 7 * d, 56), (x0 + 2 * d, 51), c, 2, AA)
        cv2.line(img, (x0 + 7 * d, 56), (x0 + 2 * d, 61), c, 2, AA)
    cv2.ellipse(img, (80, 56), (7, 7), 0, 40, 330, MUTED, 2, AA)
    _rrect(img, 104, 42, 1190, 70, 14, OMNIBOX)
    _padlock(img, 124, 57, MUTED)
    _text(img, url_host, 140, 61, 0.48, INK)
    _text(img, url_path, 140 + _tw(url_host, 0.48), 61, 0.48, MUTED)
    cv2.circle(img, (1232, 56), 13, _hex("#7C3AED"), -1, AA)
    _text(img, "A", 1232, 62, 0.5, WHITE, bold=True, anchor="center")


def _site_header(img, checkout: bool, basket: int) -> None:
    _text(img, "NORTHWIND", 40, 114, 0.85, BRAND, bold=True, weight=2)
    _text(img, "OUTFITTERS", 40 + _tw("NORTHWIND", 0.85, True, 2) + 8, 114, 0.45, MUTED)
    if checkout:
        _padlock(img, 1080, 104, GREEN_DARK)
        _text(img, "Secure checkout", 1094, 110, 0.52, GREEN_DARK)
    else:
        for i, item in enumerate(("New in", "Packs", "Clothing", "Footwear", "Sale")):
            _text(img, item, 350 + 92 * i, 110, 0.52, RED if item == "Sale" else INK)
        _box(img, 840, 90, 1120, 118, 14, GREY_LIGHT, None)
        _text(img, "Search", 864, 109, 0.45, FAINT)
        cv2.rectangle(img, (1170, 98), (1192, 118), INK, 2)  # basket bag
        cv2.ellipse(img, (1181, 98), (6, 6), 0, 180, 360, INK, 2, AA)
        if basket:
            cv2.circle(img, (1196, 93), 9, RED, -1, AA)
            _text(img, str(basket), 1196, 98, 0.42, WHITE, bold=True, anchor="center")
    cv2.line(img, (0, 132), (WIDTH, 132), GREY, 1)


def _backpack(img, cx, cy, scale=1.0, shadow=True) -> None:
    def p(x, y):
        return int(cx + x * scale), int(cy + y * scale)

    if shadow:
        cv2.ellipse(img, p(0, 200), (int(130 * scale), int(14 * scale)), 0, 0, 360, _hex("#D9DCE1"), -1, AA)
    cv2.ellipse(img, p(0, -168), (int(40 * scale), int(32 * scale)), 0, 180, 360, PINE_DARK, max(2, int(9 * scale)), AA)
    _rrect(img, *p(-110, -175), *p(110, 190), int(60 * scale), PINE)
    _rrect(img, *p(-105, -170), *p(105, -70), int(55 * scale), PINE_DARK)
    cv2.line(img, p(-80, -50), p(80, -50), _hex("#CBD5E1"), max(1, int(3 * scale)), AA)
    _rrect(img, *p(-75, 20), *p(75, 160), int(30 * scale), PINE_DARK)
    cv2.line(img, p(-55, 50), p(55, 50), _hex("#CBD5E1"), max(1, int(3 * scale)), AA)
    for x in (-95, 95):
        cv2.line(img, p(x, -120), p(x, 175), _hex("#123F36"), max(2, int(7 * scale)), AA)
    _rrect(img, *p(-20, -25), *p(20, -5), int(3 * scale), ORANGE)


def _order_summary(img, x0, y0, delivery: str | None, paid: bool = False) -> None:
    x1 = 1220
    _box(img, x0, y0, x1, y0 + 330, 10, PAPER, LINE)
    _text(img, "Order summary", x0 + 20, y0 + 36, 0.65, INK, bold=True)
    _rrect(img, x0 + 20, y0 + 56, x0 + 80, y0 + 116, 6, GREY_LIGHT)
    _backpack(img, x0 + 50, y0 + 86, 0.12, shadow=False)
    _text(img, "Trailblazer 30L Daypack", x0 + 95, y0 + 78, 0.5, INK)
    _text(img, "Pine green, 30 L  x1", x0 + 95, y0 + 102, 0.45, MUTED)
    _text(img, "$89.00", x1 - 20, y0 + 78, 0.5, INK, anchor="right")
    cv2.line(img, (x0 + 20, y0 + 140), (x1 - 20, y0 + 140), LINE, 1)
    price = {None: "Choose an option", "next_day": "$4.99"}.get(delivery, "Free")
    total = "$93.99" if delivery == "next_day" else "$89.00"
    for i, (k, v) in enumerate((("Subtotal", "$89.00"), ("Delivery", price))):
        _text(img, k, x0 + 20, y0 + 172 + 30 * i, 0.5, MUTED)
        _text(img, v, x1 - 20, y0 + 172 + 30 * i, 0.5, FAINT if delivery is None and i else INK, anchor="right")
    cv2.line(img, (x0 + 20, y0 + 222), (x1 - 20, y0 + 222), LINE, 1)
    _text(img, "Total paid" if paid else "Total", x0 + 20, y0 + 258, 0.62, INK, bold=True)
    _text(img, total, x1 - 20, y0 + 258, 0.62, INK, bold=True, anchor="right")
    _text(img, "Paid with Visa ending 9012" if paid else "Secure payment - 30-day free returns",
          x0 + 20, y0 + 300, 0.42, MUTED)


def _steps(img, current: int) -> None:
    names = ("Basket", "Delivery", "Payment", "Confirmation")
    xs = [80 + 300 * i for i in range(4)]
    for i in range(3):
        cv2.line(img, (xs[i] + 120, 170), (xs[i + 1] - 22, 170), GREEN if i < current - 1 else LINE, 2)
    for i, (x, name) in enumerate(zip(xs, names), start=1):
        if i < current or current == 4:
            cv2.circle(img, (x, 170), 13, GREEN, -1, AA)
            _check(img, x, 170, 6, WHITE, 2)
            color = INK
        elif i == current:
            cv2.circle(img, (x, 170), 13, BLUE, -1, AA)
            _text(img, str(i), x, 176, 0.5, WHITE, bold=True, anchor="center")
            color = INK
        else:
            cv2.circle(img, (x, 170), 13, LINE, 2, AA)
            _text(img, str(i), x, 176, 0.5, FAINT, anchor="center")
            color = FAINT
        _text(img, name, x + 22, 176, 0.52, color, bold=i == current)


# --- pages ---------------------------------------------------------------------------------------


def _page_product(img, st: dict, meta: dict) -> None:
    _chrome(img, "shop.northwind.example", "/packs/trailblazer-30l", st["hover"])
    _site_header(img, checkout=False, basket=1 if st["added"] else 0)
    _text(img, "Home  /  Packs  /  Daypacks", 40, 160, 0.45, MUTED)
    _rrect(img, 40, 178, 600, 672, 12, GREY_LIGHT)
    _backpack(img, 320, 410)
    x = 650
    _text(img, "Trailblazer 30L Daypack", x, 218, 1.0, INK, bold=True, weight=2)
    for i in range(5):
        _star(img, x + 10 + 22 * i, 244, 9, ORANGE, filled=i < 4)
    _text(img, "4.6  (1,284 reviews)", x + 120, 250, 0.48, MUTED)
    _text(img, "$89.00", x, 304, 1.2, INK, bold=True, weight=2)
    _text(img, "Colour: Pine green", x, 346, 0.5, INK)
    for i, c in enumerate((PINE, _hex("#1E3A8A"), _hex("#D6C7A1"))):
        cv2.circle(img, (x + 14 + 36 * i, 374), 12, c, -1, AA)
        if i == 0:
            cv2.circle(img, (x + 14, 374), 16, INK, 2, AA)
    _text(img, "In stock - order within 3 hrs for next-day delivery", x, 418, 0.48, GREEN_DARK)
    if st["added"]:
        _button(img, 650, 440, 1010, 496, "  Added to basket", GREEN)
        _check(img, 728, 466, 8, WHITE)
    else:
        _button(img, 650, 440, 1010, 496, "Add to basket", ORANGE, INK)
    _button(img, 1025, 440, 1220, 496, "Save", WHITE, INK, border=LINE)
    for i, line in enumerate(("Recycled ripstop, water resistant", "Padded sleeve fits a 15 in laptop",
                              "Free returns within 30 days")):
        cv2.circle(img, (x + 6, 540 + 32 * i), 3, MUTED, -1, AA)
        _text(img, line, x + 20, 545 + 32 * i, 0.5, INK)
    if st["added"]:  # toast
        _shadow(img, 880, 142, 1250, 262)
        _box(img, 880, 142, 1250, 262, 10, WHITE, LINE)
        cv2.circle(img, (904, 168), 11, GREEN, -1, AA)
        _check(img, 904, 168, 5, WHITE, 2)
        _text(img, "Added to your basket", 924, 174, 0.58, INK, bold=True)
        _rrect(img, 898, 192, 944, 244, 6, GREY_LIGHT)
        _backpack(img, 921, 218, 0.1, shadow=False)
        _text(img, "Trailblazer 30L", 956, 212, 0.45, INK)
        _text(img, "$89.00", 956, 236, 0.45, MUTED)
        _button(img, 1108, 201, 1236, 241, "Checkout", INK, scale=0.55)


def _page_delivery(img, st: dict, meta: dict) -> None:
    _chrome(img, "shop.northwind.example", "/checkout/delivery", st["hover"])
    _site_header(img, checkout=True, basket=1)
    _steps(img, 2)
    _text(img, "Choose a delivery option", 60, 236, 0.9, INK, bold=True, weight=2)
    for key, title, sub, price in DELIVERY_OPTIONS:
        y = DELIVERY_TOPS[key]
        chosen = st["delivery"] == key
        _box(img, 60, y, 780, y + 80, 10, BLUE_LIGHT if chosen else WHITE, BLUE if chosen else LINE, 2 if chosen else 1)
        cv2.circle(img, (94, y + 40), 10, BLUE if chosen else MUTED, 2, AA)
        if chosen:
            cv2.circle(img, (94, y + 40), 5, BLUE, -1, AA)
        _text(img, title, 122, y + 34, 0.6, INK, bold=True)
        _text(img, sub, 122, y + 60, 0.45, MUTED)
        _text(img, price, 756, y + 46, 0.6, INK, bold=True, anchor="right")
    if st["delivery"]:
        _button(img, 60, 560, 380, 612, "Continue to payment", BLUE)
    else:
        _button(img, 60, 560, 380, 612, "Continue to payment", GREY, FAINT)
    _order_summary(img, 830, 200, st["delivery"])


def _field(img, key: str, value: str, st: dict, meta: dict) -> None:
    label, x0, y0, x1 = FIELDS[key]
    focused = st["focus"] == key
    error = key == "zip" and st["pay"] == "zip_error" and not focused
    fill = RED_LIGHT if error else AUTOFILL if (st["filled"] and key in ("name", "email", "address", "city", "zip", "region") and value) else WHITE
    border, th = (RED, 2) if error else (BLUE, 2) if focused else (LINE, 1)
    _text(img, label, x0, y0 - 8, 0.45, RED if error else MUTED)
    _box(img, x0, y0, x1, y0 + 36, 6, fill, border, th)
    _text(img, value, x0 + 12, y0 + 24, 0.55, INK)
    if error:
        cv2.circle(img, (x1 - 18, y0 + 18), 9, RED, -1, AA)
        _text(img, "!", x1 - 18, y0 + 24, 0.5, WHITE, bold=True, anchor="center")
    if focused:
        meta["caret"] = (x0 + 12 + _tw(value, 0.55) + 2, y0 + 8, y0 + 28)


def _page_payment(img, st: dict, meta: dict) -> None:
    _chrome(img, "shop.northwind.example", "/checkout/payment", st["hover"])
    _site_header(img, checkout=True, basket=1)
    _steps(img, 3)
    _text(img, "Your details", 60, 226, 0.8, INK, bold=True, weight=2)
    filled = dict(zip(("name", "email", "address", "city", "region"), ADDRESS[:5])) if st["filled"] else {}
    for key in FIELDS:
        value = st[key] if key in ("zip", "card", "expiry", "cvc") else filled.get(key, "")
        _field(img, key, value, st, meta)
    _text(img, "Payment card", 60, 462, 0.7, INK, bold=True)
    _rrect(img, 220, 447, 262, 467, 3, _hex("#1A1F71"))
    _text(img, "VISA", 241, 462, 0.38, WHITE, bold=True, anchor="center")
    if st["pay"] == "processing":
        _button(img, 60, 552, 360, 600, "     Processing...", _hex("#93C5FD"))
        meta["spinners"].append((96, 576, 11, WHITE))
    else:
        _button(img, 60, 552, 360, 600, "Pay $93.99", BLUE)
    _text(img, "Need help?", 380, 582, 0.48, MUTED)
    _text(img, "Chat with us", 380 + _tw("Need help? ", 0.48), 582, 0.48, BLUE)
    if st["pay"] == "zip_error":
        _box(img, 60, 614, 780, 682, 8, RED_LIGHT, RED)
        cv2.circle(img, (88, 648), 12, RED, -1, AA)
        _text(img, "!", 88, 655, 0.6, WHITE, bold=True, anchor="center")
        _text(img, "We couldn't verify your ZIP code", 112, 641, 0.6, RED, bold=True)
        _text(img, "Check that it matches the billing address of your card and try again.", 112, 666, 0.45, INK)
    elif st["pay"] == "declined":
        _box(img, 60, 614, 780, 682, 8, RED, None)
        _text(img, "Payment not authorised (code AVS-N)", 84, 642, 0.6, WHITE, bold=True)
        _text(img, "Your bank couldn't match your billing address.", 84, 666, 0.45, WHITE)
        _button(img, 620, 630, 768, 668, "Chat with us", WHITE, RED, scale=0.52)
    if st["autofill"] == "open":
        _shadow(img, 60, 298, 410, 352, 6)
        _box(img, 60, 298, 410, 352, 6, WHITE, LINE)
        _rrect(img, 62, 300, 408, 350, 5, GREY_LIGHT)
        _text(img, "Alex Morgan", 76, 320, 0.5, INK, bold=True)
        _text(img, "1432 NW Everett St, Portland, OR 97209", 76, 341, 0.4, MUTED)
    _order_summary(img, 830, 200, "next_day")


def _page_confirmation(img, st: dict, meta: dict) -> None:
    _chrome(img, "shop.northwind.example", "/checkout/confirmation?order=NW-48213", st["hover"])
    _site_header(img, checkout=True, basket=0)
    _steps(img, 4)
    cv2.circle(img, (92, 246), 30, GREEN, -1, AA)
    _check(img, 92, 246, 14, WHITE, 4)
    _text(img, "Thank you, Alex - your order is confirmed", 140, 244, 0.85, INK, bold=True, weight=2)
    _text(img, "Order NW-48213   -   receipt sent to alex.morgan@example.com", 140, 274, 0.48, MUTED)
    _box(img, 60, 304, 780, 412, 10, GREEN_LIGHT, _hex("#86EFAC"))
    cv2.rectangle(img, (84, 330), (124, 356), GREEN_DARK, 2)  # van
    cv2.rectangle(img, (124, 338), (140, 356), GREEN_DARK, 2)
    for wx in (94, 130):
        cv2.circle(img, (wx, 360), 5, GREEN_DARK, -1, AA)
    _text(img, "Next-day delivery", 160, 342, 0.62, GREEN_DARK, bold=True)
    _text(img, "Arriving tomorrow, Wed 13 Mar, by 6 pm", 160, 370, 0.52, INK)
    _text(img, "We'll text you a one-hour delivery window in the morning.", 160, 396, 0.45, MUTED)
    rated = st["stars"] > 0
    _box(img, 60, 440, 780, 600, 10, GREEN_LIGHT if rated else WHITE, _hex("#86EFAC") if rated else LINE)
    _text(img, "How was your checkout today?", 86, 482, 0.65, INK, bold=True)
    for i, (sx, sy) in enumerate(STAR_CENTRES):
        _star(img, sx, sy, 20, ORANGE if i < st["stars"] else FAINT, filled=i < st["stars"])
    if rated:
        _text(img, "Thanks - your feedback helps us improve.", 384, 546, 0.52, GREEN_DARK, bold=True)
    else:
        _text(img, "Tap a star to rate", 384, 546, 0.5, MUTED)
    _button(img, 60, 624, 300, 670, "Continue shopping", WHITE, INK, border=LINE, scale=0.55)
    _order_summary(img, 830, 200, "next_day", paid=True)


# --- chat panel ----------------------------------------------------------------------------------

_CHAT_SCALE, _CHAT_LINE, _BUBBLE_W = 0.46, 20, 250


def _chat_items(messages: Sequence[str]) -> list[tuple[str, int, list[str]]]:
    items = []
    for mid in messages:
        who, text = MESSAGES[mid]
        if who in ("agent", "me"):
            lines = _wrap(text, _BUBBLE_W, _CHAT_SCALE)
            items.append((mid, len(lines) * _CHAT_LINE + 16, lines))
        elif who == "sys":
            items.append((mid, 22, [text]))
        elif who in ("notice", "tag"):
            items.append((mid, 38, [text]))
        elif who == "lookup":
            items.append((mid, 76, []))
        elif who == "choice":
            items.append((mid, 44, []))
    return items


def chat_layout(messages: Sequence[str], typing: bool = False) -> dict[str, Any]:
    """Return where each chat message sits: ``{"items": [(id, top, height, lines)], ...}``.

    Tops are screen y; the list sticks to the bottom once it overflows (like a chat scrolls).
    Also returns the centres of the Continue/Cancel buttons (for the mouse) and the typing bubble's top.
    """
    top, bottom = PANEL_BODY[0] + 12, PANEL_BODY[1] - 10
    items = _chat_items(messages)
    gap = 10
    total = sum(h for _, h, _ in items) + gap * len(items) + (36 if typing else 0)
    y = top if total <= bottom - top else bottom - total
    out: dict[str, Any] = {"items": []}
    for mid, h, lines in items:
        out["items"].append((mid, y, h, lines))
        if mid == "choice":
            out["continue"] = (PANEL[0] + 42 + 82, y + 22)
            out["cancel"] = (PANEL[0] + 222 + 70, y + 22)
        y += h + gap
    out["typing_top"] = y
    return out


def _chat_panel(img, st: dict, meta: dict) -> None:
    x0, y0, x1, y1 = PANEL
    _shadow(img, x0, y0, x1, y1, 12, 0.3)
    _box(img, x0, y0, x1, y1, 12, WHITE, LINE)
    _rrect(img, x0, y0, x1, y0 + 52, 12, BLUE_DARK)
    img[y0 + 30:y0 + 52, x0 + 1:x1] = BLUE_DARK
    cv2.circle(img, (x0 + 28, y0 + 26), 14, WHITE, -1, AA)
    _text(img, "N", x0 + 28, y0 + 32, 0.5, BRAND, bold=True, anchor="center")
    _text(img, "Northwind Help", x0 + 52, y0 + 25, 0.6, WHITE, bold=True)
    _text(img, "Chat with Customer Care", x0 + 52, y0 + 43, 0.4, _hex("#BFDBFE"))
    cx = x1 - 24
    cv2.line(img, (cx - 6, y0 + 20), (cx + 6, y0 + 32), WHITE, 2, AA)
    cv2.line(img, (cx + 6, y0 + 20), (cx - 6, y0 + 32), WHITE, 2, AA)
    mid = (x0 + x1) // 2
    if st["chat"] == "starting":
        _text(img, "Starting a secure chat...", mid, 380, 0.55, MUTED, anchor="center")
    elif st["chat"] == "hold":
        _text(img, "Please hold", mid, 236, 1.0, INK, bold=True, anchor="center", weight=2)
        _text(img, "Connecting you to an agent", mid, 272, 0.55, MUTED, anchor="center")
        meta["spinners"].append((mid, 360, 34, BLUE))
        _rrect(img, x0 + 40, 428, x1 - 40, 500, 10, BLUE_LIGHT)
        _text(img, f"You are number {st['queue']} in the queue", mid, 458, 0.58, INK, bold=True, anchor="center")
        _text(img, "Estimated wait: about 1 minute", mid, 484, 0.45, MUTED, anchor="center")
        nx, ny = mid - 92, 560  # a music note
        cv2.circle(img, (nx, ny), 6, MUTED, -1, AA)
        cv2.line(img, (nx + 5, ny), (nx + 5, ny - 22), MUTED, 2, AA)
        cv2.line(img, (nx + 5, ny - 22), (nx + 13, ny - 16), MUTED, 2, AA)
        _text(img, "Hold music is playing", nx + 24, ny + 2, 0.48, MUTED)
    elif st["chat"] == "agent":
        _chat_messages(img, st, meta)
    # input row
    cv2.line(img, (x0, PANEL_BODY[1]), (x1, PANEL_BODY[1]), GREY, 1)
    focused = st["focus"] == "draft"
    _box(img, x0 + 12, 632, x1 - 56, 672, 20, WHITE, BLUE if focused else LINE, 2 if focused else 1)
    draft = st["draft"]
    if draft:
        shown = draft
        while _tw(shown, 0.48) > (x1 - 56) - (x0 + 30) - 10:
            shown = shown[1:]
        _text(img, shown, x0 + 28, 658, 0.48, INK)
    else:
        _text(img, "Type a message", x0 + 28, 658, 0.48, FAINT)
        shown = ""
    if focused:
        meta["caret"] = (x0 + 28 + _tw(shown, 0.48) + 2, 642, 662)
    cv2.circle(img, (x1 - 30, 652), 17, BLUE if draft else GREY, -1, AA)
    arrow = np.array([[x1 - 38, 644], [x1 - 20, 652], [x1 - 38, 660], [x1 - 34, 652]], np.int32)
    cv2.fillPoly(img, [arrow], WHITE, AA)


def _chat_messages(img, st: dict, meta: dict) -> None:
    x0, _, x1, _ = PANEL
    top, bottom = PANEL_BODY
    body = np.full((bottom - top, x1 - x0 - 2, 3), 255, np.uint8)  # drawn apart so scrolled items clip
    layout = chat_layout(st["messages"], typing=st["agent_typing"])
    for mid, y, h, lines in layout["items"]:
        y -= top
        who = MESSAGES[mid][0]
        if who == "sys":
            _text(body, lines[0], body.shape[1] // 2, y + 15, 0.4, MUTED, anchor="center")
        elif who == "agent":
            cv2.circle(body, (22, y + 14), 12, _hex("#7C3AED"), -1, AA)
            _text(body, "P", 22, y + 19, 0.42, WHITE, bold=True, anchor="center")
            w = max(_tw(t, _CHAT_SCALE) for t in lines) + 24
            _rrect(body, 42, y, 42 + w, y + h, 12, GREY_LIGHT)
            for i, t in enumerate(lines):
                _text(body, t, 54, y + 23 + i * _CHAT_LINE, _CHAT_SCALE, INK)
        elif who == "me":
            w = max(_tw(t, _CHAT_SCALE) for t in lines) + 24
            bx1 = body.shape[1] - 12
            _rrect(body, bx1 - w, y, bx1, y + h, 12, BLUE)
            for i, t in enumerate(lines):
                _text(body, t, bx1 - w + 12, y + 23 + i * _CHAT_LINE, _CHAT_SCALE, WHITE)
        elif who == "notice":
            _box(body, 12, y, body.shape[1] - 12, y + h, 8, GREEN_MID, None)
            cv2.circle(body, (34, y + 19), 9, GREEN_DARK, -1, AA)
            _check(body, 34, y + 19, 4, WHITE, 2)
            _text(body, lines[0], 52, y + 25, 0.47, _hex("#14532D"), bold=True)
        elif who == "tag":
            _box(body, 12, y, body.shape[1] - 12, y + h, 8, AMBER_MID, None)
            _rrect(body, 12, y, 20, y + h, 4, ORANGE)
            _text(body, "!", 36, y + 26, 0.6, _hex("#92400E"), bold=True, anchor="center")
            _text(body, lines[0], 52, y + 25, 0.45, _hex("#78350F"), bold=True)
        elif who == "lookup":
            found = st["lookup"] == "found"
            x1b = body.shape[1] - 12
            _box(body, 42, y, x1b, y + h, 8, GREEN_LIGHT if found else BLUE_LIGHT, None)
            _rrect(body, 42, y, x1b, y + 30, 8, GREEN_DARK if found else BLUE_DARK)
            body[y + 20:y + 31, 42:x1b + 1] = GREEN_DARK if found else BLUE_DARK
            if found:
                _text(body, "Order NW-48213 found", 54, y + 21, 0.5, WHITE, bold=True)
                _text(body, "Payment held: bank address check", 54, y + 50, 0.42, INK)
                _text(body, "(AVS-N), billing ZIP 97035", 54, y + 68, 0.42, INK)
            else:
                _text(body, "Order lookup", 54, y + 21, 0.5, WHITE, bold=True)
                _text(body, "Searching orders for alex.morgan@...", 54, y + 50, 0.42, MUTED)
                _, f0, f1 = st["lookup"]
                meta["progress"] = (x0 + 1 + 54, top + y + 60, x0 + 1 + body.shape[1] - 28, top + y + 66, f0, f1)
        elif who == "choice":
            chosen = st["choice"] == "continue"
            hover = st["hover"]
            fill = GREEN_DARK if chosen or hover == "continue" else GREEN
            _button(body, 42, y, 206, y + 40, "Continue checkout", fill, scale=0.46)
            _button(body, 222, y, 362, y + 40, "Cancel order", GREY_LIGHT if hover == "cancel" else WHITE,
                    FAINT if chosen else INK, border=LINE, scale=0.46)
    if st["agent_typing"]:
        y = layout["typing_top"] - top
        cv2.circle(body, (22, y + 14), 12, _hex("#7C3AED"), -1, AA)
        _text(body, "P", 22, y + 19, 0.42, WHITE, bold=True, anchor="center")
        _rrect(body, 42, y, 112, y + 28, 12, GREY_LIGHT)
        meta["dots"] = (x0 + 1 + 62, top + y + 14)
    img[top:bottom, x0 + 1:x1 - 1] = body


def _modal(img, st: dict, meta: dict) -> None:
    img[CONTENT_TOP:CONTENT_BOTTOM] = (img[CONTENT_TOP:CONTENT_BOTTOM] * 0.45).astype(np.uint8)
    x0, y0, x1, y1 = 440, 250, 840, 470
    _box(img, x0, y0, x1, y1, 14, WHITE, None)
    mid = (x0 + x1) // 2
    if st["modal"] == "authorising":
        meta["spinners"].append((mid, 326, 30, BLUE))
        _text(img, "Authorising payment", mid, 404, 0.8, INK, bold=True, anchor="center")
        _text(img, "Please don't close this window", mid, 436, 0.48, MUTED, anchor="center")
    else:
        _rrect(img, x0, y0, x1, y0 + 40, 14, GREEN)
        img[y0 + 12:y0 + 41, x0:x1 + 1] = WHITE
        cv2.circle(img, (mid, 326), 36, GREEN, -1, AA)
        _check(img, mid, 326, 17, WHITE, 5)
        _text(img, "Payment accepted", mid, 404, 0.8, GREEN_DARK, bold=True, anchor="center")
        _text(img, "$93.99 charged to Visa ending 9012", mid, 436, 0.48, MUTED, anchor="center")


PAGES: dict[str, Callable[[np.ndarray, dict, dict], None]] = {
    "product": _page_product,
    "delivery": _page_delivery,
    "payment": _page_payment,
    "confirmation": _page_confirmation,
}


@functools.lru_cache(maxsize=8)
def _static(key: tuple) -> tuple[np.ndarray, dict]:
    """Return the still part of the screen for a state, and where its moving parts go."""
    st = dict(key)
    img = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    meta: dict[str, Any] = {"spinners": []}
    PAGES[st["page"]](img, st, meta)
    if st["chat"]:
        meta.pop("caret", None)  # the page behind the panel has no focus
        _chat_panel(img, st, meta)
    if st["modal"]:
        meta.pop("caret", None)
        _modal(img, st, meta)
    img[CONTENT_BOTTOM:] = TASKBAR
    cv2.circle(img, (20, 706), 6, _hex("#EF4444"), -1, AA)
    _text(img, "REC", 32, 711, 0.45, WHITE, bold=True)
    _text(img, "Tue 12 Mar", 1260, 711, 0.42, _hex("#BDC1C6"), anchor="right")
    img.flags.writeable = False
    return img, meta


# --- moving parts ------------------------------------------------------------------------------

_CURSOR = np.array([[0, 0], [0, 17], [4, 13], [7, 20], [10, 19], [7, 12], [12, 12]], np.float32) * 1.15
CLOCK_START = 14 * 3600 + 3 * 60 + 5  # the taskbar clock reads 14:03:05 on the first frame


def _spinner(img, cx, cy, r, color, index) -> None:
    phase = (index % 30) / 30 * 12  # one turn a second
    bg = np.array(img[cy, cx - r - 4], np.float32)
    for i in range(12):
        a = 2 * math.pi * i / 12
        fade = ((i - phase) % 12) / 12
        c = tuple(int(bg[k] + (color[k] - bg[k]) * (0.15 + 0.85 * fade)) for k in range(3))
        p0 = (int(cx + math.cos(a) * r * 0.55), int(cy + math.sin(a) * r * 0.55))
        p1 = (int(cx + math.cos(a) * r), int(cy + math.sin(a) * r))
        cv2.line(img, p0, p1, c, max(2, r // 8), AA)


def draw_moving_parts(img: np.ndarray, meta: dict, index: int, timeline: Timeline) -> None:
    """Draw what changes frame by frame onto ``img``: spinners, progress, caret, clock, mouse."""
    for cx, cy, r, color in meta["spinners"]:
        _spinner(img, cx, cy, r, color, index)
    if "progress" in meta:
        x0, y0, x1, y1, f0, f1 = meta["progress"]
        u = min(max((index - f0) / (f1 - f0), 0.0), 1.0)
        u = 1 - (1 - u) ** 2
        cv2.rectangle(img, (x0, y0), (x1, y1), GREY, -1)
        cv2.rectangle(img, (x0, y0), (x0 + int((x1 - x0) * u), y1), BLUE, -1)
    if "dots" in meta:
        x, y = meta["dots"]
        for i in range(3):
            lift = max(0.0, math.sin(2 * math.pi * (index / 24 - i / 6)))
            cv2.circle(img, (x + 14 * i, int(y - 4 * lift)), 4, MUTED if lift > 0.5 else FAINT, -1, AA)
    if "caret" in meta and (index // 16) % 2 == 0:
        x, y0, y1 = meta["caret"]
        cv2.line(img, (x, y0), (x, y1), INK, 1)
    # recorder timecode (the time a reviewer would store for this frame) and wall clock
    t = frame_time(index)
    _text(img, f"{format_timecode(time_to_ms(t) / 1000)}  f{index:04d}", 72, 711, 0.45, WHITE)
    clock = CLOCK_START + int(t)
    _text(img, f"{clock // 3600:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}", 1160, 711, 0.45, WHITE, anchor="right")
    # click ripple, then the pointer on top of everything
    x, y = timeline.cursor_at(index)
    for f in timeline.clicks:
        age = index - f
        if 0 <= age < 10:
            r = int(8 + age * 2.4)
            x0, y0 = max(int(x) - r - 3, 0), max(int(y) - r - 3, 0)
            roi = img[y0:int(y) + r + 4, x0:int(x) + r + 4]
            ring = roi.copy()
            cv2.circle(ring, (int(x) - x0, int(y) - y0), r, BLUE, 3, AA)
            alpha = 0.75 * (1 - age / 10)
            roi[:] = cv2.addWeighted(ring, alpha, roi, 1 - alpha, 0)
    pts = (_CURSOR + np.array([x, y], np.float32)).round().astype(np.int32)
    cv2.fillPoly(img, [pts], WHITE, AA)
    cv2.polylines(img, [pts], True, (0, 0, 0), 1, AA)


def render_frames(timeline: Timeline) -> Iterator[np.ndarray]:
    """Yield every frame of the recording as a BGR uint8 array (a fresh array each time)."""
    for index, state in enumerate(timeline.states()):
        base, meta = _static(tuple(sorted(state.items(), key=lambda kv: kv[0])))
        img = base.copy()
        draw_moving_parts(img, meta, index, timeline)
        yield img


def render_frame(timeline: Timeline, index: int) -> np.ndarray:
    """Return frame ``index`` as a BGR uint8 array (random access; the encoder uses render_frames)."""
    base, meta = _static(tuple(sorted(timeline.state_at(index).items(), key=lambda kv: kv[0])))
    img = base.copy()
    draw_moving_parts(img, meta, index, timeline)
    return img


# --- sound -------------------------------------------------------------------------------------


def _env(n: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    return np.minimum(t / attack, 1.0) * np.exp(-t / decay)


def _tone(freq: float, seconds: float, decay: float, harmonics=(1.0, 0.3)) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    wave = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
    return wave * _env(n, 0.008, decay)


def _click(rng) -> np.ndarray:
    n = int(0.012 * SAMPLE_RATE)
    noise = rng.standard_normal(n)
    noise = noise - np.convolve(noise, np.ones(4) / 4, "same")  # high-passed: a tick, not a thud
    return 0.35 * noise * _env(n, 0.0005, 0.0025) + 0.12 * _tone(2400, 0.012, 0.003, (1.0,))


def _key(rng) -> np.ndarray:
    n = int(0.008 * SAMPLE_RATE)
    noise = rng.standard_normal(n)
    noise = noise - np.convolve(noise, np.ones(3) / 3, "same")
    return float(rng.uniform(0.10, 0.16)) * noise * _env(n, 0.0003, 0.0016)


def _cue_sound(name: str) -> np.ndarray:
    if name == "message":
        return 0.10 * np.concatenate([_tone(880, 0.09, 0.05), _tone(1318.5, 0.22, 0.08)])
    if name == "sent":
        return 0.06 * _tone(1046.5, 0.10, 0.03)
    if name == "join":
        return 0.10 * np.concatenate([_tone(659.3, 0.10, 0.06), _tone(880, 0.10, 0.06), _tone(1318.5, 0.3, 0.12)])
    if name == "error":
        return 0.14 * np.concatenate([_tone(392, 0.14, 0.08, (1, 0.5, 0.2)), _tone(311.1, 0.32, 0.12, (1, 0.5, 0.2))])
    if name == "success":
        return 0.11 * np.concatenate([_tone(f, 0.11, 0.07) for f in (523.3, 659.3, 784.0)] + [_tone(1046.5, 0.5, 0.2)])
    raise ValueError(f"no sound called {name!r}")


def _hold_music(n: int) -> np.ndarray:
    """Soft arpeggiated I-vi-IV-V in C: the kind of loop a contact centre plays."""
    out = np.zeros(n + SAMPLE_RATE)
    chords = ((261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7))
    step = 0.25
    pattern = (0, 1, 2, 1, 0, 2, 1, 2)
    i = 0
    while i * step * SAMPLE_RATE < n:
        chord = chords[(i // 8) % 4]
        start = int(i * step * SAMPLE_RATE)
        note = _tone(chord[pattern[i % 8]] * 2, 0.6, 0.22, (1.0, 0.25, 0.08)) * 0.07
        out[start:start + len(note)] += note
        if i % 8 == 0:
            bass = _tone(chord[0] / 2, 2.0, 0.9, (1.0, 0.4)) * 0.08
            out[start:start + len(bass)] += bass
        i += 1
    out = out[:n]
    fade = min(int(0.3 * SAMPLE_RATE), n // 2)
    out[:fade] *= np.linspace(0, 1, fade)
    out[n - fade:] *= np.linspace(1, 0, fade)
    return out


_VOWELS = ((800, 1200, 2500), (500, 1900, 2600), (300, 2300, 3000), (500, 900, 2400), (350, 800, 2300), (650, 1700, 2600))


def _voice(n: int, rng) -> np.ndarray:
    """A wordless, formant-shaped 'voice': syllables of a glottal buzz through vowel resonances."""
    f0 = np.zeros(n)
    formants = np.zeros((3, n))
    env = np.zeros(n)
    pos, syllable = 0, 0
    while pos < n:
        length = int(rng.uniform(0.10, 0.19) * SAMPLE_RATE)
        end = min(pos + length, n)
        decline = 1.08 - 0.16 * pos / n  # pitch falls over the sentence
        f0[pos:end] = 205 * decline * rng.uniform(0.93, 1.07)
        formants[:, pos:end] = np.array(_VOWELS[int(rng.integers(len(_VOWELS)))])[:, None]
        k = end - pos
        env[pos:end] = np.sin(np.pi * np.arange(k) / max(k, 1)) ** 0.6
        pos = end
        syllable += 1
        if syllable % int(rng.integers(2, 5)) == 0:  # a short pause between words
            gap = int(rng.uniform(0.05, 0.11) * SAMPLE_RATE)
            f0[pos:pos + gap] = f0[pos - 1] if pos else 200
            formants[:, pos:pos + gap] = formants[:, pos - 1:pos]
            pos += gap
    smooth = np.ones(480) / 480  # glide between vowels over 10 ms
    f0 = np.convolve(f0, smooth, "same")
    formants = np.stack([np.convolve(f, smooth, "same") for f in formants])
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    out = np.zeros(n)
    for k in range(1, 20):
        fk = k * f0
        gain = sum(g / (1 + ((fk - formants[j]) / bw) ** 2) for j, (g, bw) in enumerate(((1.0, 90), (0.55, 120), (0.22, 170))))
        out += gain * k ** -0.6 * np.sin(k * phase) * (fk < 4500)
    out *= env
    return 0.22 * out / max(np.abs(out).max(), 1e-9)


def synthesize_audio(timeline: Timeline) -> np.ndarray:
    """Return the sound track: float32 mono at SAMPLE_RATE, exactly as long as the video."""
    n = FRAME_COUNT * SAMPLES_PER_FRAME
    rng = np.random.default_rng(SEED + 1)
    room = np.convolve(rng.standard_normal(n), np.ones(24) / 24, "same") * 10 ** (-58 / 20) * 5
    out = room.astype(np.float64)

    def add(frame: int, sound: np.ndarray) -> None:
        start = frame * SAMPLES_PER_FRAME
        end = min(start + len(sound), n)
        out[start:end] += sound[: end - start]

    for f in timeline.clicks:
        add(f, _click(rng))
    for f in timeline.keys:
        add(f, _key(rng))
    for f0, f1 in timeline.music:
        add(f0, _hold_music((f1 - f0) * SAMPLES_PER_FRAME))
    for f, frames in timeline.voices:
        add(f, _voice(frames * SAMPLES_PER_FRAME, rng))
    for f, name in timeline.sounds:
        add(f, _cue_sound(name))
    peak = np.abs(out).max()
    if peak > 0.9:
        out *= 0.9 / peak
    return out.astype(np.float32)


# --- writing -----------------------------------------------------------------------------------


@dataclass
class SampleResult:
    """What write_sample produced."""

    video: Path
    events: Path
    size_bytes: int
    duration_s: float
    frames: int
    encode_s: float
    event_list: list[Event] = field(default_factory=list)


def write_events(out_dir: Path = HERE, timeline: Timeline | None = None) -> Path:
    """Write the events CSV (atomically) and return its path; no video is encoded."""
    path = Path(out_dir) / EVENTS_NAME
    atomic_write_text(path, events_csv_text(timeline_events(timeline)))
    return path


def write_sample(out_dir: Path = HERE, progress: Callable[[int, int], None] | None = None) -> SampleResult:
    """Encode the recording and write its events beside it; return what was written.

    Both files are written through a temporary file and renamed into place.
    """
    out_dir = Path(out_dir)
    started = time.perf_counter()
    tl = build_timeline()
    events = timeline_events(tl)
    audio = synthesize_audio(tl)
    video_path = out_dir / VIDEO_NAME
    with atomic_path(video_path) as tmp:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            out.metadata["title"] = "Web checkout with chat hand-off (generated sample)"
            v = out.add_stream("libx264", rate=FPS, options={"crf": CRF, "preset": PRESET})
            v.width, v.height, v.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            v.codec_context.gop_size = GOP
            # OpenCV's I420 conversion is BT.601 limited range: say so, or players guess BT.709 for HD
            cc = v.codec_context
            cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = BT601, BT601, BT601, LIMITED_RANGE
            v.thread_type = "AUTO"
            a = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
            a.bit_rate = AUDIO_BITRATE
            for index, img in enumerate(render_frames(tl)):
                # cv2's conversion is ~6x cheaper than swscale's bgr24 path and gives the same pixels
                frame = av.VideoFrame.from_ndarray(cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
                frame.colorspace, frame.color_range = BT601, LIMITED_RANGE
                frame.pts, frame.time_base = index, 1 / FPS
                out.mux(v.encode(frame))
                chunk = audio[index * SAMPLES_PER_FRAME:(index + 1) * SAMPLES_PER_FRAME][None, :]
                sound = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                sound.sample_rate, sound.pts, sound.time_base = SAMPLE_RATE, index * SAMPLES_PER_FRAME, Fraction(1, SAMPLE_RATE)
                out.mux(a.encode(sound))
                if progress:
                    progress(index + 1, FRAME_COUNT)
            out.mux(v.encode())
            out.mux(a.encode())
    events_path = write_events(out_dir, tl)
    for path in (video_path, events_path):
        os.chmod(path, 0o644)  # temp files are private; these are meant to be shared and committed
    return SampleResult(
        video=video_path,
        events=events_path,
        size_bytes=video_path.stat().st_size,
        duration_s=float(DURATION_S),
        frames=FRAME_COUNT,
        encode_s=time.perf_counter() - started,
        event_list=events,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the sample checkout recording and its events CSV.")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: beside this script)")
    parser.add_argument("--events-only", action="store_true", help="rewrite only the events CSV")
    args = parser.parse_args(argv)
    if args.events_only:
        print(write_events(args.out))
        return 0

    def progress(done: int, total: int) -> None:
        if done % 150 == 0 or done == total:
            print(f"\r{done}/{total} frames", end="", file=sys.stderr, flush=True)

    result = write_sample(args.out, progress)
    print(file=sys.stderr)
    print(f"{result.video}  {result.size_bytes / 1e6:.2f} MB  {result.duration_s:.1f} s  "
          f"{result.frames} frames  encoded in {result.encode_s:.1f} s")
    print(f"{result.events}  {len(result.event_list)} events")
    for e in result.event_list:
        end = "" if e.end_s is None else f"-{e.end_s:.3f}"
        print(f"  {e.kind.short}  {e.start_s:7.3f}{end:<8}  {e.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
