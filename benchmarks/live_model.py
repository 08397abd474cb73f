"""The live model's cost beside MediaPipe selfie segmentation's, in one process, at 1 and 2 threads.

    python benchmarks/live_model.py --peers PEERS_DIR [--models portrait-live portrait-unet-mnv2]

Each model is fed a 640x480 webcam frame (4:3) at its live size (``Segmenter.live()``: the long side scaled to the
config's live_long_side, padded to the output stride), as the webcam and the live route feed it; MediaPipe selfie
segmentation (general) gets the same frame squashed to its 256x256 input. The model call alone, ONNX Runtime on the
CPU in float32 and, where the model ships one, INT8; MediaPipe in ai-edge-litert (XNNPACK). Medians of interleaved
rounds, so machine noise hits every model alike; the ratio to MediaPipe at the same thread count is the figure to
compare across machines.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import load_peers  # noqa: E402

from portraitseg.api import load, resolve_model  # noqa: E402
from portraitseg.benchmarking import format_rows, interleaved_medians, machine_description  # noqa: E402
from portraitseg.geometry import plan_fit, to_input  # noqa: E402
from portraitseg.image_io import read_image  # noqa: E402
from portraitseg.zoo.catalog import DEFAULT_LIVE_MODEL, DEFAULT_MODEL  # noqa: E402
from portraitseg.zoo.onnx_contract import INT8_ONNX_NAME  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "demo" / "examples" / "woman-5883428_1280.jpg"
MEDIAPIPE = "selfie_segmentation.tflite"


def webcam_frame() -> np.ndarray:
    """A 640x480 frame cut from an example photo (the size the page asks the camera for)."""
    photo = read_image(EXAMPLE)
    h, w = photo.shape[:2]
    crop_h = min(h, w * 3 // 4)
    top = (h - crop_h) // 2
    return cv2.resize(photo[top: top + crop_h, : crop_h * 4 // 3], (640, 480), interpolation=cv2.INTER_AREA)


def model_calls(names: list[str], threads: int, frame: np.ndarray) -> tuple[dict, dict]:
    """One call per model and precision at ``threads`` threads, and each one's input shape."""
    calls, shapes = {}, {}
    for name in names:
        folder = resolve_model(name)
        precisions = ("fp32", "int8") if (folder / INT8_ONNX_NAME).is_file() else ("fp32",)
        for precision in precisions:
            live = load(name, backend="onnxruntime", threads=threads, precision=precision).live()
            x = to_input(frame, plan_fit(frame.shape[:2], live.live_long_side, live.multiple))[None]
            key = (f"{Path(name).name} {precision}", threads)
            calls[key] = lambda b=live.backend, x=x: b(x)
            shapes[key[0]] = f"{x.shape[2]}x{x.shape[3]}"
    return calls, shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", required=True, help=f"folder with MediaPipe's {MEDIAPIPE}")
    parser.add_argument("--models", nargs="+", default=[DEFAULT_LIVE_MODEL, DEFAULT_MODEL],
                        help="zoo names or checkpoint folders (default: the live and the photo model)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per model per round (default 20)")
    parser.add_argument("--record", action="store_true",
                        help="write the table into each bundled model's live_bench.json and re-render its card")
    args = parser.parse_args()

    frame = webcam_frame()
    calls, shapes = {}, {"MediaPipe selfie": "256x256"}
    for count in args.threads:
        got, shapes_at = model_calls(args.models, count, frame)
        calls.update(got)
        shapes.update(shapes_at)
        peer = next((p for p in load_peers(args.peers, count) if p.file == MEDIAPIPE), None)
        if peer is None:
            parser.error(f"{MEDIAPIPE} not found in {args.peers}")
        calls[("MediaPipe selfie", count)] = lambda p=peer, x=peer.prepare(frame.astype(np.float32))[0]: p.run(x)
    print(f"timing {len(calls)} calls, {args.rounds} interleaved rounds of {args.calls}", flush=True)
    medians = interleaved_medians(calls, args.rounds, args.calls)
    rows = []
    for name in dict.fromkeys(key[0] for key in calls):
        row = {"model": name, "input (HxW)": shapes[name]}
        for count in args.threads:
            ms = medians[(name, count)]
            row[f"{count} thr (ms)"] = ms
            row[f"vs MediaPipe, {count} thr"] = f"{ms / medians[('MediaPipe selfie', count)]:.2f}x"
        rows.append(row)
    print(f"Model call on a 640x480 frame at each model's live size; {machine_description()}; ONNX Runtime "
          f"(CPU) for portraitseg's models, ai-edge-litert for MediaPipe; medians of {args.rounds} interleaved "
          f"rounds of {args.calls} calls.\n")
    print(format_rows(rows))
    if args.record:
        record_in_cards(rows, args)


def record_in_cards(rows: list[dict], args: argparse.Namespace) -> None:
    """The table into each timed bundled model's live_bench.json, and its card re-rendered from it."""
    import json

    from portraitseg.hub_cards.render import render_card
    from portraitseg.zoo.catalog import bundled_models

    command = " ".join(["python benchmarks/live_model.py"] + [
        Path(a).name if Path(a).is_absolute() else a for a in sys.argv[1:]])  # no paths of this machine
    record = {"run": command, "hardware": machine_description(), "frame": "640x480", "rows": rows}
    for name, folder in bundled_models().items():
        if name in args.models:
            (folder / "live_bench.json").write_text(json.dumps(record, indent=2) + "\n")
            (folder / "README.md").write_text(str(render_card(folder, model_name=name)))
            print(f"wrote {folder}/live_bench.json and its card")


if __name__ == "__main__":
    main()
