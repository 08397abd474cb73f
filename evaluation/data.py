"""Labelled data sets: a folder with ``images/`` and ``masks/`` (same stem), optional split lists, read lazily."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portraitseg.datapaths import DATA_ENV, resolve_data_dir
from portraitseg.errors import ImageReadError, PortraitsegError
from portraitseg.image_io import IMAGE_SUFFIXES, orient_like, read_image, read_mask, stored_size

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    """An image, its person mask and, where the data set has one, its ignore mask (pixels of unknown label)."""

    image: Path
    mask: Path
    ignore: Path | None = None

    @property
    def name(self) -> str:
        return self.image.stem


def find_pairs(root: str | os.PathLike, split: str | os.PathLike | None = None) -> list[Pair]:
    """Pairs under ``root`` (all of them, or those named in ``split``, a file of stems relative to ``root``). An
    optional ``ignore/`` folder holds masks (255 = unknown) of pixels that training leaves out of the loss."""
    root = resolve_data_dir(root)
    images_dir, masks_dir = root / "images", root / "masks"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise PortraitsegError(f"{root} must contain images/ and masks/ (set --data or ${DATA_ENV}; docs/data.md "
                               "says where each data set comes from and how to lay out your own)")
    by_stem = {p.stem: p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    if split:
        split_path = Path(split) if Path(split).is_absolute() else root / split
        if not split_path.is_file():
            raise PortraitsegError(f"split file not found: {split_path}")
        stems = [Path(line.strip()).stem for line in split_path.read_text(errors="replace").splitlines()
                 if line.strip()]
        missing = sum(s not in by_stem for s in stems)
        if missing:  # counted, not quoted: a split is a list of the set's names, not any file's lines to print
            raise PortraitsegError(f"{split_path}: {missing} of its {len(stems)} lines name no image in {images_dir}; "
                                   "a split lists one image name per line")
    else:
        stems = sorted(by_stem)
    if not stems:  # scores of nothing (a mean of no images) would read as a result
        raise PortraitsegError(f"{split_path} lists no image names" if split else
                               f"{images_dir} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))} files)")
    ignore_dir = root / "ignore"
    return [Pair(by_stem[s], masks_dir / f"{s}.png",
                 ignore_dir / f"{s}.png" if (ignore_dir / f"{s}.png").is_file() else None) for s in stems]


def check_pairs(pairs: list[Pair], on_bad: str = "skip") -> list[Pair]:
    """Drop (``skip``) or refuse (``fail``) pairs whose mask is missing, unreadable or of another size (from the
    headers: quick; :func:`decode_all` decodes every file before training)."""
    from PIL import Image

    good, bad = [], []
    for pair in pairs:
        try:
            if not pair.mask.is_file():
                raise ImageReadError("mask missing")
            stored, shown = stored_size(pair.image)
            with Image.open(pair.mask) as mk:
                if mk.size not in (stored, shown):
                    raise ImageReadError(f"image {shown} and mask {mk.size} differ in size")
            good.append(pair)
        except (OSError, ImageReadError, Image.DecompressionBombError) as exc:
            bad.append(f"{pair.name}: {exc}")
    report_bad_pairs(bad, "bad pairs", on_bad)
    return good


def report_bad_pairs(problems: list[str], what: str, on_bad: str) -> None:
    """The one rule for bad training pairs: ``fail`` refuses them all in one message, ``skip`` warns, naming
    the first ten, and leaves them out."""
    if not problems:
        return
    message = f"{len(problems)} {what}: " + "; ".join(problems[:10]) + (" ..." if len(problems) > 10 else "")
    if on_bad == "fail":
        raise PortraitsegError(message + " (set on_bad: skip, or --set on_bad=skip, to leave them out)")
    log.warning(message + " (skipped)")


def split_validation(pairs: list[Pair], fraction: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Seeded split of a training list into (train, validation)."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_val = int(round(len(pairs) * fraction))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [pairs[i] for i in train], [pairs[i] for i in val]


def load_pair(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """uint8 RGB image (EXIF-oriented, as served) and uint8 0/255 mask, at the original size."""
    image = read_image(pair.image)
    return image, aligned_mask(pair, pair.mask, image.shape[:2]).astype(np.uint8) * 255


def aligned_mask(pair: Pair, path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The bool mask at ``path`` (the pair's mask or ignore mask) lined up with the pair's image of ``shape``: a
    mask drawn on the image's stored pixels is given the image's EXIF orientation; one drawn on the displayed image
    is taken as is."""
    mask = read_mask(path)
    if mask.shape != shape:
        mask = orient_like(pair.image, mask)
    if mask.shape != shape:
        raise ImageReadError(f"{pair.name}: image {shape} and {path.parent.name}/{path.name} {mask.shape} differ in "
                             "size")
    return mask
