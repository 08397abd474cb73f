"""Data sets: a folder with ``images/`` and ``masks/`` (same stem), optional split lists, read lazily."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from portraitseg.errors import ImageReadError, PortraitsegError
from portraitseg.geometry import resize
from portraitseg.image_io import IMAGE_SUFFIXES, read_image, read_mask

log = logging.getLogger(__name__)
DATA_ENV = "PORTRAITSEG_DATA"


@dataclass(frozen=True)
class Pair:
    image: Path
    mask: Path

    @property
    def name(self) -> str:
        return self.image.stem


def resolve_data_dir(path: str | os.PathLike) -> Path:
    """An absolute or existing path as is; otherwise relative to ``$PORTRAITSEG_DATA``."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists() or not os.environ.get(DATA_ENV):
        return p
    return Path(os.environ[DATA_ENV]) / p


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
    """Drop (``skip``) or refuse (``fail``) pairs whose mask is missing, unreadable or of another size."""
    from PIL import Image

    good, bad = [], []
    for pair in pairs:
        try:
            if not pair.mask.is_file():
                raise ImageReadError("mask missing")
            with Image.open(pair.image) as im, Image.open(pair.mask) as mk:
                if im.size != mk.size:
                    raise ImageReadError(f"image {im.size} and mask {mk.size} differ in size")
            good.append(pair)
        except (OSError, ImageReadError) as exc:
            bad.append(f"{pair.name}: {exc}")
    if bad:
        message = f"{len(bad)} bad pairs: " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else "")
        if on_bad == "fail":
            raise PortraitsegError(message + " (use --on-bad skip to leave them out)")
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
    """uint8 RGB image and uint8 0/255 mask, at the original size."""
    image = read_image(pair.image)
    mask = read_mask(pair.mask).astype(np.uint8) * 255
    if mask.shape != image.shape[:2]:  # EXIF rotation may turn the image but not the mask
        raise ImageReadError(f"{pair.name}: image {image.shape[:2]} and mask {mask.shape} differ in size")
    return image, mask


def fit_to_canvas(image: np.ndarray, mask: np.ndarray, canvas: tuple[int, int], pad_value: int = 128):
    """Letterbox the pair into the (height, width) canvas: scale to fit keeping the aspect ratio, pad bottom/right.
    For images shaped like the canvas this matches inference, which scales the longer side to ``max(canvas)``."""
    ch, cw = canvas
    h, w = mask.shape
    scale = min(ch / h, cw / w)
    sh, sw = min(ch, max(1, round(h * scale))), min(cw, max(1, round(w * scale)))
    out_image = np.full((ch, cw, 3), pad_value, np.uint8)
    out_mask = np.zeros((ch, cw), np.uint8)
    out_image[:sh, :sw] = resize(image, sh, sw)
    out_mask[:sh, :sw] = np.where(resize(mask, sh, sw) > 127, 255, 0).astype(np.uint8)
    return out_image, out_mask


class TrainingSet(Dataset):
    """Training pairs fitted to the canvas, then augmented; tensors: image float (3, H, W) in [0, 255], mask (1, H, W)."""

    def __init__(self, pairs: list[Pair], canvas: tuple[int, int], pipeline=None, seed: int = 0) -> None:
        self.pairs, self.canvas, self.pipeline, self.seed = pairs, tuple(canvas), pipeline, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int):
        image, mask = fit_to_canvas(*load_pair(self.pairs[index]), self.canvas)
        if self.pipeline is not None:
            image, mask = self.pipeline(image, mask, self.pipeline.rng_for(self.seed, self.epoch, index))
        return (
            torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float(),
            torch.from_numpy((mask > 127)[None].astype(np.float32)),
        )
