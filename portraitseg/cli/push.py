"""``portraitseg push``: a checkpoint folder to the Hugging Face Hub, with its rendered model card."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="checkpoint folder (config.json + model.safetensors; eval.json is used "
                                           "for the card's metrics when present)")
    parser.add_argument("--repo-id", required=True, metavar="ORG/NAME")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--revision", metavar="BRANCH", help="branch to commit to (created if needed)")
    parser.add_argument("--token", help="Hub token (default: $HF_TOKEN or the saved login)")


def push_checkpoint(checkpoint: str, repo_id: str, private: bool = False, revision: str | None = None,
                    token: str | None = None) -> None:
    from portraitseg.publish import push

    info = push(checkpoint, repo_id, private=private, revision=revision, token=token)
    print(f"pushed {checkpoint} to {repo_id}: {info.commit_url} (commit {info.oid})")


def run(args: argparse.Namespace) -> int:
    push_checkpoint(args.checkpoint, args.repo_id, args.private, args.revision, args.token)
    return 0
