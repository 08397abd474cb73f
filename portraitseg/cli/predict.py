"""``portraitseg predict``: segment files and folders, one output file per input (PNG, or JPEG for an opaque
picture of a JPEG photo; ``--format`` chooses)."""

from __future__ import annotations

import argparse
import sys

from portraitseg.cli.common import (add_effect_arguments, add_format_arguments, add_model_arguments, effect_from_args,
                                    load_from_args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--input", nargs="+", action="extend", required=True, metavar="PATH",
                        help="image files or folders (-i A B and -i A -i B alike)")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR",
                        help="where the <stem>.png (or .jpg, .webp) files go")
    add_model_arguments(parser)
    add_effect_arguments(parser, "--output", default="mask", softness=0.0)
    add_format_arguments(parser)


def render(segmenter, effect, path):
    """The effect's result for the photo at ``path``; the photo and its probability are let go on return."""
    from portraitseg.image_io import read_image

    image = read_image(path)
    return effect(image, segmenter(image))


def write_output(result, path, target, quality: int) -> None:
    """Encode the result as ``target``'s suffix names, with the photo's colour profile, and write it safely."""
    from portraitseg.atomic import atomic_write_bytes
    from portraitseg.image_io import icc_profile
    from portraitseg.outputs import encode

    atomic_write_bytes(target, encode(result, target.suffix, quality, icc_profile(path)))


def settle(write, path, target) -> bool:
    """Wait for one output's write; a write the disk refuses is one line, not a traceback (a full disk ends the
    run: the command says so). True when written."""
    import errno

    from tqdm.auto import tqdm

    try:
        write.result()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise
        tqdm.write(f"could not write {target.name} for {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    if target.stem != path.stem:
        tqdm.write(f"{path} -> {target.name} (its plain name is an input, taken, or a file of yours)",
                   file=sys.stderr)
    return True


def run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    from portraitseg.errors import ImageReadError, PortraitsegError
    from portraitseg.image_io import list_images
    from portraitseg.atomic import writable_path
    from portraitseg.outputs import local_key, not_ours, output_names, output_suffix

    out_dir = writable_path(args.output_dir, folder=True)
    paths = list_images(args.input)
    if not paths:
        raise PortraitsegError(f"no images found in {' '.join(args.input)}")
    output_suffix(args.effect, paths[0], args.format)  # a format the effect cannot take fails before any work
    segmenter = load_from_args(args)
    effect = effect_from_args(args, args.effect, segmenter.threshold)
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    targets = output_names(paths, out_dir, args.effect, key=local_key, foreign=not_ours,
                           suffix=lambda p: output_suffix(args.effect, p, args.format))
    # one output is encoded and written in the background while the next photo is decoded and segmented
    with ThreadPoolExecutor(1) as writer:
        pending = None
        for path, target in tqdm(list(zip(paths, targets)), desc="predict", unit="img", disable=len(paths) < 2):
            try:
                result = render(segmenter, effect, path)
            except ImageReadError as exc:
                failed.append(path)
                tqdm.write(f"skipped {exc}", file=sys.stderr)
                continue
            if pending is not None and not settle(*pending):
                failed.append(pending[1])
            pending = (writer.submit(write_output, result, path, target, args.quality), path, target)
            del result
        if pending is not None and not settle(*pending):
            failed.append(pending[1])
    written = len(paths) - len(failed)
    print(f"wrote {written} of {len(paths)} images to {out_dir} ({args.effect}; {segmenter.backend_name}, "
          f"{segmenter.provider})")
    if failed:
        print(f"{len(failed)} failed: {', '.join(p.name for p in failed)}", file=sys.stderr)
        return 1
    return 0
