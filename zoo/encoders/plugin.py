"""Built-in encoders, registered through the same hook as third-party ones."""

from portraitseg.hookspecs import hookimpl


def _mobilenet_v2(**kwargs):
    from portraitseg.zoo.encoders.mobilenet_v2 import MobileNetV2Encoder

    return MobileNetV2Encoder(**kwargs)


def _mobilenet_v2_050(**kwargs):
    from portraitseg.zoo.encoders.mobilenet_v2 import MobileNetV2Encoder

    return MobileNetV2Encoder(width_mult=0.5, **kwargs)


@hookimpl
def register_encoders(register):
    register(
        "mobilenet_v2",
        _mobilenet_v2,
        description="MobileNetV2 (width_mult, default 1.0); ImageNet init from a torchvision-layout file",
        normalization="rgb / 127.5 - 1 for the TF-derived weights; ImageNet mean/std for torchvision's",
    )
    register(
        "mobilenet_v2_050",
        _mobilenet_v2_050,
        description="MobileNetV2 at width 0.5: half the channels, about 3x fewer MACs",
        normalization="any (no ImageNet weights at this width; trained from scratch or distilled)",
    )
