"""ONNX Runtime Web, the files the webcam page loads to run the model in the viewer's browser. They are not in the
repository: ``scripts/fetch_browser_runtime.py`` (run by ``scripts/setup.sh``) fetches the pinned npm release into
this folder, with its license, and a wheel built afterwards carries them. ``demo/browser.py`` serves them."""
