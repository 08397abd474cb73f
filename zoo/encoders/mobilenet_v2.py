"""MobileNetV2 encoder with torchvision's module names, so torchvision's ImageNet weights load unchanged."""

from __future__ import annotations

from torch import Tensor, nn

from portraitseg.zoo.encoders.base import Encoder

# (expansion t, channels c, repeats n, first stride s), as in the paper and torchvision.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
# Index into ``features`` after which each output map is taken (strides 2, 4, 8, 16, 32).
_TAPS = (1, 3, 6, 13, 17)


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

    def __init__(self, width_mult: float = 1.0) -> None:
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

    def forward(self, x: Tensor) -> list[Tensor]:
        outputs = []
        start = 0
        for tap in _TAPS:
            for layer in self.features[start : tap + 1]:
                x = layer(x)
            outputs.append(x)
            start = tap + 1
        return outputs
