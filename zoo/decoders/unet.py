"""The classic U-Net decoder: at every encoder stride, upsample x2, concatenate the skip, two full 3x3 convs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from portraitseg.zoo.decoders.base import Decoder


class ConvBlock(nn.Sequential):
    """3x3 conv + BatchNorm + ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderStage(nn.Module):
    """Upsample to the skip's size, concatenate it, then ``convs`` blocks (``block`` builds one: cin, cout)."""

    def __init__(self, cin: int, skip: int, cout: int, convs: int, block=ConvBlock) -> None:
        super().__init__()
        self.block = nn.Sequential(block(cin + skip, cout), *(block(cout, cout) for _ in range(convs - 1)))

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.block(torch.cat([x, skip], dim=1))


class StagedDecoder(Decoder):
    """Stages from the deepest map up to the map at ``stride``, each fed the next finer skip, then a 1x1 head.
    With ``aux_heads``, every stage but the last gets a 1x1 head too (deep supervision, training only)."""

    def __init__(self, encoder_channels, encoder_strides, channels, blocks: int, aux_heads: bool, stride: int,
                 block=ConvBlock) -> None:
        super().__init__()
        self.stride = stride
        used = encoder_strides.index(stride)  # the finest skip this decoder reads
        skips = list(encoder_channels[used:-1])[::-1]
        widths = list(channels)
        if len(widths) != len(skips):
            raise ValueError(f"decoder_channels needs {len(skips)} widths (one per skip connection from stride "
                             f"{encoder_strides[-2]} to {stride}), got {len(widths)}")
        cins = [encoder_channels[-1]] + widths[:-1]
        self.stages = nn.ModuleList(DecoderStage(c, s, w, blocks, block) for c, s, w in zip(cins, skips, widths))
        self.head = nn.Conv2d(widths[-1], 1, 1)
        self.aux = nn.ModuleList(nn.Conv2d(w, 1, 1) for w in widths[:-1]) if aux_heads else None

    def forward(self, features: list[Tensor]) -> Tensor | tuple[Tensor, list[Tensor]]:
        y = features[-1]
        intermediates = []
        for stage, skip in zip(self.stages, features[-2::-1]):
            y = stage(y, skip)
            intermediates.append(y)
        logits = self.head(y)
        if self.aux is not None and self.training:
            return logits, [h(t) for h, t in zip(self.aux, intermediates[:-1])]
        return logits


def unet_decoder(encoder_channels, encoder_strides, channels, blocks=2, aux_heads=False) -> StagedDecoder:
    """The classic U-Net decoder, down to the encoder's finest map."""
    return StagedDecoder(encoder_channels, encoder_strides, channels, blocks, aux_heads, stride=encoder_strides[0])
