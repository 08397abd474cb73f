"""The encoder contract, module side: the one segmentation_models_pytorch uses, so any decoder works with any
encoder. The data side (what its pretrained weights expect) is :class:`portraitseg.zoo.encoders.pretrained.PretrainedCfg`.
"""

from __future__ import annotations

from torch import Tensor, nn

class Encoder(nn.Module):
    """Base class for encoders.

    ``forward(x)`` returns a list of feature maps ordered from the highest resolution to the lowest;
    ``out_channels[i]`` and ``strides[i]`` describe the i-th map (stride relative to the input). Strides are powers
    of two, each twice the one before, ending at ``output_stride``; an input whose sides are multiples of
    ``output_stride`` gives maps of exactly ``side / stride``. Pretrained weights are loaded by
    :func:`portraitseg.zoo.encoders.weights.load_pretrained`, never by the encoder itself.
    """

    out_channels: tuple[int, ...]
    strides: tuple[int, ...]

    @property
    def output_stride(self) -> int:
        return self.strides[-1]

    def forward(self, x: Tensor) -> list[Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError
