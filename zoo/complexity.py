"""Model size figures for cards and benchmarks: parameters and multiply-accumulates of convolutions."""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_macs(model: nn.Module, height: int, width: int) -> int:
    """Multiply-accumulates of every Conv2d and Linear for one (1, 3, height, width) input (FLOPs ~ 2 x MACs)."""
    total = 0

    def hook(module, _inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += output.numel() * k
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()(torch.zeros(1, 3, height, width))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total
