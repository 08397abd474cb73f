"""The webcam's model in the viewer's browser: the demo server hands out ONNX Runtime Web (fetched from npm into
``browser_runtime/`` by ``scripts/fetch_browser_runtime.py``), the chosen model's ONNX file and its config,
and the page (``live.js``) runs the model itself, so no frame leaves the viewer's computer. Where a model cannot
run there (no ONNX file, too large, served on CUDA) or the runtime is not installed, the config says why and the
page uses the server's live route instead.

Cross-origin isolation (COOP/COEP headers on every answer) lets ONNX Runtime Web use two threads; the page works
without it, single-threaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from portraitseg.demo.models import ModelChoices

RUNTIME = Path(__file__).with_name("browser_runtime")
RUNTIME_FILES = {"ort.wasm.min.mjs": "text/javascript", "ort-wasm-simd-threaded.mjs": "text/javascript",
                 "ort-wasm-simd-threaded.wasm": "application/wasm"}
RUNTIME_ROUTE = "/portraitseg/runtime"
MODELS_ROUTE = "/portraitseg/models"
MAX_BROWSER_MODEL_BYTES = 40 * 2**20  # a model the page downloads: larger ones run on the server
# Measured in headless Chromium with ONNX Runtime Web 1.23 (WASM SIMD) on the bundled model: the INT8 file runs
# faster than the float one (docs/benchmarks.md, webcam in the browser), so a checkpoint's INT8 file goes first.
BROWSER_FILES = ("model.int8.onnx", "model.onnx")
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}


def runtime_installed() -> bool:
    return all((RUNTIME / name).is_file() for name in RUNTIME_FILES)


@dataclass(frozen=True)
class BrowserModel:
    """What the page gets for one model, taken once when the demo starts (a Hub model's pinned snapshot, a file
    that passed the loader's confinement), so no request reads a link, a moved repository or the Hub: the ONNX
    file's bytes and config, or the reason the model runs on the server."""

    config: dict
    onnx: bytes | None = None


def browser_file(models: ModelChoices, name: str) -> tuple[Path | None, str]:
    """The ONNX file the browser runs for model ``name``, or None and the reason it runs on the server."""
    from portraitseg.errors import CheckpointError
    from portraitseg.zoo.onnx_contract import confined_model_file

    if not runtime_installed():
        return None, "ONNX Runtime Web is not installed on this server (scripts/fetch_browser_runtime.py)"
    if models.device.startswith("cuda"):
        return None, "this server runs its models on its GPU"
    path = models.path(name)
    found = path if path.suffix == ".onnx" else next((path / f for f in BROWSER_FILES if (path / f).is_file()), None)
    if found is None:
        return None, f"{name} has no ONNX file"
    try:
        confined_model_file(found)
    except CheckpointError:
        return None, f"{name}'s ONNX file is a link out of its folder, which this server does not hand out"
    if not found.is_file():
        return None, f"{name}'s ONNX file is not a regular file"
    if found.stat().st_size > MAX_BROWSER_MODEL_BYTES:
        return None, f"{name} is {found.stat().st_size / 2**20:.0f} MB, too large to download to the page"
    return found, ""


def browser_model(models: ModelChoices, name: str, index: int) -> BrowserModel:
    """What the page needs to run model ``name`` itself: its config (live long side, threshold, output stride,
    normalisation, which the exported graph applies), the ONNX file's address and size, and the file; or why it
    cannot."""
    path, reason = browser_file(models, name)
    if path is None:
        return BrowserModel({"model": name, "browser": False, "reason": reason})
    with path.open("rb") as handle:
        data = handle.read(MAX_BROWSER_MODEL_BYTES + 1)
    if len(data) > MAX_BROWSER_MODEL_BYTES:  # grew since it was measured
        return BrowserModel({"model": name, "browser": False, "reason": f"{name} is too large for the page"})
    config = models.config(name)
    return BrowserModel({
        "model": name, "browser": True, "onnx": f"{MODELS_ROUTE.lstrip('/')}/{index}/model.onnx", "bytes": len(data),
        "precision": "int8" if ".int8." in path.name else "fp32",
        "config": {"live_long_side": config.live_long_side, "threshold": config.threshold,
                   "output_stride": config.output_stride, "input_range": [0, 255],
                   "normalization": "inside the model graph"}}, data)


def add_browser_routes(app: FastAPI, models: ModelChoices) -> None:
    """Serve the runtime's files, a model's browser config (``models/config.json?model=NAME``) and its ONNX file
    (``models/INDEX/model.onnx``, the model's place in the selector), all taken when the app is built."""
    snapshot = [browser_model(models, name, index) for index, name in enumerate(models.names)]

    def runtime(name: str) -> Response:
        if name not in RUNTIME_FILES or not (RUNTIME / name).is_file():
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(RUNTIME / name, media_type=RUNTIME_FILES[name], headers={"Cache-Control": "max-age=86400"})

    def config(model: str = "") -> Response:
        name = model or models.live_default
        if name not in models.names:
            return PlainTextResponse(f"unknown model {name!r}", status_code=404)
        return JSONResponse(snapshot[models.names.index(name)].config, headers={"Cache-Control": "no-store"})

    def onnx(index: int) -> Response:
        entry = snapshot[index] if 0 <= index < len(snapshot) else None
        if entry is None or entry.onnx is None:
            return PlainTextResponse("this model does not run in the browser", status_code=404)
        return Response(entry.onnx, media_type="application/octet-stream", headers={"Cache-Control": "no-cache"})

    app.add_api_route(RUNTIME_ROUTE + "/{name}", runtime, methods=["GET"], include_in_schema=False)
    app.add_api_route(MODELS_ROUTE + "/config.json", config, methods=["GET"], include_in_schema=False)
    app.add_api_route(MODELS_ROUTE + "/{index}/model.onnx", onnx, methods=["GET"], include_in_schema=False)


class CrossOriginIsolation:
    """ASGI middleware adding the COOP/COEP headers (and CORP for our own answers) that make the page
    cross-origin isolated, so ONNX Runtime Web may use threads (SharedArrayBuffer)."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in ISOLATION_HEADERS.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def isolated_send(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, isolated_send)
