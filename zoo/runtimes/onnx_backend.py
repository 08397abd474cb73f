"""ONNX Runtime backend: CUDA through onnxruntime-gpu when it really runs, the CPU otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from portraitseg.errors import BackendUnavailableError, CheckpointError
from portraitseg.extras import require


def import_onnxruntime():
    return require("onnxruntime", "the ONNX Runtime backend")


def wants_cuda(device: str, available: list[str]) -> bool:
    """Whether ``device`` means CUDA with these ONNX Runtime providers: named, or ``auto`` where CUDA is offered."""
    return device.startswith("cuda") or (device == "auto" and "CUDAExecutionProvider" in available)


def default_threads() -> int:
    """One intra-op thread per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def session_options(threads: int | None = None, spin: bool = True):
    """Sequential execution on ``threads`` intra-op threads; ``spin`` False lets them sleep between calls (a little
    slower alone, much kinder to a CPU shared with a web server and a browser)."""
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _open_session(ort, path: Path, options, providers: list[str]):
    """ONNX Runtime's session for ``path``; a damaged file, or external data it refuses, is a one-line error."""
    from portraitseg.zoo.onnx_contract import confined_model_file

    if not path.is_file():
        raise CheckpointError(f"{path}: no such ONNX file")
    try:
        return ort.InferenceSession(str(confined_model_file(path)), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime's own InvalidProtobuf, Fail, InvalidArgument, NoSuchFile...
        if not type(exc).__module__.startswith("onnxruntime"):
            raise
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: ONNX Runtime cannot load it ({reason}); re-export or download it "
                              "again") from None


class OnnxBackend:
    name = "onnxruntime"

    def __init__(self, path: str | Path, device: str = "auto", threads: int | None = None, spin: bool = True) -> None:
        ort = import_onnxruntime()
        available = ort.get_available_providers()
        if device.startswith("cuda") and "CUDAExecutionProvider" not in available:
            raise BackendUnavailableError(
                "device 'cuda' asked for, but this onnxruntime has no CUDA provider: pip install 'portraitseg[gpu]'"
            )
        providers = (["CUDAExecutionProvider"] if wants_cuda(device, available) else []) + ["CPUExecutionProvider"]
        options = session_options(threads, spin)
        self.session = _open_session(ort, Path(path), options, providers)
        # onnxruntime-gpu lists CUDA as available even without a GPU and silently falls back: report what runs.
        self.provider = self.session.get_providers()[0]
        if device.startswith("cuda") and self.provider != "CUDAExecutionProvider":
            raise BackendUnavailableError(f"CUDA was asked for but ONNX Runtime fell back to {self.provider}")
        self.threads = options.intra_op_num_threads if self.provider == "CPUExecutionProvider" else 0
        self.input_name = self.session.get_inputs()[0].name
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.precision = self.metadata.get("portraitseg.variant", "fp32")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(batch, dtype=np.float32)})[0]
