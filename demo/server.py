"""The one way the demo server starts, for ``portraitseg demo``, the webcam command's browser fallback and the
Space entry point (``demo/app.py``): the address is checked before any model is loaded, and Gradio's uploads and
cache go to this server's own folder, removed when it stops (set before Gradio is imported, which reads it)."""

from __future__ import annotations

import os

from portraitseg.errors import PortraitsegError


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


def serve(models: list[str] | None = None, live: str | None = None, backend: str = "auto", device: str = "auto",
          host: str = "127.0.0.1", port: int = 7860, share: bool = False,
          trusted_proxies: list[str] | None = None) -> None:
    """Serve the demo until Ctrl-C or SIGTERM: ``models`` beside the bundled ones (the first is the photo tab's),
    ``live`` the webcam tab's model."""
    check_can_listen(host, port)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from portraitseg.demo.tempspace import claim

    os.environ.setdefault("GRADIO_TEMP_DIR", str(claim() / "gradio"))
    from portraitseg.demo.models import ModelChoices
    from portraitseg.demo.routes import demo_routes, live_page
    from portraitseg.demo.ui import build_app, launch

    choices = ModelChoices(models, backend=backend, device=device, live=live)
    page = live_page(choices)
    for line in (choices.describe(choices.default), page.describe(choices.live_default)):
        print(line.replace("**", "").replace("`", ""))
    launch(build_app(choices, page), demo_routes(choices, page), host=host, port=port, share=share,
           trusted_proxies=trusted_proxies)
