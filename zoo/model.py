"""The segmentation model: any registered encoder (contract: :mod:`portraitseg.zoo.encoders.base`) feeding any
registered decoder (contract: :mod:`portraitseg.zoo.decoders.base`), both named in the model config."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from portraitseg.zoo.config import MAX_PARAMETERS, ModelConfig
from portraitseg.zoo.decoders.base import Decoder
from portraitseg.zoo.encoders.base import Encoder

# Checkpoints from before decoders were plugins (0.1.0 to 0.4.0) name the U-Net decoder's tensors at the top level.
_LEGACY_DECODER_PREFIXES = ("stages.", "head.", "aux.")


def upgrade_state_keys(state: dict) -> dict:
    """A state dict (or a safetensors header) with pre-0.5.0 decoder names moved under ``decoder.``, so every
    released checkpoint loads into :class:`SegmentationModel`."""
    return {"decoder." + k if k.startswith(_LEGACY_DECODER_PREFIXES) else k: v for k, v in state.items()}


class SegmentationModel(nn.Module):
    """Encoder + decoder. Input: RGB in [0, 255], NCHW; output: logits at input size.

    The input normalisation is part of the model, so exported ONNX files take plain RGB. The decoder's logits
    (at its declared stride) are brought to the input size bilinearly where that stride is above 1. With
    ``aux_heads`` the model returns ``(logits, [aux logits ...])`` in training mode (deep supervision); in eval
    mode only logits.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder, config: ModelConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        mean = torch.tensor(config.normalization["mean"], dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(config.normalization["std"], dtype=torch.float32).view(1, 3, 1, 1)
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("inv_std", 1.0 / std, persistent=False)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, list[Tensor]]:
        size = x.shape[-2:]
        out = self.decoder(self.encoder((x - self.mean) * self.inv_std))
        logits, aux = out if isinstance(out, tuple) else (out, None)
        if self.decoder.stride > 1:  # a stride-1 decoder's logits are the input's size already
            logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        if aux is not None and self.training:
            return logits, [F.interpolate(a, size=size, mode="bilinear", align_corners=False) for a in aux]
        return logits


class ProbabilityModel(nn.Module):
    """Wraps a model so it returns sigmoid probabilities: the form exported to ONNX and served."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor) -> Tensor:
        return torch.sigmoid(self.model(image))


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
                              f"and decoder {config.decoder!r} with decoder_channels {list(config.decoder_channels)} "
                              f"and decoder_params {config.decoder_params!r} cannot be built: {exc}") from None
    count = sum(p.numel() for p in model.parameters())
    if count > MAX_PARAMETERS:
        raise CheckpointError(f"{source}: the config describes a model of {count:,} parameters, over the "
                              f"{MAX_PARAMETERS:,} this project loads")
    return {key: (tuple(value.shape), value.dtype) for key, value in model.state_dict().items()}


def build_model(config: ModelConfig, pretrained: str | None = None) -> SegmentationModel:
    """Build the model described by ``config``, encoder and decoder looked up in the plugin registry by name and
    checked against their contracts; with ``pretrained`` (a weights file or ``default``), its encoder loaded by
    the encoder's :class:`PretrainedCfg`."""
    from portraitseg.plugins import get_registry
    from portraitseg.zoo.decoders.base import check_decoder
    from portraitseg.zoo.encoders.lookup import pretrained_cfg_of
    from portraitseg.zoo.encoders.weights import load_pretrained

    encoder = get_registry("encoders").create(config.encoder, **config.encoder_params)
    check_encoder(encoder, config.encoder)
    channels, strides = tuple(encoder.out_channels), tuple(encoder.strides)
    decoder = get_registry("decoders").create(config.decoder, channels, strides, tuple(config.decoder_channels),
                                              config.decoder_convs, config.aux_heads, **config.decoder_params)
    check_decoder(decoder, config.decoder, channels, strides)
    if pretrained:
        load_pretrained(encoder, config.encoder, pretrained_cfg_of(config.encoder), pretrained)
    return SegmentationModel(encoder, decoder, config)


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
