"""The Gradio page: a photo-upload tab and a live webcam tab, served from the chosen model."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image
from starlette.middleware import Middleware

from portraitseg.demo.browser import CrossOriginIsolation
from portraitseg.demo.examples import example_paths
from portraitseg.demo.live_config import LivePage
from portraitseg.demo.models import ModelChoices
from portraitseg.demo.processing import DEMO_MAX_PIXELS, KeptPhoto, process_photo
from portraitseg.demo.tempspace import claim, exit_cleanly_on_stop_signals
from portraitseg.demo.routes import LIVE_CONFIG, SCRIPT_FILE, live_page, relative
from portraitseg.demo.uploads import MAX_UPLOAD_REQUEST_BYTES, UploadBudget
from portraitseg.effects import DEFAULT_BLUR, DEFAULT_COLOR, VIEW_SOFTNESS, Effect
from portraitseg.errors import EffectError, PortraitsegError
from portraitseg.outputs import encode, output_suffix
from portraitseg.temporal import DEFAULT_SMOOTHING
from portraitseg.thresholds import mask_uint8

MAX_FILE_SIZE = "15mb"
MAX_PHOTOS_PER_REQUEST = 8
MAX_REQUEST_BYTES = MAX_UPLOAD_REQUEST_BYTES
RESULT_TTL_S = 600
PHONE_COLUMN_PX = 320  # a column's least width: two fit on a laptop, one on a phone
PHOTO_WORK = "photo-work"  # one concurrency limit shared by every handler that composes photos: 2 at once
CSS = """
#timing table { width: 100%; table-layout: fixed; }
#timing th, #timing td { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
"""


def live_html() -> str:
    """The live component's markup: where the page finds its live config and its modules."""
    return f"""<div class="live" data-config="{relative(LIVE_CONFIG)}"
data-scripts="{relative(SCRIPT_FILE.removesuffix('{name}'))}">
<div class="live-bar"><button class="live-start" type="button" disabled>Start camera</button>
<select class="live-where" aria-label="Where the model runs"><option value="browser" selected>Model in this browser
</option><option value="server">Model on the server</option></select>
<select class="live-camera" aria-label="Camera" hidden></select></div>
<p class="live-message" role="status" hidden></p>
<div class="live-view"><canvas class="live-output"></canvas>
<video class="live-camera-feed" playsinline muted></video></div>
<p class="live-stats"></p></div>"""


# Run by Gradio with `element` the component's root: the page's modules do the rest (live_page/camera.mjs).
LIVE_LOADER = """const scripts = new URL(element.querySelector('.live').dataset.scripts, document.baseURI);
import(new URL('camera.mjs', scripts).href).then(module => module.mount(element));"""
LIVE_CSS = """
.live-bar { display: flex; gap: 0.5rem; flex-wrap: wrap; }
.live-start { padding: 0.4rem 1rem; border-radius: 6px; background: var(--button-primary-background-fill);
  color: var(--button-primary-text-color); font-weight: 600; }
.live-message { color: var(--body-text-color); background: var(--color-accent-soft); padding: 0.5rem; }
.live-view { position: relative; max-width: 640px; }
.live-output { width: 100%; transform: scaleX(-1); }
.live-camera-feed { position: absolute; left: 0; top: 0; width: 1px; height: 1px; opacity: 0; }
.live-stats { font-size: 0.9em; }
"""
LIVE_CONFIGURE = """(model, kind, threshold, softness, blur, color, background, smoothing) => {
  const values = {model, kind, threshold, softness, blur, color, background, smoothing};
  window.portraitsegLivePending = values;
  if (window.portraitsegLive) window.portraitsegLive.configure(values);
}"""
INTRO = ("# portraitseg\nUpload photos or turn on your webcam: the person is cut out and the background blurred, "
         "painted or replaced.")
# what happens to webcam frames, said in the same words by the page's privacy paragraph and the webcam tab
WEBCAM_PRIVACY = ("Webcam frames stay in your browser while the model runs there (the default: ONNX Runtime Web). "
                  "Where your browser cannot run it, or you choose so, each frame is sent to the server scaled to the "
                  "model's live size (a few hundred pixels), segmented in memory and not stored.")
