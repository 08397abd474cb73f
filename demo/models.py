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
        self._loaded: dict[str, Segmenter] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        """The checkpoint folder or ONNX file model ``name`` was resolved to when the demo started."""
        return self._paths[name]

    def config(self, name: str) -> ModelConfig:
        """Model ``name``'s config, read from its folder (a bare ONNX file: from its loaded session's metadata)."""
        path = self.path(name)
        if path.suffix != ".onnx":
            return ModelConfig.load(path)
        seg = self.get(name)
        return ModelConfig(serve_long_side=seg.serve_long_side, live_long_side=seg.live_long_side,
                           threshold=seg.threshold, output_stride=seg.multiple)

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
        return self.get(name).threshold if (name or self.default) else ModelConfig().threshold

    def live_long_side(self, name: str | None) -> int:
        """The long side the model is fed at live (its config's live_long_side; None: the live model's)."""
        name = name or self.live_default
        return self.get(name).live_long_side if name else ModelConfig().live_long_side

    def describe(self, name: str | None, role: str = "photo") -> str:
        """One line on the model a tab runs: name, backend and the long side it is fed at in that role."""
        seg = self.get(name)
        threads = getattr(seg.backend, "threads", 0)
        where = f"{seg.provider}" + (f", {threads} threads" if threads else "")
        side = seg.live_long_side if role == "live" else seg.serve_long_side
        return (f"**{role.capitalize()} model** `{name or self.default}` · **backend** {seg.backend_name} ({where}, "
                f"{seg.precision}) · input long side {side}px")
