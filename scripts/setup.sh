#!/usr/bin/env bash
# Set up portraitseg in ./.venv on a fresh machine.
#   bash scripts/setup.sh          # the package with ONNX Runtime (CPU): enough for the demo and the CLI
#   bash scripts/setup.sh --test   # plus the test tools and Debian's Chromium for the browser tests
# torch is installed first and pinned, so no requirement pulls a multi-GB CUDA build onto a CPU machine;
# on a GPU machine install torch for your CUDA first and use extras [gpu] instead of [cpu].
set -euo pipefail
cd "$(dirname "$0")/.."
extras="cpu"
if [ "${1:-}" = "--test" ]; then extras="cpu,test"; fi
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[${extras}]"
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
echo "portraitseg set up in .venv (extras: ${extras})"
