"""What the demo server hands out and to whom: only model files that pass the loader's confinement, a Hub model as
the snapshot taken at start, body slots shared fairly between client addresses, uploads bounded in files, client
addresses never taken from a header a client writes, and one viewer's frames in flight at once."""

import io
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portraitseg.demo.browser import runtime_installed
from portraitseg.demo.models import ModelChoices
from portraitseg.demo.routes import LIVE_CONFIG, LIVE_FRAMES, MODEL_FILE, demo_routes, frames_route, live_page
from tests.helpers import EXAMPLES, free_port

needs_runtime = pytest.mark.skipif(not runtime_installed(), reason="ONNX Runtime Web is not fetched "
                                   "(scripts/fetch_browser_runtime.py): the browser routes hand out no model")


def demo_app(models: ModelChoices) -> TestClient:
    return TestClient(FastAPI(routes=demo_routes(models, live_page(models))))


def onnx_url(models: ModelChoices, name: str) -> str:
    return MODEL_FILE.format(index=models.names.index(name))


@needs_runtime
def test_a_model_file_linked_out_of_its_folder_is_never_served(tmp_path, tiny_checkpoint):
    secret = tmp_path / "id_rsa"
    secret.write_bytes(b"-----BEGIN PRIVATE KEY----- not for the browser")
    good, linked = tmp_path / "good", tmp_path / "linked"
    shutil.copytree(tiny_checkpoint, good)
    shutil.copytree(tiny_checkpoint, linked)
    (linked / "model.int8.onnx").symlink_to(secret)
    models = ModelChoices([str(good), str(linked)])  # the second -m model is checked as the first is
    client = demo_app(models)
    entry = client.get(LIVE_CONFIG).json()["models"][str(linked)]
    assert "onnx" not in entry["browser"] and "link" in entry["browser"]["reason"]
    answer = client.get(onnx_url(models, str(linked)))
    assert answer.status_code == 404 and b"PRIVATE" not in answer.content
    # a file swapped for a link after the start is never followed: the page gets what was checked then
    served = client.get(onnx_url(models, str(good))).content
    (good / "model.onnx").unlink()
    (good / "model.onnx").symlink_to(secret)
    again = client.get(onnx_url(models, str(good)))
    assert again.status_code == 200 and again.content == served and b"PRIVATE" not in again.content


@needs_runtime
def test_a_hub_model_is_fetched_once_at_start_and_served_from_that_snapshot(monkeypatch, tmp_path, tiny_checkpoint):
    import portraitseg.zoo.hub as hub

    snapshot = tmp_path / "snapshot"
    shutil.copytree(tiny_checkpoint, snapshot)
    calls = []
    monkeypatch.setattr(hub, "download", lambda ref: calls.append(ref) or snapshot)
    models = ModelChoices(["hf://org/tiny"])
    client = demo_app(models)
    for _ in range(5):
        assert client.get(LIVE_CONFIG).json()["models"]["hf://org/tiny"]["browser"]["onnx"] == onnx_url(
            models, "hf://org/tiny").lstrip("/")
        assert client.get(onnx_url(models, "hf://org/tiny")).status_code == 200
    models.get("hf://org/tiny")
    assert calls == ["hf://org/tiny"]


def test_body_slots_are_shared_between_client_addresses():
    from portraitseg.demo.live import BodiesInProgress, ServerBusy

    bodies = BodiesInProgress(limit=8, per_client=3)
    with bodies.slot("10.0.0.1"), bodies.slot("10.0.0.1"), bodies.slot("10.0.0.1"):
        with pytest.raises(ServerBusy, match="this address"):
            with bodies.slot("10.0.0.1"):
                pass
        with bodies.slot("10.0.0.2"):  # another viewer is still served
            assert bodies.count == 4
    assert bodies.count == 0 and bodies.clients == {}


def test_a_small_body_has_a_short_deadline():
    from portraitseg.demo.live import BODY_TIMEOUT_S, body_deadline

    assert body_deadline("20000") == pytest.approx(1.2)
    assert body_deadline("2000000") == BODY_TIMEOUT_S and body_deadline(None) == BODY_TIMEOUT_S


