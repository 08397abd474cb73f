"""EfficientNet-Lite0 encoder, written only against the encoder contract (:mod:`portraitseg.zoo.encoders.base`).

EfficientNet-B0 as TensorFlow Lite wants it: no squeeze-excitation, ReLU6, a fixed 32-channel stem. Module names
follow the reference PyTorch port (``_conv_stem``, ``_blocks.N._expand_conv`` ...), so its ImageNet file loads
without renaming. Stride-2 convolutions pad as TensorFlow's ``SAME`` does on even sizes (more on the bottom and
right), which the weights were trained with.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from portraitseg.zoo.encoders.base import Encoder

# (kernel, first stride, expansion, channels out, repeats) per stage, as in the EfficientNet-B0 paper.
_STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3), (5, 1, 6, 112, 3),
           (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))
# Block index after which each output map is taken (strides 2, 4, 8, 16, 32).
_TAPS = (0, 2, 4, 10, 15)
_BN = {"eps": 1e-3, "momentum": 0.01}


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow ``SAME`` padding for even input sizes (stride 2 pads one more on the far side)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, padding=0, groups=groups, bias=False)
        total = max(kernel - stride, 0)
        self.pad = (total // 2, total - total // 2) * 2

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, self.pad))


class MBConv(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation: 1x1 expand, depthwise, 1x1 linear projection."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, **_BN)
        self._depthwise_conv = SameConv(hidden, hidden, kernel, stride, groups=hidden)
        self._bn1 = nn.BatchNorm2d(hidden, **_BN)
        self._project_conv = nn.Conv2d(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **_BN)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = self._bn2(self._project_conv(F.relu6(self._bn1(self._depthwise_conv(y)))))
        return x + y if self.residual else y


class EfficientNetLite0Encoder(Encoder):
    """EfficientNet-Lite0 up to its last block (the 1280-channel head and classifier are dropped).

    Returns five maps at strides 2, 4, 8, 16 and 32 with 16, 24, 40, 112 and 320 channels.
    """

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        blocks, cin = [], 32
        for kernel, stride, expand, cout, repeats in _STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self.out_channels = (16, 24, 40, 112, 320)
        self.strides = (2, 4, 8, 16, 32)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        outputs = []
        for index, block in enumerate(self._blocks):
            x = block(x)
            if index in _TAPS:
                outputs.append(x)
        return outputs
