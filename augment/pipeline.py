"""A reproducible chain of augmenters built from names and parameters."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from portraitseg.errors import AugmenterError
from portraitseg.plugins import get_registry

def parse_spec(spec: str) -> dict[str, Any]:
    """Parse ``"name:key=value,key=value"`` (the CLI form) into ``{"name": ..., key: value}``; ``none`` is None."""
    name, _, rest = spec.partition(":")
    entry: dict[str, Any] = {"name": name.strip()}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise AugmenterError(f"augmenter parameter {item!r} in {spec!r} is not key=value")
        if value.strip().lower() in {"none", "null"}:
            entry[key.strip()] = None
            continue
        try:
            entry[key.strip()] = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            entry[key.strip()] = value
    return entry


def check_augmenter(augmenter: Any, name: str) -> Any:
    """Refuse, naming it, a registered augmenter whose factory made something that cannot be called as
    ``augmenter(image, mask, rng)`` (the contract in :mod:`portraitseg.hookspecs`), before any sample is drawn."""
    import inspect

    try:
        inspect.signature(augmenter).bind(None, None, None)
    except (TypeError, ValueError):
        raise AugmenterError(f"augmenter {name!r} made {type(augmenter).__name__}, which cannot be called as "
                             "augmenter(image, mask, rng)") from None
    return augmenter


class Pipeline:
    """Applies augmenters in order. ``rng_for(seed, epoch, index)`` gives the same draws for the same sample in the
    same epoch, whichever worker process loads it, so a run is reproducible from its seed."""

    def __init__(self, specs: Iterable[dict[str, Any] | str]) -> None:
        registry = get_registry("augmenters")
        self.specs = [parse_spec(s) if isinstance(s, str) else dict(s) for s in specs]
        self.augmenters = []
        for spec in self.specs:
            params = {k: v for k, v in spec.items() if k != "name"}
            try:
                augmenter = registry.create(spec["name"], **params)
            except (TypeError, ValueError) as exc:
                raise AugmenterError(f"bad parameters for augmenter {spec['name']!r}: {exc}") from None
            self.augmenters.append(check_augmenter(augmenter, spec["name"]))

    @staticmethod
    def rng_for(seed: int, epoch: int, index: int) -> np.random.Generator:
        return np.random.default_rng([seed, epoch, index])

    def bind(self, pool) -> None:
        """Give augmenters that mix samples (those with a ``bind`` method, like ``copy_paste``) the training set."""
        for augmenter in self.augmenters:
            if hasattr(augmenter, "bind"):
                augmenter.bind(pool)

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator):
        for augmenter in self.augmenters:
            image, mask = augmenter(image, mask, rng)
        return image, mask
