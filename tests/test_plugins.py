import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from portraitseg import plugins
from portraitseg.errors import PluginError
from portraitseg.hookspecs import hookimpl
from tests.helpers import reset_plugins

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_encoder_plugin"


@pytest.fixture
def fresh_plugins():
    reset_plugins()
    yield plugins.get_plugin_manager()
    reset_plugins()


def test_builtins_are_registered_through_the_hooks():
    enc = {e.name: e.plugin for e in plugins.get_registry("encoders")}
    assert enc["mobilenet_v2"] == enc["mobilenet_v2_050"] == "portraitseg.zoo.encoders.plugin"
    assert {"bce", "dice", "dice_bce", "focal", "lovasz"} <= set(plugins.get_registry("losses").names())
    assert {"brightness", "jpeg_quality", "hflip", "scale_rotate_crop", "color_jitter", "gaussian_blur",
            "motion_blur", "noise", "background_swap"} <= set(plugins.get_registry("augmenters").names())


def test_unknown_metadata_is_refused_at_registration_naming_it(fresh_plugins):
    class Misspelt:
        @hookimpl
        def register_encoders(self, register):
            register("typo_encoder", lambda: None, pretrainedcfg=object())

    fresh_plugins.register(Misspelt(), name="misspelt")
    with pytest.raises(PluginError, match=r"'typo_encoder' with unknown metadata \['pretrainedcfg'\]"):
        plugins.get_registry("encoders")


def test_a_decoders_defaults_must_be_decoder_settings(fresh_plugins):
    class Odd:
        @hookimpl
        def register_decoders(self, register):
            register("odd", lambda *a, **k: None, defaults={"decoder_width": 3})

    fresh_plugins.register(Odd(), name="odd")
    with pytest.raises(PluginError, match="defaults must be a dict of decoder_channels"):
        plugins.get_registry("decoders")


def test_unknown_name_lists_the_valid_ones():
    valid = "efficientnet_lite0, mediapipe_selfie, mobilenet_v2, mobilenet_v2_050"
    with pytest.raises(PluginError, match=rf"unknown encoder 'resnet9000'; valid names: {valid}"):
        plugins.get_registry("encoders").create("resnet9000")


def test_duplicate_name_names_both_plugins(fresh_plugins):
    class Shadow:
        @hookimpl
        def register_losses(self, register):
            register("dice", lambda: None)

    fresh_plugins.register(Shadow(), name="shadow-plugin")
    with pytest.raises(PluginError, match=r"'dice'.*'portraitseg.trainers.loss_plugin'.*'shadow-plugin'"):
        plugins.get_registry("losses")


def test_plugin_that_raises_is_reported_by_name(fresh_plugins):
    class Broken:
        @hookimpl
        def register_augmenters(self, register):
            raise RuntimeError("boom")

    fresh_plugins.register(Broken(), name="broken-plugin")
    with pytest.raises(PluginError, match=r"plugin 'broken-plugin' raised while registering augmenters.*boom"):
        plugins.get_registry("augmenters")


def test_misspelled_hook_fails_check_pending(monkeypatch, tmp_path):
    module = tmp_path / "typo_plugin.py"
    module.write_text("from portraitseg.hookspecs import hookimpl\n\n@hookimpl\ndef register_encoder(register):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "_load_entry_points",
                        lambda pm: pm.register(importlib.import_module("typo_plugin"), name="typo_plugin"))
    reset_plugins()
    try:
        with pytest.raises(PluginError, match="register_encoder"):
            plugins.get_plugin_manager()
    finally:
        reset_plugins()


