"""The demo's model choices: bundled zoo entries (default first) plus folders, .onnx files or Hub ids given at
launch, with one preselected for photos and one for the live webcam. Each is resolved once, at launch (a Hub model
to its snapshot, which is served from then on), loaded on first use, and kept;
ONNX Runtime's threads sleep between calls, as the server shares the CPU (with the browser, when both run on one
machine)."""

from __future__ import annotations

import threading
from pathlib import Path

from portraitseg.segmenter import Segmenter
from portraitseg.zoo.config import ModelConfig


class ModelChoices:
    """``extra``: models beside the bundled ones, the first preselected for photos; ``live``: the model the webcam
    starts with (default: the bundled live model)."""

    def __init__(self, extra: list[str] | None = None, backend: str = "auto", device: str = "auto",
                 live: str | None = None) -> None:
        from portraitseg.api import resolve_model
        from portraitseg.zoo.catalog import bundled_models, default_model

        extra = list(extra or [])
        self.names = list(dict.fromkeys([*extra[:1], *bundled_models(), *extra[1:], *([live] if live else [])]))
        self.live_default = live or (default_model("live") if self.names else None)
        self.backend, self.device = backend, device
        self._paths = {name: resolve_model(name) for name in self.names}  # a Hub model's snapshot, fetched once
        self._configs: dict[str, ModelConfig] = {}
        self._loaded: dict[str, Segmenter] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        """The checkpoint folder or ONNX file model ``name`` was resolved to when the demo started."""
        return self._paths[name]

    def config(self, name: str) -> ModelConfig:
        """Model ``name``'s config, read once from its folder or a bare ONNX file's metadata: no session is opened
        for it."""
        from portraitseg.zoo.onnx_contract import config_from_onnx_metadata
        from portraitseg.zoo.onnx_proto import metadata

        if name not in self._configs:
            path = self.path(name)
            self._configs[name] = (config_from_onnx_metadata(metadata(path), str(path)) if path.suffix == ".onnx"
                                   else ModelConfig.load(path))
        return self._configs[name]

    @property
    def default(self) -> str | None:
        return self.names[0] if self.names else None

    def get(self, name: str | None) -> Segmenter:
        from portraitseg.api import load

        name = name or self.default
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load(self.path(name), backend=self.backend, device=self.device, spin=False)
            return self._loaded[name]

    def threshold(self, name: str | None) -> float:
        """The model's own threshold: the demo's starting point (a config's default when no model is served)."""
        name = name or self.default
        return self.config(name).threshold if name else ModelConfig().threshold

    def describe(self, name: str | None) -> str:
        """One line on the model the photo tab runs: name, backend and the long side it is fed at (loads it)."""
        seg = self.get(name)
        threads = getattr(seg.backend, "threads", 0)
        where = f"{seg.provider}" + (f", {threads} threads" if threads else "")
        return (f"**Photo model** `{name or self.default}` · **backend** {seg.backend_name} ({where}, "
                f"{seg.precision}) · input long side {seg.serve_long_side}px")
