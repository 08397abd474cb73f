"""The ``portraitseg`` command. Each sub-command lives in its own module and imports heavy libraries only when
it runs, so ``portraitseg --help`` stays fast."""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import sys

from portraitseg import __version__
from portraitseg.errors import PortraitsegError
from portraitseg.extras import missing_message

# command name -> module in portraitseg.cli (each defines ``add_arguments(parser)`` and ``run(args) -> int``)
COMMANDS = {
    "predict": ("predict", "segment images: write masks, probabilities, cut-outs or composites"),
    "batch": ("batch", "segment a photo collection on Ray Data (local or a cluster), resumable, with a manifest"),
    "eval": ("evaluate", "score a model on a labelled folder (mIoU, dataset IoU, boundary F)"),
    "train": ("train", "train a model from a config file with command-line overrides"),
    "export": ("export", "export a model to ONNX (float or INT8)"),
    "bench": ("bench", "measure model-call and whole-path latency per backend"),
    "plugins": ("plugins", "list registered encoders, decoders, losses and augmenters with their plugins"),
    "augment-preview": ("augment_preview", "write a grid of augmented training pairs to look at"),
    "demo": ("demo", "start the web demo (photo upload and live webcam)"),
    "webcam": ("webcam", "run the model on a camera or video file with OpenCV"),
    "push": ("push", "upload a checkpoint with its model card to the Hugging Face Hub"),
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each default once: not where the help already names it, nor for unset (None) or off switches."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default == [] \
            or action.default == argparse.SUPPRESS  # 0 and 0.0 are real defaults and are shown
        if "default" in text or unset or action.required:
            return text
        return super()._get_help_string(action)


def sentence(text: str) -> str:
    """A help line as a sentence: its first letter raised, its names (mIoU, ONNX, OpenCV) left as they are."""
    return text[0].upper() + text[1:] + "."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portraitseg",
        description="Human portrait segmentation: person masks, cut-outs and background effects.",
        epilog="Run 'portraitseg COMMAND --help' for a command's options. Models (-m): a zoo name (see "
               "'portraitseg predict --help'), a checkpoint folder, an .onnx file, or hf://ORG/NAME[@REVISION].",
    )
    parser.add_argument("--version", action="version", version=f"portraitseg {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=sentence(help_text), add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 0 if not rest else 2
    module_name, help_text = COMMANDS[args.command]
    module = importlib.import_module(f"portraitseg.cli.{module_name}")
    sub = argparse.ArgumentParser(prog=f"portraitseg {args.command}", description=sentence(help_text),
                                  formatter_class=HelpFormatter)
    module.add_arguments(sub)
    sub_args = sub.parse_args(rest)
    # the project's own progress at INFO; libraries (httpx's line per request, Ray, ...) only at WARNING
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("portraitseg").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(module.run(sub_args) or 0)
    except PortraitsegError as exc:
        print(f"portraitseg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        message = missing_message(exc.name or "", f"'portraitseg {args.command}'")
        if message is None:
            raise
        print(f"portraitseg {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"portraitseg {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        where = f" writing {exc.filename}" if exc.filename else ""
        print(f"portraitseg {args.command}: error: the disk is full{where}; nothing half-written was left and "
              "finished files are kept: free some space and run again"
              + (" with --resume" if args.command == "train" else ""), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
