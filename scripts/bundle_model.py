"""Turn a training run's best checkpoint into a bundled zoo model and measure it.

    python scripts/bundle_model.py RUN_DIR NAME --data eg1800 --split splits/test_clean.txt \
        --real-world coco128_person --calibration eg1800@splits/train_recommended.txt --calibration ccp_train \
        --calibration hsd_street --command "portraitseg train ..."

Writes zoo/bundled/NAME/: config.json; the float model.onnx, exported with named fp16 weights (so serving
needs no torch and exports nothing on first use, and the torch backend and fine-tuning read their weights from it:
one copy of the weights, no safetensors file) and model.int8.onnx (static INT8, calibrated on training images)
when its mIoU is within 0.3 points of the float model on the test split and, with ``--real-world``, on its photos
with people (and not ``--float-only``); NOTICE with
``--notice``; eval.json (test split, and with ``--real-world`` the people mIoU and person-free figures of that
folder); training.json; README.md, the model card rendered from those files.
Latency is not timed here: ``benchmarks/compare.py`` writes bench.json and re-renders the card in the run that
writes docs/benchmarks.md, so every latency the project quotes comes from one run. The curves and logs go to
docs/training/NAME/.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from portraitseg.api import load
from portraitseg.benchmarking import machine_description
from portraitseg.hub_cards.render import render_card
from portraitseg.evaluation.data import find_pairs
from portraitseg.evaluation.evaluate import evaluate
from portraitseg.zoo.catalog import BUNDLED_DIR
from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint
from portraitseg.zoo.onnx_contract import EVAL_NAME, INT8_ONNX_NAME, ONNX_NAME, TRAIN_CONFIG_NAME, WEIGHTS_NAME
from portraitseg.zoo.export import export_onnx
from portraitseg.zoo.quantize import quantize_int8

MAX_INT8_LOSS = 0.3
REAL_WORLD_SPLITS = {"people": "splits/with_people.txt", "empty": "splits/no_people.txt"}


def calibration_images(entries: list[str], count: int) -> list[Path]:
    pairs = [p for entry in entries for p in find_pairs(*(entry.split("@") + [None])[:2])]
    picks = np.random.default_rng(0).choice(len(pairs), min(count, len(pairs)), replace=False)
    return [pairs[i].image for i in sorted(picks)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="training run folder (uses RUN/best)")
    parser.add_argument("name", help="zoo name, e.g. portrait-unet-mnv2")
    parser.add_argument("--data", required=True, help="labelled test folder")
    parser.add_argument("--split", default=None)
    parser.add_argument("--real-world", metavar="DIR", help="folder with splits/with_people.txt and "
                        "splits/no_people.txt (coco128_person): validation only, never trained on")
    parser.add_argument("--calibration", action="append", required=True, metavar="DIR[@SPLIT]",
                        help="training images for INT8 calibration (never the test set); repeatable")
    parser.add_argument("--calibration-images", type=int, default=100)
    parser.add_argument("--serve-long-side", type=int, metavar="PX",
                        help="serving long side if not the run's, e.g. chosen with benchmarks/input_size.py")
    parser.add_argument("--live-long-side", type=int, metavar="PX",
                        help="the live webcam's long side if not the serving one (frame rate over detail)")
    parser.add_argument("--command", required=True, help="the exact training command, for the record")
    parser.add_argument("--selected", help="how the shipped weights were chosen, for the record (default: the "
                        "run's best epoch by the selection score)")
    parser.add_argument("--started-from", default="ImageNet encoder weights",
                        help="what the run started from (init_from / pretrained), for the record")
    parser.add_argument("--hardware", help="the machine that trained, for the record (default: this machine)")
    parser.add_argument("--notice", type=Path, help="licence notice of the weights the run started from, shipped as "
                        "NOTICE in the bundle and quoted in its card (e.g. the Apache-2.0 notice of MediaPipe's)")
    parser.add_argument("--float-only", action="store_true", help="ship no INT8 model even where it keeps the "
                        "accuracy: for models whose INT8 call is no faster (benchmarks/live_model.py measures it)")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="where the curves and logs go (default: docs)")
    parser.add_argument("--zoo", type=Path, default=BUNDLED_DIR, help="folder to write NAME/ into (default: the "
                        "package's bundled models)")
    args = parser.parse_args()

    target = args.zoo / args.name
    if target.exists():
        shutil.rmtree(target)
    net, config = load_checkpoint(args.run / "best")
    sizes = {k: v for k, v in (("serve_long_side", args.serve_long_side), ("live_long_side", args.live_long_side))
             if v}
    config = dataclasses.replace(config, **sizes).validate("--serve-long-side / --live-long-side")
    save_checkpoint(net, config, target, half=True)
    net, config = load_checkpoint(target)  # export exactly the fp16-rounded weights every backend will serve
    shutil.copy(args.run / TRAIN_CONFIG_NAME, target / TRAIN_CONFIG_NAME)
    tmp = Path(tempfile.mkdtemp())
    float_onnx = export_onnx(net, config, tmp / ONNX_NAME)
    int8_onnx = quantize_int8(float_onnx, tmp / INT8_ONNX_NAME,
                              calibration_images(args.calibration, args.calibration_images), config.serve_long_side,
                              config.output_stride)

    pairs = find_pairs(args.data, args.split)
    results = {}
    for label, path in (("fp32", float_onnx), ("int8", int8_onnx)):
        results[label] = evaluate(load(path, backend="onnxruntime"), pairs)
        print(f"{label}: mIoU {results[label]['miou']:.2f}", flush=True)
    real_world = {label: {name: evaluate(load(path, backend="onnxruntime"), find_pairs(args.real_world, split))
                          for name, split in REAL_WORLD_SPLITS.items()}
                  for label, path in (("fp32", float_onnx), ("int8", int8_onnx))} if args.real_world else {}
    # INT8 ships only where it keeps the float model's accuracy on every labelled set measured: the test split and
    # the real-world photos with people (a model can lose little on portraits and points on everyday photos)
    int8_losses = {"test": results["fp32"]["miou"] - results["int8"]["miou"]}
    if real_world:
        int8_losses["people"] = real_world["fp32"]["people"]["miou"] - real_world["int8"]["people"]["miou"]
    int8_loss = max(int8_losses.values())
    ships_int8 = int8_loss < MAX_INT8_LOSS and not args.float_only
    export_onnx(net, config, target / ONNX_NAME, named_fp16_weights=True)  # the same outputs as float_onnx
    (target / WEIGHTS_NAME).unlink()  # the weights now live in model.onnx
    if ships_int8:
        shutil.copy(int8_onnx, target / INT8_ONNX_NAME)

    evaluation = {**results["fp32"], "model": args.name, "backend": "onnxruntime", "data": str(args.data),
                  "split": args.split, "threshold": config.threshold, "int8": results["int8"],
                  "int8_losses": {name: round(loss, 2) for name, loss in int8_losses.items()},
                  "int8_shipped": ships_int8}
    if real_world:
        evaluation["real_world"] = {"data": Path(args.real_world).name, **real_world}
    (target / EVAL_NAME).write_text(json.dumps(evaluation, indent=2) + "\n")
    history = [json.loads(line) for line in (args.run / "log.jsonl").read_text().splitlines()]
    best = json.loads((args.run / "best" / "metrics.json").read_text())
    best_canvas = load_checkpoint(args.run / "best")[1].train_size
    record = {
        "command": f"`{args.command}`",
        "hardware": args.hardware or f"{machine_description()}, no GPU",
        "epochs": len(history),
        "wall time": f"{sum(r['train_seconds'] for r in history) / 3600:.2f} h in training steps",
        "throughput": f"{np.median([r['train_images_per_s'] for r in history]):.1f} images/s (median over epochs, "
                      "data pipeline included)",
        "started from": args.started_from,
        "input size": (f"trained on {max(best_canvas)} px canvases, served at long side {config.serve_long_side} "
                       "(chosen on validation data with benchmarks/input_size.py)" if args.serve_long_side else
                       f"long side {config.serve_long_side}, as trained")
                      + (f"; live video at long side {config.live_long_side}" if config.live_long_side else ""),
        "selected": args.selected or (
            f"epoch {best['epoch']} of {len(history)}, by the selection score {best['selection']:.2f} "
            "(trainers/selection.py: mean of the held-out mIoU and the coco128_person people mIoU, minus "
            "the person-free photos' mean person share; the test split was used once, for these figures)"),
        "curves": f"docs/training/{args.name}/curves.png",
    }
    (target / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    if args.notice:
        shutil.copy(args.notice, target / "NOTICE")
    (target / "README.md").write_text(str(render_card(target, model_name=args.name)))
    docs = args.docs / "training" / args.name
    docs.mkdir(parents=True, exist_ok=True)
    for name in ("curves.png", "log.csv", "train_config.yaml"):
        shutil.copy(args.run / name, docs / name)
    (docs / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    shutil.rmtree(tmp)
    size = sum(p.stat().st_size for p in target.iterdir()) / 1e6
    print(f"bundled {args.name} ({size:.1f} MB, {'INT8' if ships_int8 else 'float'} ONNX): fp32 mIoU "
          f"{results['fp32']['miou']:.2f}, dataset IoU {results['fp32']['dataset_iou']:.2f}, boundary F "
          f"{results['fp32']['boundary_f']:.4f}; INT8 mIoU {results['int8']['miou']:.2f}; INT8 loss "
          + ", ".join(f"{name} {loss:.2f}" for name, loss in int8_losses.items()))


if __name__ == "__main__":
    main()
