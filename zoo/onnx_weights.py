"""Reading a state dict back out of an ONNX file exported with named fp16 weights (the bundled model keeps its
only copy of the weights there), beside the contract that names those weights."""

from __future__ import annotations

from pathlib import Path

import torch

from portraitseg.errors import CheckpointError
from portraitseg.zoo.onnx_contract import FP16_SUFFIX, WEIGHT_PREFIX, WEIGHTS_NAME


def weights_from_onnx(path: Path) -> dict[str, torch.Tensor]:
    """The state dict stored in an ONNX file exported with ``named_fp16_weights`` (float32 tensors). Batch-norm
    step counters are not exported (they are not weights): they come back as 0."""
    from portraitseg.extras import require

    onnx = require("onnx", f"reading the weights stored in {path}")
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # onnx raises DecodeError and others for damaged files
        raise CheckpointError(f"{path} is corrupt or not an ONNX file: {exc}") from exc
    named = [init for init in graph.initializer if init.name.startswith(WEIGHT_PREFIX)]
    if not any(init.name.endswith(FP16_SUFFIX) for init in named):
        raise CheckpointError(f"{path.parent}: no {WEIGHTS_NAME}, and {path.name} holds no named weights (it was "
                              f"exported with batch norm folded): the torch backend and training need the "
                              f"safetensors file")
    state = {}
    for init in named:
        array = numpy_helper.to_array(init)
        key = init.name[len(WEIGHT_PREFIX):].removesuffix(FP16_SUFFIX)
        state[key] = torch.from_numpy(array.astype("float32") if array.dtype == "float16" else array.copy())
        if key.endswith(".running_mean"):
            state[key.removesuffix("running_mean") + "num_batches_tracked"] = torch.tensor(0)
    return state
