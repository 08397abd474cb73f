"""MobileNetV2 encoder with torchvision's module names, so torchvision's ImageNet weights load unchanged."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from portraitseg.errors import CheckpointError
from portraitseg.zoo.encoders.base import Encoder
from portraitseg.zoo.onnx_contract import ONNX_NAME

# (expansion t, channels c, repeats n, first stride s), as in the paper and torchvision.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
# Index into ``features`` after which each output map is taken (strides 2, 4, 8, 16, 32).
_TAPS = (1, 3, 6, 13, 17)

# The normalisation the ImageNet weights in ../shared/weights expect: rgb / 127.5 - 1.
TF_NORMALIZATION = {"mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]}


def _make_divisible(value: float, divisor: int = 8) -> int:
    new_value = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new_value + divisor if new_value < 0.9 * value else new_value


class ConvBNReLU(nn.Sequential):
    """Conv2d + BatchNorm + ReLU6 (torchvision's ``Conv2dNormActivation`` layout: keys ``0`` and ``1``)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 linear projection, residual when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(cin * expand_ratio))
        self.use_res_connect = stride == 1 and cin == cout
        layers: list[nn.Module] = [ConvBNReLU(cin, hidden, kernel=1)] if expand_ratio != 1 else []
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2Encoder(Encoder):
    """MobileNetV2 ``features[0:18]`` (the 1280-channel head is dropped: a decoder does not need it).

    Returns five maps at strides 2, 4, 8, 16 and 32.
    """

    def __init__(self, width_mult: float = 1.0, pretrained: str | Path | None = None) -> None:
        super().__init__()
        cin = _make_divisible(32 * width_mult)
        features: list[nn.Module] = [ConvBNReLU(3, cin, stride=2)]
        for t, c, n, s in _SETTINGS:
            cout = _make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        self.features = nn.Sequential(*features)
        self.width_mult = width_mult
        channels = [_make_divisible(c * width_mult) for c in (16, 24, 32, 96, 320)]
        self.out_channels = tuple(channels)
        self.strides = (2, 4, 8, 16, 32)
        if pretrained:
            self.load_imagenet(pretrained)

    def forward(self, x: Tensor) -> list[Tensor]:
        outputs = []
        start = 0
        for tap in _TAPS:
            for layer in self.features[start : tap + 1]:
                x = layer(x)
            outputs.append(x)
            start = tap + 1
        return outputs

    def load_imagenet(self, path: str | Path) -> None:
        """Load a torchvision-layout ImageNet state_dict (``.pth``, loaded with ``weights_only=True``, or
        ``.safetensors``), or the encoder of a portraitseg checkpoint folder (its ``encoder.*`` tensors), to start
        a new model from an encoder already adapted to portraits. Every encoder tensor must be present with the
        right shape; the classifier and the 1280-channel head in an ImageNet file are ignored."""
        path = Path(path)
        if path.is_dir():
            candidates = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.pth"))
            candidates += [path / ONNX_NAME] if (path / ONNX_NAME).is_file() else []  # the bundled model
            if not candidates:
                raise CheckpointError(f"no .pth, .safetensors or {ONNX_NAME} file in {path}")
            path = candidates[0]
        if not path.is_file():
            raise CheckpointError(f"ImageNet weights not found: {path}")
        if path.suffix == ".onnx":
            from portraitseg.zoo.checkpoint import weights_from_onnx

            state = weights_from_onnx(path)
        elif path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
        if any(k.startswith("encoder.") for k in state):
            state = {k[len("encoder."):]: v.float() for k, v in state.items() if k.startswith("encoder.")}
        own = self.state_dict()
        missing = [k for k in own if k not in state]
        mismatched = [k for k in own if k in state and state[k].shape != own[k].shape]
        if missing or mismatched:
            raise CheckpointError(
                f"{path} does not fit mobilenet_v2(width_mult={self.width_mult}): "
                f"{len(missing)} missing tensors {missing[:3]}, {len(mismatched)} with other shapes {mismatched[:3]}"
                " (ImageNet weights exist for width_mult=1.0 only)"
            )
        self.load_state_dict({k: state[k] for k in own}, strict=True)
