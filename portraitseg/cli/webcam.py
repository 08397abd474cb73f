"""``portraitseg webcam``: a camera or a video file through the model with OpenCV."""

from __future__ import annotations

import argparse

from portraitseg.cli.common import (PORT, add_effect_arguments, add_model_arguments, effect_from_args,
                                    load_from_args)
from portraitseg.effects import VIEW_SOFTNESS
from portraitseg.temporal import DEFAULT_SMOOTHING


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, edges="bilinear", role="live")
    parser.add_argument("--source", default="0", help="camera index or video file")
    add_effect_arguments(parser, "--effect", default="blur", softness=VIEW_SOFTNESS)
    parser.add_argument("--smoothing", type=float, default=DEFAULT_SMOOTHING,
                        help="temporal mask smoothing in [0, 1): how strongly a pixel's flicker is held back where "
                             "the picture is still (moving parts are never held back)")
    parser.add_argument("--output", help="write the processed video here (.mp4)")
    parser.add_argument("--no-window", action="store_true", help="headless: no window (for machines without display)")
    parser.add_argument("--no-fps", action="store_true", help="no frames-per-second overlay")
    parser.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=None,
                        help="flip frames horizontally (default: on for cameras, off for files)")
    parser.add_argument("--max-frames", type=int)
    parser.add_argument("--port", type=PORT, default=7860,
                        help="where OpenCV cannot open a window, the browser page for the camera is served here")


def run(args: argparse.Namespace) -> int:
    import time

    from portraitseg.demo.webcam import run_webcam, summary, window_supported
    from portraitseg.temporal import TemporalSmoother

    if not args.no_window and args.source.isdigit() and not window_supported():
        return serve_in_browser(args)

    smoother = TemporalSmoother(args.smoothing)
    segmenter = load_from_args(args).live()  # live video runs at the model's live long side
    effect = effect_from_args(args, args.effect, segmenter.threshold)
    started = time.perf_counter()
    frames = run_webcam(segmenter, args.source, effect, args.output, show=not args.no_window, mirror=args.mirror,
                        smoother=smoother, fps_overlay=not args.no_fps, max_frames=args.max_frames)
    print(f"{summary(frames, started)}; model {args.model} at long side {segmenter.live_long_side}"
          + (f"; wrote {args.output}" if args.output and frames else ""))
    return 0


def serve_in_browser(args: argparse.Namespace) -> int:
    """Where OpenCV cannot open a window (the headless build the package installs), the camera goes through the
    browser instead: the demo page, whose Webcam tab runs the same model and effects."""
    from portraitseg.demo.server import serve

    print("This OpenCV build cannot open a window (opencv-python-headless). Open the page below and its Webcam tab "
          "for the live camera; or use --no-window --output OUT.mp4 to write a video.", flush=True)
    serve(live=args.model, backend=args.backend, device=args.device, port=args.port)
    return 0
