"""Data sets: a folder with ``images/`` and ``masks/`` (same stem), optional split lists, read lazily."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from portraitseg.datapaths import DATA_ENV, resolve_data_dir
from portraitseg.errors import ImageReadError, PortraitsegError
from portraitseg.geometry import cover_crop, letterbox, plan_fit, resize
from portraitseg.image_io import IMAGE_SUFFIXES, orient_like, read_image, read_mask, stored_size

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    image: Path
    mask: Path

    @property
    def name(self) -> str:
        return self.image.stem


def find_pairs(root: str | os.PathLike, split: str | os.PathLike | None = None) -> list[Pair]:
    """Pairs under ``root`` (all of them, or those named in ``split``, a file of stems relative to ``root``)."""
    root = resolve_data_dir(root)
    images_dir, masks_dir = root / "images", root / "masks"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise PortraitsegError(f"{root} must contain images/ and masks/ (set --data or ${DATA_ENV})")
    by_stem = {p.stem: p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    if split:
        split_path = Path(split) if Path(split).is_absolute() else root / split
        if not split_path.is_file():
            raise PortraitsegError(f"split file not found: {split_path}")
        stems = [Path(line.strip()).stem for line in split_path.read_text().splitlines() if line.strip()]
        missing = [s for s in stems if s not in by_stem]
        if missing:
            raise PortraitsegError(f"{split_path}: {len(missing)} listed images not in {images_dir}: {missing[:5]}")
    else:
        stems = sorted(by_stem)
    return [Pair(by_stem[s], masks_dir / f"{s}.png") for s in stems]


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
        except (OSError, ImageReadError) as exc:
            bad.append(f"{pair.name}: {exc}")
    if bad:
        message = f"{len(bad)} bad pairs: " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else "")
        if on_bad == "fail":
            raise PortraitsegError(message + " (set on_bad: skip, or --set on_bad=skip, to leave them out)")
        log.warning(message + " (skipped)")
    return good


def split_validation(pairs: list[Pair], fraction: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Seeded split of a training list into (train, validation)."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_val = int(round(len(pairs) * fraction))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [pairs[i] for i in train], [pairs[i] for i in val]


def load_pair(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """uint8 RGB image (EXIF-oriented, as served) and uint8 0/255 mask, at the original size. A mask drawn on the
    image's stored pixels is given the image's EXIF orientation; one drawn on the displayed image is taken as is."""
    image = read_image(pair.image)
    mask = read_mask(pair.mask).astype(np.uint8) * 255
    if mask.shape != image.shape[:2]:
        mask = orient_like(pair.image, mask)
    if mask.shape != image.shape[:2]:
        raise ImageReadError(f"{pair.name}: image {image.shape[:2]} and mask {mask.shape} differ in size")
    return image, mask


def load_scaled_pair(pair: Pair, max_side: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`load_pair`, shrunk so the longer side is at most ``max_side`` (the training cache's form)."""
    image, mask = load_pair(pair)
    h, w = mask.shape
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
        image = resize(image, sh, sw)
        mask = np.where(resize(mask, sh, sw) > 127, 255, 0).astype(np.uint8)
    return image, mask


def decode_all(pairs: list[Pair], max_side: int, on_bad: str = "skip", progress: bool = True,
               threads: int = 2) -> tuple[list[Pair], list[tuple[np.ndarray, np.ndarray]]]:
    """Decode every pair fully (so a truncated file is found now, not mid-epoch) into memory at ``max_side``.
    Unreadable pairs are dropped (``skip``, with a warning naming them) or refused (``fail``)."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    def attempt(pair: Pair):
        try:
            return load_scaled_pair(pair, max_side)
        except (OSError, ImageReadError) as exc:
            return f"{pair.name}: {exc}"

    with ThreadPoolExecutor(threads) as pool:
        results = list(tqdm(pool.map(attempt, pairs), total=len(pairs), desc="decoding training images",
                            unit="img", disable=not progress, leave=False,
                            mininterval=1 if sys.stderr.isatty() else 30))
    bad = [r for r in results if isinstance(r, str)]
    if bad:
        message = f"{len(bad)} unreadable training pairs: " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else "")
        if on_bad == "fail":
            raise PortraitsegError(message + " (set on_bad: skip, or --set on_bad=skip, to leave them out)")
        log.warning(message + " (skipped)")
    kept = [(p, r) for p, r in zip(pairs, results) if not isinstance(r, str)]
    return [p for p, _ in kept], [r for _, r in kept]


def place_on_canvas(image: np.ndarray, mask: np.ndarray, canvas: tuple[int, int],
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Put a pair on a (height, width) canvas. Where serving would give this image exactly this canvas (same
    orientation, long side = the canvas's), it is letterboxed as serving does (:func:`portraitseg.geometry.letterbox`);
    otherwise (a portrait photo on a landscape canvas, say) a random canvas-shaped window of it is cropped, as
    another framing of the same scene would show it."""
    ch, cw = canvas
    fit = plan_fit(mask.shape, max(ch, cw), multiple=_canvas_multiple(canvas))
    if (fit.padded_h, fit.padded_w) == (ch, cw):
        return letterbox(image, fit), np.where(letterbox(mask, fit, pad_value=0) > 127, 255, 0).astype(np.uint8)
    rng = rng or np.random.default_rng(0)
    return cover_crop(image, mask, canvas, rng)


def _canvas_multiple(canvas: tuple[int, int]) -> int:
    return 32 if all(v % 32 == 0 for v in canvas) else 1


class TrainingSet(Dataset):
    """Training pairs, decoded once into memory, placed on a canvas, then augmented. Items are keyed by an index
    (on the default canvas) or ``(index, height, width)`` (as :class:`CanvasBatchSampler` yields, so each batch
    has one orientation). Tensors: image float (3, H, W) in [0, 255], mask (1, H, W).

    It is also the pool that sample-mixing augmenters (``copy_paste``) draw people from: ``pool_size`` and
    ``pool_pair(i)``."""

    def __init__(self, pairs: list[Pair], canvas: tuple[int, int], pipeline=None, seed: int = 0,
                 cache_side: int | None = None, on_bad: str = "skip", progress: bool = False) -> None:
        self.canvas, self.pipeline, self.seed = tuple(canvas), pipeline, seed
        side = cache_side or round(1.5 * max(canvas))
        self.pairs, self.arrays = decode_all(pairs, side, on_bad, progress)
        self.epoch = 0
        if pipeline is not None:
            pipeline.bind(self)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs)

    @property
    def pool_size(self) -> int:
        return len(self.arrays)

    def pool_pair(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The decoded (image, mask) of training pair ``index``, read-only."""
        return self.arrays[index]

    def __getitem__(self, key):
        index, canvas = (key[0], tuple(key[1:])) if isinstance(key, tuple) else (key, self.canvas)
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        image, mask = place_on_canvas(*self.arrays[index], canvas, rng)
        if self.pipeline is not None:
            image, mask = self.pipeline(image, mask, self.pipeline.rng_for(self.seed, self.epoch, index))
        return (
            torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float(),
            torch.from_numpy((mask > 127)[None].astype(np.float32)),
        )
