"""``portraitseg predict``: segment files and folders, one PNG per input."""

from __future__ import annotations

import argparse
import sys

from portraitseg.cli.common import add_effect_arguments, add_model_arguments, effect_from_args, load_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--input", nargs="+", action="extend", required=True, metavar="PATH",
                        help="image files or folders (-i A B and -i A -i B alike)")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", help="where <stem>.png files go")
    add_model_arguments(parser)
    add_effect_arguments(parser, "--output", default="mask", softness=0.0)


def render(segmenter, effect, path):
    """The effect's result for the photo at ``path``; the photo and its probability are let go on return."""
    from portraitseg.image_io import read_image

    image = read_image(path)
    return effect(image, segmenter(image))


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from portraitseg.errors import ImageReadError, PortraitsegError
    from portraitseg.image_io import list_images
    from portraitseg.atomic import atomic_write_bytes, writable_path
    from portraitseg.outputs import local_key, not_ours, output_names, png_bytes

    out_dir = writable_path(args.output_dir, folder=True)
    paths = list_images(args.input)
    if not paths:
        raise PortraitsegError(f"no images found in {' '.join(args.input)}")
    segmenter = load_from_args(args)
    effect = effect_from_args(args, args.effect, segmenter.threshold)
    out_dir.mkdir(parents=True, exist_ok=True)
    failed, written = [], 0
    targets = output_names(paths, out_dir, args.effect, key=local_key, foreign=not_ours)
    for path, target in tqdm(list(zip(paths, targets)), desc="predict", unit="img", disable=len(paths) < 2):
        try:
            result = render(segmenter, effect, path)
            atomic_write_bytes(target, png_bytes(result))
            written += 1
            if target.name != f"{path.stem}.png":
                tqdm.write(f"{path} -> {target.name} (its plain name is an input, taken, or a file of yours)",
                           file=sys.stderr)
        except ImageReadError as exc:
            failed.append(path)
            tqdm.write(f"skipped {exc}", file=sys.stderr)
    print(f"wrote {written} of {len(paths)} images to {out_dir} ({args.effect}; {segmenter.backend_name}, "
          f"{segmenter.provider})")
    if failed:
        print(f"{len(failed)} failed: {', '.join(p.name for p in failed)}", file=sys.stderr)
        return 1
    return 0
