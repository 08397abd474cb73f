"""``portraitseg.load``: turn a model reference into a ready :class:`Segmenter`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from portraitseg.errors import BackendUnavailableError, CheckpointError
from portraitseg.segmenter import Segmenter

BACKENDS = ("auto", "onnxruntime", "torch")


def resolve_model(model: str | Path | None) -> Path:
    """A checkpoint folder or .onnx file for a zoo name, a path, or an ``hf://ORG/NAME[@REV]`` id."""
    from portraitseg.zoo.catalog import DEFAULT_MODEL, resolve_zoo_name

    if model is None:
        return resolve_zoo_name(DEFAULT_MODEL)
    text = str(model)
    if text.startswith("hf://"):
        from portraitseg.zoo.hub import download

        return download(text)
    path = Path(text).expanduser()
    if path.exists():
        return path
    if text.endswith(".onnx") or "/" in text or "\\" in text:
        raise CheckpointError(f"model not found: {path}")
    return resolve_zoo_name(text)


def onnxruntime_installed() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def load(model: str | Path | None = None, backend: str = "auto", device: str = "auto",
         threads: int | None = None) -> Segmenter:
    """Load a segmenter.

    ``model``: None (the bundled default), a zoo name, a checkpoint folder (config.json + model.safetensors [+
    model.onnx]), an .onnx file exported by portraitseg, or ``hf://ORG/NAME[@REVISION]``.
    ``backend``: ``auto`` (ONNX Runtime when installed and the model has an ONNX file, else torch),
    ``onnxruntime`` or ``torch``. ``device``: ``auto``, ``cpu`` or ``cuda``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    path = resolve_model(model)
    onnx_path = path if path.suffix == ".onnx" else path / "model.onnx"
    if backend == "auto":
        backend = "onnxruntime" if onnxruntime_installed() and onnx_path.is_file() else "torch"
    if backend == "onnxruntime":
        return _load_onnx(path, onnx_path, device, threads)
    if path.suffix == ".onnx":
        raise BackendUnavailableError(f"{path} is an ONNX file: the torch backend needs a checkpoint folder")
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.runtimes.torch_backend import TorchBackend

    net, config = load_checkpoint(path)
    if threads:
        import torch

        torch.set_num_threads(threads)
    return Segmenter(TorchBackend(net, device), config.long_side, config.threshold, description=path.name)


def _load_onnx(path: Path, onnx_path: Path, device: str, threads: int | None) -> Segmenter:
    from portraitseg.zoo.config import ModelConfig
    from portraitseg.zoo.export import config_from_onnx_metadata
    from portraitseg.zoo.runtimes.onnx_backend import OnnxBackend

    if not onnx_path.is_file():
        onnx_path = _cached_export(path)
    runner = OnnxBackend(onnx_path, device, threads)
    if path.suffix == ".onnx":  # a bare ONNX file describes itself; in a checkpoint folder config.json rules
        config, name = config_from_onnx_metadata(runner.metadata, str(onnx_path)), path.stem
    else:
        config, name = ModelConfig.load(path), path.name
    return Segmenter(runner, config.long_side, config.threshold, description=name)


def _cached_export(checkpoint: Path) -> Path:
    """Export a checkpoint that ships no ONNX file once, into a cache keyed by its weights' hash."""
    import hashlib
    import os

    from portraitseg.zoo.checkpoint import WEIGHTS_NAME, load_checkpoint
    from portraitseg.zoo.export import export_onnx

    weights = checkpoint / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights} not found")
    digest = hashlib.sha256(weights.read_bytes() + (checkpoint / "config.json").read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("PORTRAITSEG_CACHE", Path.home() / ".cache" / "portraitseg")) / "onnx"
    target = cache / f"{digest}.onnx"
    if not target.is_file():
        net, config = load_checkpoint(checkpoint)
        export_onnx(net, config, target)
    return target
