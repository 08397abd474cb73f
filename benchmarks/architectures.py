"""Every registered encoder x decoder pair that can be built side by side (the live model's is mediapipe_selfie +
selfie), in one run: parameters, multiply-accumulates at 320x256,
the served INT8 model call against MediaPipe selfie segmentation in the same process at 1 and 2 threads, and
the whole training pipeline's throughput (data loading and augmentation included) with the share of step time
spent waiting for data, in fp32 and, where the CPU has bf16 units, bf16.

    python benchmarks/architectures.py --peers PEERS_DIR --train-data eg1800@splits/train_recommended.txt \
        --out docs/architectures.md

Each decoder is built with the settings it registers as ``defaults``. Weights: the encoder's ImageNet file where
``--pretrained`` gives one for it, else random (latency and throughput do not depend on the values; INT8 is
calibrated on the demo's example photos either way). Latencies are medians over interleaved rounds, so every
model and MediaPipe see the same machine load; the ratio to MediaPipe is the figure to compare across machines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import load_peers  # noqa: E402

from portraitseg.benchmarking import format_rows, interleaved_medians, machine_description  # noqa: E402
from portraitseg.errors import PluginError  # noqa: E402
from portraitseg.evaluation.data import find_pairs  # noqa: E402
from portraitseg.geometry import plan_fit, to_input  # noqa: E402
from portraitseg.image_io import read_image  # noqa: E402
from portraitseg.plugins import get_registry  # noqa: E402
from portraitseg.trainers.config import build_config  # noqa: E402
from portraitseg.trainers.loop import Trainer, resolve_precision  # noqa: E402
from portraitseg.zoo.complexity import count_macs, count_parameters  # noqa: E402
from portraitseg.zoo.config import ModelConfig  # noqa: E402
from portraitseg.zoo.export import export_onnx  # noqa: E402
from portraitseg.zoo.model import build_model  # noqa: E402
from portraitseg.zoo.quantize import quantize_int8  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "demo" / "examples"
HEIGHT, WIDTH = 320, 256


def pair_config(encoder: str, decoder: str, size: tuple[int, int]) -> ModelConfig:
    defaults = get_registry("decoders").get(decoder).metadata.get("defaults", {})
    return ModelConfig(encoder=encoder, decoder=decoder, train_size=size, serve_long_side=max(size),
                       decoder_channels=tuple(defaults.get("decoder_channels", ModelConfig.decoder_channels)),
                       decoder_convs=defaults.get("decoder_convs", ModelConfig.decoder_convs))


def int8_sessions(config: ModelConfig, folder: Path, threads: list[int]):
    """The pair exported and quantised as bundling does, one ONNX Runtime session per thread count."""
    import onnxruntime as ort

    torch.manual_seed(0)
    onnx = export_onnx(build_model(config).eval(), config, folder / "model.onnx")
    int8 = quantize_int8(onnx, folder / "model.int8.onnx", sorted(EXAMPLES.glob("*.jpg")), config.serve_long_side,
                         config.output_stride)
    sessions = {}
    for count in threads:
        options = ort.SessionOptions()
        options.intra_op_num_threads = count
        sessions[count] = ort.InferenceSession(str(int8), options, providers=["CPUExecutionProvider"])
    return sessions


def first_pairs(entry: str, count: int, folder: Path) -> str:
    """``entry`` (``DIR[@SPLIT]``) cut to its first ``count`` pairs, as a split file in ``folder`` (decoding a
    whole training set per pair and precision would dwarf the steps measured)."""
    root, _, split = entry.partition("@")
    stems = [pair.image.stem for pair in find_pairs(root, split or None)[:count]]
    listing = folder / "pairs.txt"
    listing.write_text("\n".join(stems) + "\n")
    return f"{root}@{listing}"


def training_throughput(config: ModelConfig, data: str, precision: str, steps: int, workers: int,
                        output: Path) -> dict:
    """Images per second and data-wait share of ``steps`` steps of the recipe's whole pipeline."""
    run = build_config(None, {
        "data": [data], "val_fraction": 0.0, "selection_people": None, "selection_empty": None, "selection_crops": None,
        "encoder": config.encoder, "decoder": config.decoder, "decoder_channels": list(config.decoder_channels),
        "decoder_convs": config.decoder_convs, "train_size": list(config.train_size), "epochs": 1,
        "max_steps_per_epoch": steps, "precision": precision, "workers": workers, "output": str(output),
        "save_every_steps": 0, "warmup_steps": 1})
    row = Trainer(run, progress=False).fit()[-1]
    return {"images_per_s": row["train_images_per_s"], "data_wait": row["data_wait_share"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", help="folder with MediaPipe's selfie_segmentation.tflite (ratios left out "
                        "without it)")
    parser.add_argument("--train-data", default="eg1800@splits/train_recommended.txt", metavar="DIR[@SPLIT]",
                        help="labelled set for the training throughput (relative: $PORTRAITSEG_DATA)")
    parser.add_argument("--encoders", nargs="+", help="default: every registered encoder")
    parser.add_argument("--decoders", nargs="+", help="default: every registered decoder")
    parser.add_argument("--size", type=int, nargs=2, default=[HEIGHT, WIDTH], metavar=("H", "W"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="ONNX Runtime threads to time at")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved latency rounds (default 10)")
    parser.add_argument("--calls", type=int, default=10, help="timed calls per model per round (default 10)")
    parser.add_argument("--train-steps", type=int, default=12, help="training steps per pair and precision "
                        "(0: no training throughput; default 12)")
    parser.add_argument("--train-pairs", type=int, default=256, help="pairs of --train-data decoded for the "
                        "training throughput (default 256)")
    parser.add_argument("--workers", type=int, default=2, help="data loader workers (default 2, the recipe's)")
    parser.add_argument("--out", type=Path, help="also write the table here, with the command and the machine")
    args = parser.parse_args()

    size = tuple(args.size)
    encoders = args.encoders or get_registry("encoders").names()
    decoders = args.decoders or get_registry("decoders").names()
    frame = read_image(EXAMPLES / "grace_hopper.jpg")
    x = to_input(frame, plan_fit(frame.shape[:2], max(size), 32))[None]
    precisions = ["fp32"] + (["bf16"] if resolve_precision("auto", torch.device("cpu")) else [])
    mediapipe = {count: next((p for p in load_peers(args.peers, count) if p.file == "selfie_segmentation.tflite"),
                             None) for count in args.threads} if args.peers else {}
    rows, calls = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        train_data = first_pairs(args.train_data, args.train_pairs, Path(tmp))
        for encoder in encoders:
            for decoder in decoders:
                config = pair_config(encoder, decoder, size)
                try:
                    model = build_model(config)
                except (ValueError, PluginError) as exc:  # a decoder written for one encoder (selfie)
                    print(f"{encoder} + {decoder}: skipped, {exc}", flush=True)
                    continue
                row = {"encoder": encoder, "decoder": decoder, "parameters (M)": count_parameters(model) / 1e6,
                       f"MACs at {size[0]}x{size[1]} (M)": count_macs(model, *size) / 1e6}
                folder = Path(tmp) / f"{encoder}-{decoder}"
                folder.mkdir()
                for count, session in int8_sessions(config, folder, args.threads).items():
                    calls[(encoder, decoder, count)] = lambda s=session: s.run(None, {"image": x})
                for precision in precisions if args.train_steps else []:
                    got = training_throughput(config, train_data, precision, args.train_steps, args.workers,
                                              folder / f"run-{precision}")
                    row[f"train {precision} (img/s)"] = got["images_per_s"]
                    row[f"data wait {precision}"] = f"{100 * got['data_wait']:.0f}%"
                rows.append(row)
                print(f"{encoder} + {decoder}: built, exported and trained", flush=True)
        for count, peer in mediapipe.items():
            if peer is not None:
                prepared = peer.prepare(frame.astype(np.float32))[0]
                calls[("mediapipe", "", count)] = lambda p=peer, i=prepared: p.run(i)
        medians = interleaved_medians(calls, args.rounds, args.calls)
    for row in rows:
        for count in args.threads:
            ms = medians[(row["encoder"], row["decoder"], count)]
            row[f"INT8 call, {count} thr (ms)"] = ms
            if ("mediapipe", "", count) in medians:
                row[f"vs MediaPipe, {count} thr"] = f"{ms / medians[('mediapipe', '', count)]:.2f}x"
    table = format_rows(rows)
    mp = ", ".join(f"{medians[('mediapipe', '', c)]:.2f} ms at {c} thread{'s' * (c > 1)}" for c in args.threads
                   if ("mediapipe", "", c) in medians)
    print(table + (f"\n\nMediaPipe selfie segmentation (256x256, ai-edge-litert): {mp}" if mp else ""))
    if args.out:
        command = " ".join(["python benchmarks/architectures.py"] + [Path(a).name if Path(a).is_absolute() else a
                                                                   for a in sys.argv[1:]])  # no paths of this machine
        args.out.write_text(f"# Encoder x decoder pairs\n\nOne run of `{command}` on {machine_description()}. "
                            f"Model call: the INT8 ONNX model on a {x.shape[2]}x{x.shape[3]} input, ONNX Runtime, "
                            f"median of {args.rounds} interleaved rounds of {args.calls} calls"
                            + (f"; MediaPipe selfie segmentation in the same rounds: {mp}" if mp else "")
                            + f". Training: {args.train_steps} steps of batch 16 through the whole pipeline on the "
                            f"first {args.train_pairs} pairs of {args.train_data} "
                            f"(decoding, augmentation, forward, backward, AdamW) with {args.workers} loader "
                            "workers; data wait is the share of step time spent waiting for the loader.\n\n"
                            + table + "\n")


if __name__ == "__main__":
    main()
