"""The encoder contract, the one segmentation_models_pytorch uses, so any decoder works with any encoder."""

from __future__ import annotations

from torch import Tensor, nn


class Encoder(nn.Module):
    """Base class for encoders.

    ``forward(x)`` returns a list of feature maps ordered from the highest resolution to the lowest;
    ``out_channels[i]`` and ``strides[i]`` describe the i-th map (stride relative to the input). Strides must be
    powers of two that double from one map to the next, ending at ``output_stride``.
    """

    out_channels: tuple[int, ...]
    strides: tuple[int, ...]

    @property
    def output_stride(self) -> int:
        return self.strides[-1]

    def forward(self, x: Tensor) -> list[Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError
