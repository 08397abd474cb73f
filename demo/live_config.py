"""The webcam page's one config, built once when the demo starts from each model's config (no model is loaded and
no session opened for it): per model, the size frames are fed at, the threshold, the output stride, and the ONNX
file the page may download and run itself, or why it runs on the server; the page's starting look; and the routes
it talks to. The page learns these from this config alone (``routes.LIVE_CONFIG``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.responses import FileResponse, PlainTextResponse, Response

from portraitseg.demo.browser import MAX_BROWSER_MODEL_BYTES, browser_file
from portraitseg.demo.models import ModelChoices
from portraitseg.effects import DEFAULT_BLUR, DEFAULT_COLOR, VIEW_SOFTNESS
from portraitseg.temporal import DEFAULT_SMOOTHING

SCRIPTS = Path(__file__).with_name("live_page")  # the page's ES modules
START_LOOK = {"kind": "blur", "softness": VIEW_SOFTNESS, "blur": DEFAULT_BLUR, "color": DEFAULT_COLOR,
              "smoothing": DEFAULT_SMOOTHING}


@dataclass(frozen=True)
class LiveModel:
    """One model as the page sees it, taken when the demo starts (a Hub model's pinned snapshot, a file that passed
    the loader's confinement), so no request reads a link, a moved repository or the Hub: its entry in the live
    config and the ONNX bytes the page downloads (None: it runs on the server)."""

    entry: dict
    onnx: bytes | None = None

    @property
    def where(self) -> str:
        """Where the model runs for a viewer, in words."""
        browser = self.entry["browser"]
        if self.onnx is None:
            return f"on this server ({browser['reason']})"
        size = f"{browser['precision']} ONNX, {len(self.onnx) / 2**20:.1f} MB"
        return f"in the viewer's browser ({size}) or on this server"


def live_model(models: ModelChoices, name: str, onnx_url: str) -> LiveModel:
    """Model ``name``'s entry: its live long side, threshold and output stride, and the ONNX file at ``onnx_url``
    (normalisation is inside the exported graph, so the page feeds RGB 0..255) or why the page cannot run it."""
    config = models.config(name)
    entry = {"live_long_side": config.live_long_side, "threshold": config.threshold,
             "output_stride": config.output_stride}
    path, reason = browser_file(models, name)
    data = None
    if path is not None:
        with path.open("rb") as handle:
            data = handle.read(MAX_BROWSER_MODEL_BYTES + 1)
        if len(data) > MAX_BROWSER_MODEL_BYTES:  # grew since it was measured
            data, reason = None, f"{name} is too large for the page"
    precision = "int8" if path is not None and ".int8." in path.name else "fp32"
    entry["browser"] = ({"reason": reason} if data is None else
                        {"onnx": onnx_url, "bytes": len(data), "precision": precision})
    return LiveModel(entry, data)


class LivePage:
    """The live config and the ONNX files behind it, for every model the demo serves, taken once. ``routes``: the
    page's routes by role (frames, runtime); ``onnx_url(index)``: the address of the index-th model's ONNX file."""

    def __init__(self, models: ModelChoices, routes: dict[str, str], onnx_url) -> None:
        self.models = {name: live_model(models, name, onnx_url(index)) for index, name in enumerate(models.names)}
        self.config = {"default": models.live_default, "look": START_LOOK, "routes": routes,
                       "models": {name: model.entry for name, model in self.models.items()}}

    def onnx(self, index: int) -> bytes | None:
        """The index-th model's ONNX bytes (None: no such model, or it runs on the server)."""
        models = list(self.models.values())
        return models[index].onnx if 0 <= index < len(models) else None

    def describe(self, name: str) -> str:
        """The webcam tab's line on model ``name`` (no session opened for it)."""
        model = self.models[name]
        return f"**Live model** `{name}` · input long side {model.entry['live_long_side']}px · runs {model.where}"


def script_file(name: str) -> Response:
    """One of the page's modules (``live_page/*.mjs``), by its name."""
    path = SCRIPTS / name
    if not (name.endswith(".mjs") and "/" not in name and "\\" not in name and path.is_file()):
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
