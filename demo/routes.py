"""Every route the demo serves beside Gradio's own, in one table, handed to the app when it is created (before it
listens): the live route (frames in, mattes out), the live config the webcam page reads, the ONNX files and runtime
the page runs the model with, and the page's modules."""

from __future__ import annotations

from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute

from portraitseg.demo.browser import runtime_file
from portraitseg.demo.live import LiveMattes, frames_endpoint
from portraitseg.demo.live_config import LivePage, script_file
from portraitseg.demo.models import ModelChoices

LIVE_FRAMES = "/portraitseg/live"
LIVE_CONFIG = "/portraitseg/live-config.json"
MODEL_FILE = "/portraitseg/models/{index}/model.onnx"
RUNTIME_FILE = "/portraitseg/runtime/{name}"
SCRIPT_FILE = "/portraitseg/scripts/{name}"


def relative(route: str) -> str:
    """A route as the page addresses it: relative to the page's own address, so it works under a proxy's prefix."""
    return route.lstrip("/")


def live_page(models: ModelChoices) -> LivePage:
    """The live config and ONNX snapshot for ``models``, with the routes the page talks to."""
    routes = {"frames": relative(LIVE_FRAMES), "runtime": relative(RUNTIME_FILE.removesuffix("{name}"))}
    return LivePage(models, routes, lambda index: relative(MODEL_FILE.format(index=index)))


def frames_route(mattes) -> APIRoute:
    """The live route serving ``mattes`` (a :class:`LiveMattes`, or anything called as one)."""
    return APIRoute(LIVE_FRAMES, frames_endpoint(mattes), methods=["POST"], include_in_schema=False)


def demo_routes(models: ModelChoices, page: LivePage) -> list[APIRoute]:
    """The table: each route, its method and its handler."""

    def config() -> Response:
        return JSONResponse(page.config, headers={"Cache-Control": "no-store"})

    def onnx(index: int) -> Response:
        data = page.onnx(index)
        if data is None:
            return PlainTextResponse("this model does not run in the browser", status_code=404)
        return Response(data, media_type="application/octet-stream", headers={"Cache-Control": "no-cache"})

    def get(path, handler) -> APIRoute:
        return APIRoute(path, handler, methods=["GET"], include_in_schema=False)

    return [frames_route(LiveMattes(models)), get(LIVE_CONFIG, config), get(MODEL_FILE, onnx),
            get(RUNTIME_FILE, runtime_file), get(SCRIPT_FILE, script_file)]
