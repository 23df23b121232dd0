"""Progress output: one small wrapper, silent under --quiet, in tests and when not on a terminal.

Library code reports progress through a :class:`Progress`; only a terminal ever sees the bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from warcast.timecode import clock


def megabytes(count: float) -> str:
    """A byte count in MB with one decimal."""
    return f"{count / 1e6:.1f} MB"


class Progress:
    """A one-line bar in audio time (or, with ``unit=megabytes``, in bytes) with an ETA,
    redrawn in place on a terminal."""

    width = 24

    def __init__(self, label: str, total: float, *, enabled: bool = True,
                 stream: TextIO | None = None, unit=clock) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.label = label
        self.total = max(total, 1e-9)
        self.started = time.monotonic()
        self.drawn = False
        self.unit = unit

    def update(self, done: float) -> None:
        """Show that ``done`` seconds of ``total`` are finished."""
        if not self.enabled:
            return
        fraction = min(1.0, max(0.0, done / self.total))
        elapsed = time.monotonic() - self.started
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        filled = int(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.unit(done)}/{self.unit(self.total)} "
                          f"ETA {clock(eta)} ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Clear the bar so the summary line that follows starts clean."""
        if self.drawn:
            self.stream.write("\r" + " " * (len(self.label) + self.width + 40) + "\r")
            self.stream.flush()