PRIVACY = ("Photos are sent to the server that runs this page; they and their results are kept on its disk for "
           f"{RESULT_TTL_S // 60} minutes (for new looks and the downloads), then deleted, and all of them when the "
           f"server stops. Photos above {DEMO_MAX_PIXELS / 1e6:.0f} megapixels are processed at that size; at most "
           f"{MAX_PHOTOS_PER_REQUEST} photos at a time. " + WEBCAM_PRIVACY)


def name_unreadable_uploads(component: gr.Image) -> gr.Image:
    """Gradio decodes an image upload before our code runs; make a file it cannot read an error that names the
    user's file, never the server's temporary path. (Wrapped on the instance: a subclass of a Gradio component
    would make Gradio write a type-stub file beside this module.)"""
    preprocess = component.preprocess

    def named(payload):
        try:
            return preprocess(payload)
        except Exception:  # PIL's many errors for a damaged or unsupported file
            name = getattr(payload, "orig_name", None) or "the background image"
            raise gr.Error(f"{name}: not a readable image; choose a JPEG, PNG or WebP picture",
                           print_exception=False) from None

    component.preprocess = named
    return component


def user_message(exc: Exception, path: str) -> str:
    """The error text with the server's temporary path replaced by the user's own file name."""
    return str(exc).replace(str(path), Path(path).name)


def forget_old_results(folder: Path, max_age_s: float = RESULT_TTL_S) -> None:
    """Delete result folders older than ``max_age_s``."""
    cutoff = time.time() - max_age_s
    for child in folder.iterdir():
        if child.stat().st_mtime < cutoff:
            shutil.rmtree(child, ignore_errors=True)


@dataclass(frozen=True)
class Look:
    """One background effect as the page offers it: its label, its help line and the controls that apply to it."""

    label: str
    help: str
    controls: frozenset[str]


LOOK_CONTROLS = ("blur", "color", "image", "softness")  # the Look settings an effect may use, in their order
LOOKS = {  # effects.py draws each (live_page/compose.mjs in the webcam page)
    "blur": Look("Blur", "Blurs the background; the person stays sharp.", frozenset({"blur", "softness"})),
    "color": Look("Colour", "Paints the background one colour.", frozenset({"color", "softness"})),
    "replace": Look("Image", "Puts the person in front of your own picture.", frozenset({"image", "softness"})),
    "cutout": Look("Transparent", "Keeps only the person; the download is a transparent PNG.",
                   frozenset({"softness"})),
    "mask": Look("Mask", "Shows the person mask itself: white is person.", frozenset()),
}


@functools.lru_cache(maxsize=16)
def make_effect(kind, threshold, softness, blur, color, image_path) -> Effect:
    """The validated effect for the page's settings; cached, so a webcam frame never decodes the background
    picture or parses the colour again."""
    if kind == "replace" and not image_path:
        raise EffectError("choose a background image for 'Image' first")
    return Effect.from_options(kind, threshold, softness, blur, color or DEFAULT_COLOR,
                               image_path if kind == "replace" else None)


def control_visibility(kind: str):
    """Only the controls that apply to ``kind`` (in :data:`LOOK_CONTROLS` order), and its help text."""
    return (*(gr.update(visible=control in LOOKS[kind].controls) for control in LOOK_CONTROLS), LOOKS[kind].help)


