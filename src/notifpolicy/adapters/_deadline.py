"""An overall deadline for one send, shared by the transports.

A socket timeout bounds each read, not the whole exchange: a server that drips one byte every
half second, or sends an endless multi-line reply, keeps a send going for as long as it likes.
:class:`Deadline` ends it: a timer shuts the connection down when the send's time is up, which
wakes whatever read or write is blocked on it (in ``http.client``, ``smtplib`` or ``ssl``
alike), and the transport reports a retry.

The timer shuts down a duplicate of the socket's file descriptor, so it still reaches the
connection after ``ssl`` has wrapped the socket (STARTTLS), and it can never touch another
connection that reused the number after this one was closed.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from types import TracebackType

__all__ = ["Deadline"]


class Deadline:
    """``seconds`` from now; use as a context manager around one send."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._done = False
        self.expired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left (0 when the deadline has passed)."""
        return max(0.0, self._end - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock``'s connection down when the deadline passes."""
        with self._lock:
            if self._done:  # pragma: no cover - a send does not connect after it ended
                return
            self._watched.append(sock.dup())
            if self.expired:
                self._shutdown()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        for dup in self._watched:
            with suppress(OSError):  # already closed by the other side
                dup.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Deadline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._done = True
            self._timer.cancel()
            for dup in self._watched:
                dup.close()
            self._watched.clear()
