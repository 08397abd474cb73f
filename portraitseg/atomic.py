"""Crash-safe file writes: a temporary file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def writable_path(path: str | Path, folder: bool = False) -> Path:
    """``path`` checked before any work is done for it: a file to write must not be a folder, a folder to write into
    must not be a file, and no parent may be a file. Raises :class:`PortraitsegError` saying which."""
    from portraitseg.errors import PortraitsegError

    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise PortraitsegError(f"{path} is a file; give a folder to write into")
    if not folder and path.is_dir():
        raise PortraitsegError(f"{path} is a folder; give a file name to write")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise PortraitsegError(f"cannot write {path}: {parent} is a file, not a folder")
            break
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one existing file, whatever the spelling, links or hard links."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` only once it is complete and on disk."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the permissions a plain open() would
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
