"""Adapters for the peer models in a peers folder (its SOURCE.md gives each one's input and output): each is a
callable image -> person probability at the image's size, like a portraitseg Segmenter. Peers are benchmarked,
never shipped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

SINET_MEAN = np.array([102.890434, 111.25247, 126.91212], np.float32)
SINET_STD = np.array([62.93292, 62.82138, 66.355705], np.float32)


@dataclass
class Peer:
    """``size`` is the model's (height, width); ``letterbox`` pads (centred) instead of stretching the image."""

    name: str
    file: str
    size: tuple[int, int]
    normalize: Callable[[np.ndarray], np.ndarray]  # float32 RGB [0, 255] (H, W, 3) -> model values
    nchw: bool
    letterbox: bool = False
    run: Callable[[np.ndarray], np.ndarray] | None = None  # model input -> person probability (h, w)
    parameters: int = 0
    runtime: str = ""

    def prepare(self, image: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        h, w = self.size
        if self.letterbox:
            scale = min(h / image.shape[0], w / image.shape[1])
            sh, sw = round(image.shape[0] * scale), round(image.shape[1] * scale)
            top, left = (h - sh) // 2, (w - sw) // 2
        else:
            sh, sw, top, left = h, w, 0, 0
        canvas = np.zeros((h, w, 3), np.float32)
        canvas[top : top + sh, left : left + sw] = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        x = self.normalize(canvas).astype(np.float32)
        x = x.transpose(2, 0, 1)[None] if self.nchw else x[None]
        return np.ascontiguousarray(x), (top, left, sh, sw)

    def backend(self, x: np.ndarray) -> np.ndarray:
        return self.run(x)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        x, (top, left, sh, sw) = self.prepare(image)
        prob = self.run(x)[top : top + sh, left : left + sw].astype(np.float32)
        return cv2.resize(prob, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)


def _onnx(path: Path, threads: int):
    import onnx
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    params = sum(int(np.prod(t.dims)) for t in onnx.load(str(path)).graph.initializer)
    return (lambda x: session.run(None, {name: x})[0][0, 1]), params  # 2-channel softmax: channel 1 = person


def _tflite(path: Path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    ops = interpreter._get_ops_details()
    produced = {t for op in ops for t in op["outputs"]}
    consumed = {t for op in ops for t in op["inputs"] if t >= 0}
    shapes = {d["index"]: d["shape"] for d in interpreter.get_tensor_details()}
    params = sum(int(np.prod(shapes[t])) for t in consumed - produced - {inp})  # constant tensors = weights

    def run(x):
        interpreter.set_tensor(inp, x)
        interpreter.invoke()
        return interpreter.get_tensor(out)[0, ..., 0]

    return run, params


PEERS = [
    Peer("MediaPipe selfie (general)", "selfie_segmentation.tflite", (256, 256), lambda x: x / 255.0, nchw=False),
    Peer("MediaPipe selfie (landscape)", "selfie_segmentation_landscape.tflite", (144, 256), lambda x: x / 255.0,
         nchw=False),
    Peer("SINet", "SINet_Softmax.onnx", (320, 320), lambda x: (x[..., ::-1] - SINET_MEAN) / SINET_STD / 255.0,
         nchw=True),
    Peer("PP-HumanSeg V1 Lite", "ppseg_lite_portrait_398x224_with_softmax_fixed.onnx", (224, 398),
         lambda x: (x / 255.0 - 0.5) / 0.5, nchw=True, letterbox=True),
]


def load_peers(folder: str | Path, threads: int) -> list[Peer]:
    """The peers found in ``folder``, each a new object running at ``threads`` threads (loading them again at
    another thread count leaves these as they are); a missing file or runtime is reported and skipped."""
    folder = Path(folder)
    found = []
    for peer in PEERS:
        path = folder / peer.file
        if not path.is_file():
            print(f"skipping {peer.name}: {path} not found")
            continue
        loader = _tflite if peer.file.endswith(".tflite") else _onnx
        try:
            run, parameters = loader(path, threads)
        except ImportError as exc:
            print(f"skipping {peer.name}: {exc} (pip install ai-edge-litert)")
            continue
        found.append(replace(peer, run=run, parameters=parameters,
                                         runtime="ai-edge-litert" if loader is _tflite else "onnxruntime"))
    return found
