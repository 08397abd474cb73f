"""Decoders are plugins: the built-ins through the hook, the contract checked where a decoder enters, released
(pre-plugin) checkpoints still load, and a light decoder that costs less than half the U-Net's compute."""

import json

import numpy as np
import pytest

from tests.helpers import require_train_extra

require_train_extra()

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from portraitseg import plugins  # noqa: E402
from portraitseg.errors import CheckpointError, PluginError  # noqa: E402
from portraitseg.hookspecs import hookimpl  # noqa: E402
from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from portraitseg.zoo.complexity import count_macs  # noqa: E402
from portraitseg.zoo.config import ModelConfig  # noqa: E402
from portraitseg.zoo.model import build_model  # noqa: E402
from tests.helpers import reset_plugins, tiny_config  # noqa: E402

LIGHT = dict(decoder="light", decoder_channels=(32, 16, 8), decoder_convs=1)


@pytest.fixture
def fresh_plugins():
    reset_plugins()
    yield plugins.get_plugin_manager()
    reset_plugins()


def test_builtin_decoders_come_through_the_hook():
    registry = plugins.get_registry("decoders")
    assert {e.name: e.plugin for e in registry} == {"light": "portraitseg.zoo.decoders.plugin",
                                                   "selfie": "portraitseg.zoo.decoders.plugin",
                                                   "unet": "portraitseg.zoo.decoders.plugin"}
    with pytest.raises(PluginError, match="unknown decoder 'fpn'; valid names: light, selfie, unet"):
        registry.create("fpn")


@pytest.mark.parametrize("decoder", [dict(), LIGHT, dict(LIGHT, decoder_params={"stride": 8},
                                                          decoder_channels=(32, 16))])
def test_every_decoder_returns_logits_at_the_input_size(decoder):
    model = build_model(tiny_config(**decoder)).eval()
    assert model(torch.rand(2, 3, 64, 96) * 255).shape == (2, 1, 64, 96)


def test_the_light_decoder_stops_at_stride_4_and_costs_under_half_the_unet():
    unet = build_model(ModelConfig())
    light = build_model(ModelConfig(decoder="light", decoder_channels=(96, 64, 32), decoder_convs=1))
    assert light.decoder.stride == 4 and unet.decoder.stride == 2
    encoder = count_macs(torch.nn.Sequential(unet.encoder), 320, 256)
    unet_decoder, light_decoder = count_macs(unet, 320, 256) - encoder, count_macs(light, 320, 256) - encoder
    assert light_decoder < unet_decoder / 8, (light_decoder, unet_decoder)
    assert count_macs(light, 320, 256) < count_macs(unet, 320, 256) / 2


def test_a_decoder_lying_about_its_stride_is_refused(fresh_plugins):
    class Liar(torch.nn.Module):
        stride = 4

        def __init__(self, channels, strides, *settings):
            super().__init__()
            self.head = torch.nn.Conv2d(channels[-1], 1, 1)

        def forward(self, features):
            return self.head(features[-1])  # at the encoder's last stride, not 4

    class Plugin:
        @hookimpl
        def register_decoders(self, register):
            register("liar", Liar)

    fresh_plugins.register(Plugin(), name="liar-plugin")
    with pytest.raises(PluginError, match=r"decoder 'liar' returned \(1, 1, 2, 2\).*declares stride 4"):
        build_model(tiny_config(decoder="liar"))


@pytest.mark.parametrize("settings, message", [
    (dict(LIGHT, decoder_channels=(32, 16)), "decoder_channels needs 3 widths"),
    (dict(LIGHT, decoder_params={"stride": 32}), "stride 32 is not one of the encoder's skip strides"),
    (dict(LIGHT, decoder_params={"depth": 3}), "unexpected keyword argument 'depth'"),
    (dict(decoder="nope"), "unknown decoder 'nope'; valid names: light, selfie, unet"),
    (dict(decoder="selfie", decoder_channels=(32, 16, 8), decoder_convs=1), "the selfie decoder's widths are"),
])
def test_a_config_its_decoder_cannot_build_is_refused_in_one_line(tmp_path, settings, message):
    config = tiny_config(**settings)
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path)


def test_decoder_params_must_be_plain_values():
    with pytest.raises(CheckpointError, match="decoder_params must be an object of plain values"):
        tiny_config(decoder_params={"stride": [4]}).validate()


