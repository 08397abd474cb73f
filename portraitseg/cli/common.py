"""Options shared by the commands that load a model."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def int_between(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``."""
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}")
        return int(text)
    return parse


PORT = int_between(1, 65535)
QUALITY = int_between(1, 100)


def probability(text: str) -> float:
    """An argparse type: a threshold strictly between 0 and 1 (no NaN)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def device_name(text: str) -> str:
    """An argparse type: auto, cpu, cuda or cuda:N."""
    from portraitseg.api import DEVICE_PATTERN

    if not DEVICE_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")
    return text


ALL_CORES = (None, "CPU threads (default: one per available core)")


def add_model_arguments(parser: argparse.ArgumentParser, backend: bool = True, edges: str = "guided",
                        threads: tuple[int | None, str] = ALL_CORES, role: str = "photo") -> None:
    """``threads``: the --threads default and its help (batch actors take one thread each); ``role``: ``photo``
    or ``live``, whose bundled model is the default."""
    from portraitseg.api import BACKENDS, PRECISIONS
    from portraitseg.edges import EDGE_MODES
    from portraitseg.zoo.catalog import bundled_models, default_model

    parser.add_argument("-m", "--model", default=default_model(role),
                        help=f"zoo name ({', '.join(bundled_models()) or 'none bundled'}), checkpoint folder, .onnx "
                             f"file or hf://ORG/NAME[@REV] (default: {default_model(role)}, bundled)")
    if backend:
        parser.add_argument("--backend", default="auto", choices=BACKENDS,
                            help="auto: ONNX Runtime when installed, else torch")
    parser.add_argument("--device", default="auto", type=device_name, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=positive_int, default=threads[0], help=threads[1])
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="ONNX Runtime: auto uses a bundled INT8 model on the CPU when the model ships one")
    parser.add_argument("--edges", default=edges, choices=EDGE_MODES,
                        help="how the mask is scaled up to the photo: guided follows the photo's edges (hair, "
                             "shoulders), bilinear interpolates (cheaper)")


def load_from_args(args: argparse.Namespace):
    from portraitseg.api import load

    return load(args.model, backend=args.backend, device=args.device, threads=args.threads, precision=args.precision,
                edges=args.edges)


def add_effect_arguments(parser: argparse.ArgumentParser, flag: str, default: str, softness: float) -> None:
    """The options of :class:`portraitseg.effects.Effect`, named alike in every command."""
    from portraitseg.effects import DEFAULT_BLUR, EFFECTS

    parser.add_argument(flag, default=default, choices=EFFECTS, dest="effect",
                        help="mask: 0/255 at the threshold; prob: 8-bit probability; cutout: RGBA, alpha from "
                             "threshold and softness; blur/color/replace: the background blurred, painted or replaced")
    parser.add_argument("--threshold", type=probability, default=None,
                        help="probability above which a pixel is person (default: the model's own, from its config)")
    parser.add_argument("--softness", type=float, default=softness,
                        help="edge ramp width in probability units (0: hard edge)")
    parser.add_argument("--background", default=None,
                        help="colour for 'color' (#rrggbb, r,g,b or a name; default green); image file for 'replace'")
    parser.add_argument("--blur", type=float, default=DEFAULT_BLUR, help="background blur strength for 'blur'")


def add_format_arguments(parser: argparse.ArgumentParser) -> None:
    """``--format`` and ``--quality`` of the files ``predict`` and ``batch`` write."""
    from portraitseg.outputs import DEFAULT_QUALITY, FORMATS

    parser.add_argument("--format", default="auto", choices=FORMATS,
                        help="auto: JPEG for blur, color and replace made from a JPEG photo (as photo tools give "
                             "back), PNG for masks, cut-outs and the rest; webp keeps a cut-out's transparency in a "
                             "smaller file (default: auto)")
    parser.add_argument("--quality", type=QUALITY, default=DEFAULT_QUALITY,
                        help=f"JPEG and WebP quality, 1-100 (default: {DEFAULT_QUALITY})")


def effect_options(args: argparse.Namespace, kind: str) -> dict:
    """The effect options as :meth:`portraitseg.effects.Effect.from_options` takes them (threshold None: the
    model's); --background is the colour for 'color' and the picture for 'replace'."""
    from portraitseg.effects import DEFAULT_COLOR

    if kind == "replace" and not args.background:
        from portraitseg.errors import EffectError

        raise EffectError("--background IMAGE is needed for 'replace'")
    return {"kind": kind, "threshold": args.threshold, "softness": args.softness, "blur": args.blur,
            "color": args.background if kind == "color" and args.background else DEFAULT_COLOR,
            "background": args.background if kind == "replace" else None}


def effect_from_args(args: argparse.Namespace, kind: str, model_threshold: float):
    """The validated effect (background image decoded once); bad values raise a message, not a traceback. The
    threshold is ``--threshold`` when given, else the model's."""
    from portraitseg.effects import Effect
    from portraitseg.thresholds import threshold_for

    options = effect_options(args, kind)
    options["threshold"] = threshold_for(options["threshold"], model_threshold)
    return Effect.from_options(**options)
