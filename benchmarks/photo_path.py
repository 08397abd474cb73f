"""Photos at phone size: one ``portraitseg predict`` process on a folder of four 12 MP JPEGs, per output kind,
against a floor process that only decodes the same four JPEGs with Pillow and encodes them again as JPEG quality
90, alternating in one run.

    python benchmarks/photo_path.py [--rounds 3] [--outputs mask blur cutout] [--model NAME]

Each measurement is a new process, timed from start to exit (interpreter start, imports, model load, decoding,
the model, the effect, encoding, writing), as a user runs it; the figure to compare across machines is each
command's median as a multiple of the floor's median from the same rounds. The photos are the demo's examples
enlarged to 4000x3000.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

EXAMPLES = Path(__file__).resolve().parents[1] / "demo" / "examples"
FLOOR = ("import sys, pathlib\nfrom PIL import Image\nout = pathlib.Path(sys.argv[1])\n"
         "for name in sys.argv[2:]:\n"
         "    with Image.open(name) as im:\n"
         "        im.convert('RGB').save(out / pathlib.Path(name).name, quality=90)\n")


def phone_photos(folder: Path, count: int = 4, size: tuple[int, int] = (4000, 3000)) -> list[Path]:
    """``count`` JPEGs of ``size`` (quality 92), made from the demo's example photos."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in EXAMPLES.iterdir() if p.suffix == ".jpg")
    paths = []
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as im:
            path = folder / f"phone{i}.jpg"
            im.convert("RGB").resize(size, Image.LANCZOS).save(path, quality=92)
            paths.append(path)
    return paths


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(command[:4])} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians over them (default 3)")
    parser.add_argument("--outputs", nargs="+", default=["mask", "blur", "cutout"],
                        choices=["mask", "prob", "cutout", "blur", "color"], help="output kinds to time")
    parser.add_argument("--model", default=None, help="zoo name or checkpoint folder (default: the photo model)")
    parser.add_argument("--size", type=int, nargs=2, default=[4000, 3000], metavar=("W", "H"),
                        help="the photos' width and height (default: 4000 3000, 12 MP)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        photos = phone_photos(Path(tmp) / "photos", size=tuple(args.size))
        commands = {"floor (decode + JPEG q90)": [sys.executable, "-c", FLOOR, str(Path(tmp) / "floor"),
                                                  *map(str, photos)]}
        (Path(tmp) / "floor").mkdir()
        for kind in args.outputs:
            commands[f"predict --output {kind}"] = [
                sys.executable, "-m", "portraitseg", "predict", "-i", str(Path(tmp) / "photos"), "-o",
                str(Path(tmp) / kind), "--output", kind] + (["-m", args.model] if args.model else [])
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for round_number in range(1, args.rounds + 1):
            for name, command in commands.items():
                seconds[name].append(timed(command))
            print(f"round {round_number}/{args.rounds}: " + ", ".join(
                f"{name.split(' (')[0]} {values[-1]:.2f} s" for name, values in seconds.items()), flush=True)
        sizes = {kind: sum(p.stat().st_size for p in (Path(tmp) / kind).iterdir()) / 1e6 for kind in args.outputs}
    floor = statistics.median(seconds[next(iter(commands))])
    print(f"\nFour {args.size[0]}x{args.size[1]} JPEGs, one process each, medians of {args.rounds} alternating "
          "rounds:\n")
    print("| command | median s | vs floor | output files |\n|---|---|---|---|")
    for name, values in seconds.items():
        kind = name.split(" ")[-1]
        size = f"{sizes[kind]:.1f} MB" if kind in sizes else ""
        print(f"| {name} | {statistics.median(values):.2f} | {statistics.median(values) / floor:.1f}x | {size} |")


if __name__ == "__main__":
    main()
