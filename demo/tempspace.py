"""The demo's temporary files, kept to their promise: everything a demo server writes (Gradio's uploads and its
cache, the results offered for download, the kept results) lives in one folder of its own, removed when the server
stops (Ctrl-C, SIGTERM from systemd or ``docker stop``, or a normal exit) and, on the next start, whatever a
server that was killed outright (SIGKILL, a crash, power) left behind."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from pathlib import Path

PREFIX = "portraitseg-demo-"


def root() -> Path:
    """The parent of every demo server's folder on this machine for this user."""
    return Path(tempfile.gettempdir()) / f"{PREFIX}{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(parent: Path) -> list[Path]:
    """Delete the folders of demo servers that are no longer running; returns what was removed."""
    removed = []
    for folder in parent.glob("server-*"):
        pid = folder.name.removeprefix("server-")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def claim() -> Path:
    """This server's own folder (made once per process, 0700), removed at exit; leftovers of dead servers are
    removed first."""
    parent = root()
    parent.mkdir(mode=0o700, exist_ok=True)
    remove_leftovers(parent)
    folder = parent / f"server-{os.getpid()}"
    if not folder.is_dir():
        folder.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def exit_cleanly_on_stop_signals() -> None:
    """Make SIGTERM (systemd, ``docker stop``) and SIGHUP (the terminal closed) stop the server as Ctrl-C does
    (Python's default ends the process without running any clean-up), so the folder is removed; only from the main
    thread, where signal handlers can be set."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), stop)
            except ValueError:  # not the main thread: the embedding application owns its signals
                return
