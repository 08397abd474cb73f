"""Hub tests: the card parses, downloads run against a real Hub-speaking server (olah, offline mode, serving git
repositories built here), uploads are checked against an autospec of HfApi, and an opt-in live test."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest

from portraitseg.hub_cards.render import render_card
from tests.helpers import EXAMPLES, free_port, wait_until_serving

pytest.importorskip("olah")


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def _repo(root: Path, name: str, files: dict[str, Path | str]) -> Path:
    repo = root / "models" / "testorg" / name
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    for target, source in files.items():
        if isinstance(source, Path):
            shutil.copy(source, repo / target)
        else:
            (repo / target).write_text(source)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "upload")
    return repo


@pytest.fixture
def hub_server(tmp_path, tiny_checkpoint):
    """olah on 127.0.0.1 in offline mode, serving repositories built from a checkpoint this project made."""
    mirrors = tmp_path / "mirrors"
    files = {n: tiny_checkpoint / n for n in ("config.json", "model.safetensors", "model.onnx")}
    repo = _repo(mirrors, "tiny-unet", files)
    config = json.loads((tiny_checkpoint / "config.json").read_text())
    _git(repo, "checkout", "-q", "-b", "v1")
    (repo / "config.json").write_text(json.dumps({**config, "threshold": 0.3}))
    _git(repo, "commit", "-qam", "threshold 0.3")
    _git(repo, "checkout", "-q", "main")
    _repo(mirrors, "pickle-only", {"config.json": tiny_checkpoint / "config.json", "pytorch_model.bin": "pickle"})
    _repo(mirrors, "future", {"config.json": json.dumps({**config, "format_version": 99}),
                              "model.safetensors": tiny_checkpoint / "model.safetensors"})
    port = free_port()
    (tmp_path / "olah.toml").write_text(textwrap.dedent(f"""
        [basic]
        host = "127.0.0.1"
        port = {port}
        repos-path = "{tmp_path / 'olah-repos'}"
        mirrors-path = ["{mirrors}"]
        mirror-netloc = "127.0.0.1:{port}"
        mirror-lfs-netloc = "127.0.0.1:{port}"
        [accessibility]
        offline = true
    """))
    log = open(tmp_path / "olah.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "olah.server", "-c", str(tmp_path / "olah.toml")],
                              cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/api/models/testorg/tiny-unet/revision/main", server, tmp_path / "olah.log", timeout=60)
    yield {"url": url, "process": server, "home": tmp_path / "hf-home", "repo": repo}
    server.terminate()
    server.wait(10)
    log.close()


def _in_client(server, code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter: huggingface_hub reads HF_ENDPOINT when it is imported."""
    env = {**os.environ, "HF_ENDPOINT": server["url"], "HF_HOME": str(server["home"]), "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_HUB_OFFLINE", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)


def test_load_by_hub_id_pinned_revision_and_offline_cache(hub_server, tiny_checkpoint):
    import portraitseg

    expected = portraitseg.load(tiny_checkpoint, backend="onnxruntime")(EXAMPLES / "grace_hopper.jpg")
    np_path = hub_server["home"].parent / "expected.npy"
    import numpy as np

    np.save(np_path, expected)
    code = f"""
        import numpy as np, portraitseg, pathlib
        seg = portraitseg.load("hf://testorg/tiny-unet")
        prob = seg("{EXAMPLES / 'grace_hopper.jpg'}")
        assert np.abs(prob - np.load("{np_path}")).max() < 1e-5
        files = sorted(p.name for p in pathlib.Path(portraitseg.api.resolve_model("hf://testorg/tiny-unet")).iterdir())
        print("files", files, "threshold", seg.threshold)
        print("pinned", portraitseg.load("hf://testorg/tiny-unet@v1").threshold)
    """
    first = _in_client(hub_server, code)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "files ['config.json', 'model.onnx', 'model.safetensors'] threshold 0.5" in first.stdout
    assert "pinned 0.3" in first.stdout

    hub_server["process"].terminate()
    hub_server["process"].wait(10)
    second = _in_client(hub_server, code)  # the server is gone: everything comes from the cache
    assert second.returncode == 0, second.stderr[-3000:]
    assert "pinned 0.3" in second.stdout


