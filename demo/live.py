"""The live webcam's server side. The browser sends each camera frame already scaled to the model's live size
(a small JPEG) and gets the person's alpha matte back (one byte a pixel); it composes the effect itself on a
canvas (``live_page/compose.mjs``), so only small images travel and the server does little but run the model."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import threading
import warnings
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from PIL import Image, UnidentifiedImageError

from portraitseg.demo.models import ModelChoices
from portraitseg.effects import alpha_from_prob
from portraitseg.errors import ImageReadError, PortraitsegError
from portraitseg.pixels import to_uint8
from portraitseg.temporal import DEFAULT_SMOOTHING, TemporalSmoother
from portraitseg.thresholds import valid_threshold
from portraitseg.truncated import check_complete

MAX_FRAME_BYTES = 2_000_000
MAX_FRAME_SIDE = 1024
MAX_STREAMS = 64  # smoothing state kept for this many recent viewers
# frames worked on at once (decode, model, matte), across viewers, on threads of the live route's own: more cannot
# finish sooner on a few cores, and every thread that works on frames keeps its own pool of freed memory
MAX_FRAMES_IN_WORK = 2
MAX_BODIES_IN_PROGRESS = 32  # frames being received at once, server-wide: at most 64 MB held for bodies
MAX_BODIES_PER_CLIENT = 4  # ... and from one address, so one client cannot hold the server's slots
BODY_TIMEOUT_S = 10.0  # a frame's body must arrive within this
# a body declaring its length has SMALL_BODY_S plus the time to send it at MIN_BYTES_PER_S: a 20 KB webcam frame
# has 1.2 s, so sockets that send a header and one byte give their slots back at once
SMALL_BODY_S, MIN_BYTES_PER_S = 1.0, 100_000


class LiveRequestError(PortraitsegError):
    """A frame or a setting the live endpoint refuses (answered with HTTP 400)."""

    status = 400


class FrameTooLarge(LiveRequestError):
    """A request body over :data:`MAX_FRAME_BYTES` (answered with HTTP 413, unread past the limit)."""

    status = 413


class FrameTimeout(LiveRequestError):
    """A body that did not arrive within :data:`BODY_TIMEOUT_S` (answered with HTTP 408)."""

    status = 408


class ServerBusy(LiveRequestError):
    """More bodies in progress than :data:`MAX_BODIES_IN_PROGRESS` (answered with HTTP 503, nothing read)."""

    status = 503


class BodiesInProgress:
    """How many frame bodies the server is reading at once, in all and per client address (one event loop: no
    lock)."""

    def __init__(self, limit: int = MAX_BODIES_IN_PROGRESS, per_client: int = MAX_BODIES_PER_CLIENT) -> None:
        self.limit, self.per_client, self.count = limit, per_client, 0
        self.clients: dict[str, int] = {}

    @contextlib.contextmanager
    def slot(self, client: str = ""):
        if self.count >= self.limit:
            raise ServerBusy(f"the server is receiving {self.count} frames already; try again in a moment")
        if self.clients.get(client, 0) >= self.per_client:
            raise ServerBusy(f"this address is sending {self.per_client} frames already; try again when they are "
                             "answered")
        self.count += 1
        self.clients[client] = self.clients.get(client, 0) + 1
        try:
            yield
        finally:
            self.count -= 1
            self.clients[client] -= 1
            if not self.clients[client]:
                del self.clients[client]


BODIES = BodiesInProgress()


def body_deadline(declared: str | None, timeout: float = BODY_TIMEOUT_S) -> float:
    """Seconds a body may take: a declared length gets :data:`SMALL_BODY_S` plus its time at
    :data:`MIN_BYTES_PER_S` (at most ``timeout``); a body of unknown length gets ``timeout``."""
    if declared is None:
        return timeout
    return min(timeout, SMALL_BODY_S + int(declared) / MIN_BYTES_PER_S)


async def read_body(request: Request, limit: int = MAX_FRAME_BYTES, bodies: BodiesInProgress = BODIES,
                    timeout: float = BODY_TIMEOUT_S) -> bytes:
    """The request body, refused by its Content-Length before reading, or as soon as more than ``limit`` bytes have
    arrived (chunked bodies too), so a huge body never sits in memory; refused when the server is already reading
    ``bodies.limit`` bodies, or ``bodies.per_client`` from this client's address; given up after its deadline
    (:func:`body_deadline`), so stalled uploads cannot pile up."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise FrameTooLarge(f"frame of {declared} bytes is over the {limit} byte limit")
    timeout = body_deadline(declared, timeout)
    chunks, size = [], 0
    with bodies.slot(request.client.host if request.client else ""):
        try:
            async with asyncio.timeout(timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise FrameTooLarge(f"frame of over {limit} bytes is over the {limit} byte limit")
                    chunks.append(chunk)
        except TimeoutError:
            raise FrameTimeout(f"the frame did not arrive within {timeout:g} s") from None
    return b"".join(chunks)


def frame_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the image header alone, before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.format not in {"JPEG", "PNG"}:
                    raise LiveRequestError(f"the frame is {im.format}, not a JPEG or PNG image")
                check_complete(im.fp, len(data), im.format, im.width, im.height, "the frame")
                return im.size
    except ImageReadError as exc:  # truncated, or too costly to decode (a JPEG of thousands of scans)
        raise LiveRequestError(str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise LiveRequestError("the frame is not a JPEG or PNG image") from None
    except Image.DecompressionBombError:
        raise LiveRequestError(f"the frame's header declares an image over {MAX_FRAME_SIDE} pixels a side") from None


def decode_frame(data: bytes) -> np.ndarray:
    """RGB uint8 from the browser's JPEG (or PNG) bytes; the size in the header is checked before decoding."""
    if not data:
        raise LiveRequestError("empty frame")
    if len(data) > MAX_FRAME_BYTES:
        raise FrameTooLarge(f"frame of {len(data)} bytes is over the {MAX_FRAME_BYTES} byte limit")
    width, height = frame_size(data)
    if max(width, height) > MAX_FRAME_SIDE:
        raise LiveRequestError(f"frame of {width}x{height} is over {MAX_FRAME_SIDE} pixels a side")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise LiveRequestError("the frame is not a JPEG or PNG image")
    if max(bgr.shape[:2]) > MAX_FRAME_SIDE:
        raise LiveRequestError(f"frame of {bgr.shape[1]}x{bgr.shape[0]} is over {MAX_FRAME_SIDE} pixels a side")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def matte_uint8(alpha: np.ndarray) -> np.ndarray:
    """The matte as uint8, one byte a pixel: nothing for the page to decode but the HTTP compression its browser
    undoes natively (a 256-pixel matte: 56 KB raw, about 1.5 KB gzipped in 0.3 ms)."""
    return to_uint8(alpha, 255)


def setting(value: str | None, name: str, default: float, valid, expectation: str) -> float:
    """A numeric query setting, refused unless ``valid(number)`` (``expectation`` says what is, for the error)."""
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise LiveRequestError(f"{name} must be a number, got {value!r}") from None
    if not valid(number):
        raise LiveRequestError(f"{name} must be {expectation}, got {number}")
    return number


class LiveMattes:
    """Frame in, matte out, with each viewer's temporal smoothing kept under its stream id."""

    def __init__(self, models: ModelChoices) -> None:
        self.models = models
        self._smoothers: OrderedDict[str, tuple[TemporalSmoother, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()

    def smooth(self, stream: str, weight: float, prob: np.ndarray) -> np.ndarray:
        """``prob`` smoothed with the viewer's earlier frames; two frames of one stream in flight at once take turns
        (a smoother's state is one frame's)."""
        with self._lock:
            entry = self._smoothers.pop(stream, None) or (TemporalSmoother(weight), threading.Lock())
            self._smoothers[stream] = entry
            while len(self._smoothers) > MAX_STREAMS:
                self._smoothers.popitem(last=False)
        smoother, turn = entry
        with turn:
            smoother.weight = weight
            return smoother(prob)

    def __call__(self, data: bytes, query: dict[str, str]) -> tuple[np.ndarray, float]:
        """The uint8 matte (H, W) of one frame and the model's milliseconds. ``query`` holds model, stream, threshold
        (default: the model's own), softness and smoothing, as the page sends them."""
        model = query.get("model") or self.models.live_default
        if model not in self.models.names:
            raise LiveRequestError(f"unknown model {model!r}; this demo serves {', '.join(self.models.names)}")
        segmenter = self.models.get(model)
        threshold = setting(query.get("threshold"), "threshold", segmenter.threshold, valid_threshold,
                            "between 0 and 1")
        softness = setting(query.get("softness"), "softness", 0.0, lambda v: 0 <= v <= 1, "in [0, 1]")
        smoothing = setting(query.get("smoothing"), "smoothing", DEFAULT_SMOOTHING, lambda v: 0 <= v <= 0.95,
                            "in [0, 0.95]")
        frame = decode_frame(data)
        live = segmenter.live()
        start = time.perf_counter()
        prob = live(frame)
        model_ms = (time.perf_counter() - start) * 1000
        prob = self.smooth(query.get("stream") or "", smoothing, prob)
        return matte_uint8(alpha_from_prob(prob, threshold, softness)), model_ms


def frames_endpoint(mattes: LiveMattes):
    """The live route's handler: the body is the frame, the query the settings; the answer the matte's bytes
    (gzipped where the browser accepts it) with its size in ``X-Width``/``X-Height`` and the model's time in
    ``X-Model-Ms``, or the reason as text with the error's status (400, 408, 413, 503)."""
    workers = ThreadPoolExecutor(MAX_FRAMES_IN_WORK, thread_name_prefix="portraitseg-live")

    async def live_matte(request: Request) -> Response:
        try:
            data = await read_body(request)
            matte, model_ms = await asyncio.get_running_loop().run_in_executor(
                workers, mattes, data, dict(request.query_params))
        except PortraitsegError as exc:  # a bad frame or setting; or the model failed to load
            return PlainTextResponse(str(exc), status_code=getattr(exc, "status", 500))
        headers = {"X-Width": str(matte.shape[1]), "X-Height": str(matte.shape[0]), "X-Model-Ms": f"{model_ms:.1f}",
                   "Cache-Control": "no-store"}
        body = matte.tobytes()
        if "gzip" in request.headers.get("accept-encoding", ""):
            body, headers["Content-Encoding"] = gzip.compress(body, compresslevel=1), "gzip"
        return Response(body, media_type="application/octet-stream", headers=headers)

    return live_matte
