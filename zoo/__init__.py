"""Models: encoders, decoders, configs, checkpoints, ONNX export, runtimes and the bundled zoo."""
