"""Images/s of ``portraitseg predict`` against ``portraitseg batch`` (Ray Data, 1 and 2 actors) on the same photos,
in one run, each a fresh process as a user runs it.

    python benchmarks/batch_throughput.py --photos eg1800@splits/test_clean.txt --count 200

Two rates per command: end to end (process start to exit: imports, model load, and for batch starting a local
Ray) and steady (the outputs' own write times: (n - 1) images over the time from the first output to the last),
the rate a long job tends to. The per-image overhead Ray adds is the steady time per image of batch with one
actor (one thread) minus that of predict with one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def photo_list(spec: str, count: int) -> list[Path]:
    from portraitseg.datapaths import resolve_data_dir

    root, _, split = spec.partition("@")
    folder = resolve_data_dir(root)
    names = (folder / split).read_text().split() if split else None
    images = sorted((folder / "images").iterdir())
    if names is not None:
        wanted = set(names)
        images = [p for p in images if p.stem in wanted or p.name in wanted]
    if len(images) < count:
        sys.exit(f"{spec} holds {len(images)} photos, fewer than --count {count}")
    return [p.resolve() for p in images[:count]]


def peak_rss_mb(pid: int) -> float | None:
    """The process's own peak resident memory so far (VmHWM), in MB; None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), None)


def timed(command: list[str], out: Path) -> dict:
    """Run ``command``; its wall time, rates, and the peak memory of the command's own process (for batch, the
    driver: the Ray workers are other processes)."""
    env = {**os.environ, "RAY_ADDRESS": ""}
    started = time.perf_counter()
    log = out.with_suffix(".log")
    with open(log, "w") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, peak_rss_mb(process.pid) or 0.0)
            time.sleep(0.2)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{log.read_text()[-2000:]}")
    stamps = sorted(p.stat().st_mtime for p in out.glob("*.png"))
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    return {"images": len(stamps), "wall_s": round(wall, 2), "end_to_end_per_s": round(len(stamps) / wall, 2),
            "steady_per_s": round(steady, 2), "peak_mb": round(peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", default="eg1800@splits/test_clean.txt", help="DATA_SET[@SPLIT] under the data root")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--output", default="mask")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each command (medians reported)")
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args()
    photos = photo_list(args.photos, args.count)
    cli = [sys.executable, "-m", "portraitseg"]
    runs = {
        "predict (2 threads)": lambda i, o: cli + ["predict", "-i", *map(str, photos), "-o", str(o), "--threads", "2"],
        "predict (1 thread)": lambda i, o: cli + ["predict", "-i", *map(str, photos), "-o", str(o), "--threads", "1"],
        "batch, 1 actor": lambda i, o: cli + ["batch", "-i", str(i), "-o", str(o), "--actors", "1"],
        "batch, 2 actors": lambda i, o: cli + ["batch", "-i", str(i), "-o", str(o), "--actors", "2"],
    }
    results: dict[str, list[dict]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "photos.txt"
        listing.write_text("\n".join(map(str, photos)) + "\n")
        for repeat in range(args.repeats):
            for name, command in runs.items():  # interleaved, so drift in the machine's load hits each alike
                out = Path(tmp) / f"{repeat}-{name.replace(' ', '_').replace(',', '')}"
                results[name].append(timed(command(listing, out) + ["--output", args.output], out))
                print(f"{name:<22} {results[name][-1]}", file=sys.stderr)
    table = {name: {key: statistics.median(r[key] for r in rows) for key in rows[0]} for name, rows in results.items()}
    base = table["predict (2 threads)"]
    print(f"{args.count} photos from {args.photos}, --output {args.output}, {os.cpu_count()} CPUs, medians of "
          f"{args.repeats}")
    print(f"{'command':<22}{'wall s':>8}{'end-to-end img/s':>18}{'steady img/s':>14}{'steady vs predict':>19}"
          f"{'peak MB':>9}")
    for name, row in table.items():
        print(f"{name:<22}{row['wall_s']:>8.1f}{row['end_to_end_per_s']:>18.2f}{row['steady_per_s']:>14.2f}"
              f"{row['steady_per_s'] / base['steady_per_s']:>18.0%}{row['peak_mb']:>9.0f}")
    overhead = 1000 / table["batch, 1 actor"]["steady_per_s"] - 1000 / table["predict (1 thread)"]["steady_per_s"]
    print(f"per-image overhead of Ray (batch 1 actor vs predict 1 thread, steady): {overhead:+.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"photos": args.photos, "count": args.count, "runs": table,
                                               "ray_overhead_ms_per_image": round(overhead, 1)}, indent=2) + "\n")


if __name__ == "__main__":
    main()
