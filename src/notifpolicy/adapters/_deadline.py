"""An overall deadline for one send, shared by the transports.

A socket timeout bounds each read, not the whole exchange: a server that drips one byte every
half second, or sends an endless multi-line reply, keeps a send going for as long as it likes.
:class:`Deadline` ends it: a timer shuts the connection down when the send's time is up, which
wakes whatever read or write is blocked on it (in ``http.client``, ``smtplib`` or ``ssl``
alike), and the transport reports a retry.

The timer shuts down a duplicate of the socket's file descriptor, so it still reaches the
connection after ``ssl`` has wrapped the socket (STARTTLS), and it can never touch another
connection that reused the number after this one was closed.  The name lookup before the
connection cannot be interrupted at all: :meth:`Deadline.resolve` runs it in a daemon thread and
stops waiting for it when the time is up.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from types import TracebackType
from typing import Any

__all__ = ["Address", "Deadline"]

Address = tuple[str, int]


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

    def left(self) -> float:
        """Seconds left, or ``TimeoutError`` when none are (what a socket timeout takes)."""
        remaining = self.remaining()
        if remaining <= 0:
            raise TimeoutError("the send's deadline passed")
        return remaining

    def resolve(self, host: str, port: int) -> list[Address]:
        """``getaddrinfo`` within the deadline: the addresses ``host`` has, or ``TimeoutError``.

        ``getaddrinfo`` cannot be interrupted, so it runs in a daemon thread that may finish
        after the send gave up; its result is then dropped.
        """
        result: list[Any] = []

        def run() -> None:
            try:
                result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            except OSError as exc:
                result.append(exc)

        thread = threading.Thread(target=run, name="notifpolicy-dns", daemon=True)
        thread.start()
        thread.join(self.left())
        if not result:
            raise TimeoutError("name lookup did not finish within the deadline")
        if isinstance(result[0], OSError):
            raise result[0]
        return [(str(info[4][0]), int(info[4][1])) for info in result[0]]

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
