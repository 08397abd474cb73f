"""Built-in decoders, registered through the same hook as third-party ones."""

from __future__ import annotations

from portraitseg.hookspecs import hookimpl
from portraitseg.zoo.config import UNET_DECODER_CHANNELS, UNET_DECODER_CONVS


def _unet(*args, **kwargs):
    from portraitseg.zoo.decoders.unet import unet_decoder

    return unet_decoder(*args, **kwargs)


def _light(*args, **kwargs):
    from portraitseg.zoo.decoders.light import light_decoder

    return light_decoder(*args, **kwargs)


def _selfie(*args, **kwargs):
    from portraitseg.zoo.decoders.selfie import selfie_decoder

    return selfie_decoder(*args, **kwargs)


@hookimpl
def register_decoders(register):
    # defaults: the settings the benchmarks build each decoder with (a config names its own)
    register("unet", _unet, defaults={"decoder_channels": list(UNET_DECODER_CHANNELS),
                                      "decoder_convs": UNET_DECODER_CONVS},
             description="U-Net: full 3x3 conv blocks at every stride down to the encoder's finest map "
                         "(decoder_convs per stage; 0.1.0 to 0.4.0's decoder)")
    register("light", _light, defaults={"decoder_channels": [96, 64, 32], "decoder_convs": 1},
             description="depthwise-separable blocks, stopping at stride 4 (decoder_params: {stride: N}); the rest "
                         "is upsampling")
    register("selfie", _selfie, defaults={"decoder_channels": [24, 16, 16], "decoder_convs": 1},
             description="MediaPipe selfie segmentation's decoder: squeeze-excite gated skips, a 2x2 transposed "
                         "convolution to stride 1 (pairs with the mediapipe_selfie encoder)")
