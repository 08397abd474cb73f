"""Side-by-side benchmark: every zoo model (float and INT8) and every peer model found in a folder, on the same
images, in one process with the same thread count. Writes a Markdown table and an accuracy-vs-latency plot.

    python benchmarks/compare.py --data eg1800 --split splits/test_clean.txt --peers ../shared/peers \
        --real-world coco128_person

Accuracy on the test split, and with ``--real-world`` on a folder with ``splits/with_people.txt`` and
``splits/no_people.txt`` (coco128_person): the people mIoU, and on the person-free photos the mean share of pixels
predicted as person and the number of photos where it exceeds 1%.

Latency is the model call alone on its prepared input for a 600x800 portrait (the EG1800 frame), timed in
interleaved rounds so that machine noise hits every model alike; medians and 95th percentiles are reported.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from peers import load_peers  # noqa: E402

from portraitseg.api import load  # noqa: E402
from portraitseg.benchmarking import machine_description  # noqa: E402
from portraitseg.geometry import plan_fit, to_input  # noqa: E402
from portraitseg.evaluation.body_crops import body_crop_pairs, body_crop_view  # noqa: E402
from portraitseg.evaluation.data import find_pairs, load_pair  # noqa: E402
from portraitseg.evaluation.evaluate import evaluate  # noqa: E402
from portraitseg.zoo.catalog import bundled_models  # noqa: E402
from portraitseg.zoo.checkpoint import load_checkpoint  # noqa: E402
from portraitseg.zoo.complexity import count_parameters  # noqa: E402


class Entry:
    def __init__(self, name, segmenter, model_input, parameters, runtime, input_desc):
        self.name, self.segmenter, self.input, self.parameters = name, segmenter, model_input, parameters
        self.runtime, self.input_desc, self.samples, self.metrics, self.real = runtime, input_desc, [], {}, {}
        self.crops = None

    def time_once(self) -> None:
        start = time.perf_counter()
        self.segmenter.backend(self.input)
        self.samples.append((time.perf_counter() - start) * 1000)


def zoo_entries(names, threads, frame):
    """Each model as float32 and, where the checkpoint ships one, as its INT8 model."""
    from portraitseg.zoo.onnx_contract import INT8_ONNX_NAME

    entries = []
    for name, folder in names.items():
        net, _ = load_checkpoint(folder)
        for precision in ("fp32", "int8") if (folder / INT8_ONNX_NAME).is_file() else ("fp32",):
            seg = load(folder, backend="onnxruntime", threads=threads, precision=precision)
            fit = plan_fit(frame.shape[:2], seg.serve_long_side, seg.multiple)
            label = f"{name} INT8" if precision == "int8" else name
            entries.append(Entry(label, seg, to_input(frame, fit)[None], count_parameters(net),
                                 f"onnxruntime {precision}", f"{fit.padded_h}x{fit.padded_w}"))
    return entries


def write_bench_records(entries, names, command: str, hardware: str, frame) -> None:
    """Each bundled model's latency from this run into its bench.json, with the peers' figures from the same run,
    and its card re-rendered: the card, the README and docs/benchmarks.md quote one run."""
    import json

    from portraitseg.hub_cards.render import render_card
    from portraitseg.zoo.catalog import BUNDLED_DIR

    for name, folder in names.items():
        if Path(folder).resolve().parent != BUNDLED_DIR.resolve():
            continue
        record = {"run": command, "hardware": hardware, "frame": f"{frame.shape[1]}x{frame.shape[0]}"}
        for e in entries:
            if e.name in (name, f"{name} INT8"):
                record["input"] = e.input_desc
                record["int8" if e.name.endswith("INT8") else "fp32"] = {
                    "median_ms": round(float(np.median(e.samples)), 2),
                    "p95_ms": round(float(np.percentile(e.samples, 95)), 2),
                    "provider": e.segmenter.provider, "threads": e.segmenter.backend.threads}
        record["peers"] = [{"name": e.name, "input": e.input_desc, "miou": round(e.metrics["miou"], 2),
                            "median_ms": round(float(np.median(e.samples)), 2),
                            **({"people_miou": round(e.real["people"]["miou"], 2),
                                "empty_share": round(e.real["empty"]["person_share"], 2),
                                "empty_over_1pct": e.real["empty"]["over_1pct"],
                                "empty_images": e.real["empty"]["images"]} if e.real else {}),
                            **({"body_crops_miou": round(e.crops, 2)} if e.crops is not None else {})}
                           for e in entries if e.runtime.endswith("(peer)")]
        (Path(folder) / "bench.json").write_text(json.dumps(record, indent=2) + "\n")
        (Path(folder) / "README.md").write_text(str(render_card(folder, model_name=name)))
        print(f"wrote {folder}/bench.json and its card")


def plot(entries, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for e in entries:
        ours = not e.runtime.startswith(("ai-edge", "onnxruntime (peer"))
        ax.scatter(np.median(e.samples), e.metrics["miou"], s=60, marker="o" if ours else "s",
                   color="tab:green" if ours else "tab:gray")
        ax.annotate(e.name, (np.median(e.samples), e.metrics["miou"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=8)
    ax.set_xscale("log")
    ax.set(xlabel="median model-call latency (ms, log scale)", ylabel="mean per-image IoU (%)", title=title)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


KEPT_MARKER = "<!-- Sections below are written by other benchmarks; compare.py keeps them. -->"


def kept_sections(out: Path) -> str:
    """What other benchmarks wrote below :data:`KEPT_MARKER` in ``out`` (kept when this run rewrites the top)."""
    if not out.is_file() or KEPT_MARKER not in out.read_text():
        return ""
    return "\n" + KEPT_MARKER + out.read_text().split(KEPT_MARKER, 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--split")
    parser.add_argument("--peers", help="folder of peer models (skipped with a message when absent)")
    parser.add_argument("--real-world", metavar="DIR",
                        help="folder with splits/with_people.txt and splits/no_people.txt (e.g. coco128_person)")
    parser.add_argument("--body-crops", action="store_true",
                        help="also score the body-crop validation set (portraitseg eval --data body_crops)")
    parser.add_argument("--models", nargs="*", help="zoo names or checkpoint folders (default: every bundled model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20, help="timed calls per model per round")
    parser.add_argument("--limit", type=int, help="only the first N images (quick checks)")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--plot", type=Path, default=Path("docs/benchmarks.png"))
    args = parser.parse_args()

    pairs = find_pairs(args.data, args.split)[: args.limit]
    frame, _ = load_pair(pairs[0])
    names = ({Path(m).name: Path(m) if Path(m).exists() else bundled_models()[m] for m in args.models}
             if args.models else bundled_models())
    entries = zoo_entries(names, args.threads, frame)
    if args.peers and Path(args.peers).is_dir():
        for peer in load_peers(args.peers, args.threads):
            x, _ = peer.prepare(frame)
            entries.append(Entry(peer.name, peer, x, peer.parameters, f"{peer.runtime} (peer)",
                                 f"{peer.size[0]}x{peer.size[1]}"))
    else:
        print(f"no peers folder ({args.peers}): benchmarking the zoo models only")

    real = ({"people": find_pairs(args.real_world, "splits/with_people.txt"),
             "empty": find_pairs(args.real_world, "splits/no_people.txt")} if args.real_world else {})
    crops = body_crop_pairs() if args.body_crops else []
    for e in entries:
        e.metrics = evaluate(e.segmenter, pairs, progress=False)
        e.real = {name: evaluate(e.segmenter, subset, progress=False) for name, subset in real.items()}
        e.crops = evaluate(e.segmenter, crops, progress=False, view=body_crop_view)["miou"] if crops else None
        print(f"{e.name}: mIoU {e.metrics['miou']:.2f}" + (
            f", people mIoU {e.real['people']['miou']:.2f}, person-free {e.real['empty']['person_share']:.2f}% "
            f"({e.real['empty']['over_1pct']} over 1%)" if e.real else "")
            + (f", body crops mIoU {e.crops:.2f}" if crops else ""), flush=True)
    for e in entries:  # warm-up
        for _ in range(5):
            e.time_once()
        e.samples.clear()
    for _ in range(args.rounds):
        for e in entries:
            for _ in range(args.calls):
                e.time_once()

    real_name = Path(args.real_world).name if args.real_world else ""
    real_header = (f" {real_name} people mIoU | {real_name} person-free: mean person share / photos over 1% |"
                   if real else "")
    crops_header = " body crops mIoU |" if crops else ""
    header = (f"| model | runtime | parameters | input (HxW) | mIoU | dataset IoU | boundary F |{real_header}"
              f"{crops_header} median ms | p95 ms |\n|" + "---|" * (9 + 2 * bool(real) + bool(crops)))
    rows = [f"| {e.name} | {e.runtime} | {e.parameters / 1e6:.2f} M | {e.input_desc} | {e.metrics['miou']:.2f} | "
            f"{e.metrics['dataset_iou']:.2f} | {e.metrics['boundary_f']:.4f} | "
            + (f"{e.real['people']['miou']:.2f} | {e.real['empty']['person_share']:.2f}% / "
               f"{e.real['empty']['over_1pct']} of {e.real['empty']['images']} | " if real else "")
            + (f"{e.crops:.2f} | " if crops else "")
            + f"{np.median(e.samples):.2f} | {np.percentile(e.samples, 95):.2f} |" for e in entries]
    cpu = machine_description()
    split = f"{Path(args.data).name} {Path(args.split).stem if args.split else ''}".strip()
    command = " ".join(["python benchmarks/compare.py"] + [Path(a).name if Path(a).is_absolute() else a
                                                            for a in sys.argv[1:]])  # no paths of this machine
    text = (f"# Benchmark: accuracy and CPU latency\n\nOne run of `{command}` on {cpu}, "
            f"{args.threads} threads for every model; {len(pairs)} images of {split}. Accuracy as defined in "
            f"[metrics.md](metrics.md) (mean per-image person IoU at original size, threshold 0.5; boundary F within "
            f"3 px). Latency: the "
            f"model call on its prepared input for a {frame.shape[1]}x{frame.shape[0]} frame, "
            f"{args.rounds} interleaved rounds of {args.calls} calls per model."
            + (f" Real-world columns: {real_name} (validation only, never trained on), "
               f"{len(real['people'])} photos with people and {len(real['empty'])} person-free photos." if real else "")
            + (f" Body crops: {len(crops)} close views of held-out photos ([metrics.md](metrics.md))." if crops else "")
            + "\n\n" + header + "\n" + "\n".join(rows)
            + f"\n\n![accuracy vs latency]({args.plot.name})\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + kept_sections(args.out))
    write_bench_records(entries, names, command, f"{cpu}, {args.threads} threads", frame)
    plot(entries, args.plot, f"{split}: accuracy vs latency ({args.threads} threads)")
    print(text)


if __name__ == "__main__":
    main()
