"""The model call in the viewer's browser: ONNX Runtime Web (WASM SIMD) in headless Chromium, on the page the demo
serves, for a checkpoint's INT8 and float ONNX files at 1 and 2 threads. It is how the page's choices were made:
which file the browser gets (demo/browser.py, BROWSER_FILES) and whether the page is cross-origin isolated for
threads.

    python benchmarks/browser_inference.py [--model portrait-live] [--sizes 192x256 256x320] [--runs 30]

Each thread count runs in a fresh page (ONNX Runtime Web fixes it when it starts); medians of ``--runs`` calls
after 3 warm-up calls, on a grey frame (the model's cost does not depend on the picture).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks/browser.py

from benchmarks.browser import demo_page  # noqa: E402

TIME_CALLS = """async ({threads, files, sizes, runs}) => {
  const ort = await import('/portraitseg/runtime/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = new URL('/portraitseg/runtime/', location.href).href;
  ort.env.wasm.numThreads = threads;
  const results = [];
  for (const file of files) {
    const session = await ort.InferenceSession.create('/bench/' + file, {executionProviders: ['wasm']});
    for (const [h, w] of sizes) {
      const x = new ort.Tensor('float32', new Float32Array(3 * h * w).fill(128), [1, 3, h, w]);
      for (let i = 0; i < 3; i++) await session.run({[session.inputNames[0]]: x});
      const times = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        await session.run({[session.inputNames[0]]: x});
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      results.push({file, h, w, median: times[times.length >> 1]});
    }
  }
  return {isolated: self.crossOriginIsolated, threads: ort.env.wasm.numThreads, results};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="portrait-live",
                        help="a zoo name or checkpoint folder (default: the live model, which the webcam runs)")
    parser.add_argument("--sizes", nargs="+", default=["192x256", "256x320"], help="HxW model inputs")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from portraitseg.api import resolve_model

    folder = resolve_model(args.model)
    files = {name: (folder / name).read_bytes() for name in ("model.int8.onnx", "model.onnx")
             if (folder / name).is_file()}
    sizes = [[int(v) for v in size.split("x")] for size in args.sizes]
    rows = []
    with demo_page(pages=2) as pages:
        for page, threads in zip(pages, (1, 2)):
            for name, data in files.items():  # the files served at the page's own origin, as the demo serves them
                page.route(f"**/bench/{name}", lambda route, _, body=data: route.fulfill(
                    body=body, headers={"Cross-Origin-Resource-Policy": "same-origin",
                                        "Content-Type": "application/octet-stream"}))
            measured = page.evaluate(TIME_CALLS, {"threads": threads, "files": list(files), "sizes": sizes,
                                                  "runs": args.runs})
            rows += [(r["file"], f"{r['h']}x{r['w']}", measured["threads"], measured["isolated"], r["median"])
                     for r in measured["results"]]
    print("| file | input | threads | cross-origin isolated | median ms |\n|---|---|---|---|---|")
    for file, size, threads, isolated, median in sorted(rows):
        print(f"| {file} | {size} | {threads} | {'yes' if isolated else 'no'} | {median:.1f} |")
    print(f"({args.model}; ONNX Runtime Web, WASM SIMD, headless Chromium; {args.runs} calls each)")


if __name__ == "__main__":
    main()
