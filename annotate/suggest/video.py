"""The picture side of the analysis: one decode at reduced resolution, cuts (PySceneDetect) and holds.

Every frame of the recording is decoded once, in order, in one read front to
back through the project's :class:`~annotate.media.stream.StreamReader` (each
frame's index, and so its presentation time, is the
:class:`~annotate.media.timeindex.TimeIndex`'s entry for the decoder's
timestamp, and no index is skipped), scaled by swscale to ``analysis_width``
pixels wide, and handed to two finders:

- :class:`CutFinder` feeds PySceneDetect's ``AdaptiveDetector.process_frame``
  (ContentDetector's score against a rolling average; the score itself is
  computed by :class:`_Detector`, the same number) with the frame's index as
  its frame number, so the cut it reports maps back to our frame exactly (the
  first frame of the new picture);
- :class:`HoldFinder` measures how much the grey picture changed since the frame
  before (and since the first frame of the still run) and keeps the runs that
  last long enough.

Both keep a bounded state, so memory does not grow with the recording's length.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter
from scenedetect import FrameTimecode
from scenedetect.detectors import AdaptiveDetector

from ..media.container import undecodable
from ..media.stream import StreamReader, decode
from ..media.timeindex import TimeIndex
from .settings import SuggestSettings

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 250  # frames
_AHEAD = 6  # decoded frames waiting to be scaled and analysed (6 x 12 MB at 4K)
_WINDOW = 2  # frames on each side whose change a cut's change is compared with


@dataclass(frozen=True)
class Cut:
    """A hard cut: ``index`` is the first frame of the new picture; ``change`` the detector's score (0..255)."""

    index: int
    change: float


@dataclass(frozen=True)
class Hold:
    """A still stretch from frame ``first`` up to (not including) frame ``end`` (None: to the end of the video).

    ``mean_change`` is the mean grey difference between consecutive frames in it (0..255).
    """

    first: int
    end: int | None
    mean_change: float


