"""The building blocks of MediaPipe selfie segmentation's network, shared by its encoder and decoder: convolutions
with TensorFlow's SAME padding and squeeze-excite gates. Biases everywhere and no BatchNorm, as in the
published TensorFlow Lite file, so its weights load one tensor for one tensor."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's SAME padding for even input sides (the model's input is a multiple of its output
    stride): symmetric where the kernel allows (the convolution pads itself), else, at stride 2, the extra row and
    column go to the bottom and right (PyTorch's symmetric padding would move about a tenth of the mask's pixels)."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1) -> None:
        total = kernel - stride if kernel > 1 else 0
        symmetric = total % 2 == 0
        super().__init__(cin, cout, kernel, stride, padding=total // 2 if symmetric else 0, groups=groups, bias=True)
        self.same_padding = None if symmetric else (total // 2, total - total // 2) * 2  # left, right, top, bottom

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x if self.same_padding is None else F.pad(x, self.same_padding))


def depthwise(channels: int, kernel: int, stride: int = 1) -> SameConv2d:
    return SameConv2d(channels, channels, kernel, stride, groups=channels)


class SqueezeExcite(nn.Module):
    """Global mean -> 1x1 reduce -> ReLU -> 1x1 expand -> sigmoid: the per-channel gate of a map."""

    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.reduce = SameConv2d(channels, reduced)
        self.expand = SameConv2d(reduced, channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.expand(F.relu(self.reduce(x.mean((2, 3), keepdim=True)))).sigmoid()


def upsample2x(x: Tensor) -> Tensor:
    """TensorFlow Lite's RESIZE_BILINEAR with half-pixel centres."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
