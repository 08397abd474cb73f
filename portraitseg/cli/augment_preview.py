"""``portraitseg augment-preview``: a grid of augmented training pairs with the mask overlaid, to eyeball."""

from __future__ import annotations

import argparse

from portraitseg.cli.common import int_between


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="folder with images/ and masks/")
    parser.add_argument("--split", help="split list relative to --data")
    parser.add_argument("-o", "--output", required=True,
                        help="PNG file to write (an earlier preview there is replaced, nothing else is)")
    parser.add_argument("--augment", action="append", metavar="NAME[:k=v,...]",
                        help="augmenter, repeatable (default: the training defaults)")
    parser.add_argument("--config", help="take augmentations and input size from this training config")
    parser.add_argument("--rows", type=int_between(1, 20), default=3, help="rows of pairs in the grid")
    parser.add_argument("--cols", type=int_between(1, 20), default=6, help="pairs in each row")
    parser.add_argument("--train-size", "--input-size", type=int, nargs=2, default=None, metavar=("H", "W"),
                        dest="train_size",
                        help="the training canvas (default: the config's; --input-size: its old name)")
    parser.add_argument("--seed", type=int, default=0)


def overlay(image, mask):
    """Tint the person region green (unknown label pixels yellow) and draw its outline, so misalignment is visible
    at a glance."""
    import cv2
    import numpy as np

    from portraitseg.geometry import IGNORE_LABEL
    from portraitseg.thresholds import label_person

    out = image.astype(np.float32)
    person, unknown = label_person(mask), mask == IGNORE_LABEL
    out[person] = out[person] * 0.6 + np.array([0, 255, 0], np.float32) * 0.4
    out[unknown] = out[unknown] * 0.6 + np.array([255, 255, 0], np.float32) * 0.4
    out = np.ascontiguousarray(out.astype(np.uint8))
    contours, _ = cv2.findContours(person.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, (255, 0, 0), 1)
    return out


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from portraitseg.atomic import atomic_write_bytes, check_replaceable, writable_path
    from portraitseg.augment.pipeline import Pipeline
    from portraitseg.outputs import not_ours, png_bytes
    from portraitseg.trainers.config import build_config
    from portraitseg.evaluation.data import find_pairs
    from portraitseg.trainers.data import TrainingSet

    flags = {"augmentations": args.augment, "train_size": list(args.train_size) if args.train_size else None}
    config = build_config(args.config, {key: value for key, value in flags.items() if value is not None})
    output = writable_path(args.output)
    check_replaceable(output, "-o", lambda path: "it is not a preview this command wrote" if not_ours(path) else None,
                      "preview", suffix=".png")
    pairs = find_pairs(args.data, args.split)
    count = args.rows * args.cols
    picks = np.random.default_rng(args.seed).choice(len(pairs), size=min(count, len(pairs)), replace=False)
    dataset = TrainingSet([pairs[i] for i in picks], tuple(config.train_size), config.output_stride(),
                          Pipeline(config.augmentations), args.seed)
    canvases = config.canvas_shapes()
    side = max(config.train_size)
    grid = np.full((args.rows * side, args.cols * side, 3), 255, np.uint8)
    for k in range(len(dataset)):
        image, mask, _ = dataset[(k, *canvases[k % len(canvases)])]  # cycle through the batch orientations
        tile = overlay(image.numpy().transpose(1, 2, 0).astype(np.uint8), mask[0].numpy())
        r, c = divmod(k, args.cols)
        grid[r * side : r * side + tile.shape[0], c * side : c * side + tile.shape[1]] = tile
    atomic_write_bytes(output, png_bytes(grid))
    print(f"wrote {output}: {len(dataset)} augmented pairs on canvases {canvases} "
          f"({', '.join(s['name'] for s in dataset.pipeline.specs)})")
    return 0