class PhotoHandlers:
    """The Photos tab's event handlers: segment uploads, recompose kept results with a new effect, show one photo
    before and after. Kept results and the pictures shown are files under ``result_dir`` (forgotten after
    :data:`RESULT_TTL_S`); one photo at a time is in memory."""

    def __init__(self, models: ModelChoices, result_dir: Path) -> None:
        self.models = models
        self.result_dir = result_dir

    def show(self, results: dict, effect: Effect):
        """Gallery, masks, before/after slider and download files for the kept results, written one photo at a
        time."""
        forget_old_results(self.result_dir)
        if not results:
            return [], [], None, [], ""
        if not all(kept.exists() for kept in results.values()):
            raise gr.Error(f"These results were deleted after {RESULT_TTL_S // 60} minutes; press Segment again.",
                           print_exception=False)
        request_dir = Path(tempfile.mkdtemp(dir=self.result_dir))
        shown, masks, files, first = [], [], [], None
        for number, kept in enumerate(results.values()):
            image, prob = kept.load()
            folder = request_dir / str(number)  # a folder per photo: two uploads may share a file name
            folder.mkdir()
            stem = Path(kept.name).stem
            picture = effect.preview(image, prob)
            shown.append((save_png(folder / f"{stem}_preview.png", picture), kept.name))
            masks.append((save_png(folder / f"{stem}_mask.png", mask_uint8(prob, effect.threshold)), kept.name))
            if effect.kind != "cutout":
                files.append(save_download(folder / f"{stem}_composite", effect.kind, kept.name, picture))
            files.append(save_download(folder / f"{stem}_cutout", "cutout", kept.name,
                                       Effect("cutout", effect.threshold, effect.softness)(image, prob)))
            if first is None:
                first = (save_png(folder / f"{stem}_before.png", image), shown[0][0])
        rows = "\n".join(f"| {k.name} | {k.width}x{k.height} | {k.model_ms:.0f} ms | {k.total_ms:.0f} ms |"
                         for k in results.values())
        table = "| photo | size | model | whole |\n|---|---|---|---|\n" + rows
        return shown, masks, first, files, table

    def segment_photos(self, files, results, model_name, kind, threshold, softness, blur, color, image_path):
        """Run the model on the photos not seen yet (each bad file gets its own message), keep the results on
        disk, then compose all."""
        if not files:
            gr.Warning("Add one or more photos first.")
            return {}, [], [], None, [], ""
        check_request(files)
        try:
            segmenter = self.models.get(model_name)
            effect = make_effect(kind, threshold, softness, blur, color, image_path)
        except PortraitsegError as exc:
            raise gr.Error(user_message(exc, image_path or ""), print_exception=False) from None
        kept = {f: r for f, r in (results or {}).items() if f in files and r.exists()}
        failed = []
        keep_dir = Path(tempfile.mkdtemp(dir=self.result_dir))
        for number, f in enumerate(files):
            if f not in kept:
                try:
                    kept[f] = KeptPhoto.save(process_photo(f, segmenter), keep_dir / str(number))
                except PortraitsegError as exc:
                    failed.append(user_message(exc, f))
        if not kept:  # nothing to show: an error, so API clients get the message the page shows
            raise gr.Error(" ".join(failed), print_exception=False)
        for message in failed:
            gr.Warning(message)
        kept = {f: kept[f] for f in files if f in kept}  # in the order of the upload
        return (kept, *self.show(kept, effect))

    def recompose(self, results, kind, threshold, softness, blur, color, image_path):
        """A new effect on the kept results: no model run."""
        try:
            effect = make_effect(kind, threshold, softness, blur, color, image_path)
        except PortraitsegError as exc:
            gr.Warning(user_message(exc, image_path or ""))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return self.show(results or {}, effect)

    def before_after(self, results, kind, threshold, softness, blur, color, image_path, event: gr.SelectData):
        kept = list((results or {}).values())[event.index]
        if not kept.exists():
            raise gr.Error("This result was deleted; press Segment again.", print_exception=False)
        image, prob = kept.load()
        effect = make_effect(kind, threshold, softness, blur, color, image_path)
        return image, effect.preview(image, prob)


def check_request(files: list[str]) -> None:
    """Refuse a request over :data:`MAX_PHOTOS_PER_REQUEST` photos or :data:`MAX_REQUEST_BYTES` in all."""
    if len(files) > MAX_PHOTOS_PER_REQUEST:
        raise gr.Error(f"{len(files)} photos: at most {MAX_PHOTOS_PER_REQUEST} at a time, please.",
                       print_exception=False)
    total = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
    if total > MAX_REQUEST_BYTES:
        raise gr.Error(f"{total / 2**20:.0f} MB of photos: at most {MAX_REQUEST_BYTES // 2**20} MB at a time, please.",
                       print_exception=False)


def save_png(path: Path, array: np.ndarray) -> str:
    Image.fromarray(array).save(path)
    return str(path)


def save_download(base: Path, kind: str, photo_name: str, array: np.ndarray) -> str:
    """A download in the format ``predict`` writes for that photo: a JPEG for an opaque picture of a JPEG photo, a
    PNG otherwise (``base`` plus that suffix)."""
    path = Path(f"{base}{output_suffix(kind, Path(photo_name))}")
    path.write_bytes(encode(array, path.suffix))
    return str(path)


