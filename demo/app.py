"""Hugging Face Space entry point (``app_file: demo/app.py``) and ``python demo/app.py``: the demo on the bundled
models, started as ``portraitseg demo`` starts it."""

from portraitseg.demo.server import serve

if __name__ == "__main__":
    serve(host="0.0.0.0")
