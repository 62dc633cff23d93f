"""A progress bar on stderr for long simulations: only on a terminal, only after a moment.

It draws nothing until ``delay`` seconds have passed (a quick run stays silent), redraws only
when the whole percentage changes, and erases itself when closed, so what is left on the
terminal is the report alone.  The stream, whether it is a terminal and the time source are
injected, so tests can drive it without a terminal or a real clock.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import IO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``update(fraction)`` as the work goes on, ``close()`` at the end."""

    def __init__(
        self,
        stream: IO[str],
        *,
        enabled: bool,
        clock: Callable[[], float] | None = None,
        delay: float = 0.5,
        width: int = 30,
        label: str = "simulating",
    ) -> None:
        self._stream = stream
        self._enabled = enabled
        self._clock = clock or monotonic
        self._delay = delay
        self._width = width
        self._label = label
        self._started = self._clock() if enabled else 0.0
        self._percent = -1
        self._drawn = 0  # characters on the line, to erase them

    @property
    def shown(self) -> bool:
        """Whether the bar was drawn at least once."""
        return self._drawn > 0

    def update(self, fraction: float) -> None:
        if not self._enabled:
            return
        if not self.shown and self._clock() - self._started < self._delay:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        percent = int(fraction * 100)
        if percent == self._percent:
            return
        self._percent = percent
        filled = int(fraction * self._width)
        line = f"{self._label} [{'#' * filled}{'.' * (self._width - filled)}] {percent:3d}%"
        self._stream.write("\r" + line)
        self._stream.flush()
        self._drawn = len(line)

    def close(self) -> None:
        if self.shown:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0
