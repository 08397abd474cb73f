"""A light decoder: depthwise-separable blocks, stopping at a coarser stride (4 by default) and leaving the last
factor to the upsampling that follows (bilinear in the model, guided by the photo when served)."""

from __future__ import annotations

from torch import nn

from portraitseg.zoo.decoders.unet import StagedDecoder


class SeparableBlock(nn.Sequential):
    """Depthwise 3x3 + BatchNorm + ReLU, then pointwise 1x1 + BatchNorm + ReLU: about 1/8 of a full 3x3 conv's
    multiply-accumulates at these widths."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                         nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


def light_decoder(encoder_channels, encoder_strides, channels, blocks=1, aux_heads=False,
                  stride: int = 4) -> StagedDecoder:
    """U-Net stages of separable blocks from the deepest map up to ``stride`` (``decoder_params: {stride: N}``)."""
    if stride not in encoder_strides[:-1]:
        raise ValueError(f"stride {stride} is not one of the encoder's skip strides {list(encoder_strides[:-1])}")
    return StagedDecoder(encoder_channels, encoder_strides, channels, blocks, aux_heads, stride=stride,
                         block=SeparableBlock)
