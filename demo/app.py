"""Hugging Face Space entry point (``app_file: demo/app.py``) and ``python demo/app.py``: the demo on the bundled
model."""

from portraitseg.demo.ui import build_app, launch

demo = build_app()

if __name__ == "__main__":
    launch(demo, host="0.0.0.0")
