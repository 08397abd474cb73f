"""``portraitseg export``: a checkpoint (or zoo model) to ONNX."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--model", default=None, help="zoo name or checkpoint folder (default: bundled default)")
    parser.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=17)


def run(args: argparse.Namespace) -> int:
    from portraitseg.api import resolve_model
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.export import export_onnx

    net, config = load_checkpoint(resolve_model(args.model))
    path = export_onnx(net, config, args.output, opset=args.opset)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB; input 'image' RGB [0,255] NCHW, dynamic H/W, "
          f"long side {config.long_side})")
    return 0
