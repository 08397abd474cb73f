"""Training throughput (images per second, forward + backward + AdamW step) of the default U-Net on this machine:
fp32 vs bf16 autocast, channels_last off/on, at 224 and 256. Synthetic batches, so only the model is measured.

    python benchmarks/train_throughput.py [--batch 16] [--steps 6] [--sizes 224 256]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import torch

from portraitseg.trainers.losses import dice_bce
from portraitseg.zoo.config import ModelConfig
from portraitseg.zoo.model import build_model


def measure(size: int, batch: int, steps: int, dtype: torch.dtype | None, channels_last: bool) -> float:
    torch.manual_seed(0)
    model = build_model(ModelConfig(train_size=(size, size))).train()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = (torch.rand(batch, 3, size, size) * 255).contiguous(memory_format=fmt)
    y = (torch.rand(batch, 1, size, size) > 0.5).float()
    times = []
    for step in range(steps + 2):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
            logits = model(x)
        loss = dice_bce(logits, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= 2:  # the first steps pay for allocation and kernel selection
            times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 256])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"median of {args.steps} steps")
    print(f"{'size':>5} {'precision':>9} {'channels_last':>13} {'img/s':>7} {'vs fp32':>7}")
    for size in args.sizes:
        base = None
        for dtype, cl in itertools.product([None, torch.bfloat16], [False, True]):
            ips = measure(size, args.batch, args.steps, dtype, cl)
            base = base or ips
            name = "bf16" if dtype else "fp32"
            print(f"{size:>5} {name:>9} {str(cl):>13} {ips:7.2f} {ips / base:6.2f}x", flush=True)


if __name__ == "__main__":
    main()
