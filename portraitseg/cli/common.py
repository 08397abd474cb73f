"""Options shared by the commands that load a model."""

from __future__ import annotations

import argparse


def add_model_arguments(parser: argparse.ArgumentParser, backend: bool = True) -> None:
    parser.add_argument("-m", "--model", default=None,
                        help="zoo name, checkpoint folder, .onnx file or hf://ORG/NAME[@REV] "
                             "(default: the bundled default model)")
    if backend:
        parser.add_argument("--backend", default="auto", choices=["auto", "onnxruntime", "torch"],
                            help="auto: ONNX Runtime when installed, else torch")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: one per available core)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"],
                        help="ONNX Runtime: auto uses a bundled INT8 model on the CPU when the model ships one")


def load_from_args(args: argparse.Namespace):
    from portraitseg.api import load

    return load(args.model, backend=args.backend, device=args.device, threads=args.threads, precision=args.precision)
