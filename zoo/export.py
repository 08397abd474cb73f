"""ONNX export: sigmoid-probability output, dynamic batch/height/width, metadata describing the contract."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import onnx
import torch

from portraitseg.atomic import atomic_write
from portraitseg.zoo.config import ModelConfig
from portraitseg.zoo.unet import ProbabilityModel, UNet

OPSET = 17
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


def export_onnx(model: UNet, config: ModelConfig, path: str | Path, opset: int = OPSET) -> Path:
    """Write ``model`` as ONNX with dynamic batch, height and width.

    Uses TorchScript-based export (``dynamo=False``): it needs no onnxscript, takes seconds rather than tens of
    seconds, and gives the same graph for this convolutional model (checked by tests against torch).
    """
    wrapped = ProbabilityModel(model.float().eval()).cpu()
    h, w = config.input_size
    example = torch.full((1, 3, h, w), 127.5)
    axes = {0: "batch", 2: "height", 3: "width"}

    def write(tmp: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(wrapped, (example,), tmp, dynamo=False, opset_version=opset, input_names=[INPUT_NAME],
                              output_names=[OUTPUT_NAME], dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: axes})
        proto = onnx.load(tmp)
        for key, value in onnx_metadata(config).items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        proto.producer_name = "portraitseg"
        onnx.checker.check_model(proto)
        onnx.save(proto, tmp)

    return atomic_write(path, write)


def config_from_onnx_metadata(metadata: dict[str, str], source: str) -> ModelConfig:
    """The model config embedded by :func:`export_onnx`."""
    from portraitseg.errors import CheckpointError

    if "portraitseg.config" not in metadata:
        raise CheckpointError(f"{source} has no portraitseg metadata; export it with 'portraitseg export'")
    return ModelConfig.from_dict(json.loads(metadata["portraitseg.config"]), source=source)
