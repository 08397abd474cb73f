"""``portraitseg export``: a checkpoint (or zoo model) to ONNX: float32, INT8 (CPU) or fp16 (GPU)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--model", default=None, help="zoo name or checkpoint folder (default: bundled default)")
    parser.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=17)
    variant = parser.add_mutually_exclusive_group()
    variant.add_argument("--int8", action="store_true",
                         help="static INT8 (QDQ) quantisation calibrated on --calibration-data images (CPU)")
    variant.add_argument("--fp16", action="store_true", help="fp16 weights and compute, float32 I/O (GPU)")
    parser.add_argument("--calibration-data", help="folder with images/ (training images: never the test set)")
    parser.add_argument("--calibration-split", help="split list relative to --calibration-data")
    parser.add_argument("--calibration-images", type=int, default=100, help="how many images to calibrate on")


def run(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from portraitseg.api import resolve_model
    from portraitseg.errors import PortraitsegError
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.export import export_onnx

    from portraitseg.atomic import writable_path

    writable_path(args.output)
    if args.int8 and not args.calibration_data:
        raise PortraitsegError("--int8 needs --calibration-data DIR (training images to measure activation ranges)")
    net, config = load_checkpoint(resolve_model(args.model))
    with tempfile.TemporaryDirectory() as tmp:
        float_path = export_onnx(net, config, Path(tmp) / "float.onnx" if (args.int8 or args.fp16) else args.output,
                                 opset=args.opset)
        if args.int8:
            import numpy as np

            from portraitseg.evaluation.data import find_pairs
            from portraitseg.zoo.quantize import quantize_int8

            pairs = find_pairs(args.calibration_data, args.calibration_split)
            picks = np.random.default_rng(0).choice(len(pairs), min(args.calibration_images, len(pairs)), False)
            path = quantize_int8(float_path, args.output, [pairs[i].image for i in sorted(picks)],
                                 config.serve_long_side, config.output_stride)
        elif args.fp16:
            from portraitseg.zoo.quantize import convert_fp16

            path = convert_fp16(float_path, args.output)
        else:
            path = float_path
    kind = "INT8 QDQ" if args.int8 else "fp16" if args.fp16 else "float32"
    print(f"wrote {path} ({kind}, {path.stat().st_size / 1e6:.1f} MB; input 'image' RGB [0,255] NCHW, dynamic H/W, "
          f"long side {config.serve_long_side})")
    return 0
