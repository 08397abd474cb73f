"""The encoder of MediaPipe selfie segmentation (general model): a MobileNetV3-style stack of 106 K parameters
in all with its decoder, 58 M multiply-accumulates at 256x256. Module order follows the TensorFlow Lite file's
layer order, so ``scripts/convert_mediapipe_selfie.py`` maps its weights one tensor to the next."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from portraitseg.zoo.encoders.base import Encoder
from portraitseg.zoo.selfie_layers import SameConv2d, SqueezeExcite, depthwise

# (in, expanded, out, depthwise kernel, stride, squeeze-excite width or 0, hard-swish), one row per block.
_BLOCKS = ((16, 16, 16, 3, 2, 8, False), (16, 72, 24, 3, 2, 0, False), (24, 88, 24, 3, 1, 0, False),
           (24, 96, 32, 5, 2, 24, True), (32, 128, 32, 5, 1, 32, True), (32, 128, 32, 5, 1, 32, True),
           (32, 96, 32, 5, 1, 24, True), (32, 96, 32, 5, 1, 24, True))
_TAPS = (0, 2, 7)  # blocks after which a skip map is taken (strides 4, 8, 16); the stem gives stride 2


class SelfieBlock(nn.Module):
    """1x1 expand, depthwise (stride 1 or 2), optional squeeze-excite, linear 1x1 projection, residual where the
    shapes allow; ReLU or hard-swish after the expansion and the depthwise convolution."""

    def __init__(self, cin: int, hidden: int, cout: int, kernel: int, stride: int, se: int, hswish: bool) -> None:
        super().__init__()
        self.expand = SameConv2d(cin, hidden)
        self.depthwise = depthwise(hidden, kernel, stride)
        self.se = SqueezeExcite(hidden, se) if se else None
        self.project = SameConv2d(hidden, cout)
        self.act = F.hardswish if hswish else F.relu
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        y = self.act(self.depthwise(self.act(self.expand(x))))
        if self.se is not None:
            y = y * self.se(y)
        y = self.project(y)
        return x + y if self.residual else y


class SelfieHead(nn.Module):
    """The deepest map's head: ``relu(conv1x1(x)) * sigmoid(conv1x1(mean(x)))``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = SameConv2d(cin, cout)
        self.gate = SameConv2d(cin, cout)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.conv(x)) * self.gate(x.mean((2, 3), keepdim=True)).sigmoid()


class SelfieEncoder(Encoder):
    """Maps at strides 2 (the hard-swish stem), 4, 8 and 16 (the gated head); its input is RGB in [0, 1]."""

    out_channels = (16, 16, 24, 128)
    strides = (2, 4, 8, 16)

    def __init__(self) -> None:
        super().__init__()
        self.stem = SameConv2d(3, 16, 3, 2)
        self.blocks = nn.ModuleList(SelfieBlock(*row) for row in _BLOCKS)
        self.head = SelfieHead(32, 128)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = F.hardswish(self.stem(x))
        features = [x]
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in _TAPS[:-1]:
                features.append(x)
        features.append(self.head(x))
        return features
