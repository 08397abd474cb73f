"""The webcam's model in the viewer's browser: the demo server hands out ONNX Runtime Web (fetched from npm into
``browser_runtime/`` by ``scripts/fetch_browser_runtime.py``) and the chosen model's ONNX file, and the page
(``live_page/engines.mjs``) runs the model itself, so no frame leaves the viewer's computer. Where a model cannot
run there (no ONNX file, too large, served on CUDA) or the runtime is not installed, the live config says why and
the page uses the server's live route instead.

Cross-origin isolation (COOP/COEP headers on every answer) lets ONNX Runtime Web use two threads; the page works
without it, single-threaded."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse, PlainTextResponse, Response

from portraitseg.demo.models import ModelChoices
from portraitseg.zoo.onnx_contract import INT8_ONNX_NAME, ONNX_NAME

RUNTIME = Path(__file__).with_name("browser_runtime")
RUNTIME_FILES = {"ort.wasm.min.mjs": "text/javascript", "ort-wasm-simd-threaded.mjs": "text/javascript",
                 "ort-wasm-simd-threaded.wasm": "application/wasm"}
MAX_BROWSER_MODEL_BYTES = 40 * 2**20  # a model the page downloads: larger ones run on the server
# Measured in headless Chromium with ONNX Runtime Web 1.23 (WASM SIMD) on the bundled model: the INT8 file runs
# faster than the float one (docs/benchmarks.md, webcam in the browser), so a checkpoint's INT8 file goes first.
BROWSER_FILES = (INT8_ONNX_NAME, ONNX_NAME)
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin"}


def runtime_installed() -> bool:
    return all((RUNTIME / name).is_file() for name in RUNTIME_FILES)


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


def runtime_file(name: str) -> Response:
    """One of ONNX Runtime Web's files, by its name (no other file of the folder is handed out)."""
    if name not in RUNTIME_FILES or not (RUNTIME / name).is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(RUNTIME / name, media_type=RUNTIME_FILES[name], headers={"Cache-Control": "max-age=86400"})


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
