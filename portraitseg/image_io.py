"""Read any image a user may hand us into uint8 RGB: files (EXIF-rotated, grayscale, RGBA, 16-bit, palette),
PIL images and numpy arrays. Bad input raises :class:`ImageReadError` with the reason."""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from pathlib import Path
from typing import Iterator, Union

import numpy as np
from PIL import Image, UnidentifiedImageError

from portraitseg.bands import row_bands
from portraitseg.errors import ImageReadError
from portraitseg.pixels import to_uint8
from portraitseg.truncated import check_complete

ImageInput = Union[str, os.PathLike, bytes, np.ndarray, Image.Image]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
MAX_PIXELS = 100_000_000
# the size full-size work is brought down to where a whole photo need not be kept (backgrounds, demo uploads)
WORKING_MAX_PIXELS = 16_000_000
# JPEG decodes at a reduced size and JPEG and PNG carry a floor on the data a picture needs (truncated.py); other
# formats (WebP, GIF, TIFF, BMP) have neither, so a few kilobytes may claim 100 MP: above this they are refused
UNBOUNDED_FORMAT_MAX_PIXELS = 24_000_000
_BOUNDED_FORMATS = {"JPEG", "PNG"}
_EXIF_ORIENTATION = 0x0112


def read_image(source: ImageInput, max_pixels: int | None = None) -> np.ndarray:
    """Return ``source`` as a contiguous uint8 RGB array (H, W, 3). With ``max_pixels``, a larger image is scaled
    down (keeping its aspect ratio) to at most that many pixels, a file already while it is decoded, so a huge
    photo never sits in memory at full size more than once."""
    if isinstance(source, np.ndarray):
        return _shrink(to_rgb8(source), max_pixels)
    if isinstance(source, Image.Image):
        return _shrink(_pil_to_rgb8(_reduce(source, max_pixels)), max_pixels)
    if isinstance(source, (str, os.PathLike)):
        return _shrink(_read_file(Path(source), max_pixels), max_pixels)
    if isinstance(source, bytes):
        return read_image_bytes(source, "image bytes", max_pixels)
    raise ImageReadError(f"cannot read an image from {type(source).__name__}; give a path, bytes, numpy array or "
                         "PIL image")


def icc_profile(source: ImageInput) -> bytes | None:
    """The colour profile embedded in an image file or its bytes (the header only is read), or None: an output
    made from the photo carries it on, so its colours look as the photo's do."""
    if not isinstance(source, (str, os.PathLike, bytes)):
        return None
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
            return im.info.get("icc_profile") or None
    except (OSError, SyntaxError, ValueError):
        return None


def read_image_bytes(data: bytes, name: str, max_pixels: int | None = None) -> np.ndarray:
    """An encoded image file's bytes (read from an object store, say) decoded exactly as the file would be;
    ``name`` is what errors call it."""
    if not data:
        raise ImageReadError(f"{name}: the file is empty")
    return _shrink(_decode(io.BytesIO(data), name, max_pixels), max_pixels)


_REDUCIBLE = {"RGB", "RGBA", "L", "LA", "I", "F"}  # modes PIL's Image.reduce accepts
_STRIP_ROWS = 512


def _reduce(im: Image.Image, max_pixels: int | None) -> Image.Image:
    """An integer-factor reduction of a decoded PIL image towards ``max_pixels`` (cheap, before any copy). Modes
    that PIL cannot reduce (16-bit, palette, bilevel, CMYK...) are converted and reduced a strip of rows at a time,
    so no full-size converted copy is ever made."""
    if not max_pixels or im.width * im.height <= max_pixels:
        return im
    factor = int((im.width * im.height / max_pixels) ** 0.5)
    if factor < 2:
        return im
    if im.mode in _REDUCIBLE:
        return im.reduce(factor)
    mode = "I" if im.mode.startswith("I;16") else "RGBA" if (
        im.mode in {"PA", "RGBa", "La"} or (im.mode == "P" and "transparency" in im.info)) else "L" if (
        im.mode == "1") else "RGB"
    rows = _STRIP_ROWS * factor
    strips = [np.asarray(im.crop((0, top, im.width, min(im.height, top + rows))).convert(mode).reduce(factor))
              for top in range(0, im.height - factor + 1, rows)]
    return Image.fromarray(np.concatenate(strips, axis=0))


