"""The Gradio page: a photo-upload tab and a live webcam tab, served from the chosen model."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from portraitseg.demo.examples import example_paths
from portraitseg.demo.models import ModelChoices
from portraitseg.demo.processing import BACKGROUNDS, DEMO_MAX_PIXELS, Look, StreamState, background_image, process_frame, process_photo
from portraitseg.errors import PortraitsegError

MAX_FILE_SIZE = "15mb"
WEBCAM_CONSTRAINTS = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}}
STREAM_EVERY = 0.05
RESULT_TTL_S = 600
INTRO = ("# portraitseg\nUpload photos or turn on your webcam: the person is cut out and the background blurred, "
         "painted or replaced.")
PRIVACY = (f"Photos and webcam frames are sent to the server that runs this page, processed in memory and not "
           f"stored; the result files offered for download are deleted after {RESULT_TTL_S // 60} minutes and when "
           f"the server stops. Photos above {DEMO_MAX_PIXELS / 1e6:.0f} megapixels are processed at that size.")


def user_message(exc: Exception, path: str) -> str:
    """The error text with the server's temporary path replaced by the user's own file name."""
    return str(exc).replace(str(path), Path(path).name)


def forget_old_results(folder: Path, max_age_s: float = RESULT_TTL_S) -> None:
    """Delete result folders older than ``max_age_s``."""
    cutoff = time.time() - max_age_s
    for child in folder.iterdir():
        if child.stat().st_mtime < cutoff:
            shutil.rmtree(child, ignore_errors=True)


def _look(background, threshold, softness, blur, color, image_path) -> Look:
    return Look(background, threshold, softness, blur, color or "#2e8b57", background_image(image_path))


def build_app(models: ModelChoices | None = None) -> gr.Blocks:
    """Build the Blocks app (not launched). ``models`` defaults to the bundled zoo."""
    models = models or ModelChoices()
    downloads = Path(tempfile.mkdtemp(prefix="portraitseg-demo-"))
    atexit.register(shutil.rmtree, downloads, ignore_errors=True)

    def segment_photos(files, model_name, background, threshold, softness, blur, color, image_path):
        forget_old_results(downloads)
        if not files:
            gr.Warning("Add one or more photos first.")
            return [], [], [], ""
        try:
            segmenter = models.get(model_name)
            look = _look(background, threshold, softness, blur, color, image_path)
        except PortraitsegError as exc:
            raise gr.Error(user_message(exc, image_path or ""), print_exception=False) from None
        results = []
        for f in files:
            try:
                results.append(process_photo(f, segmenter, look))
            except PortraitsegError as exc:
                gr.Warning(user_message(exc, f))
        if not results:
            return [], [], [], ""
        request_dir = Path(tempfile.mkdtemp(dir=downloads))
        cutout_files = []
        for r in results:
            path = request_dir / f"{Path(r.name).stem}_cutout.png"
            Image.fromarray(r.cutout).save(path)
            cutout_files.append(str(path))
        rows = "\n".join(f"| {r.name} | {r.mask.shape[1]}x{r.mask.shape[0]} | {r.model_ms:.0f} ms | {r.total_ms:.0f} ms |"
                         for r in results)
        table = "| photo | size | model | whole |\n|---|---|---|---|\n" + rows
        return ([(r.composite, r.name) for r in results], [(r.mask, r.name) for r in results], cutout_files, table)

    def stream_frame(frame, state, model_name, background, threshold, softness, blur, color, image_path, smoothing):
        received_ms = time.time() * 1000
        state = state or StreamState()
        if frame is None:
            return None, "waiting for the camera…", state
        look = _look(background, threshold, softness, blur, color, image_path)
        out = process_frame(frame, models.get(model_name), look, state, smoothing)
        stats = (f"{state.fps():.1f} frames/s · processing {np.median(state.latencies):.0f} ms median · "
                 f"{frame.shape[1]}x{frame.shape[0]} · {state.frames} frames"
                 f'<span hidden data-received-ms="{received_ms:.1f}"></span>')  # for benchmarks/webcam_latency.py
        return out, stats, state

    with gr.Blocks(title="portraitseg", delete_cache=(300, 600)) as app:
        gr.Markdown(INTRO)
        gr.Markdown(PRIVACY, elem_id="privacy")
        with gr.Row():
            model = gr.Dropdown(models.names, value=models.default, label="Model", scale=2)
            info = gr.Markdown(models.describe(models.default) if models.default else "no model", elem_id="model-info")
        with gr.Accordion("Look", open=True):
            with gr.Row():
                background = gr.Radio(list(BACKGROUNDS), value="blur", label="Background")
                threshold = gr.Slider(0.05, 0.95, 0.5, step=0.05, label="Threshold")
                softness = gr.Slider(0.0, 0.6, 0.2, step=0.05, label="Edge softness")
            with gr.Row():
                blur = gr.Slider(2, 40, 15, step=1, label="Blur strength")
                color = gr.ColorPicker("#2e8b57", label="Colour")
                image = gr.Image(type="filepath", label="Background image", sources=["upload"], height=120)
        look_inputs = [model, background, threshold, softness, blur, color, image]
        model.change(models.describe, model, info, api_visibility="undocumented")

        with gr.Tab("Photos", id="photos"):
            files = gr.File(file_count="multiple", file_types=["image"], label="Photos", elem_id="photo-input")
            run = gr.Button("Segment", variant="primary", elem_id="segment-button")
            with gr.Row():
                composites = gr.Gallery(label="Result", columns=3, height=360, elem_id="composites", format="png")
                masks = gr.Gallery(label="Mask", columns=3, height=360, elem_id="masks", format="png")
            with gr.Row():
                cutouts = gr.File(label="Cut-outs (RGBA PNG)", file_count="multiple", elem_id="cutouts")
                timing = gr.Markdown(elem_id="timing")
            gr.Examples([[[str(p)]] for p in example_paths()], inputs=[files], label="Example photos")
            run.click(segment_photos, [files, *look_inputs],
                      [composites, masks, cutouts, timing], api_name="segment", concurrency_limit=2)

        with gr.Tab("Webcam", id="webcam"):
            smoothing = gr.Slider(0.0, 0.9, 0.5, step=0.1, label="Temporal smoothing (less flicker, more lag)")
            with gr.Row():
                camera = gr.Image(sources=["webcam"], streaming=True, label="Camera", elem_id="camera",
                                  webcam_options=gr.WebcamOptions(mirror=True, constraints=WEBCAM_CONSTRAINTS))
                live = gr.Image(label="Live", format="jpeg", elem_id="live", streaming=True)
            stats = gr.Markdown(elem_id="live-stats", sanitize_html=False)
            stream_state = gr.State(None)
            camera.stream(stream_frame, [camera, stream_state, *look_inputs, smoothing], [live, stats, stream_state],
                          stream_every=STREAM_EVERY, time_limit=60, concurrency_limit=4, show_progress="hidden",
                          api_visibility="undocumented")
    app.queue(max_size=32, default_concurrency_limit=2)
    return app


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False, **kwargs):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    return app.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_FILE_SIZE,
                      show_error=True, footer_links=["api"], **kwargs)
