"""The contract of an exported ONNX file, readable without torch: file names in a checkpoint folder, input and
output names, and the metadata that lets a bare .onnx file describe itself."""

from __future__ import annotations

import json
from pathlib import Path

from portraitseg.errors import CheckpointError
from portraitseg.zoo.config import CONFIG_NAME, ModelConfig

# The files of a checkpoint folder (CONFIG_NAME, config.json, is defined with the config itself).
WEIGHTS_NAME = "model.safetensors"
ONNX_NAME = "model.onnx"
INT8_ONNX_NAME = "model.int8.onnx"
TRAIN_CONFIG_NAME = "train_config.yaml"  # the training run's settings, kept for the record and the card
EVAL_NAME = "eval.json"  # measured test-set and real-world scores, read by the card
CHECKPOINT_FILES = (CONFIG_NAME, WEIGHTS_NAME, ONNX_NAME, INT8_ONNX_NAME)
WEIGHT_PREFIX = "model."  # a named weight's initializer is WEIGHT_PREFIX + its state-dict key [+ FP16_SUFFIX]
FP16_SUFFIX = "::fp16"
CONFIG_KEY = "portraitseg.config"  # the metadata entry holding the model's config: the mark of our exports
INPUT_NAME = "image"
OUTPUT_NAME = "probability"


def confined_model_file(path: Path) -> Path:
    """``path``, refused when it is a symbolic link that leads out of its checkpoint (as ONNX Runtime refuses
    external data that does): a model file is read from its own folder, or, in a Hugging Face cache snapshot
    (``.../snapshots/REV/FILE``, whose files link to ``../../blobs/``), from its repository's cache folder."""
    if not path.is_symlink():
        return path
    folder = path.parent.resolve() if path.parent.is_symlink() else path.parent.absolute()
    root = folder.parent.parent if folder.parent.name == "snapshots" else folder
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        raise CheckpointError(f"{path} is a link to {target}, outside its checkpoint folder: copy the file into the "
                              "folder instead of linking it")
    return path


def onnx_metadata(config: ModelConfig) -> dict[str, str]:
    """What a plain onnxruntime user needs to feed the model and read its output."""
    return {
        "portraitseg.format_version": str(config.format_version),
        CONFIG_KEY: json.dumps(config.to_dict()),
        "input": "image: float32 NCHW, RGB in [0, 255] (normalisation is inside the graph); any H and W that are "
                 f"multiples of {config.output_stride}; portraitseg scales the longer side to serve_long_side "
                 "(photos) or live_long_side (video) and pads bottom/right",
        "output": "probability: float32 (N, 1, H, W), sigmoid probability of the person class",
        "serve_long_side": str(config.serve_long_side),
        "live_long_side": str(config.live_long_side),
        "threshold": str(config.threshold),
        "normalization": json.dumps(config.normalization),
    }


def config_from_onnx_metadata(metadata: dict[str, str], source: str) -> ModelConfig:
    """The model config embedded by :func:`export_onnx`."""
    if CONFIG_KEY not in metadata:
        raise CheckpointError(f"{source} has no portraitseg metadata; export it with 'portraitseg export'")
    try:
        data = json.loads(metadata[CONFIG_KEY])
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{source}: its portraitseg.config metadata is not a usable JSON object ({exc!r})") \
            from None
    return ModelConfig.from_dict(data, source=source)