def _shrink(array: np.ndarray, max_pixels: int | None) -> np.ndarray:
    h, w = array.shape[:2]
    if not max_pixels or h * w <= max_pixels:
        return array
    import cv2

    scale = (max_pixels / (h * w)) ** 0.5
    return cv2.resize(array, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)


def _read_file(path: Path, max_pixels: int | None = None) -> np.ndarray:
    if path.is_dir():
        raise ImageReadError(f"{path}: is a folder, not an image file")
    if not path.is_file():
        if path.exists():  # reading a pipe, a device or a socket could block or never end
            raise ImageReadError(f"{path}: not a regular file (a pipe, device or socket)")
        dangling = path.is_symlink()  # a link to nothing, or a loop of links
        raise ImageReadError(f"{path}: " + ("a link that leads to no file" if dangling else "no such file"))
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty")
    return _decode(path, path, max_pixels)


@contextlib.contextmanager
def _bounded_open(source: Path | io.BytesIO, path: object) -> Iterator[Image.Image]:
    """The opened image, its header checked before any pixel is decoded: at most :data:`MAX_PIXELS` (and
    :data:`UNBOUNDED_FORMAT_MAX_PIXELS` outside JPEG and PNG), enough data for the size it claims and no more
    decoding work than a photo needs (:func:`check_complete`). Photos and label masks alike."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is checked below
        with Image.open(source) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ImageReadError(f"{path}: {im.width}x{im.height} is too large (limit {MAX_PIXELS:,} pixels)")
            if im.format not in _BOUNDED_FORMATS and im.width * im.height > UNBOUNDED_FORMAT_MAX_PIXELS:
                raise ImageReadError(f"{path}: {im.width}x{im.height} is too large for a {im.format} file (limit "
                                     f"{UNBOUNDED_FORMAT_MAX_PIXELS:,} pixels; JPEG and PNG may be larger)")
            check_complete(im.fp, _size_of(source), im.format, im.width, im.height, path)
            yield im


def _decode(source: Path | io.BytesIO, path: object, max_pixels: int | None) -> np.ndarray:
    """Decode a file or an in-memory file (EXIF-rotated, reduced towards ``max_pixels``); ``path`` names it."""
    try:
        with _bounded_open(source, path) as im:
            if max_pixels and im.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale where enough
                scale = (max_pixels / (im.width * im.height)) ** 0.5
                im.draft("RGB", (int(im.width * scale), int(im.height * scale)))
            im.load()
            orientation = im.getexif().get(_EXIF_ORIENTATION)
            rgb = _pil_to_rgb8(_reduce(im, max_pixels))
        return orient(rgb, orientation)
    except ImageReadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageReadError(f"{path}: not a readable image ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"{path}: corrupt or truncated image ({exc})") from exc


def _size_of(source: Path | io.BytesIO) -> int:
    return source.getbuffer().nbytes if isinstance(source, io.BytesIO) else source.stat().st_size


def _pil_to_rgb8(im: Image.Image) -> np.ndarray:
    """A decoded PIL image as uint8 RGB, converted a strip of rows at a time (no full-size converted or float
    copy is ever made beside the result)."""
    peak = None
    if im.mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        convert, peak = None, im.getextrema()[1]
    elif im.mode in {"RGBA", "LA", "PA"} or (im.mode == "P" and "transparency" in im.info):
        convert = "RGBA"
    else:
        convert = None if im.mode in {"RGB", "L"} else "RGB"
    out = np.empty((im.height, im.width, 3), np.uint8)
    for rows in row_bands(im.height, im.width):
        strip = im.crop((0, rows.start, im.width, rows.stop))
        out[rows] = to_rgb8(np.asarray(strip.convert(convert) if convert else strip), peak)
    return out


def orient(array: np.ndarray, orientation: int | None) -> np.ndarray:
    """``array`` (H, W[, C]) turned as an EXIF ``orientation`` (1 to 8) says the picture is to be shown."""
    turned = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
              5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1), 7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
              8: lambda a: np.rot90(a, 1)}.get(orientation)
    return array if turned is None else np.ascontiguousarray(turned(array))


def to_rgb8(array: np.ndarray, peak: float | None = None) -> np.ndarray:
    """Convert an (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array of uint8, uint16, int or float to uint8 RGB.

    16-bit data is scaled by 1/257; floats are taken as [0, 1] when their maximum is at most 1, else [0, 255];
    an alpha channel is dropped (the colour underneath is kept). ``peak``: the maximum of the whole picture
    when ``array`` is a strip of it. Large arrays are converted a band of rows at a time.
    """
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageReadError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image array, got shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageReadError(f"the image is empty (shape {array.shape})")
    if array.dtype == np.uint8 and array.ndim == 3:
        return np.ascontiguousarray(array[..., :3])
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.iscomplexobj(array):
        raise ImageReadError(f"unsupported image dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ImageReadError("the image array holds NaN or infinite values")
    if peak is None and array.dtype not in (np.uint8, np.uint16, bool):
        peak = array.max()
    out = np.empty((*array.shape[:2], 3), np.uint8)
    for rows in row_bands(*array.shape[:2]):
        band = _band_to_uint8(array[rows] if array.ndim == 2 else array[rows, :, :3], peak)
        out[rows] = band if band.ndim == 3 else band[..., None]
    return out


def _band_to_uint8(array: np.ndarray, peak: float | None) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.view(np.uint8) * np.uint8(255)
    if array.dtype == np.uint16 or (np.issubdtype(array.dtype, np.integer) and peak > 255):
        return to_uint8(array.astype(np.float32), 1 / 257)
    if np.issubdtype(array.dtype, np.floating):
        return to_uint8(array, 255.0 if peak <= 1.0 else 1.0)
    return array.astype(np.uint8)


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a label mask as bool (H, W): pixels above 127 are the person, or, in a mask whose values are only 0
    and 1 (a common format), the pixels that are 1. A mask drawn only in its alpha channel (flat colour, the
    person opaque) is read from the alpha channel. Masks get the bounds photos get: at most ``MAX_PIXELS``, and
    enough data for the size the header claims."""
    path = Path(path)
    try:
        with _bounded_open(path, path) as im:
            im.load()
            array = np.asarray(im.convert("L"))
            if "A" in im.getbands() or (im.mode == "P" and "transparency" in im.info):
                alpha = np.asarray(im.convert("RGBA"))[..., 3]
                if array.min() == array.max() and alpha.min() != alpha.max():
                    array = alpha
    except ImageReadError:
        raise
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageReadError(f"{path}: unreadable mask ({exc})") from exc
    return array > (0 if array.max(initial=0) == 1 else 127)


def stored_size(path: str | os.PathLike) -> tuple[tuple[int, int], tuple[int, int]]:
    """(width, height) of an image file as stored and as displayed (after its EXIF orientation), from its header."""
    with Image.open(path) as im:
        swapped = im.getexif().get(_EXIF_ORIENTATION) in {5, 6, 7, 8}
        return im.size, (im.size[::-1] if swapped else im.size)


def orient_like(path: str | os.PathLike, array: np.ndarray) -> np.ndarray:
    """Apply the EXIF orientation of the image at ``path`` to ``array`` (a label mask drawn on the image's stored
    pixels), so it lines up with the image as :func:`read_image` returns it."""
    with Image.open(path) as im:
        return orient(array, im.getexif().get(_EXIF_ORIENTATION))


def list_images(paths: list[str | os.PathLike]) -> list[Path]:
    """Expand files and folders (non-recursively, sorted) into image paths; unknown files in folders are skipped."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(c for c in p.iterdir() if c.is_file() and c.suffix.lower() in IMAGE_SUFFIXES))
        else:
            found.append(p)
    return found
