"""Peak memory of ``portraitseg predict`` per photo size, pixel format and output, and of the demo server under
heavy requests: the figures behind the README's Limits.

    python benchmarks/memory.py                      # 1, 12, 48 and 100 MP; every format; mask, blur, cutout
    python benchmarks/memory.py --sizes 1 12 --effects mask --no-demo

Each predict runs as a fresh process, as a user runs it; its peak is the process's own high-water mark (VmHWM,
read as it exits). Formats: an 8-bit RGB JPEG (a real photo enlarged), a 16-bit grey PNG, a float32 TIFF, a WebP
(quality 85), a GIF, a flat-colour lossless WebP (a few kilobytes claiming the size: refused above 24 MP, as every
format without reduced decoding or a data floor is) and a truncated JPEG (a few hundred bytes whose header claims
the size; refused). The demo part starts ``portraitseg
demo`` and reports the server's peak and its resident memory after each kind of request: 64 webcam viewers on
the live route at once (frames sent as the page sends them when the model runs on the server), then photos sent
with gradio_client. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "demo" / "examples" / "grace_hopper.jpg"
LIVE_VIEWERS, LIVE_FRAMES_EACH = 64, 10
FORMATS = ("rgb8", "grey16", "float", "webp", "gif", "flat_webp", "truncated")
PEAK_WRAPPER = """
import runpy, sys
report = sys.argv.pop(1)
sys.argv[0] = "portraitseg"
try:
    runpy.run_module("portraitseg", run_name="__main__", alter_sys=True)
finally:
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    open(report, "w").write(hwm.split()[1])
"""


def make_photo(folder: Path, megapixels: float, kind: str) -> Path:
    """A photo of about ``megapixels`` in pixel format ``kind`` (4:3), made from a real portrait."""
    height = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    width = int(megapixels * 1e6 / height)
    if kind == "truncated":
        return _truncated_jpeg(folder / f"truncated_{megapixels:g}mp.jpg", width, height)
    if kind == "flat_webp":
        path = folder / f"flat_{megapixels:g}mp.webp"
        Image.new("RGB", (width, height), (120, 90, 60)).save(path, lossless=True)
        return path
    with Image.open(PHOTO) as source:
        picture = source.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    if kind == "rgb8":
        path = folder / f"rgb8_{megapixels:g}mp.jpg"
        picture.save(path, quality=85)
    elif kind == "grey16":
        path = folder / f"grey16_{megapixels:g}mp.png"
        grey = np.asarray(picture.convert("L"), np.uint16) * 257
        Image.fromarray(grey).save(path)
    elif kind == "webp":
        path = folder / f"webp_{megapixels:g}mp.webp"
        picture.save(path, quality=85)
    elif kind == "gif":
        path = folder / f"gif_{megapixels:g}mp.gif"
        picture.quantize(256).save(path)
    else:
        path = folder / f"float_{megapixels:g}mp.tif"
        Image.fromarray(np.asarray(picture.convert("L"), np.float32) / 255).save(path, compression="tiff_deflate")
    return path


def _truncated_jpeg(path: Path, width: int, height: int) -> Path:
    """A small real JPEG whose frame header is rewritten to claim ``width`` x ``height`` (its data ends at once)."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 90, 60)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def predict_peak(photo: Path, effect: str, out: Path) -> tuple[int, float, int]:
    """(exit code, seconds, peak MB) of ``portraitseg predict`` on one photo."""
    report = out / "peak.txt"
    command = [sys.executable, "-c", PEAK_WRAPPER, str(report), "predict", "-i", str(photo), "-o", str(out),
               "--output", effect, "--softness", "0.3"]
    started = time.perf_counter()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return code, time.perf_counter() - started, int(report.read_text()) // 1024