def jpeg_frame(side: int = 256) -> bytes:
    bgr = cv2.imread(str(EXAMPLES / "grace_hopper.jpg"))
    h, w = bgr.shape[:2]
    scale = side / max(h, w)
    return cv2.imencode(".jpg", cv2.resize(bgr, (round(w * scale), round(h * scale))))[1].tobytes()


def serve(app: FastAPI, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            return server, thread
        time.sleep(0.05)
    raise RuntimeError("the test server did not start")


def post_frame(port: int, data: bytes, source: str = "127.0.0.1") -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=20, source_address=(source, 0)) as sock:
        sock.sendall(f"POST {LIVE_FRAMES}?stream=viewer HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n"
                     "Connection: close\r\n\r\n".encode() + data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


def test_one_stalling_address_does_not_starve_a_real_viewer():
    """40 sockets from 127.0.0.2 each send a header and one byte of a 20 KB frame; a viewer at 127.0.0.1 sends
    frames meanwhile and gets at least 90% of them answered."""
    from portraitseg.demo.live import LiveMattes

    try:
        socket.create_connection(("127.0.0.1", 9), timeout=0.1, source_address=("127.0.0.2", 0)).close()
    except ConnectionRefusedError:
        pass
    except OSError:
        pytest.skip("this machine cannot send from 127.0.0.2")
    app = FastAPI(routes=[frames_route(LiveMattes(ModelChoices()))])
    port = free_port()
    server, thread = serve(app, port)
    stalled = []
    try:
        for _ in range(40):
            sock = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
            sock.sendall(b"POST /portraitseg/live HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\nx")
            stalled.append(sock)
        frame = jpeg_frame()
        statuses = [post_frame(port, frame) for _ in range(20)]
        assert statuses.count(200) >= 18, statuses
    finally:
        for sock in stalled:
            sock.close()
        server.should_exit = True
        thread.join(10)


def test_upload_requests_are_bounded_in_files_per_request_and_per_address():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import ClientDisconnect
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from portraitseg.demo.uploads import PartCounter, UploadBudget

    seen = []

    async def upload(request):
        counter = PartCounter(request.headers["content-type"].encode())
        try:
            async for chunk in request.stream():
                counter.feed(chunk)
        except ClientDisconnect:
            pass
        seen.append(counter.parts)
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/gradio_api/upload", upload, methods=["POST"])],
                    middleware=[Middleware(UploadBudget, files_per_request=32, files_per_client=36)])
    client = TestClient(app)
    files = [("files", (f"f{i}.png", b"12345678", "image/png")) for i in range(1000)]
    client.post("/gradio_api/upload", files=files)
    assert seen[0] == 32  # cut where the 33rd began: the app never sees the other 968
    assert client.post("/gradio_api/upload", files=files[:5]).status_code == 200
    refused = client.post("/gradio_api/upload", files=files[:5])
    assert refused.status_code == 429 and "files" in refused.text


def test_a_boundary_split_between_chunks_is_counted_once():
    from portraitseg.demo.uploads import PartCounter

    body = b"--abc\r\nx\r\n--abc\r\ny\r\n--abc--\r\n"
    for cut in range(len(body)):
        counter = PartCounter(b"multipart/form-data; boundary=abc")
        counter.feed(body[:cut])
        counter.feed(body[cut:])
        assert counter.parts == 2


def test_x_forwarded_for_is_trusted_only_from_a_named_proxy(monkeypatch):
    """launch() sets what the uvicorn server Gradio starts will trust, before Gradio starts it."""
    import uvicorn

    from portraitseg.demo import ui

    class Page:  # what launch() uses of a Gradio app; launching records what uvicorn would be configured with
        server_port, share_url = 0, None
        trusted = []

        def launch(self, **options):
            self.trusted.append(uvicorn.Config(FastAPI()).forwarded_allow_ips)

        def block_thread(self):
            raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(ui, "exit_cleanly_on_stop_signals", lambda: None)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")  # uvicorn's own default: loopback clients trusted
    page = Page()
    ui.launch(page, [])
    ui.launch(page, [], trusted_proxies=["10.1.2.3"])
    assert page.trusted == ["", "10.1.2.3"]  # by default no client can name its own address


