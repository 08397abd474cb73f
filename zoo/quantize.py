"""Smaller and faster ONNX variants: statically quantised INT8 (QDQ, calibrated on real images) for CPUs, and
fp16 for GPUs. Both keep the float32 input and output, so callers do not change."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable

import onnx

from portraitseg.geometry import plan_fit, to_input
from portraitseg.image_io import read_image
from portraitseg.atomic import atomic_write
from portraitseg.zoo.onnx_contract import INPUT_NAME


def _copy_metadata(source: Path, target_proto: onnx.ModelProto, variant: str) -> None:
    for prop in onnx.load(str(source), load_external_data=False).metadata_props:
        entry = target_proto.metadata_props.add()
        entry.key, entry.value = prop.key, prop.value
    entry = target_proto.metadata_props.add()
    entry.key, entry.value = "portraitseg.variant", variant


def quantize_int8(source: str | Path, target: str | Path, calibration_images: Iterable[str | Path],
                  long_side: int, multiple: int) -> Path:
    """Static INT8 quantisation in QDQ format: per-channel int8 weights, uint8 activations whose ranges are
    calibrated on ``calibration_images`` (preprocessed exactly as inference does). Weights use 7 bits
    (``reduce_range``): on CPUs without VNNI (AVX2 only, most laptops) ONNX Runtime's uint8 x int8 kernels
    saturate with full-range weights, which cost the first 0.2.0 INT8 model 0.25 mIoU points on EG1800 there and
    nothing on VNNI CPUs; with 7 bits both agree with the float model."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, \
        quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    source, target = Path(source), Path(target)
    paths = list(calibration_images)
    if not paths:
        raise ValueError("INT8 calibration needs at least one image")

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._paths = iter(paths)

        def get_next(self):
            path = next(self._paths, None)
            if path is None:
                return None
            rgb = read_image(path)
            return {INPUT_NAME: to_input(rgb, plan_fit(rgb.shape[:2], long_side, multiple))[None]}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantized = Path(tmp) / "int8.onnx"
        quantize_static(str(prepared), str(quantized), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True,
                        calibrate_method=CalibrationMethod.MinMax)
        proto = onnx.load(str(quantized))
    _copy_metadata(source, proto, "int8-qdq")
    return atomic_write(target, lambda tmp_path: onnx.save(proto, tmp_path))


def convert_fp16(source: str | Path, target: str | Path) -> Path:
    """fp16 weights and compute (for GPUs), float32 input and output kept."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    proto = convert_float_to_float16(onnx.load(str(source)), keep_io_types=True)
    del proto.metadata_props[:]
    _copy_metadata(Path(source), proto, "fp16")
    return atomic_write(target, lambda tmp_path: onnx.save(proto, tmp_path))
