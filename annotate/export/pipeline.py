"""The frame loop's three stages on their own threads: read (demux + decode), draw, write (encode + mux).

:func:`~.loop.write_segment` draws on the calling thread; a :class:`Reader` demuxes and decodes ahead of it
and a :class:`Writer` encodes and muxes behind it. PyAV lets go of the GIL while FFmpeg demuxes, decodes,
encodes and muxes, so on a small picture (where the Python work per frame is as large as the codec's) the
stages run side by side on separate cores. Both hand over in batches (up to one video frame and
the audio before it, at most :data:`BATCH` items) through bounded queues (:data:`DEPTH` batches), so
memory stays the same however long the video is, and everything keeps its order: packets and frames leave
the reader in file order, write jobs run in the order they were given. An error in a stage is raised on the
calling thread (the reader's when its item is reached, the writer's at the next :meth:`Writer.put` or at
:meth:`Writer.finish`); closing either stops its thread and waits for it.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator

import av

from ..media.stream import decode
from .source import Source

DEPTH = 4  # batches each queue holds: enough to ride out the codecs' bursts, small enough to keep memory flat
BATCH = 32  # items handed over at once at most: a batch ends at a video frame or after this many (audio) items
# Pictures up to this size use the threads. Above it the codecs' own threads already keep both cores busy and
# handing megabytes per frame between threads costs more CPU (caches) than it saves: measured at 1080p60,
# 1.17x ffmpeg's CPU threaded against 1.10x in one thread; at 320x240 the threads halve the wall time.
THREADED_MAX_PIXELS = 1280 * 720
_POLL_S = 0.1
_END = object()


class _Failed:
    """A stage's exception, carried to the calling thread."""

    def __init__(self, exc: BaseException):
        self.exc = exc


class Reader:
    """Demux ``source`` (its audio too if ``with_audio``) on a thread; iterate for ``(packet, frames)`` in file
    order, ``frames`` the packet's decoded frames (audio packets decoded only if ``decode_audio``, else None).

    Use as a context manager (leaving it stops the thread). Iterating raises what reading raised
    (TruncatedMediaError for a file that breaks off) once the items before it have been taken. With
    ``threaded`` False it reads on the calling thread as it is iterated (see :data:`THREADED_MAX_PIXELS`).
    """

    def __init__(self, source: Source, with_audio: bool, decode_audio: bool, depth: int = DEPTH, threaded: bool = True):
        self.source, self.with_audio, self.decode_audio = source, with_audio, decode_audio
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="annotate-read", daemon=True) if threaded else None
        if self._thread is not None:
            self._thread.start()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        batch: list = []  # handed over at each video packet: a low frame rate has several audio packets per frame
        try:
            for packet in self.source.packets(with_audio=self.with_audio):
                if self._stop.is_set():
                    return
                video = packet.stream.type == "video"
                batch.append((packet, decode(packet) if video or self.decode_audio else None))
                if video or len(batch) >= BATCH:
                    self._put(batch)
                    batch = []
        except BaseException as exc:  # handed to the calling thread, raised there
            batch.append(_Failed(exc))
        finally:
            batch.append(_END)
            self._put(batch)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[tuple[av.Packet, list | None]]:
        if self._thread is None:  # read on the calling thread
            for packet in self.source.packets(with_audio=self.with_audio):
                video = packet.stream.type == "video"
                yield packet, (decode(packet) if video or self.decode_audio else None)
            return
        while True:
            for item in self._queue.get():
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.exc
                yield item

    def close(self) -> None:
        """Stop reading and wait for the thread; return None."""
        self._stop.set()
        while self._thread is not None and self._thread.is_alive():
            try:
                self._queue.get(timeout=_POLL_S)  # unblock a put in progress
            except queue.Empty:
                pass
        if self._thread is not None:
            self._thread.join()


class Writer:
    """Run write jobs (callables, e.g. encoding one frame into a sink) in order on a thread.

    Use as a context manager: leaving the block normally waits for every job (:meth:`finish`); leaving it
    with an exception drops the jobs still queued and stops the thread. With ``threaded`` False each job
    runs at once on the calling thread.
    """

    def __init__(self, depth: int = DEPTH, threaded: bool = True):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._pending: list = []
        self._stop = threading.Event()
        self.threaded = threaded
        self._thread = threading.Thread(target=self._run, name="annotate-write", daemon=True)
        if threaded:
            self._thread.start()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self._abort()

    def _run(self) -> None:
        while True:
            for job in self._queue.get():
                if job is _END or self._stop.is_set():
                    return
                try:
                    job()
                except BaseException as exc:  # raised on the calling thread at its next put or finish
                    self._error = exc
                    return

    def put(self, job: Callable[[], object], now: bool = False) -> None:
        """Queue ``job``; it is handed to the thread with the jobs before it when ``now`` (e.g. a video frame's
        encoding) or once :data:`BATCH` are waiting. Waits while the queue is full; raises the exception an
        earlier job raised, if any. Unthreaded, ``job`` runs at once."""
        if not self.threaded:
            job()
            return
        self._pending.append(job)
        if now or len(self._pending) >= BATCH:
            self._send()

    def _send(self) -> None:
        batch, self._pending = self._pending, []
        while True:
            if self._error is not None:
                raise self._error
            try:
                self._queue.put(batch, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Wait until every job given has run; raise the exception a job raised, if any."""
        if self._thread.is_alive():
            self.put(_END, now=True)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def _abort(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.put_nowait([_END])
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
            self._thread.join(_POLL_S)