def test_a_checkpoint_from_before_decoder_plugins_loads_as_the_unet(tmp_path):
    """0.1.0 to 0.4.0 wrote format 2 configs without a decoder and named the U-Net's tensors at the top level."""
    torch.manual_seed(0)
    config = tiny_config()
    model = build_model(config).eval()
    save_checkpoint(model, config, tmp_path)
    legacy = {k.removeprefix("decoder."): v for k, v in load_file(tmp_path / "model.safetensors").items()}
    assert "stages.0.block.0.0.weight" in legacy
    save_file(legacy, tmp_path / "model.safetensors")
    data = {k: v for k, v in config.to_dict().items() if k not in ("decoder", "decoder_params")}
    (tmp_path / "config.json").write_text(json.dumps(data | {"format_version": 2}))
    loaded, loaded_config = load_checkpoint(tmp_path)
    assert loaded_config.decoder == "unet" and loaded_config.decoder_params == {}
    x = torch.rand(1, 3, 64, 64) * 255
    assert torch.equal(loaded(x), model(x))


def test_a_light_checkpoint_round_trips_through_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from portraitseg.zoo.export import export_onnx

    torch.manual_seed(0)
    config = tiny_config(**LIGHT)
    save_checkpoint(build_model(config).eval(), config, tmp_path)
    model, loaded = load_checkpoint(tmp_path)
    assert loaded.decoder == "light" and loaded.format_version == 3
    path = export_onnx(model, loaded, tmp_path / "model.onnx")
    x = np.random.default_rng(0).uniform(0, 255, (1, 3, 64, 96)).astype(np.float32)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    np.testing.assert_allclose(got, torch.sigmoid(model(torch.from_numpy(x))).detach().numpy(), atol=1e-5)


def test_a_checkpoint_of_another_decoder_is_refused_with_its_names(tmp_path):
    config = tiny_config()
    save_checkpoint(build_model(config), config, tmp_path)
    data = json.loads((tmp_path / "config.json").read_text()) | {k: (list(v) if isinstance(v, tuple) else v)
                                                                 for k, v in LIGHT.items()}
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="does not match its config"):
        load_checkpoint(tmp_path)


def test_set_decoder_light_trains_with_the_light_decoders_own_settings(synthetic_data, tmp_path):
    """`--set decoder=light` once passed validation with the U-Net's widths and died in a ValueError traceback:
    the decoder's registered defaults now fill what the settings leave out."""
    from portraitseg.cli import main
    from portraitseg.trainers.config import build_config
    from portraitseg.zoo.config import ModelConfig

    config = build_config(None, {"decoder": "light"})
    assert (config.decoder_channels, config.decoder_convs) == ([96, 64, 32], 1)
    assert build_config(None, {"decoder": "light", "decoder_convs": 2}).decoder_convs == 2  # what is given stays
    assert main(["train", "--data", str(synthetic_data), "-o", str(tmp_path / "run"), "--encoder",
                 "mobilenet_v2_050", "--train-size", "64", "64", "--epochs", "1", "--batch-size", "4", "--workers",
                 "0", "--precision", "fp32", "--no-progress", "--set", "decoder=light", "--set",
                 "max_steps_per_epoch=1", "--set", "selection_people=null", "--set", "selection_empty=null",
                 "--set", "selection_crops=null", "--set", "hard_negatives=false", "--set", "ema=0",
                 "--set", "augmentations=[]"]) == 0
    assert ModelConfig.load(tmp_path / "run" / "best").decoder == "light"


def test_the_recipe_and_the_config_default_are_the_registered_unet():
    """The U-Net's widths are written once (zoo/config.py); the recipe, a YAML file, is held to them here."""
    pytest.importorskip("torch")
    from portraitseg.plugins import get_registry
    from portraitseg.trainers.config import RECIPE
    from portraitseg.zoo.config import UNET_DECODER_CHANNELS, UNET_DECODER_CONVS, ModelConfig

    defaults = get_registry("decoders").get("unet").metadata["defaults"]
    assert defaults == {"decoder_channels": list(UNET_DECODER_CHANNELS), "decoder_convs": UNET_DECODER_CONVS}
    assert (RECIPE["decoder"], RECIPE["decoder_channels"], RECIPE["decoder_convs"]) == (
        "unet", list(UNET_DECODER_CHANNELS), UNET_DECODER_CONVS)
    assert ModelConfig().decoder_channels == UNET_DECODER_CHANNELS
