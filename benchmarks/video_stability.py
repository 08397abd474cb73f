"""Video stability benchmark: per-frame mIoU, flicker and lag of the webcam's temporal smoothing, on clips made
from labelled photos (portraitseg.evaluation.video): a camera panning, zooming and shaking over test photos, and
people cut from them moving over person-free scenes.

    python benchmarks/video_stability.py --data eg1800 --split splits/test_clean.txt --scenes backgrounds

The model runs once per frame (at the live webcam's size by default); every smoother then sees the same
probabilities and frames, so the rows differ by the smoothing alone. Rows: no smoothing, the fixed EMA of
earlier releases (weight 0.5), and the motion-aware smoother at the webcam's default settings (and at the
weights given with --weights).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from portraitseg.api import load
from portraitseg.evaluation.data import find_pairs, load_pair
from portraitseg.evaluation.video import KINDS, clip_from_photo, clip_over_scene, stability
from portraitseg.image_io import list_images, read_image
from portraitseg.temporal import DEFAULT_SMOOTHING, TemporalSmoother


def build_clips(args) -> list:
    pairs = find_pairs(args.data, args.split)
    picks = np.random.default_rng(0).choice(len(pairs), args.photos + args.walkers, replace=False)
    scenes = list_images([str(_data_dir(args.scenes))]) if args.walkers else []
    clips = []
    for n, index in enumerate(picks):
        image, mask = load_pair(pairs[index])
        rng = np.random.default_rng([1, n])
        if n < args.photos:
            kind = KINDS[n % len(KINDS)]
            clips.append(clip_from_photo(image, mask, kind, rng, name=f"{kind}:{pairs[index].name}"))
        else:
            scene = read_image(scenes[n % len(scenes)])
            clips.append(clip_over_scene(image, mask, scene, rng, name=f"walk:{pairs[index].name}"))
    return clips


def _data_dir(name: str):
    from portraitseg.datapaths import resolve_data_dir

    folder = resolve_data_dir(name)
    return folder / "images" if (folder / "images").is_dir() else folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="model (default: the bundled one)")
    parser.add_argument("--data", default="eg1800")
    parser.add_argument("--split", default="splits/test_clean.txt")
    parser.add_argument("--scenes", default="backgrounds", help="person-free photos for the walking clips")
    parser.add_argument("--photos", type=int, default=9, help="camera clips over labelled photos")
    parser.add_argument("--walkers", type=int, default=3, help="clips of a person moving over a scene")
    parser.add_argument("--long-side", type=int, default=256, help="model input long side (the live size)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--weights", type=float, nargs="*", default=[], help="more motion-aware weights to try")
    args = parser.parse_args()

    segmenter = load(args.model)
    live = segmenter.at_long_side(args.long_side)
    started = time.perf_counter()
    clips = build_clips(args)
    probs = [[live(frame) for frame in clip.frames] for clip in clips]
    frames = sum(len(c.frames) for c in clips)
    print(f"{len(clips)} clips, {frames} frames of {clips[0].frames[0].shape[1]}x{clips[0].frames[0].shape[0]}, "
          f"model {segmenter.description} at long side {args.long_side} ({time.perf_counter() - started:.0f} s)")
    smoothers = {"none": lambda: TemporalSmoother(0.0), "ema 0.5 (0.2.0)": lambda: TemporalSmoother(0.5, "ema"),
                 f"motion-aware {DEFAULT_SMOOTHING:g} (default)": lambda: TemporalSmoother()}
    for weight in args.weights:
        smoothers[f"motion {weight:g}"] = lambda w=weight: TemporalSmoother(w)
    print("| smoothing | mIoU | flicker (% of pixels per frame) | lag mIoU (fast motion) | ms per frame |")
    print("|---|---|---|---|---|")
    for label, make in smoothers.items():
        scores, spent = [], 0.0
        for clip, clip_probs in zip(clips, probs):
            smoother = make()
            tick = time.perf_counter()
            smoothed = [smoother(p) for p in clip_probs]
            spent += time.perf_counter() - tick
            scores.append(stability([s >= args.threshold for s in smoothed], clip))
        mean = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        print(f"| {label} | {mean['miou']:.2f} | {mean['flicker']:.3f} | {mean['lag_miou']:.2f} | "
              f"{1000 * spent / frames:.2f} |")


if __name__ == "__main__":
    main()
