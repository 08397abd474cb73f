"""ONNX export: sigmoid-probability output, dynamic batch/height/width, metadata describing the contract."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from portraitseg.atomic import atomic_write
from portraitseg.zoo.config import ModelConfig
from portraitseg.zoo.onnx_contract import FP16_SUFFIX, INPUT_NAME, OUTPUT_NAME, WEIGHT_PREFIX, onnx_metadata
from portraitseg.zoo.model import ProbabilityModel, SegmentationModel

OPSET = 17


def export_onnx(model: SegmentationModel, config: ModelConfig, path: str | Path, opset: int = OPSET,
                named_fp16_weights: bool = False) -> Path:
    """Write ``model`` as ONNX with dynamic batch, height and width.

    Uses TorchScript-based export (``dynamo=False``): it needs no onnxscript, takes seconds rather than tens of
    seconds, and gives the same graph for this convolutional model (checked by tests against torch).

    ``named_fp16_weights``: keep batch norm as nodes, so every initializer is a state-dict tensor under its own
    name, and store the float ones as fp16 with a Cast to float32 (ONNX Runtime folds both away when it loads the
    model: the same speed, the same outputs for fp16-rounded weights). Half the size, and the torch weights can
    be read back from the file (:func:`portraitseg.zoo.onnx_weights.weights_from_onnx`): the bundled model ships
    this file instead of a float ONNX file plus a safetensors file.
    """
    was_training = model.training
    wrapped = ProbabilityModel(model.float()).cpu().eval()  # eval as a whole: export puts back the wrapper's mode
    h, w = config.train_size
    example = torch.full((1, 3, h, w), 127.5)
    axes = {0: "batch", 2: "height", 3: "width"}

    def write(tmp: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(wrapped, (example,), tmp, dynamo=False, opset_version=opset, input_names=[INPUT_NAME],
                              output_names=[OUTPUT_NAME], dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: axes},
                              do_constant_folding=not named_fp16_weights,
                              keep_initializers_as_inputs=named_fp16_weights)  # True: no merging of equal tensors
        proto = onnx.load(tmp)
        if named_fp16_weights:
            store_float_weights_as_fp16(proto.graph)
        for key, value in onnx_metadata(config).items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        proto.producer_name = "portraitseg"
        onnx.checker.check_model(proto)
        onnx.save(proto, tmp)

    try:
        return atomic_write(path, write)
    finally:
        model.train(was_training)


def store_float_weights_as_fp16(graph: onnx.GraphProto) -> None:
    """Replace each float32 weight initializer by an fp16 one plus a Cast node that restores its name, and make
    the initializers constants again (the export listed them as graph inputs to keep equal tensors apart)."""
    constants = {init.name for init in graph.initializer}
    inputs = [value for value in graph.input if value.name not in constants]
    del graph.input[:]
    graph.input.extend(inputs)
    initializers, casts = [], []
    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        if array.dtype != np.float32 or not init.name.startswith(WEIGHT_PREFIX):
            initializers.append(init)
            continue
        initializers.append(numpy_helper.from_array(array.astype(np.float16), init.name + FP16_SUFFIX))
        casts.append(helper.make_node("Cast", [init.name + FP16_SUFFIX], [init.name], to=TensorProto.FLOAT))
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