def test_frames_of_one_stream_in_flight_together_take_turns():
    from portraitseg.demo.live import LiveMattes

    mattes = LiveMattes(ModelChoices())
    small, large = jpeg_frame(192), jpeg_frame(256)  # mattes of two sizes: a race mixes shapes

    def one(k):
        return mattes(small if k % 2 else large, {"stream": "same", "smoothing": "0.9"})[0].shape

    with ThreadPoolExecutor(8) as pool:
        shapes = list(pool.map(one, range(96)))
    assert len(set(shapes)) == 2


def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding():
    from portraitseg.demo.live import LiveRequestError, decode_frame
    from portraitseg.errors import ImageReadError
    from portraitseg.image_io import read_image

    data = many_scan_jpeg(2000)
    started = time.perf_counter()
    with pytest.raises(LiveRequestError, match="scans"):
        decode_frame(data)
    with pytest.raises(ImageReadError, match="scans"):
        read_image(data)
    assert time.perf_counter() - started < 5  # refused from the markers, not after decoding
    read_image(many_scan_jpeg(0))  # an ordinary progressive JPEG of ten scans is read


def many_scan_jpeg(extra_scans: int) -> bytes:
    """A progressive JPEG whose last refinement scan is repeated ``extra_scans`` times before its end."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    last = data.rindex(b"\xff\xda")
    return data[:last] + data[last:-2] * (extra_scans + 1) + b"\xff\xd9"


def test_every_way_to_start_the_demo_checks_the_address_before_loading_a_model(monkeypatch):
    """portraitseg demo, the webcam command's browser fallback and demo/app.py start through demo/server.serve."""
    import argparse

    from portraitseg.cli.webcam import serve_in_browser
    from portraitseg.demo import models as demo_models
    from portraitseg.errors import PortraitsegError

    monkeypatch.setattr(demo_models.ModelChoices, "__init__", lambda *a, **k: pytest.fail("a model was loaded"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortraitsegError, match=f"cannot serve on 127.0.0.1:{port}"):
            serve_in_browser(argparse.Namespace(model=None, backend="auto", device="auto", port=port))
    assert "serve(host=" in (EXAMPLES.parents[1] / "demo" / "app.py").read_text()


def test_frames_are_worked_on_by_a_few_threads_of_the_routes_own():
    """However many viewers send at once, at most MAX_FRAMES_IN_WORK frames are decoded and segmented at a time,
    on the route's own threads (each thread that works on frames keeps a pool of freed memory)."""
    from portraitseg.demo.live import MAX_FRAMES_IN_WORK

    active, seen, lock = [0], set(), threading.Lock()

    def fake_mattes(data, query):
        with lock:
            active[0] += 1
            seen.add((threading.current_thread().name, active[0]))
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return np.zeros((4, 4), np.uint8), 1.0

    app = FastAPI(routes=[frames_route(fake_mattes)])
    port = free_port()
    server, thread = serve(app, port)
    try:
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda k: post_frame(port, b"x" * 100), range(32)))
    finally:
        server.should_exit = True
        thread.join(10)
    assert statuses == [200] * 32
    assert max(n for _, n in seen) <= MAX_FRAMES_IN_WORK
    assert {name.split("_")[0] for name, _ in seen} == {"portraitseg-live"}


def test_sighup_stops_the_server_as_ctrl_c_does_so_its_folder_is_removed():
    """A closed terminal (SIGHUP) runs the same clean-up as SIGTERM and Ctrl-C (the folder's removal is tested
    end to end with SIGTERM in test_bounds)."""
    import signal

    from portraitseg.demo.tempspace import exit_cleanly_on_stop_signals

    saved = {name: signal.getsignal(getattr(signal, name)) for name in ("SIGTERM", "SIGHUP")}
    try:
        exit_cleanly_on_stop_signals()
        for name in saved:
            with pytest.raises(KeyboardInterrupt):
                signal.getsignal(getattr(signal, name))(getattr(signal, name), None)
    finally:
        for name, handler in saved.items():
            signal.signal(getattr(signal, name), handler)
