"""What an epoch draws: batches with one canvas shape each (portrait, landscape and square batches in one run, so
a 640x480 webcam frame or a 4:3 photo is as familiar to the model as a portrait selfie), and person-free pairs
drawn more often where the model paints more of them (hard negatives)."""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


def default_canvases(train_size: Sequence[int]) -> list[tuple[int, int]]:
    """Portrait, landscape and square canvases with the model's long side: (H, W), (W, H) and (L, L)."""
    h, w = int(train_size[0]), int(train_size[1])
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


class HardNegatives:
    """Hard-negative mining over the person-free training pairs. ``scores[k]`` is the share of pixels the model
    painted as person (0-1) the last time it trained on person-free pair ``indices[k]`` (augmented, with nobody
    pasted in); it starts at ``prior`` for all. Each epoch keeps every pair with people once and draws as many
    person-free pairs as there are, with replacement, with probability proportional to ``floor + score``: a pair
    the model paints 20% of comes about ten times as often as one it gets right. The draws depend on the seed,
    the epoch and the scores at the start of the epoch (kept in the run's state), so a resumed run repeats them."""

    def __init__(self, indices: Sequence[int], floor: float = 0.02, prior: float = 0.1) -> None:
        self.indices = np.asarray(indices, dtype=np.int64)
        self.position = {int(i): k for k, i in enumerate(self.indices)}
        self.floor = floor
        self.scores = np.full(len(self.indices), prior, dtype=np.float64)
        self.start_epoch()

    def start_epoch(self) -> None:
        """Freeze the scores the coming epoch draws from."""
        self.epoch_scores = self.scores.copy()
        self.seen = np.zeros(len(self.indices), dtype=bool)

    def update(self, index: int, painted: float) -> None:
        k = self.position.get(int(index))
        if k is not None:
            self.scores[k], self.seen[k] = painted, True

    def order(self, size: int, seed: int, epoch: int) -> np.ndarray:
        """The epoch's sample order over ``size`` pairs: positives once, negatives drawn by hardness, shuffled."""
        rng = np.random.default_rng([seed, epoch, 7919])
        negatives = set(self.position)
        positives = np.array([i for i in range(size) if i not in negatives], dtype=np.int64)
        if len(self.indices):
            weights = self.floor + self.epoch_scores
            drawn = rng.choice(self.indices, size=len(self.indices), replace=True, p=weights / weights.sum())
        else:
            drawn = np.zeros(0, dtype=np.int64)
        return rng.permutation(np.concatenate([positives, drawn]))

    def state_dict(self) -> dict:
        return {"indices": self.indices.tolist(), "scores": self.scores.tolist(),
                "epoch_scores": self.epoch_scores.tolist()}

    def load_state_dict(self, state: dict) -> None:
        if state["indices"] != self.indices.tolist():
            raise ValueError("the saved hard-negative scores belong to other training pairs")
        self.scores = np.asarray(state["scores"], dtype=np.float64)
        self.epoch_scores = np.asarray(state["epoch_scores"], dtype=np.float64)