def server_memory(pid: int) -> tuple[int, int]:
    """(peak, now) resident MB of a running process."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) // 1024, int(fields["VmRSS"].split()[0]) // 1024


def demo_rows(folder: Path) -> list[str]:
    """The demo server's memory under the requests of reliability round 4, one after another."""
    from gradio_client import Client, handle_file

    sys.path.insert(0, str(REPO))
    from tests.helpers import free_port, wait_until_serving

    port = free_port()
    log = folder / "demo.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "portraitseg", "demo", "--port", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    rows = []
    try:
        wait_until_serving(url, server, log, timeout=120)
        rows.append(f"| started | | {'%d | %d' % server_memory(server.pid)} |")
        started = time.perf_counter()
        statuses = _live_viewers(url, LIVE_VIEWERS, LIVE_FRAMES_EACH)
        rows.append(f"| {LIVE_VIEWERS} webcam viewers at once on the live route, {LIVE_FRAMES_EACH} frames each | "
                    f"{', '.join(f'{n} x {code}' for code, n in sorted(statuses.items()))}, "
                    f"{time.perf_counter() - started:.0f} s | {'%d | %d' % server_memory(server.pid)} |")
        time.sleep(10)
        rows.append(f"| the same, 10 s later | | {'%d | %d' % server_memory(server.pid)} |")
        photos = {"one 66.7 MP photo (JPEG)": [make_photo(folder, 66.7, "rgb8")],
                  "one 16 MP float TIFF": [make_photo(folder, 16, "float")],
                  "8 photos of 12 MP in one request": [make_photo(folder, 12, "rgb8")] * 8}
        for label, files in photos.items():
            started = time.perf_counter()
            outcome = _segment(url, files, handle_file, Client)
            rows.append(f"| {label} | {outcome}, {time.perf_counter() - started:.0f} s | "
                        f"{'%d | %d' % server_memory(server.pid)} |")
        started = time.perf_counter()
        small = make_photo(folder, 2, "rgb8")
        outcomes = {_segment(url, [small], handle_file, Client) for _ in range(40)}
        rows.append(f"| 40 sessions, one 2 MP photo each | {', '.join(sorted(outcomes))}, "
                    f"{time.perf_counter() - started:.0f} s | {'%d | %d' % server_memory(server.pid)} |")
        truncated = make_photo(folder, 100, "truncated")
        rows.append(f"| a truncated JPEG claiming 100 MP | {_segment(url, [truncated], handle_file, Client)} | "
                    f"{'%d | %d' % server_memory(server.pid)} |")
    finally:
        server.terminate()
        server.wait(30)
    return rows


def _live_viewers(url: str, viewers: int, frames: int) -> dict[int, int]:
    """``viewers`` webcam pages on the server engine at once, each posting ``frames`` frames (a 256-pixel JPEG,
    the live size) on its own stream, one after another as the page does: how many answers of each status."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    import cv2
    import httpx

    from portraitseg.demo.routes import LIVE_FRAMES

    bgr = cv2.imread(str(PHOTO))
    scale = 256 / max(bgr.shape[:2])
    frame = cv2.imencode(".jpg", cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))[1]

    def viewer(number: int) -> list[int]:
        with httpx.Client(timeout=60) as client:
            return [client.post(url + LIVE_FRAMES.lstrip("/"), params={"stream": f"viewer-{number}"},
                                content=frame.tobytes()).status_code for _ in range(frames)]

    with ThreadPoolExecutor(viewers) as pool:
        return Counter(code for codes in pool.map(viewer, range(viewers)) for code in codes)


def _segment(url: str, files: list[Path], handle_file, client_class) -> str:
    try:
        client_class(url, verbose=False).predict([handle_file(str(f)) for f in files], "portrait-unet-mnv2",
                                                 "blur", 0.5, 0.2, 15, "#00ff00", None, api_name="/segment")
        return "segmented"
    except Exception as exc:  # the page's message, as an API client gets it
        return f"refused ({str(exc).splitlines()[0][:60]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 12, 48, 100], help="megapixels (default: "
                        "%(default)s)")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--effects", nargs="+", default=["mask", "blur", "cutout"])
    parser.add_argument("--no-demo", action="store_true", help="skip the demo server part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portraitseg-memory-") as tmp:
        folder = Path(tmp)
        print("| photo | output | exit | seconds | peak MB |\n|---|---|---|---|---|", flush=True)
        for megapixels in args.sizes:
            for kind in args.formats:
                photo = make_photo(folder, megapixels, kind)
                for effect in args.effects:
                    out = folder / "out"
                    out.mkdir(exist_ok=True)
                    code, seconds, peak = predict_peak(photo, effect, out)
                    print(f"| {megapixels:g} MP {kind} ({photo.stat().st_size / 2**20:.1f} MB file) | {effect} | "
                          f"{code} | {seconds:.1f} | {peak} |", flush=True)
                    for written in out.iterdir():
                        written.unlink()
                photo.unlink()
        if not args.no_demo:
            print("\n| demo request | outcome | server peak MB | server now MB |\n|---|---|---|---|", flush=True)
            for row in demo_rows(folder):
                print(row, flush=True)


if __name__ == "__main__":
    main()
