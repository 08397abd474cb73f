"""Crash-safe file writes: a temporary file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import errno
import functools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable


def writable_path(path: str | Path, folder: bool = False) -> Path:
    """``path`` checked before any work is done for it: a file to write must not be a folder, a folder to write into
    must not be a file, no parent may be a file, and the folder that will hold it must take a new file (tried, as
    permissions, read-only disks and special file systems each say no their own way). Raises
    :class:`PortraitsegError` saying which."""
    from portraitseg.errors import PortraitsegError

    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise PortraitsegError(f"{path} is a file; give a folder to write into")
    if not folder and path.is_dir():
        raise PortraitsegError(f"{path} is a folder; give a file name to write")
    holder = next(p for p in ([path] if folder else []) + list(path.absolute().parents) if p.exists())
    if not holder.is_dir():
        raise PortraitsegError(f"cannot write {path}: {holder} is a file, not a folder")
    try:
        tempfile.TemporaryFile(dir=holder).close()
    except OSError as exc:
        raise PortraitsegError(f"cannot write {path}: {holder} does not take new files ({exc.strerror})") from None
    return path


def check_replaceable(path: Path, option: str, problem_with: Callable[[Path], str | None], kind: str,
                      suffix: str | None = None) -> None:
    """The rule for a file a user names as a command's output: its name ends in ``suffix`` where one is given, and
    a file already there is replaced only when it is of the ``kind`` the command writes (``problem_with`` returns
    what is wrong with it, or None); a link, a folder or anything else (a photo, a document) is refused, naming the
    option. Only headers are read."""
    from portraitseg.errors import PortraitsegError

    if suffix and path.suffix.lower() != suffix:
        raise PortraitsegError(f"{option} {path}: give a file name ending in {suffix}")
    if not os.path.lexists(path):
        return
    problem = "it is a link" if path.is_symlink() else None if path.is_file() else "it is not a file"
    try:
        problem = problem or problem_with(path)
    except OSError as exc:
        problem = f"it cannot be read ({exc.strerror})"
    if problem:
        raise PortraitsegError(f"{option} {path}: {problem}; give a new file name (an earlier {kind} is replaced)")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one existing file, whatever the spelling, links or hard links."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@functools.cache
def _umask() -> int:
    """The process's umask, read once (reading it means setting it, which must not race with threads writing)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def plain_permissions(path: str | Path) -> None:
    """Give a file made by ``mkstemp`` (0600) the permissions a plain ``open()`` would have given it."""
    os.chmod(path, 0o666 & ~_umask())


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` only once it is complete and on disk."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name holds a bounded part of the target's, so a name near the system's limit still fits
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        plain_permissions(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        full = isinstance(exc, Exception) and not isinstance(exc, OSError) and disk_full(path.parent)
        Path(tmp).unlink(missing_ok=True)
        if full:  # a library's own words for a failed write (torch: "file write failed"): say what happened
            raise OSError(errno.ENOSPC, "No space left on device", str(path)) from exc
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def disk_full(folder: Path, reserve: int = 2**20) -> bool:
    """Whether the disk holding ``folder`` has less than ``reserve`` bytes left."""
    try:
        return shutil.disk_usage(folder).free < reserve
    except OSError:
        return False


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
