"""``portraitseg predict``: segment files and folders, one PNG per input."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from portraitseg.cli.common import add_effect_arguments, add_model_arguments, effect_from_args, load_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--input", nargs="+", required=True, metavar="PATH", help="image files or folders")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", help="where <stem>.png files go")
    add_model_arguments(parser)
    add_effect_arguments(parser, "--output", default="mask", softness=0.0)


def output_paths(paths: list[Path], out_dir: Path, kind: str) -> list[Path]:
    """One distinct ``.png`` per input in ``out_dir``: ``<stem>.png``, or ``<stem>_<kind>[-N].png`` where that name
    would overwrite an input or was already given to an earlier input (``a.jpg`` + ``a.png``, ``d1/a.jpg`` +
    ``d2/a.jpg``). Inputs are never overwritten."""
    inputs = {p.resolve() for p in paths}
    taken: set[Path] = set()
    result = []
    for path in paths:
        target = out_dir / f"{path.stem}.png"
        n = 1
        while target.resolve() in inputs or target.resolve() in taken:
            n += 1
            target = out_dir / (f"{path.stem}_{kind}.png" if n == 2 else f"{path.stem}_{kind}-{n - 1}.png")
        taken.add(target.resolve())
        result.append(target)
    return result


def run(args: argparse.Namespace) -> int:
    from PIL import Image
    from tqdm.auto import tqdm

    from portraitseg.errors import ImageReadError, PortraitsegError
    from portraitseg.image_io import list_images, read_image
    from portraitseg.atomic import atomic_write, writable_path

    out_dir = writable_path(args.output_dir, folder=True)
    paths = list_images(args.input)
    if not paths:
        raise PortraitsegError(f"no images found in {' '.join(args.input)}")
    effect = effect_from_args(args, args.effect)
    segmenter = load_from_args(args)
    out_dir.mkdir(parents=True, exist_ok=True)
    failed, written = [], 0
    targets = output_paths(paths, out_dir, args.effect)
    for path, target in tqdm(list(zip(paths, targets)), desc="predict", unit="img", disable=len(paths) < 2):
        try:
            image = read_image(path)
            prob = segmenter(image)
            result = effect(image, prob)
            atomic_write(target, lambda tmp: Image.fromarray(result).save(tmp, format="PNG"))
            written += 1
            if target.name != f"{path.stem}.png":
                tqdm.write(f"{path} -> {target.name} (its plain name is an input or already taken)", file=sys.stderr)
        except ImageReadError as exc:
            failed.append(path)
            tqdm.write(f"skipped {exc}", file=sys.stderr)
    print(f"wrote {written} of {len(paths)} images to {out_dir} ({args.effect}; {segmenter.backend_name}, "
          f"{segmenter.provider})")
    if failed:
        print(f"{len(failed)} failed: {', '.join(p.name for p in failed)}", file=sys.stderr)
        return 1
    return 0
