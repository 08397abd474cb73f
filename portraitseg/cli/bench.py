"""``portraitseg bench``: median and p95 latency of the model call and of the whole predict path."""

from __future__ import annotations

import argparse
import sys

from portraitseg.cli.common import add_model_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, backend=False, threads=(None, "CPU threads for every backend (default: the cores "
                                                               "not busy with other work, from the load average)"))
    parser.add_argument("--backends", nargs="+", default=None, choices=["onnxruntime", "torch"],
                        help="backends to compare side by side in this run (default: every installed one)")
    parser.add_argument("--size", type=int, default=None,
                        help="model input long side (default: the model's own); a square image of this size "
                             "is fed to the model call")
    parser.add_argument("--image", default=None, help="image for the whole-path timing (default: a bundled example)")
    parser.add_argument("--runs", type=int, default=50,
                        help="timed calls per measurement; median and p95 are over these (default: 50)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed calls first, for allocation and kernel selection (default: 5)")


def run(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    import numpy as np

    from portraitseg.errors import PortraitsegError

    import gc

    from portraitseg.api import load
    from portraitseg.benchmarking import format_rows, idle_cores, time_model_call, time_whole_path
    from portraitseg.demo.examples import example_paths

    image = args.image or str(example_paths()[0])
    installed = [b for b, module in (("onnxruntime", "onnxruntime"), ("torch", "torch")) if find_spec(module)]
    backends = args.backends or installed
    skipped = [b for b in ("onnxruntime", "torch") if b not in backends]
    if not backends:
        raise PortraitsegError("no inference backend is installed: pip install 'portraitseg[cpu]'")
    threads = args.threads
    if threads is None:
        threads, why = idle_cores()
        print(f"threads: {threads} for every backend ({why}; --threads sets them)", file=sys.stderr, flush=True)
    rows = []
    for number, backend in enumerate(backends, 1):
        gc.collect()  # the previous backend's session and its threads go before the next one is timed
        segmenter = load(args.model, backend=backend, device=args.device, threads=threads,
                         precision=args.precision, edges=args.edges)
        if args.size:
            segmenter = segmenter.at_long_side(args.size)
        side = segmenter.serve_long_side
        print(f"[{number}/{len(backends)}] timing {segmenter}: {args.warmup} + {args.runs} model calls, then the "
              "whole path as often", file=sys.stderr, flush=True)
        batch = np.full((1, 3, side, side), 127.5, np.float32)
        common = dict(backend=segmenter.backend_name, provider=segmenter.provider, precision=segmenter.precision,
                      threads=getattr(segmenter.backend, "threads", "?"))
        rows.append(dict(common, input=f"{side}x{side}", what="model call",
                         **time_model_call(segmenter.backend, batch, args.runs, args.warmup, f"{backend} model call")))
        rows.append(dict(common, input=f"long side {side}", what="whole path",
                         **time_whole_path(segmenter, image, args.runs, args.warmup, f"{backend} whole path")))
        del segmenter
    print(format_rows(rows))
    print(f"whole path = decode {image} + resize + model + blur composite; median and p95 of {args.runs} runs")
    if skipped:
        print(f"skipped: {', '.join(skipped)} ({'not installed' if not args.backends else 'not asked for'})")
    return 0
