"""``portraitseg.load``: turn a model reference into a ready :class:`Segmenter`."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from portraitseg.errors import BackendUnavailableError, CheckpointError, SettingError
from portraitseg.extras import require
from portraitseg.segmenter import Segmenter

BACKENDS = ("auto", "onnxruntime", "torch")
DEVICE_PATTERN = re.compile(r"auto|cpu|cuda(:\d+)?")
PRECISIONS = ("auto", "fp32", "int8")


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


def load(model: str | Path | None = None, backend: str = "auto", device: str = "auto", threads: int | None = None,
         precision: str = "auto", spin: bool = True, edges: str = "guided") -> Segmenter:
    """Load a segmenter.

    ``model``: None (the bundled default), a zoo name, a checkpoint folder (config.json + model.safetensors [+
    model.onnx, model.int8.onnx]), an .onnx file exported by portraitseg, or ``hf://ORG/NAME[@REVISION]``.
    ``backend``: ``auto`` (ONNX Runtime when installed, else torch), ``onnxruntime`` or ``torch``.
    ``device``: ``auto``, ``cpu`` or ``cuda``. ``precision`` (ONNX Runtime): ``auto`` uses a checkpoint's
    ``model.int8.onnx`` on the CPU (it ships only when its accuracy loss was measured under 0.3 mIoU points),
    float32 elsewhere; ``fp32`` or ``int8`` force one. A checkpoint without an ONNX file is exported once into the
    cache (``$PORTRAITSEG_CACHE``, default ``~/.cache/portraitseg``). ``spin`` (ONNX Runtime on the CPU): idle
    threads keep spinning between calls, fastest when the model has the CPU to itself; ``False`` for a process that
    shares it, such as the demo server beside a browser. ``edges``: ``guided`` follows the photo's own edges when
    the output is scaled up to it, ``bilinear`` interpolates (see :class:`Segmenter`).
    """
    if backend not in BACKENDS:
        raise SettingError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise SettingError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if not DEVICE_PATTERN.fullmatch(str(device)):
        raise SettingError(f"unknown device {device!r}; choose auto, cpu, cuda or cuda:N")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise SettingError(f"threads must be a positive whole number, got {threads!r}")
    path = resolve_model(model)
    backend_asked = backend
    if backend == "auto":
        backend = "onnxruntime" if onnxruntime_installed() or path.suffix == ".onnx" else "torch"
    if backend == "onnxruntime":
        return _load_onnx(path, device, threads, precision, spin, edges)
    if path.suffix == ".onnx":
        raise BackendUnavailableError(f"{path} is an ONNX file: the torch backend needs a checkpoint folder")
    require("torch", "the torch backend" if backend_asked == "torch" else
            "serving without ONNX Runtime (pip install 'portraitseg[cpu]' for it)")
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.runtimes.torch_backend import TorchBackend

    net, config = load_checkpoint(path)
    if threads:
        import torch

        torch.set_num_threads(threads)
    return Segmenter.from_config(TorchBackend(net, device), config, path.name, edges)


def wants_cuda(device: str) -> bool:
    """Whether ``device`` means CUDA: named, or ``auto`` where onnxruntime-gpu offers its CUDA provider."""
    from portraitseg.zoo.runtimes.onnx_backend import import_onnxruntime, wants_cuda as provider_wants_cuda

    asks_providers = device == "auto" and onnxruntime_installed()
    return provider_wants_cuda(device, import_onnxruntime().get_available_providers() if asks_providers else [])


def _onnx_file(path: Path, device: str, precision: str) -> Path:
    """The ONNX file to serve: the file itself, the checkpoint's INT8 or float export, or a cached export."""
    from portraitseg.zoo.onnx_contract import INT8_ONNX_NAME, ONNX_NAME

    if path.suffix == ".onnx":
        return path
    int8 = path / INT8_ONNX_NAME
    if precision == "int8" or (precision == "auto" and int8.is_file() and not wants_cuda(device)):
        if not int8.is_file():
            raise CheckpointError(f"{int8} not found: make one with 'portraitseg export --int8'")
        return int8
    fp32 = path / ONNX_NAME
    return fp32 if fp32.is_file() else _cached_export(path)


