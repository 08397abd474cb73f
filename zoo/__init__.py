"""Models: encoders, the U-Net decoder, configs, checkpoints, ONNX export, runtimes and the bundled zoo."""
