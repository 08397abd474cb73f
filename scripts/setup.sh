#!/usr/bin/env bash
# Set up portraitseg in ./.venv on a fresh machine.
#   bash scripts/setup.sh          # serving: the package with ONNX Runtime (CPU) and the web demo, no torch
#   bash scripts/setup.sh --test   # plus training (a CPU-only torch where there is no NVIDIA GPU), the test tools
#                                  # and Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION="2.13.0"
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
# ONNX Runtime Web for the webcam page (runs the model in the viewer's browser); without it the server runs it
python scripts/fetch_browser_runtime.py || echo "warning: onnxruntime-web not fetched: the webcam will run on the server"
if [ "${1:-}" = "--test" ]; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    python -m pip install --quiet "torch==${TORCH_VERSION}"
  else
    # A plain 'pip install torch' on Linux pulls the CUDA build (several GB). Take the CPU-only build from PyTorch's
    # CPU index (or a local wheel, where pip is configured with one), then its dependencies from the usual index.
    python -m pip install --quiet --no-deps --retries 0 --index-url https://download.pytorch.org/whl/cpu \
      "torch==${TORCH_VERSION}"
    python -m pip install --quiet "torch==${TORCH_VERSION}"
  fi
  # editable, so the tests run the code you edit (setuptools' editable-install banner silenced)
  PYTHONWARNINGS=ignore python -m pip install --quiet -e ".[cpu,demo,train,test,ray,efficientnet,bench]"
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
  fi
  echo "portraitseg set up in .venv (serving, training and tests)"
else
  python -m pip install --quiet ".[cpu,demo]"
  echo "portraitseg set up in .venv (serving; for training: bash scripts/setup.sh --test, or see the README)"
fi