def analysis_size(width: int, height: int, target: int) -> tuple[int, int]:
    """Return the (even) width and height frames are scaled to: ``target`` wide at most, same aspect."""
    w = min(target, width)
    return max(2, w // 2 * 2), max(2, int(round(height * w / width / 2)) * 2)


def decoder_threading(cores: int | None = None) -> str:
    """Return the FFmpeg threading the analysis decodes with: "NONE" on two cores or fewer, else "AUTO".

    ``cores`` defaults to the CPUs this process may run on. With two, the
    analysing thread already keeps the second core busy, and frame threads would
    only add their own cost (about 40% more CPU per frame for H.264).
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return "NONE" if cores <= 2 else "AUTO"


def frames_in_order(path: os.PathLike | str, index: TimeIndex) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yield ``(frame index, decoded frame)`` for every frame of the TimeIndex, in order, each index once.

    One read front to back through :class:`~annotate.media.stream.StreamReader`
    (threading as :func:`decoder_threading` says), every packet decoded; each
    frame's index is the TimeIndex's entry for its presentation timestamp (a
    frame without one is the next frame; a frame the index does not hold is
    dropped). A frame that cannot be decoded (a damaged packet) is given the
    picture before it, as a player shows it. Raises TruncatedMediaError for a file
    that breaks off, UndecodableMediaError when no picture comes out at all.
    """
    pts, count = index.pts, index.frame_count
    nxt, last = 0, None  # the index expected next; the last frame yielded
    with StreamReader(path, index, thread_type=decoder_threading(), with_audio=False) as file:
        for packet in file.packets():
            for frame in decode(packet):
                p = frame.pts
                if p is None or (nxt < count and p == pts[nxt]):
                    i = nxt
                else:
                    i = index.index_of_pts(p)
                    if i is None or i < nxt:
                        continue
                while last is not None and nxt < i:
                    yield nxt, last
                    nxt += 1
                if i < count:
                    yield i, frame
                    nxt, last = i + 1, frame
    if last is None:
        raise undecodable(Path(path))
    for i in range(nxt, count):
        yield i, last


def pictures(path: os.PathLike | str, index: TimeIndex, width: int, height: int) -> Iterator[tuple[int, Picture]]:
    """Yield ``(frame index, its Picture at width x height)`` for every frame of the video, in order.

    :func:`frames_in_order` on a thread of its own, a few frames ahead of the
    caller (a bounded queue: memory stays flat). Each frame is prepared
    (:func:`_preparer`) on the caller's thread, or on the decoding thread when the
    queue is full (the caller is behind: small pictures decode faster than they
    are analysed), so the two threads share the work whatever the frame size;
    either way the same steps, so the same numbers. Raises as
    :func:`frames_in_order`.
    """
    ahead: queue.Queue = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def produce() -> None:
        prepare = _preparer(width, height)
        try:
            for item in frames_in_order(path, index):
                if stop.is_set():
                    return
                ahead.put((item[0], prepare(item[1])) if ahead.full() else item)
            ahead.put(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            ahead.put(exc)

    worker = threading.Thread(target=produce, daemon=True, name="cx-suggest-decode")
    worker.start()
    prepare = _preparer(width, height)
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            i, got = item
            yield i, got if isinstance(got, Picture) else prepare(got)
    finally:
        stop.set()
        while worker.is_alive():  # let a producer blocked on a full queue see the stop
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.05)
        worker.join()


class Picture(NamedTuple):
    """A frame scaled down for the analysis, in the two forms the finders take: HSV and grey (uint8 arrays)."""

    hsv: np.ndarray
    grey: np.ndarray


def _preparer(width: int, height: int) -> Callable[[av.VideoFrame], Picture]:
    """Return a function turning a frame into its Picture (one swscale context of its own).

    The frame is scaled by swscale with area averaging to BGR (point sampling
    would alias motion into flicker that looks like change), then converted by
    OpenCV as PySceneDetect converts it (HSV) and to grey.
    """
    reformat = VideoReformatter().reformat

    def prepare(frame: av.VideoFrame) -> Picture:
        # threads=1: swscale's own threads (one per core by default) cost more CPU than they save at this size
        bgr = reformat(frame, width=width, height=height, format="bgr24", interpolation="AREA",
                       threads=1).to_ndarray()
        return Picture(cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))

    return prepare


class _Detector(AdaptiveDetector):
    """AdaptiveDetector fed HSV pictures, whose ContentDetector frame score takes two OpenCV calls, not a dozen.

    ``process_frame`` takes the picture already converted to HSV (as
    ContentDetector converts a BGR one, with cv2.COLOR_BGR2HSV). The score is
    the same number, bit for bit: the per-channel sums of absolute HSV
    differences are exact integers either way, divided by the pixel count and
    weighted in ContentDetector's order (no edges, no stats manager here).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        assert self._weights.delta_edges == 0.0
        self._last_hsv: np.ndarray | None = None

    def _calculate_frame_score(self, timecode: FrameTimecode, frame_img: np.ndarray) -> float:
        hsv, last = frame_img, self._last_hsv  # (PySceneDetect's parameter name; the picture is HSV already)
        self._last_hsv = hsv
        if last is None:
            return 0.0
        pixels = float(hsv.shape[0] * hsv.shape[1])
        hue, sat, lum, _ = cv2.sumElems(cv2.absdiff(hsv, last))
        components = (hue / pixels, sat / pixels, lum / pixels, 0.0)
        return sum(c * w for c, w in zip(components, self._weights)) / sum(abs(w) for w in self._weights)


class CutFinder:
    """Screen changes with PySceneDetect's AdaptiveDetector, fed one frame at a time (see the module docstring).

    A frame is a cut when its ContentDetector score (mean HSV change from the
    frame before) is at least ``cut_min_change`` and ``cut_ratio`` times the
    average score of the two frames on either side: a hard cut in camera footage,
    a new page or dialog in a screen recording whose picture is otherwise still,
    but not steady motion (a pan, scrolling, a person moving).
    """

    def __init__(self, settings: SuggestSettings, fps: Fraction):
        # the rate as a timecode: a timecode made from it skips validating the rate again (per frame)
        self._fps = FrameTimecode(0, fps if fps > 0 else Fraction(30))
        self._detector = _Detector(adaptive_threshold=settings.cut_ratio, min_content_val=settings.cut_min_change,
                                   min_scene_len=settings.cut_min_gap_frames, window_width=_WINDOW)
        self._threshold = settings.cut_min_change
        self._scores: dict[int, float] = {}  # frames at or over the threshold (few): their change
        self.cuts: list[Cut] = []
        self._last: int | None = None

    def feed(self, i: int, hsv: np.ndarray) -> None:
        """Take frame ``i``'s HSV picture (frames come in order, each once)."""
        found = self._detector.process_frame(FrameTimecode(i, self._fps), hsv)
        score = self._detector._frame_score  # the score process_frame just computed (no public accessor)
        if score is not None and score >= self._threshold:
            self._scores[i] = float(score)
        self._take(found)
        self._last = i

    def finish(self) -> list[Cut]:
        """Return the cuts found, in order (after letting the detector report what it still holds)."""
        if self._last is not None:
            self._take(self._detector.post_process(FrameTimecode(self._last, self._fps)))
        return self.cuts

    def _take(self, found: list) -> None:
        for tc in found:
            index = int(tc.frame_num)
            if index > 0 and (not self.cuts or index > self.cuts[-1].index):
                self.cuts.append(Cut(index, self._scores.get(index, self._threshold)))
        if len(self._scores) > 64:  # only the latest candidates can still be reported
            for old in sorted(self._scores)[:-32]:
                del self._scores[old]


