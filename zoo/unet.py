"""A U-Net decoder that works on any encoder following the contract in :mod:`portraitseg.zoo.encoders.base`."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from portraitseg.zoo.config import ModelConfig
from portraitseg.zoo.encoders.base import Encoder


class ConvBlock(nn.Sequential):
    """3x3 conv + BatchNorm + ReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderStage(nn.Module):
    """Upsample x2, concatenate the skip connection, then ``convs`` 3x3 conv blocks (two in the classic U-Net)."""

    def __init__(self, cin: int, skip: int, cout: int, convs: int = 2) -> None:
        super().__init__()
        self.block = nn.Sequential(ConvBlock(cin + skip, cout), *(ConvBlock(cout, cout) for _ in range(convs - 1)))

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.block(torch.cat([x, skip], dim=1))


class UNet(nn.Module):
    """Encoder + U-Net decoder + 1-channel head. Input: RGB in [0, 255], NCHW; output: logits at input size.

    The input normalisation is part of the model, so exported ONNX files take plain RGB. With ``aux_heads`` the
    model returns ``(logits, [aux logits ...])`` in training mode (deep supervision); in eval mode only logits.
    """

    def __init__(self, encoder: Encoder, config: ModelConfig) -> None:
        super().__init__()
        self.encoder = encoder
        mean = torch.tensor(config.normalization["mean"], dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(config.normalization["std"], dtype=torch.float32).view(1, 3, 1, 1)
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("inv_std", 1.0 / std, persistent=False)
        skips = list(encoder.out_channels[:-1])[::-1]
        widths = list(config.decoder_channels)
        if len(widths) != len(skips):
            raise ValueError(
                f"decoder_channels needs {len(skips)} widths for encoder {config.encoder!r} "
                f"({len(encoder.out_channels)} feature maps), got {len(widths)}"
            )
        cins = [encoder.out_channels[-1]] + widths[:-1]
        self.stages = nn.ModuleList(DecoderStage(c, s, w, config.decoder_convs) for c, s, w in zip(cins, skips, widths))
        self.head = nn.Conv2d(widths[-1], 1, 1)
        self.aux = nn.ModuleList(nn.Conv2d(w, 1, 1) for w in widths[:-1]) if config.aux_heads else None

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, list[Tensor]]:
        size = x.shape[-2:]
        features = self.encoder((x - self.mean) * self.inv_std)
        y = features[-1]
        intermediates = []
        for stage, skip in zip(self.stages, features[-2::-1]):
            y = stage(y, skip)
            intermediates.append(y)
        logits = F.interpolate(self.head(y), size=size, mode="bilinear", align_corners=False)
        if self.aux is not None and self.training:
            aux = [F.interpolate(h(t), size=size, mode="bilinear", align_corners=False)
                   for h, t in zip(self.aux, intermediates[:-1])]
            return logits, aux
        return logits


class ProbabilityModel(nn.Module):
    """Wraps a model so it returns sigmoid probabilities: the form exported to ONNX and served."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor) -> Tensor:
        return torch.sigmoid(self.model(image))


MAX_PARAMETERS = 60_000_000  # over 16x the default model; a config asking for more is refused before building


def expected_state(config: ModelConfig, source: str = "config") -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Build the model described by ``config`` on PyTorch's meta device (shapes only, no memory) and refuse it
    when its encoder parameters do not fit the encoder or it has over :data:`MAX_PARAMETERS` parameters, so a
    config never allocates gigabytes before its weights are checked. Returns each state-dict entry's shape and
    dtype, which a weights file is checked against before it is read."""
    from portraitseg.errors import CheckpointError, PluginError

    try:
        with torch.device("meta"):
            model = build_model(config)
    except (TypeError, ValueError, RuntimeError, PluginError) as exc:
        raise CheckpointError(f"{source}: encoder {config.encoder!r} with encoder_params {config.encoder_params!r} "
                              f"and decoder_channels {list(config.decoder_channels)} cannot be built: {exc}") from None
    count = sum(p.numel() for p in model.parameters())
    if count > MAX_PARAMETERS:
        raise CheckpointError(f"{source}: the config describes a model of {count:,} parameters, over the "
                              f"{MAX_PARAMETERS:,} this project loads")
    return {key: (tuple(value.shape), value.dtype) for key, value in model.state_dict().items()}


def build_model(config: ModelConfig, pretrained: str | None = None) -> UNet:
    """Build the U-Net described by ``config``, the encoder looked up in the plugin registry by name; with
    ``pretrained`` (a weights file or ``default``), its encoder loaded by the encoder's :class:`PretrainedCfg`."""
    from portraitseg.plugins import get_registry
    from portraitseg.zoo.encoders.pretrained import pretrained_cfg_of
    from portraitseg.zoo.encoders.weights import load_pretrained

    encoder = get_registry("encoders").create(config.encoder, **config.encoder_params)
    check_encoder(encoder, config.encoder)
    if pretrained:
        load_pretrained(encoder, config.encoder, pretrained_cfg_of(config.encoder), pretrained)
    return UNet(encoder, config)


def encoder_output_stride(name: str, params: dict) -> int:
    """The last stride of encoder ``name`` built with ``params``, read from the encoder itself (built on the meta
    device: no memory, no weights)."""
    from portraitseg.plugins import get_registry

    with torch.device("meta"):
        return int(get_registry("encoders").create(name, **params).strides[-1])


def check_encoder(encoder: nn.Module, name: str) -> None:
    """Refuse an encoder that breaks the contract of :class:`Encoder` (one probe at twice its output stride):
    as many feature maps as ``out_channels`` and ``strides`` declare, with those channels and strides, strides
    powers of two doubling from one map to the next."""
    from portraitseg.errors import PluginError

    channels, strides = tuple(getattr(encoder, "out_channels", ())), tuple(getattr(encoder, "strides", ()))
    if not channels or len(channels) != len(strides):
        raise PluginError(f"encoder {name!r} declares out_channels {channels} and strides {strides}: both are needed, "
                          "one entry per feature map")
    if strides[0] < 1 or strides[0] & (strides[0] - 1) or any(b != 2 * a for a, b in zip(strides, strides[1:])):
        raise PluginError(f"encoder {name!r}: strides {strides} must be powers of two, each twice the one before")
    size = 2 * strides[-1]
    was_training = encoder.training
    with torch.no_grad():
        features = encoder.eval()(torch.zeros(1, 3, size, size))
    encoder.train(was_training)
    got = [(int(f.shape[1]), size // int(f.shape[2])) for f in features]
    if got != list(zip(channels, strides)):
        raise PluginError(f"encoder {name!r} returned maps with (channels, stride) {got} for a {size}x{size} input, "
                          f"but declares {list(zip(channels, strides))}")
