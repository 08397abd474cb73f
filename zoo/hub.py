"""Hugging Face Hub: load models by ``hf://ORG/NAME[@REVISION]`` and upload files to a model repository.

Only safetensors, JSON and ONNX files are fetched; nothing is unpickled and no code from a repo runs. The Hub
endpoint comes from ``HF_ENDPOINT`` and the token from ``HF_TOKEN`` (huggingface_hub reads both).
"""

from __future__ import annotations

import re
from pathlib import Path

from portraitseg.errors import CheckpointError, PortraitsegError
from portraitseg.zoo.config import CONFIG_NAME
from portraitseg.zoo.onnx_contract import CHECKPOINT_FILES, WEIGHTS_NAME

PREFIX = "hf://"
DOWNLOAD_PATTERNS = list(CHECKPOINT_FILES)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"{_NAME}/{_NAME}")
# a branch or tag name (no slashes, no '..'), a pull request's ref, or a commit hash
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}|refs/pr/\d+|[0-9a-f]{40}")


def parse_hub_id(ref: str) -> tuple[str, str | None]:
    """``hf://ORG/NAME[@REVISION]`` -> (``ORG/NAME``, revision or None). Names and revisions are checked before
    the Hub library sees them: a revision like ``../../x`` would otherwise become a path in its cache."""
    body = ref[len(PREFIX):] if ref.startswith(PREFIX) else ref
    repo_id, at, revision = body.partition("@")
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise CheckpointError(f"{ref!r} is not a Hub id: use hf://ORG/NAME or hf://ORG/NAME@REVISION (letters, "
                              "digits, '-', '_' and '.')")
    if at and (not _REVISION.fullmatch(revision) or ".." in revision):
        raise CheckpointError(f"{ref!r}: revision {revision!r} is not a branch or tag name, refs/pr/N or a 40-hex "
                              "commit")
    return repo_id, revision or None


def download(ref: str) -> Path:
    """Fetch (or reuse from the cache, also offline) the files a checkpoint needs; returns the snapshot folder."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError, \
        RevisionNotFoundError

    repo_id, revision = parse_hub_id(ref)
    try:
        folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=DOWNLOAD_PATTERNS))
    except RepositoryNotFoundError as exc:
        raise CheckpointError(f"{ref}: no such repository on the Hub (or it is private: set HF_TOKEN)") from exc
    except RevisionNotFoundError as exc:
        raise CheckpointError(f"{ref}: no revision {revision!r} in {repo_id}") from exc
    except LocalEntryNotFoundError as exc:
        raise CheckpointError(f"{ref}: the Hub cannot be reached and the model is not in the cache") from exc
    except HfHubHTTPError as exc:
        raise CheckpointError(f"{ref}: the Hub answered {exc}") from exc
    _check_snapshot(folder, ref, repo_id, revision)
    return folder


def _check_snapshot(folder: Path, ref: str, repo_id: str, revision: str | None) -> None:
    from portraitseg.zoo.config import ModelConfig

    if not (folder / WEIGHTS_NAME).is_file():
        pickles = _pickle_files(repo_id, revision)
        hint = (f" It holds {pickles}: pickle files are never loaded, since unpickling can run code."
                if pickles else "")
        raise CheckpointError(f"{ref}: the repository has no model.safetensors.{hint}")
    if not (folder / CONFIG_NAME).is_file():
        raise CheckpointError(f"{ref}: the repository has no config.json; it is not a portraitseg checkpoint")
    ModelConfig.load(folder)  # unknown format versions fail here, before any weights are read


def _pickle_files(repo_id: str, revision: str | None) -> list[str]:
    from huggingface_hub import HfApi

    try:
        files = HfApi().list_repo_files(repo_id, revision=revision)
    except Exception:  # listing is only for a better message
        return []
    return [f for f in files if f.endswith(PICKLE_SUFFIXES)]


def upload(files: dict[str, Path | bytes], repo_id: str, commit_message: str, private: bool = False,
           revision: str | None = None, token: str | None = None, api=None):
    """Create the repo if needed (and the branch ``revision``) and upload ``files`` (name in the repo -> local path
    or bytes) in one commit. Returns huggingface_hub's ``CommitInfo`` (``commit_url``, ``oid``)."""
    from huggingface_hub import CommitOperationAdd, HfApi

    parse_hub_id(repo_id)
    api = api or HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    if revision:
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=source if isinstance(source, bytes)
                                     else str(source)) for name, source in files.items()]
    try:
        return api.create_commit(repo_id, operations=operations, commit_message=commit_message, revision=revision)
    except Exception as exc:
        raise PortraitsegError(f"upload to {repo_id} failed: {exc}") from exc
