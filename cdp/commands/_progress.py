"""A progress line for a step that may take more than a second.

On a terminal, `Progress` rewrites one line on stderr every quarter of a second, from the
first second on: what the step is doing, the seconds so far and, when the step reports it
(`update`), how far it got. The line is erased when the step ends, so what stays on screen is
the step's own summary. Elsewhere (a pipe, a log, a test) it prints nothing.

    with Progress("ingesting") as progress:
        run(on_progress=lambda summary: progress.update(f"{summary.read:,} read"))
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

FIRST_AFTER = 1.0
EVERY = 0.25


class Progress:
    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.detail = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._shown = False

    def update(self, detail: str) -> None:
        """What the step has done so far (shown on the next redraw)."""
        self.detail = detail

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        if self.stream.isatty():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def line(self) -> str:
        seconds = time.monotonic() - self._started
        detail = f": {self.detail}" if self.detail else ""
        return f"      {self.label} ({seconds:.0f}s){detail}"[:100]

    def _run(self) -> None:
        if self._stop.wait(FIRST_AFTER):
            return
        while True:
            self.stream.write(f"\r\033[K{self.line()}")
            self.stream.flush()
            self._shown = True
            if self._stop.wait(EVERY):
                return
