"""Process-group setup for ``torchrun`` (gloo on CPU, nccl on GPU) and a resumable, shardable epoch sampler."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import Sampler


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed() -> DistInfo:
    """Join the process group that ``torchrun`` describes in the environment; a no-op for a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group(backend=backend)
    return info


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def average_scores(info: DistInfo, scores: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Across ranks: the mean of each score over the ranks that saw its sample this epoch (others keep theirs)."""
    if not info.enabled:
        return scores
    total = torch.from_numpy(np.stack([scores * seen, seen.astype(np.float64)]))
    dist.all_reduce(total)
    summed, count = total.numpy()
    return np.where(count > 0, summed / np.maximum(count, 1), scores)


def shutdown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


class EpochSampler(Sampler[int]):
    """A seeded permutation per epoch, sharded across ranks like DistributedSampler, that can start part-way
    through (``skip`` samples of this rank's share) so a resumed run sees exactly the batches it had left, and
    stop after ``limit`` samples. ``order`` replaces the permutation (hard-negative mining draws its own)."""

    def __init__(self, size: int, seed: int, epoch: int, rank: int = 0, world_size: int = 1, skip: int = 0,
                 limit: int | None = None, order: np.ndarray | None = None) -> None:
        if order is None:
            order = np.random.default_rng([seed, epoch, 7919]).permutation(size)
        size = len(order)
        per_rank = -(-size // world_size)
        order = np.resize(order, per_rank * world_size)  # pad by repeating, as DistributedSampler does
        self.indices = order[rank::world_size][skip:][:limit].tolist()

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)
