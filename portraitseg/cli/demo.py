"""``portraitseg demo``: the web page for photo uploads and the live webcam."""

from __future__ import annotations

import argparse

from portraitseg.cli.common import PORT, device_name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from portraitseg.api import BACKENDS

    parser.add_argument("-m", "--model", action="append", default=[],
                        help="extra model for the selectors (checkpoint folder, .onnx file or hf://ORG/NAME); "
                             "repeatable; the bundled models are always listed, the first -m is the photo tab's")
    parser.add_argument("--live-model", default=None,
                        help="the webcam tab's model: a zoo name, checkpoint folder, .onnx file or hf://ORG/NAME "
                             "(default: portrait-live, bundled)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 for the network)")
    parser.add_argument("--port", type=PORT, default=7860, help="port to serve the page on")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--backend", default="auto", choices=BACKENDS,
                        help="auto: ONNX Runtime when installed, else torch (default: auto)")
    parser.add_argument("--device", default="auto", type=device_name, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                        help="a reverse proxy's address whose X-Forwarded-For header names the client (repeatable); "
                             "without it the header is ignored and each client is known by its own address")


def run(args: argparse.Namespace) -> int:
    from portraitseg.demo.server import serve

    serve(args.model, live=args.live_model, backend=args.backend, device=args.device, host=args.host, port=args.port,
          share=args.share, trusted_proxies=args.trusted_proxy)
    return 0
