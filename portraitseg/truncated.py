"""Refuse an image file whose compressed data is too short to hold the picture its header claims.

Decoders fill what a cut-off JPEG or PNG lacks with grey or black and say nothing, so a few hundred bytes could
ask for 100 megapixels of memory and give a picture that is not there. Each format has a hard floor on the data
any picture of a size needs, whatever its content: a Huffman-coded JPEG codes at least one bit for every 8x8 block
of its first scan (counted here for 16x16 blocks, which allows for subsampled colour), and deflate (PNG) shrinks
data at most 1032 times (a 258-byte match costs at least two bits). Arithmetic-coded JPEGs have no such floor and
are not checked.

A complete file can still cost far more to decode than its size suggests: a progressive JPEG is decoded once per
scan, and 150,000 scans of a 1-megapixel picture took 14 s. Photos carry one scan, or about ten when progressive;
more than :data:`MAX_JPEG_SCANS` are refused."""

from __future__ import annotations

import math
from typing import BinaryIO

from portraitseg.errors import ImageReadError

DEFLATE_MAX_RATIO = 1032
_JPEG_SOS = 0xDA
_JPEG_ARITHMETIC_FRAMES = {0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
MAX_JPEG_SCANS = 100
_SOS_MARKER = b"\xff\xda"  # entropy-coded data stuffs every 0xFF with 0x00, so this pair is always a marker
_CHUNK = 2**20


def check_complete(handle: BinaryIO, size: int, image_format: str | None, width: int, height: int,
                   name: object) -> None:
    """Raise :class:`ImageReadError` when the file in ``handle`` (``size`` bytes, of ``image_format``) cannot
    hold a ``width`` x ``height`` picture. The file position is left where it was."""
    position = handle.tell()
    try:
        if image_format == "JPEG":
            scans = _jpeg_scans(handle)
            if scans > MAX_JPEG_SCANS:
                raise ImageReadError(f"{name}: a JPEG of {scans:,} scans would take too long to decode (photos have "
                                     f"one, or about ten when progressive; the limit is {MAX_JPEG_SCANS})")
            needed, found = _jpeg_floor(handle, size, width, height)
        elif image_format == "PNG":
            needed, found = _png_floor(handle)
        else:
            return
    finally:
        handle.seek(position)
    if found < needed:
        raise ImageReadError(f"{name}: truncated image: {found:,} bytes of image data cannot hold the {width}x"
                             f"{height} picture its header claims (at least {needed:,} are needed)")


def _jpeg_scans(handle: BinaryIO) -> int:
    """How many start-of-scan markers the file holds (an embedded thumbnail's count too: a few more at most)."""
    handle.seek(0)
    scans, tail = 0, b""
    while chunk := handle.read(_CHUNK):
        block = tail + chunk
        scans += block.count(_SOS_MARKER)
        tail = block[-1:] if block[-1:] == b"\xff" else b""
    return scans


def _jpeg_floor(handle: BinaryIO, size: int, width: int, height: int) -> tuple[int, int]:
    """(the fewest bytes of scan data a Huffman-coded picture of this size needs, the bytes from the first scan's
    data to the end of the file)."""
    handle.seek(2)  # past SOI
    while True:
        head = handle.read(2)
        if len(head) < 2 or head[0] != 0xFF:
            return 0, 0  # not a marker stream we can follow: the decoder judges it
        marker = head[1]
        if marker == 0xFF:  # fill byte before a marker
            handle.seek(-1, 1)
            continue
        if marker in _JPEG_STANDALONE:
            continue
        length = int.from_bytes(handle.read(2), "big")
        if marker in _JPEG_ARITHMETIC_FRAMES:
            return 0, 0
        if marker == _JPEG_SOS:
            scan_data = size - (handle.tell() - 2 + length)
            return math.ceil(math.ceil(width / 16) * math.ceil(height / 16) / 8), scan_data
        if length < 2:
            return 0, 0
        handle.seek(length - 2, 1)


def _png_floor(handle: BinaryIO) -> tuple[int, int]:
    """(the fewest bytes of IDAT data a picture of the header's size and pixel format needs, the IDAT bytes)."""
    handle.seek(8)  # past the signature
    needed = compressed = 0
    while True:
        head = handle.read(8)
        if len(head) < 8:
            break
        length, kind = int.from_bytes(head[:4], "big"), head[4:]
        if kind == b"IHDR":
            data = handle.read(13)
            if len(data) < 13:
                break
            width, height = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
            bits, colour = data[8], data[9]
            row_bytes = 1 + math.ceil(width * _PNG_CHANNELS.get(colour, 1) * bits / 8)
            needed = math.ceil(height * row_bytes / DEFLATE_MAX_RATIO)
            handle.seek(length - 13 + 4, 1)
            continue
        if kind == b"IDAT":
            compressed += length
        if kind == b"IEND":
            break
        handle.seek(length + 4, 1)
    return needed, compressed
