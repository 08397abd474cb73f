"""What a new user pays: for a fresh venv with ``portraitseg[cpu]`` (the library), ``[cpu,demo]`` (with the web
demo) and ``[cpu,train]``, the install time, what the install adds to the fresh venv on disk (MiB, the files'
sizes: the venv after installing minus the venv with only an upgraded pip), ``import portraitseg; portraitseg.load()``
time and the time to the first prediction of the bundled model, each in a fresh interpreter.

    python benchmarks/install_footprint.py [--runs 3]

The package is built into a wheel once, from a copy of the files git tracks (a stale ``build/`` folder would
otherwise slip old files into it); each venv installs that wheel (for ``train``, a CPU-only torch first, as
``scripts/setup.sh --test`` does). Times are medians of ``--runs`` fresh interpreters; install times are one run each
and depend on the package caches of the machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "demo" / "examples" / "grace_hopper.jpg"
TORCH = "torch==2.13.0"
TIMING = """
import time
start = time.perf_counter()
import portraitseg
segmenter = portraitseg.load()
loaded = time.perf_counter()
segmenter({photo!r})
print(loaded - start, time.perf_counter() - start)
"""


def source_copy(target: Path) -> Path:
    """The repository's tracked and new, not ignored, files copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], check=True)


def measure(extras: str, wheel: Path, root: Path, runs: int) -> dict[str, str]:
    venv = root / extras.replace(",", "-")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip(python, "--upgrade", "pip")
    fresh = folder_size(venv)
    started = time.perf_counter()
    if "train" in extras:  # the CPU-only build, as scripts/setup.sh installs it on machines without a GPU
        pip(python, "--no-deps", "--retries", "0", "--index-url", "https://download.pytorch.org/whl/cpu", TORCH)
        pip(python, TORCH)
    pip(python, f"{wheel}[{extras}]")
    install_s = time.perf_counter() - started
    has_torch = subprocess.run([str(python), "-c", "import torch"], capture_output=True).returncode == 0
    samples = []
    for _ in range(runs):
        out = subprocess.run([str(python), "-c", TIMING.format(photo=str(PHOTO))], capture_output=True, text=True,
                             cwd=root, check=True)
        samples.append(tuple(map(float, out.stdout.split())))
    return {"extras": f"[{extras}]", "torch installed": "yes" if has_torch else "no",
            "install": f"{install_s:.0f} s", "adds to a fresh venv": f"{(folder_size(venv) - fresh) / 2**20:.0f} MiB",
            "import + load()": f"{statistics.median(s[0] for s in samples):.2f} s",
            "first prediction after start": f"{statistics.median(s[1] for s in samples):.2f} s"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh interpreters per venv for the timings")
    parser.add_argument("--extras", nargs="+", default=["cpu", "cpu,demo", "cpu,train"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root),
                        str(source_copy(root / "source"))], check=True)
        wheel = next(root.glob("portraitseg-*.whl"))
        rows = [measure(extras, wheel, root, args.runs) for extras in args.extras]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(row[k] for k in keys) + " |")


if __name__ == "__main__":
    main()
