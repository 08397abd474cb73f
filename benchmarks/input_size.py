"""Choose the serving long side of a trained checkpoint from validation data: for each size, the selection score
(trainers/selection.py) on the run's held-out pairs and on coco128_person, and the median model-call latency of
its ONNX export at that size (ONNX Runtime, float32 and INT8 are not distinguished here: float32).

    python benchmarks/input_size.py runs/default --sizes 256 320 384

The held-out pairs are rebuilt from the run's train_config.yaml (same seed and fraction); the test split is not
used, so the choice stays a validation decision.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import numpy as np

from portraitseg.benchmarking import time_model_call
from portraitseg.evaluation.evaluate import evaluate
from portraitseg.geometry import plan_fit
from portraitseg.segmenter import Segmenter
from portraitseg.trainers.config import build_config
from portraitseg.trainers.loop import collect_pairs, pairs_of
from portraitseg.trainers.selection import selection_score
from portraitseg.zoo.checkpoint import load_checkpoint
from portraitseg.zoo.export import export_onnx
from portraitseg.zoo.runtimes.onnx_backend import OnnxBackend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="training run folder (uses RUN/best and RUN/train_config.yaml)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 320, 384])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    config = build_config(args.run / "train_config.yaml")
    _, val = collect_pairs(config)
    people = pairs_of(config.selection_people, "skip") if config.selection_people else []
    empty = pairs_of(config.selection_empty, "skip") if config.selection_empty else []
    net, model_config = load_checkpoint(args.run / "best")
    with tempfile.TemporaryDirectory() as tmp:
        backend = OnnxBackend(export_onnx(net, model_config, Path(tmp) / "model.onnx"), "cpu", args.threads)
        print("| long side | held-out mIoU | people mIoU | person-free share | selection | model call (4:3 frame) |")
        print("|---|---|---|---|---|---|")
        for side in args.sizes:
            segmenter = Segmenter.from_config(backend, dataclasses.replace(model_config, serve_long_side=side))
            metrics = {"val_miou": evaluate(segmenter, val, progress=False)["miou"]}
            if people:
                metrics["people_miou"] = evaluate(segmenter, people, progress=False)["miou"]
            if empty:
                metrics["empty_person_share"] = evaluate(segmenter, empty, progress=False)["person_share"]
            fit = plan_fit((480, 640), side, model_config.output_stride)
            batch = np.full((1, 3, fit.padded_h, fit.padded_w), 128, np.float32)
            latency = time_model_call(backend, batch, runs=100, warmup=10)["median_ms"]
            print(f"| {side} | {metrics['val_miou']:.2f} | {metrics.get('people_miou', float('nan')):.2f} | "
                  f"{metrics.get('empty_person_share', float('nan')):.2f}% | {selection_score(metrics):.2f} | "
                  f"{latency:.1f} ms ({fit.padded_h}x{fit.padded_w}) |", flush=True)


if __name__ == "__main__":
    main()