def test_serving_a_torch_checkpoint_loads_only_the_builtin_encoders():
    """Each kind's built-ins are imported when that kind is first asked for: a checkpoint on the torch backend
    builds an encoder, and imports neither the trainers (the built-in losses) nor the augmenters."""
    code = ("import sys, portraitseg\nportraitseg.load(backend='torch')\n"
            "print(sorted(m for m in sys.modules if m.startswith(('portraitseg.trainers', 'portraitseg.augment'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert set(plugins.get_registry("losses").names()) >= {"dice_bce"}  # asked for: there


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> Path:
    """The throwaway distribution built and installed the way users install plugins (pip, entry point)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(FIXTURE)], check=True)
    return target


def _run_with(site: Path, code: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "PORTRAITSEG_LOAD_PLUGINS"},  # entry points load here
           "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_entry_point_plugin_encoder_builds_a_unet_and_runs(installed_plugin):
    result = _run_with(installed_plugin, """
        import torch
        from portraitseg.plugins import get_registry
        from portraitseg.zoo.config import ModelConfig
        from portraitseg.zoo.model import build_model
        entry = get_registry("encoders").get("tiny_cnn")
        model = build_model(ModelConfig(encoder="tiny_cnn", decoder_channels=(12, 8), train_size=(64, 64))).eval()
        print(entry.plugin, tuple(model(torch.rand(1, 3, 64, 96) * 255).shape))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["tiny_encoder", "(1,", "1,", "64,", "96)"]


@pytest.mark.slow
def test_plugins_command_lists_builtins_and_the_entry_point_plugin(installed_plugin):
    result = _run_with(installed_plugin, "from portraitseg.cli import main; main(['plugins'])")
    assert result.returncode == 0, result.stderr
    assert "mobilenet_v2_050" in result.stdout and "dice_bce" in result.stdout
    line = next(l for l in result.stdout.splitlines() if "tiny_cnn" in l)
    assert "tiny_encoder" in line


@pytest.mark.slow
def test_the_environment_can_switch_entry_point_plugins_off(installed_plugin):
    code = "from portraitseg.plugins import get_registry; print(sorted(get_registry('encoders').names()))"
    env = {**os.environ, "PYTHONPATH": str(installed_plugin)}
    names = {}
    for setting in (None, "", "tiny_encoder", "someone_else"):
        run_env = {k: v for k, v in env.items() if k != "PORTRAITSEG_LOAD_PLUGINS"}
        if setting is not None:
            run_env["PORTRAITSEG_LOAD_PLUGINS"] = setting
        result = subprocess.run([sys.executable, "-c", code], env=run_env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        names[setting] = result.stdout
    assert "tiny_cnn" in names[None] and "tiny_cnn" in names["tiny_encoder"]
    assert "tiny_cnn" not in names[""] and "tiny_cnn" not in names["someone_else"]
    assert "mobilenet_v2" in names[""]  # built-ins always load


def test_hook_wrappers_see_registration_calls(fresh_plugins):
    """Registration goes through pluggy's hook caller, so pluggy's machinery (wrappers, tracing) applies."""
    seen = []

    class Watcher:
        @hookimpl(wrapper=True)
        def register_encoders(self, register):
            seen.append("before")
            result = yield
            seen.append("after")
            return result

    class Extra:
        @hookimpl
        def register_encoders(self, register):
            register("extra_encoder", lambda: None)

    fresh_plugins.register(Watcher(), name="watcher")
    fresh_plugins.register(Extra(), name="extra")
    registry = plugins.get_registry("encoders")
    assert registry.get("extra_encoder").plugin == "extra" and registry.get("mobilenet_v2").plugin != "extra"
    assert seen == ["before", "after"] * 2  # wrapped once per registering plugin: the built-ins and "extra"


def test_an_augmenter_that_breaks_the_contract_is_refused_before_training(fresh_plugins):
    from portraitseg.augment.pipeline import Pipeline
    from portraitseg.errors import AugmenterError

    class Wrong:
        @hookimpl
        def register_augmenters(self, register):
            register("two_args", lambda p=0.5: (lambda image, mask: (image, mask)))

    fresh_plugins.register(Wrong(), name="wrong")
    with pytest.raises(AugmenterError, match="'two_args' made function, which cannot be called as"):
        Pipeline(["two_args"])
