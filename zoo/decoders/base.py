"""The decoder contract, checked where a decoder enters (as :func:`portraitseg.zoo.model.check_encoder` checks
encoders): a decoder is written against the encoder's declared ``out_channels`` and ``strides`` alone."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Decoder(nn.Module):
    """Base class for decoders.

    Built by ``factory(encoder_channels, encoder_strides, channels, blocks, aux_heads, **decoder_params)``:
    the encoder's maps as it declares them (highest resolution first), one width per decoder stage
    (``decoder_channels``), conv blocks per stage (``decoder_convs``) and whether to add deep-supervision heads.
    ``forward(features)`` returns 1-channel logits at ``stride`` (relative to the input); the model brings them
    to the input size. In training mode with ``aux_heads`` it returns ``(logits, [aux logits at any stride])``.
    A factory refuses settings it cannot build (the wrong number of widths) with ``ValueError``.
    """

    stride: int

    def forward(self, features: list[Tensor]) -> Tensor | tuple[Tensor, list[Tensor]]:  # pragma: no cover
        raise NotImplementedError


def check_decoder(decoder: nn.Module, name: str, channels: tuple[int, ...], strides: tuple[int, ...]) -> None:
    """Refuse a decoder that breaks the contract: a declared ``stride`` that is a power of two no coarser than the
    encoder's last map (1: logits at the input's size, as a decoder ending in a transposed convolution gives), and
    one logit map of that stride for a probe input."""
    from portraitseg.errors import PluginError

    stride = getattr(decoder, "stride", None)
    if not isinstance(stride, int) or stride < 1 or stride & (stride - 1) or stride > strides[-1]:
        raise PluginError(f"decoder {name!r} declares stride {stride!r}: it must be a power of two from 1 to "
                          f"{strides[-1]} (the encoder's last stride)")
    size = 2 * strides[-1]
    features = [torch.zeros(1, c, size // s, size // s) for c, s in zip(channels, strides)]
    was_training = decoder.training
    with torch.no_grad():
        out = decoder.eval()(features)
    decoder.train(was_training)
    expected = (1, 1, size // stride, size // stride)
    if not isinstance(out, Tensor) or tuple(out.shape) != expected:
        got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise PluginError(f"decoder {name!r} returned {got} for a {size}x{size} input in eval mode, but declares "
                          f"stride {stride}: expected logits of shape {expected}")
