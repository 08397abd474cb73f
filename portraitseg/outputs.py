"""What ``predict`` and ``batch`` write and under which name, so both write the same bytes to the same names."""

from __future__ import annotations

import io
from pathlib import PurePath
from typing import Callable, Sequence, TypeVar

import numpy as np
from PIL import Image

P = TypeVar("P", bound=PurePath)


def output_names(inputs: Sequence[P], out_dir: P, kind: str, key: Callable[[P], object] = lambda p: p) -> list[P]:
    """One distinct ``.png`` per input in ``out_dir``: ``<stem>.png``, or ``<stem>_<kind>[-N].png`` where that name
    would overwrite an input or was already given to an earlier input (``a.jpg`` + ``a.png``, ``d1/a.jpg`` +
    ``d2/a.jpg``). Inputs are never overwritten. ``key`` makes two spellings of one file compare equal (for
    local files, ``Path.resolve``)."""
    sources = {key(p) for p in inputs}
    taken: set = set()
    result = []
    for path in inputs:
        target = out_dir / f"{path.stem}.png"
        n = 1
        while key(target) in sources or key(target) in taken:
            n += 1
            target = out_dir / (f"{path.stem}_{kind}.png" if n == 2 else f"{path.stem}_{kind}-{n - 1}.png")
        taken.add(key(target))
        result.append(target)
    return result


def png_bytes(result: np.ndarray) -> bytes:
    """An effect's result (grey, RGB or RGBA uint8) as the PNG file every command writes."""
    buffer = io.BytesIO()
    Image.fromarray(result).save(buffer, format="PNG")
    return buffer.getvalue()
