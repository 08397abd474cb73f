"""Training data: pairs decoded once into memory, placed on a batch canvas and augmented."""

from __future__ import annotations

import sys

import numpy as np
import torch
from torch.utils.data import Dataset

from portraitseg.errors import ImageReadError
from portraitseg.evaluation.data import Pair, aligned_mask, load_pair, report_bad_pairs
from portraitseg.geometry import IGNORE_LABEL, cover_crop, letterbox, plan_fit, resize, resize_label
from portraitseg.thresholds import label_person


def load_label(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """:func:`load_pair` with the training label: 255 person, 0 background, :data:`IGNORE_LABEL` where the pair's
    ignore mask marks the label unknown (a person pixel stays a person)."""
    image, mask = load_pair(pair)
    if pair.ignore is not None:
        mask[aligned_mask(pair, pair.ignore, mask.shape) & (mask == 0)] = IGNORE_LABEL
    return image, mask


def load_scaled_pair(pair: Pair, max_side: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`load_label`, shrunk so the longer side is at most ``max_side`` (the training cache's form)."""
    image, mask = load_label(pair)
    h, w = mask.shape
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
        image = resize(image, sh, sw)
        mask = resize_label(mask, sh, sw)
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
    report_bad_pairs([r for r in results if isinstance(r, str)], "unreadable training pairs", on_bad)
    kept = [(p, r) for p, r in zip(pairs, results) if not isinstance(r, str)]
    return [p for p, _ in kept], [r for _, r in kept]


def place_on_canvas(image: np.ndarray, mask: np.ndarray, canvas: tuple[int, int], stride: int,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Put a pair on a (height, width) canvas. Where serving would give this image exactly this canvas (same
    orientation, long side = the canvas's), it is letterboxed as serving does (:func:`portraitseg.geometry.letterbox`);
    otherwise (a portrait photo on a landscape canvas, say) a random canvas-shaped window of it is cropped, as
    another framing of the same scene would show it."""
    ch, cw = canvas
    fit = plan_fit(mask.shape, max(ch, cw), stride if all(v % stride == 0 for v in canvas) else 1)
    if (fit.padded_h, fit.padded_w) == (ch, cw):
        return letterbox(image, fit), letterbox(resize_label(mask, fit.height, fit.width), fit, pad_value=0)
    rng = rng or np.random.default_rng(0)
    return cover_crop(image, mask, canvas, rng)


class TrainingSet(Dataset):
    """Training pairs, decoded once into memory, placed on a canvas, then augmented. Items are keyed by an index
    (on the default canvas) or ``(index, height, width)`` (as :class:`CanvasBatchSampler` yields, so each batch
    has one orientation). An item is ``(image, label, index)``: image float (3, H, W) in [0, 255], label uint8
    (1, H, W) with 0 / 255 / :data:`IGNORE_LABEL` (see :func:`split_label`), and the pair's index (hard-negative
    mining keeps a score per index).

    It is also the pool that sample-mixing augmenters (``copy_paste``) draw people from: ``pool_size`` and
    ``pool_pair(i)``."""

    def __init__(self, pairs: list[Pair], canvas: tuple[int, int], stride: int, pipeline=None, seed: int = 0,
                 cache_side: int | None = None, on_bad: str = "skip", progress: bool = False) -> None:
        self.canvas, self.stride, self.pipeline, self.seed = tuple(canvas), stride, pipeline, seed
        side = cache_side or round(1.5 * max(canvas))
        self.pairs, self.arrays = decode_all(pairs, side, on_bad, progress)
        self.person_free = [i for i, (_, mask) in enumerate(self.arrays) if not mask.any()]
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
        """The decoded (image, label) of training pair ``index``, read-only."""
        return self.arrays[index]

    def __getitem__(self, key):
        index, canvas = (key[0], tuple(key[1:])) if isinstance(key, tuple) else (key, self.canvas)
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        image, mask = place_on_canvas(*self.arrays[index], canvas, self.stride, rng)
        if self.pipeline is not None:
            image, mask = self.pipeline(image, mask, self.pipeline.rng_for(self.seed, self.epoch, index))
        return (
            torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float(),
            torch.from_numpy(np.ascontiguousarray(mask)[None]),
            index,
        )


def split_label(label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of uint8 labels -> (target, valid) floats: target 1 on person pixels, valid 0 where unknown."""
    return label_person(label).float(), (label != IGNORE_LABEL).float()
