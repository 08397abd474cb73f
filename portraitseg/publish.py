"""Publish a checkpoint to the Hugging Face Hub: weights, config, ONNX, training record and the model card
rendered from its measured figures, in one commit."""

from __future__ import annotations

import tempfile
from pathlib import Path

from portraitseg.zoo.config import CONFIG_NAME
from portraitseg.zoo.onnx_contract import EVAL_NAME, INT8_ONNX_NAME, ONNX_NAME, TRAIN_CONFIG_NAME, WEIGHTS_NAME

OPTIONAL_FILES = (INT8_ONNX_NAME, TRAIN_CONFIG_NAME, EVAL_NAME, "curves.png")


def push(checkpoint: str | Path, repo_id: str, private: bool = False, revision: str | None = None,
         token: str | None = None, api=None, commit_message: str | None = None):
    """Check that the checkpoint loads, export its ONNX file if it has none, render its card and upload it all
    (with a ``model.safetensors`` written from the weights where the folder keeps them in its ONNX file, as the
    bundled model does). Returns huggingface_hub's ``CommitInfo`` (``commit_url``, ``oid``)."""
    from portraitseg.hub_cards.render import render_card
    from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint
    from portraitseg.zoo.export import export_onnx
    from portraitseg.zoo.hub import parse_hub_id, upload

    checkpoint = Path(checkpoint)
    parse_hub_id(repo_id)
    net, config = load_checkpoint(checkpoint)  # refuse to publish what would not load
    if not (checkpoint / ONNX_NAME).is_file():
        export_onnx(net, config, checkpoint / ONNX_NAME)
    card = render_card(checkpoint, repo_id=repo_id)
    weights = checkpoint / WEIGHTS_NAME
    if not weights.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            weights = save_checkpoint(net, config, tmp, half=True).joinpath(WEIGHTS_NAME).read_bytes()
    files: dict[str, Path | bytes] = {WEIGHTS_NAME: weights, CONFIG_NAME: checkpoint / CONFIG_NAME,
                                      ONNX_NAME: checkpoint / ONNX_NAME, "README.md": str(card).encode()}
    files.update({name: checkpoint / name for name in OPTIONAL_FILES if (checkpoint / name).is_file()})
    message = commit_message or (f"Upload portraitseg {config.encoder} + {config.decoder} decoder "
                                 f"(served at {config.serve_long_side} px)")
    return upload(files, repo_id, message, private=private, revision=revision, token=token, api=api)
