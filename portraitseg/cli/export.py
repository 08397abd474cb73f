"""``portraitseg export``: a checkpoint (or zoo model) to ONNX: float32, INT8 (CPU) or fp16 (GPU)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--model", default=None, help="zoo name or checkpoint folder (default: bundled default)")
    parser.add_argument("-o", "--output", required=True,
                        help="the .onnx file to write (an earlier export of portraitseg there is replaced, nothing else is)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")
    variant = parser.add_mutually_exclusive_group()
    variant.add_argument("--int8", action="store_true",
                         help="static INT8 (QDQ) quantisation calibrated on --calibration-data images (CPU)")
    variant.add_argument("--fp16", action="store_true", help="fp16 weights and compute, float32 I/O (GPU)")
    parser.add_argument("--calibration-data", help="folder with images/ (training images: never the test set)")
    parser.add_argument("--calibration-split", help="split list relative to --calibration-data")
    parser.add_argument("--calibration-images", type=int, default=100, help="how many images to calibrate on")


def onnx_problem(path: Path) -> str | None:
    """What makes ``path`` something other than an ONNX file this project exported (its metadata names the
    model's config): a user's own ONNX model is never replaced."""
    from portraitseg.zoo.config import MAX_MODEL_FILE_BYTES
    from portraitseg.zoo.onnx_contract import CONFIG_KEY
    from portraitseg.zoo.onnx_proto import metadata

    if path.stat().st_size > MAX_MODEL_FILE_BYTES:
        return "it is larger than any model this project exports"
    with open(path, "rb") as handle:  # an ONNX model opens with its IR version (field 1, a varint: byte 0x08)
        if handle.read(1) != b"\x08":
            return "it is not an ONNX file"
    return None if CONFIG_KEY in metadata(path) else "it is an ONNX file portraitseg did not export"


def run(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from portraitseg.api import resolve_model
    from portraitseg.atomic import atomic_write, check_replaceable, writable_path
    from portraitseg.errors import PortraitsegError
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.export import export_onnx

    output = writable_path(args.output)
    check_replaceable(output, "-o", onnx_problem, "ONNX export", suffix=".onnx")
    if args.int8 and not args.calibration_data:
        raise PortraitsegError("--int8 needs --calibration-data DIR (training images to measure activation ranges)")
    net, config = load_checkpoint(resolve_model(args.model))
    with tempfile.TemporaryDirectory() as tmp:
        float_path = export_onnx(net, config, Path(tmp) / "float.onnx", opset=args.opset)
        if args.int8:
            import numpy as np

            from portraitseg.evaluation.data import find_pairs
            from portraitseg.zoo.quantize import quantize_int8

            pairs = find_pairs(args.calibration_data, args.calibration_split)
            picks = np.random.default_rng(0).choice(len(pairs), min(args.calibration_images, len(pairs)), False)
            path = quantize_int8(float_path, Path(tmp) / "int8.onnx", [pairs[i].image for i in sorted(picks)],
                                 config.serve_long_side, config.output_stride)
        elif args.fp16:
            from portraitseg.zoo.quantize import convert_fp16

            path = convert_fp16(float_path, Path(tmp) / "fp16.onnx")
        else:
            path = float_path
        size = path.stat().st_size
        atomic_write(output, lambda part: shutil.copyfile(path, part))  # a killed export leaves the old file whole
    kind = "INT8 QDQ" if args.int8 else "fp16" if args.fp16 else "float32"
    print(f"wrote {output} ({kind}, {size / 1e6:.1f} MB; input 'image' RGB [0,255] NCHW, dynamic H/W, "
          f"long side {config.serve_long_side})")
    return 0
