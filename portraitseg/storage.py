"""Where ``portraitseg batch`` reads and writes: local paths (written atomically), or URIs that pyarrow's file
systems open (``s3://``, ``gs://``, ``hdfs://``, ``abfs://``, and ``file://``, which takes the same code path as
an object store)."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from portraitseg.errors import ImageReadError, PortraitsegError
from portraitseg.image_io import IMAGE_SUFFIXES
from portraitseg.outputs import local_key


# the most one batch input may hold: a 100 MP picture (the pixel limit) as a losslessly compressed file is far less
MAX_INPUT_BYTES = 512 * 2**20


def is_uri(location: str) -> bool:
    return "://" in location


def _filesystem(uri: str):
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError or its own types for bad URIs and credentials
        raise PortraitsegError(f"cannot open {uri}: {exc}") from None


def _join(root: str, path: str, name: str) -> str:
    """``root`` is the URI up to its path part; ``path`` the file system's path of a folder."""
    return f"{root}{path.rstrip('/')}/{name}"


def _uri_root(uri: str, path: str) -> str:
    """The scheme and authority of ``uri`` (``s3://``, ``hdfs://host:8020``), ready to prefix a path."""
    stripped = uri.rstrip("/")
    return stripped[: len(stripped) - len(path.rstrip("/"))] if stripped.endswith(path.rstrip("/")) else uri


def exists(location: str) -> bool:
    if not is_uri(location):
        return os.path.exists(location)
    from pyarrow import fs

    filesystem, path = _filesystem(location)
    return filesystem.get_file_info(path).type != fs.FileType.NotFound


def read_bytes(location: str) -> bytes:
    if not is_uri(location):
        return Path(location).read_bytes()
    filesystem, path = _filesystem(location)
    with filesystem.open_input_stream(path) as stream:
        return stream.read()


def read_input(location: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """An input file's bytes, refused (:class:`ImageReadError`) when it is not a regular file (a pipe or a device
    would block or never end) or holds more than ``limit`` bytes (only ``limit`` + 1 are ever read)."""
    from pyarrow import fs

    if is_uri(location):
        filesystem, path = _filesystem(location)
        kind = filesystem.get_file_info(path).type
        missing, regular = kind == fs.FileType.NotFound, kind == fs.FileType.File
    else:
        missing, regular = not os.path.lexists(location), Path(location).is_file()
    if not regular:
        raise ImageReadError(f"{location}: " + ("no such file" if missing else "not a regular file"))
    with filesystem.open_input_stream(path) if is_uri(location) else open(location, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageReadError(f"{location}: larger than {limit // 2**20} MB, more than any image this reads")
    return data


def write_bytes(location: str, data: bytes) -> None:
    """Write a whole file: locally through a temporary file and a rename, to an object store as one upload (an
    object appears only when complete)."""
    if not is_uri(location):
        from portraitseg.atomic import atomic_write_bytes

        atomic_write_bytes(location, data)
        return
    filesystem, path = _filesystem(location)
    with filesystem.open_output_stream(path) as stream:
        stream.write(data)


def make_folder(location: str) -> None:
    if not is_uri(location):
        from portraitseg.atomic import writable_path

        writable_path(location, folder=True).mkdir(parents=True, exist_ok=True)
        return
    filesystem, path = _filesystem(location)
    filesystem.create_dir(path, recursive=True)


def names_in(folder: str) -> set[str]:
    """The file names directly in ``folder`` (empty when it does not exist): one listing, not a check per file."""
    if not is_uri(folder):
        path = Path(folder)
        return {p.name for p in path.iterdir()} if path.is_dir() else set()
    from pyarrow import fs

    filesystem, path = _filesystem(folder)
    if filesystem.get_file_info(path).type != fs.FileType.Directory:
        return set()
    return {info.base_name for info in filesystem.get_file_info(fs.FileSelector(path))}


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES


def list_inputs(spec: str) -> list[str]:
    """The image files one ``--input`` names, sorted: a folder (its images, not recursive), a glob (``*.jpg``), a
    ``.txt`` file of paths or URIs (one per line; relative paths are relative to the list's folder), or one
    image; each a local path or a URI."""
    if is_uri(spec):
        return _list_uri(spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        return sorted(str(p.resolve()) for p in path.iterdir() if p.is_file() and _is_image(p.name))
    if any(c in spec for c in "*?["):
        import glob

        return sorted(str(Path(p).resolve()) for p in glob.glob(str(path)) if os.path.isfile(p) and _is_image(p))
    if path.suffix.lower() == ".txt" and path.is_file():
        return [line if is_uri(line) else str(local_key(path.parent / line)) for line in _list_lines(path)]
    if not path.exists():
        raise PortraitsegError(f"input not found: {spec}")
    return [str(path.resolve())]


def _list_lines(path: Path) -> list[str]:
    """The entries of a list file: UTF-8 text, one path or URI per line, ``#`` comments and blank lines skipped."""
    with path.open("rb") as handle:
        data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise PortraitsegError(f"{path}: a list of inputs larger than {MAX_INPUT_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PortraitsegError(f"{path}: line {line} is not UTF-8 text (byte {data[exc.start]:#04x}); a list "
                               "of inputs is UTF-8, one path or URI per line") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _list_uri(spec: str) -> list[str]:
    from pyarrow import fs

    filesystem, path = _filesystem(spec)
    root = _uri_root(spec, path)
    folder, pattern = (path.rsplit("/", 1) + [""])[:2] if any(c in path for c in "*?[") else (path, None)
    info = filesystem.get_file_info(folder)
    if info.type == fs.FileType.File and pattern is None:
        return [spec]
    if info.type != fs.FileType.Directory:
        raise PortraitsegError(f"input not found: {spec}")
    found = filesystem.get_file_info(fs.FileSelector(folder))
    return sorted(_join(root, folder, f.base_name) for f in found if f.type == fs.FileType.File
                  and _is_image(f.base_name) and (pattern is None or fnmatch.fnmatch(f.base_name, pattern)))


def folder_and_name(location: str) -> tuple[str, str]:
    """Split a file's location into its folder's location and its name."""
    head, _, name = location.rstrip("/").rpartition("/")
    return head, name


def is_folder(location: str) -> bool:
    if not is_uri(location):
        return os.path.isdir(location)
    from pyarrow import fs

    filesystem, path = _filesystem(location)
    return filesystem.get_file_info(path).type == fs.FileType.Directory


def open_temporary(target: str):
    """A binary stream writing a new temporary file beside ``target`` (for a file written piece by piece, like a
    manifest, then moved onto ``target``), and the temporary file's location. A local one is created exclusively
    under a fresh name, so nothing planted there (a link to another file, say) is ever followed or truncated."""
    if not is_uri(target):
        import tempfile

        folder, name = os.path.split(target)
        fd, location = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".partial")
        return os.fdopen(fd, "wb"), location
    location = f"{target}.partial"
    filesystem, path = _filesystem(location)
    return filesystem.open_output_stream(path), location


def remove(location: str) -> None:
    """Delete a file if it is there."""
    if not is_uri(location):
        Path(location).unlink(missing_ok=True)
        return
    filesystem, path = _filesystem(location)
    if exists(location):
        filesystem.delete_file(path)


def move(source: str, target: str) -> None:
    """Rename a file (replacing ``target``): atomic on a local disk."""
    if not is_uri(target):
        os.replace(source, target)
        return
    filesystem, path = _filesystem(source)
    filesystem.move(path, _filesystem(target)[1])
