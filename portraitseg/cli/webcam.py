"""``portraitseg webcam``: a camera or a video file through the model with OpenCV."""

from __future__ import annotations

import argparse

from portraitseg.cli.common import add_effect_arguments, add_model_arguments, effect_from_args, load_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--source", default="0", help="camera index or video file")
    add_effect_arguments(parser, "--effect", default="blur", softness=0.2)
    parser.add_argument("--smoothing", type=float, default=0.5, help="temporal mask smoothing in [0, 1)")
    parser.add_argument("--output", help="write the processed video here (.mp4)")
    parser.add_argument("--no-window", action="store_true", help="headless: no window (for machines without display)")
    parser.add_argument("--no-fps", action="store_true", help="no frames-per-second overlay")
    parser.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=None,
                        help="flip frames horizontally (default: on for cameras, off for files)")
    parser.add_argument("--max-frames", type=int)


def run(args: argparse.Namespace) -> int:
    import time

    from portraitseg.demo.webcam import run_webcam, summary
    from portraitseg.temporal import TemporalSmoother

    effect = effect_from_args(args, args.effect)
    smoother = TemporalSmoother(args.smoothing)
    segmenter = load_from_args(args)
    started = time.perf_counter()
    frames = run_webcam(segmenter, args.source, effect, args.output, show=not args.no_window, mirror=args.mirror,
                        smoother=smoother, fps_overlay=not args.no_fps, max_frames=args.max_frames)
    print(summary(frames, started) + (f"; wrote {args.output}" if args.output else ""))
    return 0
