"""``portraitseg eval``: score a model on a labelled folder."""

from __future__ import annotations

import argparse
import json

from portraitseg.cli.common import add_model_arguments, load_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--data", required=True, help="folder with images/ and masks/ (relative: $PORTRAITSEG_DATA)")
    parser.add_argument("--split", help="split list file, relative to --data (e.g. splits/test_clean.txt)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--limit", type=int, help="only the first N images (quick checks)")
    parser.add_argument("--json", metavar="OUT", help="also write the metrics (and per-image scores) as JSON")


def run(args: argparse.Namespace) -> int:
    from portraitseg.evaluation.data import find_pairs
    from portraitseg.evaluation.evaluate import evaluate
    from portraitseg.atomic import atomic_write_bytes

    pairs = find_pairs(args.data, args.split)[: args.limit]
    segmenter = load_from_args(args)
    result = evaluate(segmenter, pairs, threshold=args.threshold, per_image=bool(args.json))
    result.update(model=str(args.model or "default"), backend=segmenter.backend_name, provider=segmenter.provider,
                  data=str(args.data), split=args.split, threshold=args.threshold)
    print(f"{'model':<22}{result['model']}\n{'backend':<22}{result['backend']} ({result['provider']})\n"
          f"{'images':<22}{result['images']}\n{'mean per-image IoU':<22}{result['miou']:.2f}\n"
          f"{'dataset IoU':<22}{result['dataset_iou']:.2f}\n{'boundary F (3 px)':<22}{result['boundary_f']:.4f}")
    if args.json:
        atomic_write_bytes(args.json, json.dumps(result, indent=2).encode())
    return 0
