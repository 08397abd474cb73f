"""Ctrl-C while training: the request is noted and acted on at the next safe point (after an optimiser step, or
between epochs), so it is never lost inside a clean-up routine, where Python only prints "Exception ignored", and
the state saved is a consistent one. A second Ctrl-C stops at once."""

from __future__ import annotations

import signal
import sys
import threading


class StopRequest:
    """Installs a SIGINT handler while entered (main thread only); ``check()`` raises KeyboardInterrupt once
    Ctrl-C was pressed."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        sys.stderr.write("\nstopping after this step to save the state (Ctrl-C again stops at once)\n")

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt


def ignore_ctrl_c_in_worker(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: a terminal's Ctrl-C reaches the workers too; they keep serving batches until
    the main process stops at its next safe point and shuts them down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
