"""What ``predict`` and ``batch`` write and under which name, so both write the same bytes to the same names: a
JPEG for an opaque picture made from a JPEG photo (blur, colour, replace), a PNG for masks and cut-outs, or the
format asked for (:func:`output_suffix`), each marked as ours so a later run knows what it may replace."""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePath
from typing import Callable, Sequence, TypeVar

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

P = TypeVar("P", bound=PurePath)


FORMATS = ("auto", "png", "jpeg", "webp")
SUFFIXES = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
OPAQUE = ("blur", "color", "replace")  # effects whose result has no transparency
JPEG_SOURCES = (".jpg", ".jpeg", ".jpe", ".jfif")
DEFAULT_QUALITY = 90


def output_suffix(kind: str, source: PurePath, fmt: str = "auto") -> str:
    """The file suffix of ``kind``'s result for ``source``: with ``auto``, ``.jpg`` for an opaque picture of a JPEG
    photo (what photo tools give back), else ``.png``; otherwise the format asked for. A JPEG cannot hold a
    cut-out's transparency: asking for one is an error."""
    from portraitseg.errors import EffectError

    if fmt not in FORMATS:
        raise EffectError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "auto":
        return ".jpg" if kind in OPAQUE and source.suffix.lower() in JPEG_SOURCES else ".png"
    if fmt == "jpeg" and kind == "cutout":
        raise EffectError("a JPEG has no transparency: write cut-outs as png or webp")
    return SUFFIXES[fmt]


def output_names(inputs: Sequence[P], out_dir: P, kind: str, key: Callable[[P], object] = lambda p: p,
                 foreign: Callable[[P], bool] = lambda p: False,
                 suffix: Callable[[P], str] = lambda p: ".png") -> list[P]:
    """One distinct file per input in ``out_dir``: ``<stem><suffix>``, or ``<stem>_<kind>[-N]<suffix>`` where
    that name would overwrite an input, a file ``foreign`` says is not ours to replace, or was already given to an
    earlier input (``a.jpg`` + ``a.png``, ``d1/a.jpg`` + ``d2/a.jpg``). Inputs are never overwritten. ``key`` makes
    two spellings of one file compare equal (for local files, :func:`local_key`); ``suffix`` gives each input's
    output suffix (:func:`output_suffix`)."""
    sources = {key(p) for p in inputs}
    taken: set = set()
    result = []
    for path in inputs:
        ending = suffix(path)
        target = out_dir / f"{path.stem}{ending}"
        n = 1
        while key(target) in sources or key(target) in taken or foreign(target):
            n += 1
            target = out_dir / (f"{path.stem}_{kind}{ending}" if n == 2 else f"{path.stem}_{kind}-{n - 1}{ending}")
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


SOFTWARE = "portraitseg"  # the mark every output carries (PNG text, JPEG comment, WebP EXIF): a later run's proof
_EXIF_SOFTWARE = 0x0131  # the EXIF "Software" tag
# zlib level for pictures: on a 12 MP photo level 1 took 0.42 s against 1.47 s for the default 6, for a file 30%
# larger; masks (one channel, mostly flat) keep the default, faster and smaller there (0.07 s, 95 KB against 175)
_FAST_PNG_LEVEL = 1


def png_bytes(result: np.ndarray) -> bytes:
    """An effect's result (grey, RGB or RGBA uint8) as the PNG file every command writes, marked as ours."""
    return encode(result, ".png")


def encode(result: np.ndarray, suffix: str, quality: int = DEFAULT_QUALITY, icc_profile: bytes | None = None) -> bytes:
    """An effect's result as the file ``suffix`` names (``.png``, ``.jpg``, ``.webp``), marked as ours; JPEG and
    WebP at ``quality``, with the photo's colour profile where it had one."""
    image = Image.fromarray(result)
    buffer = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile and image.mode in ("RGB", "RGBA") else {}
    if suffix == ".png":
        info = PngInfo()
        info.add_text("Software", SOFTWARE)
        level = _FAST_PNG_LEVEL if result.ndim == 3 else 6
        image.save(buffer, format="PNG", pnginfo=info, compress_level=level, **extra)
    elif suffix == ".jpg":
        image.save(buffer, format="JPEG", quality=quality, comment=SOFTWARE.encode(), **extra)
    elif suffix == ".webp":
        exif = Image.Exif()
        exif[_EXIF_SOFTWARE] = SOFTWARE
        image.save(buffer, format="WEBP", quality=quality, exif=exif.tobytes(), **extra)
    else:
        raise ValueError(f"no encoder for {suffix!r}")
    return buffer.getvalue()


def _marked(im: Image.Image) -> bool:
    if im.format == "PNG":
        return im.info.get("Software") == SOFTWARE
    if im.format == "JPEG":
        return im.info.get("comment") == SOFTWARE.encode()
    if im.format == "WEBP":
        return im.getexif().get(_EXIF_SOFTWARE) == SOFTWARE
    return False


def not_ours(path: Path) -> bool:
    """Whether ``path`` holds something other than an output of ours (a PNG, JPEG or WebP marked
    :data:`SOFTWARE`): a file a command must not replace. Only the file's header is read."""
    if not os.path.lexists(path):
        return False
    if path.is_symlink() or not path.is_file():
        return True
    try:
        with Image.open(path) as im:
            return not _marked(im)
    except (OSError, SyntaxError, ValueError):
        return True
