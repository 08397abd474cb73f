"""Dependencies point one way: base < zoo, augment < evaluation < trainers < api, cli < demo. Each layer is imported
in a fresh interpreter and must not pull in the layers above it (nor torch where it serves without it)."""

import subprocess
import sys

import pytest

LAYERS = {
    "base": (["portraitseg.errors", "portraitseg.image_io", "portraitseg.geometry", "portraitseg.effects",
              "portraitseg.atomic", "portraitseg.temporal", "portraitseg.datapaths", "portraitseg.extras"],
             ["portraitseg.zoo", "portraitseg.augment", "portraitseg.evaluation", "portraitseg.trainers",
              "portraitseg.demo", "portraitseg.hub_cards", "portraitseg.api", "torch"]),
    "zoo (serving)": (["portraitseg.zoo.config", "portraitseg.zoo.onnx_contract", "portraitseg.zoo.catalog",
                       "portraitseg.zoo.runtimes.onnx_backend", "portraitseg.zoo.hub", "portraitseg.zoo.quantize"],
                      ["portraitseg.augment", "portraitseg.evaluation", "portraitseg.trainers", "portraitseg.demo",
                       "portraitseg.hub_cards", "portraitseg.api", "torch"]),
    "zoo (models)": (["portraitseg.zoo.checkpoint", "portraitseg.zoo.export", "portraitseg.zoo.unet"],
                     ["portraitseg.augment", "portraitseg.evaluation", "portraitseg.trainers", "portraitseg.demo",
                      "portraitseg.hub_cards", "portraitseg.api"]),
    "augment": (["portraitseg.augment.pipeline", "portraitseg.augment.composite"],
                ["portraitseg.zoo", "portraitseg.evaluation", "portraitseg.trainers", "portraitseg.demo", "torch"]),
    "evaluation": (["portraitseg.evaluation.data", "portraitseg.evaluation.metrics", "portraitseg.evaluation.evaluate"],
                   ["portraitseg.trainers", "portraitseg.demo", "portraitseg.augment", "torch"]),
    "trainers": (["portraitseg.trainers.loop", "portraitseg.trainers.data"], ["portraitseg.demo", "portraitseg.api"]),
    "plugins": (["portraitseg.plugins"], ["portraitseg.trainers.loop", "portraitseg.demo", "torch"]),
    "api": (["portraitseg.api", "portraitseg.cli"], ["portraitseg.trainers", "portraitseg.demo", "torch", "gradio"]),
}

PROBE = """
import importlib, sys
for name in sys.argv[2].split(","):
    importlib.import_module(name)
if sys.argv[3] == "registries":
    from portraitseg.plugins import KINDS, get_registry
    [get_registry(kind) for kind in KINDS]
loaded = [m for m in sys.argv[1].split(",") if m in sys.modules or any(k.startswith(m + ".") for k in sys.modules)]
print(",".join(loaded))
"""


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_layer_does_not_import_the_layers_above_it(layer):
    modules, forbidden = LAYERS[layer]
    extra = "registries" if layer == "plugins" else "-"
    result = subprocess.run([sys.executable, "-c", PROBE, ",".join(forbidden), ",".join(modules), extra],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "", f"{layer} imports {result.stdout.strip()}"