def look_controls(models: ModelChoices):
    """The Look settings (rendered later, below the pictures) and the effect inputs every handler takes."""
    with gr.Accordion("Look", open=True, elem_id="look-settings", render=False) as look_settings:
        with gr.Row():
            kind = gr.Radio([(look.label, name) for name, look in LOOKS.items()], value="blur", label="Background",
                            elem_id="effect")
            threshold = gr.Slider(0.05, 0.95, models.threshold(models.default), step=0.01, label="Threshold",
                                  elem_id="threshold", info="How sure the model must be that a pixel is the "
                                  "person (starts at the model's own).")
            softness = gr.Slider(0.0, 0.6, VIEW_SOFTNESS, step=0.05, label="Edge softness", elem_id="softness",
                                 info="0 gives a hard edge; more blends hair and edges into the background.")
        effect_help = gr.Markdown(LOOKS["blur"].help, elem_id="effect-help")
        with gr.Row():
            blur = gr.Slider(2, 40, DEFAULT_BLUR, step=1, label="Blur strength", elem_id="blur",
                             info="How strongly the background is blurred.")
            color = gr.ColorPicker(DEFAULT_COLOR, label="Colour", visible=False, elem_id="color")
            image = name_unreadable_uploads(gr.Image(
                type="filepath", label="Background image", sources=["upload"], height=120, visible=False,
                elem_id="background-image"))
    controls = {"blur": blur, "color": color, "image": image, "softness": softness}
    kind.change(control_visibility, kind, [*(controls[name] for name in LOOK_CONTROLS), effect_help],
                api_visibility="undocumented")
    return look_settings, [kind, threshold, softness, blur, color, image]


def model_selector(models: ModelChoices, role: str, threshold: gr.Slider, describe) -> gr.Dropdown:
    """A tab's model dropdown (preselected for its role) and the line ``describe(name)`` gives on the model it runs;
    choosing one moves the threshold to that model's own."""
    value = models.live_default if role == "live" else models.default
    with gr.Row():
        model = gr.Dropdown(models.names, value=value, label=f"{role.capitalize()} model", scale=2,
                            elem_id=f"{role}-model")
        info = gr.Markdown(describe(value) if value else "no model", elem_id=f"{role}-model-info")
    model.change(describe, model, info, api_visibility="undocumented")
    model.change(models.threshold, model, threshold, api_visibility="undocumented")
    return model


def photos_tab(handlers: PhotoHandlers, models: ModelChoices, effect_inputs: list) -> gr.Dropdown:
    """The photo model, uploads, results, downloads and timing; the ``segment`` API endpoint."""
    kind, threshold, softness, blur, color, image = effect_inputs
    model = model_selector(models, "photo", threshold, models.describe)
    files = gr.File(file_count="multiple", file_types=["image"], label="Photos", elem_id="photo-input")
    run = gr.Button("Segment", variant="primary", elem_id="segment-button")
    results = gr.State({}, time_to_live=RESULT_TTL_S)
    with gr.Row():
        composites = gr.Gallery(label="Result (click one for before/after)", columns=3, height=360,
                                elem_id="composites", format="png", object_fit="contain")
        masks = gr.Gallery(label="Mask", columns=3, height=360, elem_id="masks", format="png", object_fit="contain")
    compare = gr.ImageSlider(label="Before / after", elem_id="before-after", format="png")
    with gr.Row():
        # min_width: side by side where both fit, one above the other on a phone (390 px), never squeezed
        downloads = gr.File(label="Downloads: composites (JPEG for a JPEG photo) and cut-outs (PNG)",
                            file_count="multiple", elem_id="cutouts", min_width=PHONE_COLUMN_PX)
        timing = gr.Markdown(elem_id="timing", min_width=PHONE_COLUMN_PX)
    gr.Examples([[[str(p)]] for p in example_paths()], inputs=[files], label="Example photos")
    shown = [composites, masks, compare, downloads, timing]
    run.click(handlers.segment_photos, [files, results, model, *effect_inputs], [results, *shown], api_name="segment",
              concurrency_limit=2, concurrency_id=PHOTO_WORK)
    gr.on([kind.change, threshold.release, softness.release, blur.release, color.change, image.change],
          handlers.recompose, [results, *effect_inputs], shown, api_visibility="undocumented", show_progress="minimal",
          concurrency_limit=2, concurrency_id=PHOTO_WORK)
    model.change(lambda: ({}, [], [], None, [], ""), None, [results, *shown], api_visibility="undocumented")
    composites.select(handlers.before_after, [results, *effect_inputs], compare, api_visibility="undocumented",
                      concurrency_limit=2, concurrency_id=PHOTO_WORK)
    return model


