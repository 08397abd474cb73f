"""``portraitseg eval``: score a model on a labelled folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from portraitseg.cli.common import add_model_arguments, load_from_args, positive_int, probability
from portraitseg.thresholds import threshold_for


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--data", required=True,
                        help="folder with images/ and masks/ (relative: $PORTRAITSEG_DATA), or 'body_crops': close "
                        "views of people cut from photos training leaves out (docs/metrics.md)")
    parser.add_argument("--split", help="split list file, relative to --data (e.g. splits/test_clean.txt)")
    parser.add_argument("--threshold", type=probability, default=None,
                        help="probability above which a pixel is person (default: the model's own)")
    parser.add_argument("--limit", type=positive_int, help="only the first N images (quick checks)")
    parser.add_argument("--json", metavar="OUT", help="also write the metrics (and per-image scores) as JSON")


RESULT_KEYS = {"model", "backend", "data", "threshold", "images"}  # what every result this command writes holds
MAX_RESULT_BYTES = 200 * 2**20


def json_problem(path: Path) -> str | None:
    """What makes ``path`` something other than a result this command wrote (an image of the set, say)."""
    if path.stat().st_size > MAX_RESULT_BYTES:
        return "it is larger than any result of this command"
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return "it is not a JSON file"
    return None if isinstance(data, dict) and RESULT_KEYS <= data.keys() else "it is not a result this command wrote"


def run(args: argparse.Namespace) -> int:
    from portraitseg.errors import PortraitsegError
    from portraitseg.evaluation.body_crops import BODY_CROPS, body_crop_pairs, body_crop_view
    from portraitseg.evaluation.data import find_pairs
    from portraitseg.evaluation.evaluate import evaluate
    from portraitseg.atomic import atomic_write_bytes, check_replaceable, writable_path

    if args.json:
        check_replaceable(writable_path(args.json), "--json", json_problem, "result of this command")
    view = None
    if args.data == BODY_CROPS and not Path(args.data).exists():
        if args.split:
            raise PortraitsegError("--split does not apply to body_crops: it has its own held-out lists")
        pairs, view = body_crop_pairs(), body_crop_view
    else:
        pairs = find_pairs(args.data, args.split)
    pairs = pairs[: args.limit]
    segmenter = load_from_args(args)
    threshold = threshold_for(args.threshold, segmenter.threshold)
    result = evaluate(segmenter, pairs, threshold=threshold, per_image=bool(args.json), view=view)
    result.update(model=str(args.model or segmenter.description), backend=segmenter.backend_name,
                  provider=segmenter.provider, data=str(args.data), split=args.split, threshold=threshold)
    print(f"{'model':<26}{result['model']} ({segmenter.precision})\n"
          f"{'backend':<26}{result['backend']} ({result['provider']})\n{'images':<26}{result['images']}")
    if result.get("skipped"):
        print(f"{'skipped (unreadable)':<26}{len(result['skipped'])}: {', '.join(result['skipped'][:5])}"
              + (" ..." if len(result["skipped"]) > 5 else ""))
    if result["images_with_people"]:
        print(f"{'mean per-image IoU':<26}{result['miou']:.2f}\n{'dataset IoU':<26}{result['dataset_iou']:.2f}\n"
              f"{'boundary F (3 px)':<26}{result['boundary_f']:.4f}")
    else:  # IoU and boundary F mean nothing without a person to find
        print(f"{'person-free: mean painted':<26}{result['person_share']:.2f}% of each photo\n"
              f"{'photos over 1% painted':<26}{result['over_1pct']} of {result['images']}")
    if args.json:
        atomic_write_bytes(args.json, json.dumps(result, indent=2).encode())
    return 0
