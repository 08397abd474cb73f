"""Batches with one canvas shape each: portrait, landscape and square batches in one run, so a 640x480 webcam
frame or a 4:3 photo is as familiar to the model as a portrait selfie."""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


def default_canvases(input_size: Sequence[int]) -> list[tuple[int, int]]:
    """Portrait, landscape and square canvases with the model's long side: (H, W), (W, H) and (L, L)."""
    h, w = int(input_size[0]), int(input_size[1])
    side = max(h, w)
    return list(dict.fromkeys([(max(h, w), min(h, w)), (min(h, w), max(h, w)), (side, side)]))


class CanvasBatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into batches of ``batch_size`` and gives each batch a canvas drawn from
    ``canvases`` (with ``weights``), seeded per (seed, epoch, batch number) so a resumed run draws the same
    shapes. Yields lists of ``(index, height, width)`` keys for :class:`portraitseg.trainers.data.TrainingSet`.
    ``first_batch`` is the number of the first batch (non-zero when resuming part-way through an epoch)."""

    def __init__(self, sampler: Sampler[int], batch_size: int, canvases: Sequence[Sequence[int]],
                 weights: Sequence[float] | None, seed: int, epoch: int, first_batch: int = 0) -> None:
        self.sampler, self.batch_size = sampler, batch_size
        self.canvases = [tuple(int(v) for v in c) for c in canvases]
        p = np.asarray(weights if weights is not None else [1.0] * len(self.canvases), dtype=float)
        self.p = p / p.sum()
        self.seed, self.epoch, self.first_batch = seed, epoch, first_batch

    def canvas_for(self, batch_number: int) -> tuple[int, int]:
        rng = np.random.default_rng([self.seed, self.epoch, batch_number, 104729])
        return self.canvases[int(rng.choice(len(self.canvases), p=self.p))]

    def __iter__(self) -> Iterator[list[tuple[int, int, int]]]:
        indices = list(self.sampler)
        for k in range(len(self)):
            h, w = self.canvas_for(self.first_batch + k)
            yield [(int(i), h, w) for i in indices[k * self.batch_size : (k + 1) * self.batch_size]]

    def __len__(self) -> int:
        return len(self.sampler) // self.batch_size