def test_bad_hub_repos_fail_clearly_and_nothing_is_unpickled(hub_server):
    result = _in_client(hub_server, """
        import portraitseg
        for ref in ["hf://testorg/pickle-only", "hf://testorg/future", "hf://testorg/absent", "hf://not-an-id"]:
            try:
                portraitseg.load(ref)
            except portraitseg.PortraitsegError as exc:
                print(ref, "->", exc)
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "pickle-only -> " in out and "no model.safetensors" in out
    assert "future -> " in out and "newer than this portraitseg" in out
    assert "absent -> " in out
    assert "not-an-id -> " in out and "is not a Hub id" in out


@pytest.fixture
def checkpoint_with_eval(tiny_checkpoint, tmp_path):
    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, folder)
    (folder / "eval.json").write_text(json.dumps({"miou": 91.234, "dataset_iou": 92.5, "boundary_f": 0.612,
                                                  "images": 258, "data": "/data/eg1800",
                                                  "split": "splits/test_clean.txt", "backend": "onnxruntime"}))
    (folder / "train_config.yaml").write_text("data:\n- eg1800@splits/train_recommended.txt\n- ccp_train\nepochs: 3\n")
    return folder


def test_rendered_card_parses_and_carries_the_measured_eval_results(checkpoint_with_eval):
    from huggingface_hub import ModelCard

    card = ModelCard(str(render_card(checkpoint_with_eval, repo_id="testorg/tiny-unet")))
    assert card.data.library_name == "portraitseg" and card.data.pipeline_tag == "image-segmentation"
    assert set(card.data.datasets) == {"EG1800", "Clothing Co-Parsing (CCP)"}
    values = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert values == {"mean_iou": 91.23, "iou": 92.5, "f1": 0.612}
    assert card.data.eval_results[0].dataset_split == "test_clean"
    text = card.text
    assert "hf://testorg/tiny-unet" in text and "RGB in [0, 255]" in text and "research-only" in text.lower()


def test_push_uploads_everything_in_one_commit(checkpoint_with_eval):
    from huggingface_hub import CommitOperationAdd, HfApi

    from portraitseg.publish import push

    api = mock.create_autospec(HfApi, instance=True)
    api.create_commit.return_value = mock.Mock(commit_url="https://hf.co/testorg/tiny-unet/commit/abc", oid="abc")
    info = push(checkpoint_with_eval, "testorg/tiny-unet", private=True, revision="exp1", api=api)
    assert info.oid == "abc"
    api.create_repo.assert_called_once_with("testorg/tiny-unet", private=True, exist_ok=True, repo_type="model")
    api.create_branch.assert_called_once_with("testorg/tiny-unet", branch="exp1", exist_ok=True)
    api.create_commit.assert_called_once()
    args, kwargs = api.create_commit.call_args
    assert args == ("testorg/tiny-unet",) and kwargs["revision"] == "exp1"
    assert kwargs["commit_message"] == "Upload portraitseg mobilenet_v2_050 + unet decoder (served at 64 px)"
    operations = kwargs["operations"]
    assert all(isinstance(op, CommitOperationAdd) for op in operations)
    assert sorted(op.path_in_repo for op in operations) == [
        "README.md", "config.json", "eval.json", "model.onnx", "model.safetensors", "train_config.yaml"]
    readme = next(op for op in operations if op.path_in_repo == "README.md").path_or_fileobj
    assert b"91.23" in readme and b"model-index" in readme


def test_push_writes_the_safetensors_file_of_a_folder_that_keeps_its_weights_in_onnx(checkpoint_with_eval):
    from huggingface_hub import HfApi
    from safetensors.torch import load

    from portraitseg.publish import push
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.export import export_onnx

    net, config = load_checkpoint(checkpoint_with_eval)
    export_onnx(net, config, checkpoint_with_eval / "model.onnx", named_fp16_weights=True)
    (checkpoint_with_eval / "model.safetensors").unlink()
    api = mock.create_autospec(HfApi, instance=True)
    push(checkpoint_with_eval, "testorg/tiny-unet", api=api)
    operations = {op.path_in_repo: op for op in api.create_commit.call_args.kwargs["operations"]}
    state = load(operations["model.safetensors"].path_or_fileobj)
    assert state.keys() == net.state_dict().keys()


def test_push_cli_prints_url_and_commit(checkpoint_with_eval, capsys, monkeypatch):
    from huggingface_hub import HfApi

    from portraitseg.cli import main

    api = mock.create_autospec(HfApi, instance=True)
    api.create_commit.return_value = mock.Mock(commit_url="https://hf.co/o/n/commit/123", oid="123")
    monkeypatch.setattr("huggingface_hub.HfApi", lambda token=None: api)
    assert main(["push", str(checkpoint_with_eval), "--repo-id", "o/n"]) == 0
    assert "https://hf.co/o/n/commit/123 (commit 123)" in capsys.readouterr().out


@pytest.mark.skipif(not (os.environ.get("HF_TOKEN") and os.environ.get("PORTRAITSEG_HUB_TEST_REPO")),
                    reason="live Hub test: set HF_TOKEN and PORTRAITSEG_HUB_TEST_REPO=ORG/SCRATCH_REPO to run it")
def test_live_push_and_load_round_trip(checkpoint_with_eval):
    import numpy as np

    import portraitseg
    from portraitseg.publish import push

    repo = os.environ["PORTRAITSEG_HUB_TEST_REPO"]
    info = push(checkpoint_with_eval, repo, private=True)
    seg = portraitseg.load(f"hf://{repo}@{info.oid}")
    local = portraitseg.load(checkpoint_with_eval)
    assert np.abs(seg(EXAMPLES / "astronaut.png") - local(EXAMPLES / "astronaut.png")).max() < 1e-5
