"""Edge-aware upsampling benchmark: the model's output scaled up to each photo bilinearly and by the guided filter
(portraitseg.edges), scored on the same model outputs in one run: mIoU, dataset IoU and boundary F (defined in
docs/metrics.md), and the upsampling's own time per megapixel.

    python benchmarks/edges.py --set eg1800@splits/test_clean.txt --set coco128_person@splits/with_people.txt
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from portraitseg.api import load
from portraitseg.edges import guided_upsample
from portraitseg.evaluation.data import find_pairs, load_pair
from portraitseg.evaluation.metrics import MetricAccumulator
from portraitseg.geometry import plan_fit, to_input, to_original
from portraitseg.thresholds import label_person

UPSAMPLERS = {
    "bilinear": lambda out, fit, image: to_original(out, fit),
    "guided": lambda out, fit, image: guided_upsample(np.ascontiguousarray(out[: fit.height, : fit.width]), image),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="model (default: the bundled one)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"])
    parser.add_argument("--set", action="append", required=True, metavar="DIR[@SPLIT]", help="labelled set; repeatable")
    args = parser.parse_args()
    segmenter = load(args.model, precision=args.precision)
    print(f"model: {segmenter}")
    print("| set | upsampling | mIoU | dataset IoU | boundary F | ms per megapixel (median) |")
    print("|---|---|---|---|---|---|")
    for entry in args.set:
        root, _, split = entry.partition("@")
        scores = {name: MetricAccumulator() for name in UPSAMPLERS}
        times: dict[str, list[float]] = {name: [] for name in UPSAMPLERS}
        for pair in find_pairs(root, split or None):
            image, mask = load_pair(pair)
            fit = plan_fit(image.shape[:2], segmenter.serve_long_side, segmenter.multiple)
            out = segmenter.backend(to_input(image, fit)[None])[0, 0]
            for name, upsample in UPSAMPLERS.items():
                start = time.perf_counter()
                prob = upsample(out, fit, image)
                times[name].append((time.perf_counter() - start) * 1e9 / (image.shape[0] * image.shape[1]))
                scores[name].add(prob >= segmenter.threshold, label_person(mask))
        for name, acc in scores.items():
            s = acc.summary()
            print(f"| {entry} ({s['images']}) | {name} | {s['miou']:.2f} | {s['dataset_iou']:.2f} | "
                  f"{s['boundary_f']:.4f} | {np.median(times[name]):.1f} |")


if __name__ == "__main__":
    main()