class HoldFinder:
    """Runs of frames where the picture does not change, at least ``min_s`` long (see SuggestSettings)."""

    def __init__(self, settings: SuggestSettings, index: TimeIndex):
        self._threshold, self._drift = settings.hold_threshold, settings.hold_drift
        self._min = Fraction(settings.hold_min_s).limit_denominator(1000)
        self._index = index
        self._prev: np.ndarray | None = None
        self._anchor: np.ndarray | None = None
        self._first = 0
        self._sum = 0.0
        self._count = 0
        self.holds: list[Hold] = []

    def feed(self, i: int, grey: np.ndarray) -> None:
        """Take frame ``i``'s grey picture (frames come in order, each once)."""
        if self._prev is None:
            self._prev = self._anchor = grey
            self._first = i
            return
        size = grey.size
        change = cv2.norm(grey, self._prev, cv2.NORM_L1) / size  # mean absolute difference, in one pass
        still = change < self._threshold and cv2.norm(grey, self._anchor, cv2.NORM_L1) / size < self._drift
        self._prev = grey
        if still:
            self._sum += change
            self._count += 1
            return
        self._close(i)
        self._first, self._anchor, self._sum, self._count = i, grey, 0.0, 0

    def finish(self) -> list[Hold]:
        """Return the holds found, in order (a run still open at the end lasts to the end of the video)."""
        if self._prev is not None:
            self._close(None)
            self._prev = None
        return self.holds

    def _close(self, end: int | None) -> None:
        index = self._index
        end_time = index.duration if end is None else index.time_of(end)
        if self._count and end_time - index.time_of(self._first) >= self._min:
            self.holds.append(Hold(self._first, end, self._sum / self._count))


def scan_video(path: os.PathLike | str, index: TimeIndex, width: int, height: int, settings: SuggestSettings,
               progress: Progress | None = None) -> tuple[list[Cut], list[Hold]]:
    """Return the cuts and holds of the video at ``path`` (one decode pass; see the module docstring).

    ``width``/``height`` are the stored picture's size; ``progress(done, total)``
    is called every few hundred frames. Raises the decoder's MediaError subclasses.
    """
    w, h = analysis_size(width, height, settings.analysis_width)
    cuts, holds = CutFinder(settings, index.fps), HoldFinder(settings, index)
    total = index.frame_count
    for i, picture in pictures(path, index, w, h):
        cuts.feed(i, picture.hsv)
        holds.feed(i, picture.grey)
        if progress is not None and i % _PROGRESS_EVERY == 0:
            progress(i, total)
    if progress is not None:
        progress(total, total)
    return cuts.finish(), holds.finish()
