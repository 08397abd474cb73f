"""Convert MediaPipe selfie segmentation's TensorFlow Lite file into a portraitseg checkpoint.

    python scripts/convert_mediapipe_selfie.py selfie_segmentation.tflite runs/mediapipe-selfie

Reads the fp16 constants ``<layer>/Kernel`` and ``<layer>/Bias`` of the general model (256x256, from the PyPI wheel
mediapipe or the npm package @mediapipe/selfie_segmentation; Apache-2.0) into the ``mediapipe_selfie`` encoder and
the ``selfie`` decoder and writes ``config.json`` + ``model.safetensors``: the network as published, float32,
input RGB in [0, 255] (the scaling to [0, 1] is the config's normalisation). ``--temperature T`` divides the last
layer's weights and bias by T, a start for fine-tuning: its logits reach |870|, and dividing them changes no mask
pixel at the 0.5 threshold. Needs ai-edge-litert (``pip install 'portraitseg[bench]'``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import torch
from torch import nn

from portraitseg.zoo.config import ModelConfig
from portraitseg.zoo.model import build_model
from portraitseg.zoo.selfie_layers import SameConv2d

# TensorFlow Lite layouts -> PyTorch: CONV_2D kernels are OHWI, DEPTHWISE_CONV_2D [1, H, W, C], the transposed
# convolution [out, H, W, in] (PyTorch's ConvTranspose2d weight is [in, out, H, W], not flipped).
_LAYOUTS = {"conv2d": (0, 3, 1, 2), "depthwise_conv2d": (3, 0, 1, 2), "segment": (3, 0, 1, 2)}


def selfie_config(live_long_side: int = 256) -> ModelConfig:
    """The config of MediaPipe selfie segmentation's network: 256x256 input, RGB scaled to [0, 1]."""
    return ModelConfig(encoder="mediapipe_selfie", decoder="selfie", decoder_channels=(24, 16, 16), decoder_convs=1,
                       train_size=(256, 256), serve_long_side=256, live_long_side=live_long_side, output_stride=16,
                       normalization={"mean": [0.0, 0.0, 0.0], "std": [255.0, 255.0, 255.0]})


def read_tflite_weights(path: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Each layer's (kernel, bias) as float32, by TensorFlow layer name (``conv2d_7``, ``segment``, ...)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    found: dict[str, dict[str, torch.Tensor]] = {}
    for detail in interpreter.get_tensor_details():
        match = re.fullmatch(r"(\w+)/(Kernel|Bias)", detail["name"])
        if match:
            value = torch.from_numpy(interpreter.get_tensor(detail["index"]).astype("float32"))
            found.setdefault(match[1], {})[match[2]] = value
    return {name: (parts["Kernel"], parts["Bias"]) for name, parts in found.items()}


def _ordered(layers: dict, prefix: str) -> list[str]:
    names = [n for n in layers if re.fullmatch(rf"{prefix}(_\d+)?", n)]
    return sorted(names, key=lambda n: int(n.rsplit("_", 1)[1]) if n != prefix else 0)


def load_tflite_weights(model: nn.Module, layers: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Copy the layers into ``model`` in TensorFlow's layer order (the module order of the encoder and decoder):
    pointwise and full convolutions from ``conv2d``, depthwise ones from ``depthwise_conv2d``, the transposed one
    from ``segment``. Refuses a file whose layers or shapes differ."""
    convs = [m for m in model.modules() if isinstance(m, SameConv2d)]
    targets = {"conv2d": [m for m in convs if m.groups == 1],
               "depthwise_conv2d": [m for m in convs if m.groups > 1],
               "segment": [m for m in model.modules() if isinstance(m, nn.ConvTranspose2d)]}
    for prefix, modules in targets.items():
        names = _ordered(layers, prefix)
        if len(names) != len(modules):
            raise ValueError(f"the file has {len(names)} {prefix} layers, the network {len(modules)}: "
                             "not MediaPipe selfie segmentation's general model")
        for name, module in zip(names, modules):
            kernel, bias = layers[name]
            weight = kernel.permute(*_LAYOUTS[prefix]).contiguous()
            if weight.shape != module.weight.shape or bias.shape != module.bias.shape:
                raise ValueError(f"{name}: kernel {tuple(kernel.shape)} does not fit {tuple(module.weight.shape)}")
            with torch.no_grad():
                module.weight.copy_(weight)
                module.bias.copy_(bias)


def convert(tflite: Path, temperature: float = 1.0, live_long_side: int = 256):
    """The converted model and its config."""
    config = selfie_config(live_long_side)
    model = build_model(config).eval()
    load_tflite_weights(model, read_tflite_weights(tflite))
    if temperature != 1.0:
        with torch.no_grad():
            model.decoder.segment.weight.div_(temperature)
            model.decoder.segment.bias.div_(temperature)
    return model, config


def main() -> None:
    from portraitseg.zoo.checkpoint import save_checkpoint

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tflite", type=Path, help="selfie_segmentation.tflite (the general model, 256x256)")
    parser.add_argument("output", type=Path, help="checkpoint folder to write")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="divide the logits by this (default 1: the published network unchanged)")
    parser.add_argument("--live-long-side", type=int, default=256, help="the config's live size (default 256)")
    args = parser.parse_args()
    if not args.temperature > 0:
        parser.error("--temperature must be positive")
    model, config = convert(args.tflite, args.temperature, args.live_long_side)
    args.output.mkdir(parents=True, exist_ok=True)
    save_checkpoint(model, config, args.output)
    print(f"wrote {args.output}: {sum(p.numel() for p in model.parameters()):,} parameters")


if __name__ == "__main__":
    main()
