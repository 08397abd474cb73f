"""The contract of an exported ONNX file, readable without torch: file names in a checkpoint folder, input and
output names, and the metadata that lets a bare .onnx file describe itself."""

from __future__ import annotations

import json

from portraitseg.errors import CheckpointError
from portraitseg.zoo.config import ModelConfig

WEIGHTS_NAME = "model.safetensors"
ONNX_NAME = "model.onnx"
INT8_ONNX_NAME = "model.int8.onnx"
INPUT_NAME = "image"
OUTPUT_NAME = "probability"


def onnx_metadata(config: ModelConfig) -> dict[str, str]:
    """What a plain onnxruntime user needs to feed the model and read its output."""
    return {
        "portraitseg.format_version": str(config.format_version),
        "portraitseg.config": json.dumps(config.to_dict()),
        "input": "image: float32 NCHW, RGB in [0, 255] (normalisation is inside the graph); any H and W that are "
                 "multiples of 32; portraitseg scales the longer side to long_side and pads bottom/right",
        "output": "probability: float32 (N, 1, H, W), sigmoid probability of the person class",
        "long_side": str(config.long_side),
        "threshold": str(config.threshold),
        "normalization": json.dumps(config.normalization),
    }


def config_from_onnx_metadata(metadata: dict[str, str], source: str) -> ModelConfig:
    """The model config embedded by :func:`export_onnx`."""
    if "portraitseg.config" not in metadata:
        raise CheckpointError(f"{source} has no portraitseg metadata; export it with 'portraitseg export'")
    return ModelConfig.from_dict(json.loads(metadata["portraitseg.config"]), source=source)
