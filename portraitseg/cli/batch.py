"""``portraitseg batch``: segment a photo collection on Ray Data (a local Ray, or a cluster), resumable."""

from __future__ import annotations

import argparse

from portraitseg.cli.common import add_effect_arguments, add_format_arguments, add_model_arguments, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--input", nargs="+", action="extend", required=True, metavar="INPUT",
                        help="folders, globs ('photos/*.jpg'), .txt files of paths or URIs, or URIs that pyarrow "
                             "reads (s3://, gs://, hdfs://, file://)")
    parser.add_argument("-o", "--output-dir", required=True, metavar="OUTPUT",
                        help="folder or URI for <stem>.png (or .jpg, .webp) files, named as predict names them, and "
                             "manifest.parquet; "
                             "outputs already there are kept, so re-running resumes")
    add_model_arguments(parser, backend=False,
                        threads=(1, "CPU threads per actor (on the CPU, one-thread actors, one per core, are fastest)"))
    add_effect_arguments(parser, "--output", default="mask", softness=0.0)
    add_format_arguments(parser)
    parser.add_argument("--actors", type=positive_int, default=None,
                        help="model copies working at once (default: one per --threads CPUs of the cluster, or one "
                             "per GPU with onnxruntime-gpu)")
    parser.add_argument("--batch-size", type=positive_int, default=4, help="images per actor call")
    parser.add_argument("--address", default=None,
                        help="Ray cluster to join (ray://HEAD:10001 or HEAD:6379; default: $RAY_ADDRESS, else a local "
                             "Ray on this machine)")


def run(args: argparse.Namespace) -> int:
    import sys

    from portraitseg.extras import require

    require("ray", "'portraitseg batch'")
    from portraitseg.batch import MANIFEST_NAME, RAY_DRIVER_LOG, BatchJob, ray_logs_folder, run as run_job
    from portraitseg.cli.common import effect_from_args, effect_options
    from portraitseg.thresholds import DEFAULT_THRESHOLD

    from pathlib import PurePosixPath

    from portraitseg.outputs import output_suffix

    effect_from_args(args, args.effect, DEFAULT_THRESHOLD)  # refuse bad effect options before Ray starts
    output_suffix(args.effect, PurePosixPath("photo.jpg"), args.format)  # and a format the effect cannot take
    options = effect_options(args, args.effect)
    options["output"] = options.pop("kind")  # Segment's name for it, as the command's flag
    options.update(edges=args.edges, device=args.device, threads=args.threads, precision=args.precision,
                   quality=args.quality)
    job = BatchJob(args.input, args.output_dir, options, args.model, args.actors, args.batch_size, args.address,
                   format=args.format)
    counts = run_job(job)
    total = sum(counts.values())
    print(f"{counts['written']} written, {counts['kept']} kept from an earlier run, {counts['failed']} failed of "
          f"{total} images; manifest: {args.output_dir.rstrip('/')}/{MANIFEST_NAME}")
    print(f"Ray's logs: {ray_logs_folder()} and {RAY_DRIVER_LOG} (portraitseg -v batch shows them here)")
    if counts["failed"]:
        print(f"{counts['failed']} failed: their manifest rows say why", file=sys.stderr)
        return 1
    return 0
