"""The decoder of MediaPipe selfie segmentation: at each stride, the upsampled map projected to the skip's width
gates the skip (squeeze-excite on their sum), a 1x1 and a residual depthwise 3x3 refine it, and a 2x2 stride-2
transposed convolution gives logits at the input's size."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from portraitseg.zoo.selfie_layers import SameConv2d, SqueezeExcite, depthwise, upsample2x


class SelfieStage(nn.Module):
    """``d = conv1x1(up(x))``; ``y = skip * se(skip + d) + d``; ``r = relu(conv1x1(y))``; out ``r + relu(dw3x3(r))``."""

    def __init__(self, cin: int, width: int) -> None:
        super().__init__()
        self.project = SameConv2d(cin, width)
        self.se = SqueezeExcite(width, width)
        self.conv = SameConv2d(width, width)
        self.depthwise = depthwise(width, 3)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        d = self.project(upsample2x(x))
        r = F.relu(self.conv(skip * self.se(skip + d) + d))
        return r + F.relu(self.depthwise(r))


class SelfieDecoder(nn.Module):
    """One stage per skip map (deepest first), each as wide as its skip; logits at stride 1."""

    stride = 1

    def __init__(self, encoder_channels: tuple[int, ...], widths: tuple[int, ...]) -> None:
        super().__init__()
        stages, cin = [], encoder_channels[-1]
        for width in widths:
            stages.append(SelfieStage(cin, width))
            cin = width
        self.stages = nn.ModuleList(stages)
        self.segment = nn.ConvTranspose2d(cin, 1, 2, stride=2)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = features[-1]
        for stage, skip in zip(self.stages, reversed(features[:-1])):
            x = stage(x, skip)
        return self.segment(x)


def selfie_decoder(encoder_channels, encoder_strides, channels, blocks=1, aux_heads=False) -> SelfieDecoder:
    """Build the decoder for an encoder whose skip maps are as wide as ``channels`` (deepest first)."""
    skips = tuple(reversed(encoder_channels[:-1]))
    if tuple(channels) != skips:
        raise ValueError(f"the selfie decoder's widths are its skip maps' widths {list(skips)}, got {list(channels)}")
    if blocks != 1 or aux_heads:
        raise ValueError("the selfie decoder has one block per stage (decoder_convs: 1) and no aux_heads")
    if list(encoder_strides) != [2 ** (i + 1) for i in range(len(encoder_strides))]:
        raise ValueError(f"the selfie decoder needs maps at strides 2, 4, 8, ...; got {list(encoder_strides)}")
    return SelfieDecoder(tuple(encoder_channels), tuple(channels))
