"""Sign-in attempt limits, per login name and per client address.

After ``max_failures`` failed attempts within ``window_s`` for one name (or one
address), further attempts for it are refused until the oldest failure leaves the
window. A success clears the name's failures, not the address's (one address trying
many names is still limited). Kept in the web server's memory: one server process
answers every sign-in, and a restart forgetting failures only restarts the count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable

from ..errors import TooManyAttemptsError


class AttemptLimiter:
    """Counts failed sign-ins per key in a sliding window (thread-safe)."""

    def __init__(self, max_failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, login: str, address: str) -> None:
        """Raise TooManyAttemptsError when ``login`` or ``address`` has used up its attempts."""
        with self._lock:
            now = self._clock()
            waits = [self._wait(key, now) for key in self._keys(login, address)]
        wait = max(waits)
        if wait > 0:
            raise TooManyAttemptsError(
                f"too many failed sign-ins: wait {math.ceil(wait)} s and try again", retry_after_s=wait
            )

    def failed(self, login: str, address: str) -> None:
        """Record one failed attempt for ``login`` and ``address``."""
        with self._lock:
            now = self._clock()
            for key in self._keys(login, address):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, login: str) -> None:
        """Forget the failures of ``login`` (its address keeps its count)."""
        with self._lock:
            self._failures.pop(self._name_key(login), None)

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < self.max_failures:
            return 0.0
        return self.window_s - (now - times[-self.max_failures])

    @staticmethod
    def _name_key(login: str) -> str:
        return "name:" + login.strip().casefold()

    def _keys(self, login: str, address: str) -> tuple[str, str]:
        return self._name_key(login), "addr:" + (address or "?")