def webcam_tab(models: ModelChoices, page: LivePage, threshold: gr.Slider) -> tuple[gr.Dropdown, gr.Slider]:
    """The live page (model in the browser or on the server, effect drawn in the browser); returns its model
    selector and smoothing slider."""
    model = model_selector(models, "live", threshold, page.describe)
    gr.Markdown(WEBCAM_PRIVACY + " The background effect is drawn in your browser either way; the Look settings "
                "below apply.", elem_id="webcam-privacy")
    gr.HTML(live_html(), elem_id="live", js_on_load=LIVE_LOADER, css_template=LIVE_CSS, apply_default_css=False)
    smoothing = gr.Slider(0.0, 0.95, DEFAULT_SMOOTHING, step=0.05, label="Temporal smoothing", elem_id="smoothing",
                          info="Holds back edge flicker where the picture is still; moving parts follow at once.")
    return model, smoothing


def build_app(models: ModelChoices | None = None, page: LivePage | None = None) -> gr.Blocks:
    """Build the Blocks app (not launched): ``models`` default to the bundled zoo, ``page`` (the live config) to
    theirs; serve it with :func:`launch` and ``routes.demo_routes`` of the same two."""
    models = models or ModelChoices()
    page = page or live_page(models)
    result_dir = claim() / "results"
    result_dir.mkdir(exist_ok=True)
    with gr.Blocks(title="portraitseg", delete_cache=(300, 600)) as app:
        gr.Markdown(INTRO)
        gr.Markdown(PRIVACY, elem_id="privacy")
        look_settings, effect_inputs = look_controls(models)
        with gr.Tab("Photos", id="photos"):
            photos_tab(PhotoHandlers(models, result_dir), models, effect_inputs)
        with gr.Tab("Webcam", id="webcam"):
            live_model, smoothing = webcam_tab(models, page, effect_inputs[1])
        live_settings = [live_model, *effect_inputs, smoothing]
        gr.on([app.load, *(c.change for c in live_settings)], None, live_settings, None, js=LIVE_CONFIGURE,
              api_visibility="private")
        look_settings.render()  # below the pictures: on a phone the photo comes first, the settings after it
    app.queue(max_size=32, default_concurrency_limit=2)
    return app


def trust_forwarded_for(proxies: list[str]) -> None:
    """Take X-Forwarded-For only from ``proxies`` (none: from no one). Uvicorn, which Gradio starts, trusts it from
    loopback by default, so any local client could name its own address; Gradio passes no setting for it, so it
    is given through uvicorn's environment variable, read when the server is configured."""
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(proxies)


def launch(app: gr.Blocks, routes: list, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           trusted_proxies: list[str] | None = None, **kwargs):
    """Serve the page with ``routes`` (``routes.demo_routes``) beside Gradio's own, given to the app as it is
    created; the start-up message speaks to command-line users (Gradio's own mentions ``launch()``).
    A client's address (which the per-client limits count) is read from X-Forwarded-For only when the request comes
    from one of ``trusted_proxies``; by default from no one, so no client can name its own address."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    trust_forwarded_for(trusted_proxies or [])
    exit_cleanly_on_stop_signals()
    app_kwargs = {"routes": routes, "middleware": [Middleware(UploadBudget), Middleware(CrossOriginIsolation)]}
    app.launch(server_name=host, server_port=port, share=share, max_file_size=MAX_FILE_SIZE, show_error=True,
               footer_links=["api"], quiet=True, prevent_thread_lock=True, css=CSS, app_kwargs=app_kwargs, **kwargs)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"Serving the demo at http://{shown}:{app.server_port}/ (Ctrl-C stops)"
          + (f"; public link: {app.share_url}" if share and app.share_url else
             "; add --share for a temporary public link" if not share else ""), flush=True)
    try:
        app.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
