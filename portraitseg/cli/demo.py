"""``portraitseg demo``: the web page for photo uploads and the live webcam."""

from __future__ import annotations

import argparse

from portraitseg.cli.common import PORT, device_name
from portraitseg.errors import PortraitsegError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--model", action="append", default=[],
                        help="extra model for the selectors (checkpoint folder, .onnx file or hf://ORG/NAME); "
                             "repeatable; the bundled models are always listed, the first -m is the photo tab's")
    parser.add_argument("--live-model", default=None,
                        help="the webcam tab's model: a zoo name, checkpoint folder, .onnx file or hf://ORG/NAME "
                             "(default: portrait-live, bundled)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 for the network)")
    parser.add_argument("--port", type=PORT, default=7860, help="port to serve the page on")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--backend", default="auto", choices=["auto", "onnxruntime", "torch"],
                        help="auto: ONNX Runtime when installed, else torch (default: auto)")
    parser.add_argument("--device", default="auto", type=device_name, help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                        help="a reverse proxy's address whose X-Forwarded-For header names the client (repeatable); "
                             "without it the header is ignored and each client is known by its own address")


def check_can_listen(host: str, port: int) -> None:
    """Refuse, in one line and before any model is loaded, an address this server could not listen on."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
            probe.bind((host, port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PortraitsegError(f"cannot serve on {host}:{port}: {reason}; choose another --port or --host") from None


def run(args: argparse.Namespace) -> int:
    import os

    check_can_listen(args.host, args.port)

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from portraitseg.demo.tempspace import claim

    # Gradio's uploads and cache in this server's own folder, removed when it stops (read when gradio is imported)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(claim() / "gradio"))
    from portraitseg.demo.models import ModelChoices
    from portraitseg.demo.ui import build_app, launch

    models = ModelChoices(args.model, backend=args.backend, device=args.device, live=args.live_model)
    for role, name in (("photo", models.default), ("live", models.live_default)):
        print(models.describe(name, role).replace("**", "").replace("`", ""))
    launch(build_app(models), host=args.host, port=args.port, share=args.share, trusted_proxies=args.trusted_proxy)
    return 0
