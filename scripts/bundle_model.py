"""Turn a training run's best checkpoint into a bundled zoo model: fp16 safetensors + config + ONNX export, measured
on a test split (eval.json), timed (bench.json), with its training record and rendered model card.

    python scripts/bundle_model.py RUN_DIR NAME --data eg1800 --split splits/test_clean.txt \
        --command "portraitseg train ..." [--hardware "..."]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path

import numpy as np

from portraitseg.api import load
from portraitseg.benchmarking import time_model_call
from portraitseg.hub_cards.render import render_card
from portraitseg.trainers.data import find_pairs
from portraitseg.trainers.evaluate import evaluate
from portraitseg.zoo.catalog import BUNDLED_DIR
from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint
from portraitseg.zoo.export import export_onnx


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="training run folder (uses RUN/best)")
    parser.add_argument("name", help="zoo name, e.g. portrait-unet-mnv2")
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--command", required=True, help="the exact training command, for the record")
    parser.add_argument("--hardware", default=None)
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="where the training record goes")
    args = parser.parse_args()

    target = BUNDLED_DIR / args.name
    if target.exists():
        shutil.rmtree(target)
    net, config = load_checkpoint(args.run / "best")
    save_checkpoint(net, config, target, half=True)
    net, config = load_checkpoint(target)  # export exactly the fp16-rounded weights both backends will serve
    export_onnx(net, config, target / "model.onnx")
    shutil.copy(args.run / "train_config.yaml", target / "train_config.yaml")

    history = [json.loads(line) for line in (args.run / "log.jsonl").read_text().splitlines()]
    best = json.loads((args.run / "best" / "metrics.json").read_text())
    record = {
        "command": f"`{args.command}`",
        "hardware": args.hardware or f"{cpu_name()}, {len(__import__('os').sched_getaffinity(0))} cores, no GPU",
        "epochs": len(history),
        "wall time": f"{sum(r['train_seconds'] for r in history) / 3600:.2f} h of training steps "
                     "(validation and checkpointing not included)",
        "selected": f"epoch {best['epoch']} by validation mIoU {best['miou']:.2f} (held-out 10% of the training lists)",
        "curves": f"docs/training/{args.name}/curves.png",
    }
    (target / "training.json").write_text(json.dumps(record, indent=2) + "\n")

    segmenter = load(target, backend="onnxruntime")
    started = time.perf_counter()
    evaluation = evaluate(segmenter, find_pairs(args.data, args.split))
    evaluation.update(model=args.name, backend=segmenter.backend_name, provider=segmenter.provider,
                      data=str(args.data), split=args.split, threshold=config.threshold,
                      seconds=round(time.perf_counter() - started, 1))
    (target / "eval.json").write_text(json.dumps(evaluation, indent=2) + "\n")

    h = config.long_side
    w = h * 3 // 4
    batch = np.full((1, 3, h, w), 127.5, np.float32)
    timing = time_model_call(segmenter.backend, batch, runs=100, warmup=10)
    bench = {**timing, "provider": segmenter.provider, "threads": segmenter.backend.threads,
             "input": f"{h}x{w} (HxW, a 3:4 portrait)", "hardware": cpu_name()}
    (target / "bench.json").write_text(json.dumps(bench, indent=2) + "\n")

    card = render_card(target, model_name=args.name)
    (target / "README.md").write_text(str(card))
    docs = args.docs / "training" / args.name
    docs.mkdir(parents=True, exist_ok=True)
    for name in ("curves.png", "log.csv", "train_config.yaml"):
        shutil.copy(args.run / name, docs / name)
    (docs / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    size = sum(p.stat().st_size for p in target.iterdir()) / 1e6
    print(f"bundled {args.name} ({size:.1f} MB): mIoU {evaluation['miou']:.2f}, dataset IoU "
          f"{evaluation['dataset_iou']:.2f}, boundary F {evaluation['boundary_f']:.4f} on {evaluation['images']} "
          f"images; {timing['median_ms']:.1f} ms median model call")


if __name__ == "__main__":
    main()
