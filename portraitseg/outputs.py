"""What ``predict`` and ``batch`` write and under which name, so both write the same bytes to the same names."""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePath
from typing import Callable, Sequence, TypeVar

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

P = TypeVar("P", bound=PurePath)


def output_names(inputs: Sequence[P], out_dir: P, kind: str, key: Callable[[P], object] = lambda p: p,
                 foreign: Callable[[P], bool] = lambda p: False) -> list[P]:
    """One distinct ``.png`` per input in ``out_dir``: ``<stem>.png``, or ``<stem>_<kind>[-N].png`` where that name
    would overwrite an input, a file ``foreign`` says is not ours to replace, or was already given to an earlier
    input (``a.jpg`` + ``a.png``, ``d1/a.jpg`` + ``d2/a.jpg``). Inputs are never overwritten. ``key`` makes two
    spellings of one file compare equal (for local files, :func:`local_key`)."""
    sources = {key(p) for p in inputs}
    taken: set = set()
    result = []
    for path in inputs:
        target = out_dir / f"{path.stem}.png"
        n = 1
        while key(target) in sources or key(target) in taken or foreign(target):
            n += 1
            target = out_dir / (f"{path.stem}_{kind}.png" if n == 2 else f"{path.stem}_{kind}-{n - 1}.png")
        taken.add(key(target))
        result.append(target)
    return result


def local_key(path: Path) -> Path:
    """The one spelling of a local file's path (links followed) that :func:`output_names` compares; a link that
    leads nowhere or in a loop is its own spelling (reading it fails later, with a message)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


SOFTWARE = "portraitseg"  # the PNG "Software" text every output carries: how a later run knows the file is its own


def png_bytes(result: np.ndarray) -> bytes:
    """An effect's result (grey, RGB or RGBA uint8) as the PNG file every command writes, marked as ours."""
    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    buffer = io.BytesIO()
    Image.fromarray(result).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def not_ours(path: Path) -> bool:
    """Whether ``path`` holds something other than an output of ours (a PNG marked :data:`SOFTWARE`): a file a
    command must not replace. Only the PNG's header is read."""
    if not os.path.lexists(path):
        return False
    if path.is_symlink() or not path.is_file():
        return True
    try:
        with Image.open(path) as im:
            return im.format != "PNG" or im.info.get("Software") != SOFTWARE
    except (OSError, SyntaxError, ValueError):
        return True