def _load_onnx(path: Path, device: str, threads: int | None, precision: str, spin: bool, edges: str) -> Segmenter:
    from portraitseg.zoo.config import ModelConfig
    from portraitseg.zoo.onnx_contract import CONFIG_KEY, config_from_onnx_metadata
    from portraitseg.zoo.runtimes.onnx_backend import OnnxBackend

    config = None if path.suffix == ".onnx" else ModelConfig.load(path)  # a bad config is refused before any read
    onnx_path = _onnx_file(path, device, precision)
    check_model_size(onnx_path)
    runner = OnnxBackend(onnx_path, device, threads, spin)
    if config is None:  # a bare ONNX file describes itself; in a checkpoint folder config.json rules
        return Segmenter.from_config(runner, config_from_onnx_metadata(runner.metadata, str(onnx_path)), path.stem,
                                     edges)
    if CONFIG_KEY in runner.metadata:
        exported = config_from_onnx_metadata(runner.metadata, str(onnx_path))
        if exported.architecture_dict() != config.architecture_dict():
            raise CheckpointError(f"{path}: config.json describes another network than {onnx_path.name} holds "
                                  f"({_architecture_difference(config, exported)}); export the checkpoint again")
    return Segmenter.from_config(runner, config, path.name, edges)


def _architecture_difference(config, exported) -> str:
    ours, theirs = config.architecture_dict(), exported.architecture_dict()
    return "; ".join(f"{key}: {ours[key]!r} against {theirs[key]!r}" for key in ours if ours[key] != theirs[key])


def check_model_size(path: Path) -> None:
    """Refuse a model file larger than any model of :data:`MAX_PARAMETERS` float32 parameters could be (plus room
    for its graph and header), before its weights are read; an ONNX file counts the external data it names."""
    from portraitseg.zoo.config import MAX_MODEL_FILE_BYTES, MAX_PARAMETERS

    limit = MAX_MODEL_FILE_BYTES
    size, external = path.stat().st_size, 0
    if size <= limit and path.suffix == ".onnx":
        from portraitseg.zoo.onnx_proto import external_data_bytes

        external = external_data_bytes(path) or 0
    if size + external > limit:
        named = f" with the {external / 2**20:,.0f} MiB of external data it names" if external else ""
        raise CheckpointError(f"{path} is {(size + external) / 2**20:,.0f} MiB{named}, larger than a model of "
                              f"{MAX_PARAMETERS:,} parameters (the most this project loads) can be "
                              f"({limit / 2**20:,.0f} MiB)")


_HASH_CHUNK = 2**20


def _cached_export(checkpoint: Path) -> Path:
    """Export a checkpoint that ships no float ONNX file once, into a cache keyed by its weights' hash. The config,
    the weights' size and (where torch is installed) their header are checked before the weights are read, and
    they are hashed a chunk at a time."""
    import hashlib
    import os

    from portraitseg.zoo.config import CONFIG_NAME
    from portraitseg.zoo.onnx_contract import WEIGHTS_NAME

    weights = checkpoint / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights} not found")
    check_model_size(weights)
    if importlib.util.find_spec("torch") is not None:
        from portraitseg.zoo.checkpoint import check_safetensors_header
        from portraitseg.zoo.config import ModelConfig
        from portraitseg.zoo.model import expected_state

        config = ModelConfig.load(checkpoint)
        check_safetensors_header(weights, expected_state(config, str(checkpoint / CONFIG_NAME)))
    digest = hashlib.sha256()
    for part in (weights, checkpoint / CONFIG_NAME):
        with part.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
                digest.update(chunk)
    cache = Path(os.environ.get("PORTRAITSEG_CACHE", Path.home() / ".cache" / "portraitseg")) / "onnx"
    target = cache / f"{digest.hexdigest()[:16]}.onnx"
    if not target.is_file():
        require("torch", f"exporting {checkpoint} to ONNX (it ships no model.onnx)")
        from portraitseg.zoo.checkpoint import load_checkpoint
        from portraitseg.zoo.export import export_onnx

        net, config = load_checkpoint(checkpoint)
        export_onnx(net, config, target)
    return target
