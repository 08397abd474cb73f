"""Built-in augmenters, registered through ``register_augmenters`` like any third-party one."""

from portraitseg.augment import composite, transforms
from portraitseg.hookspecs import hookimpl

BUILTINS = {
    "hflip": (transforms.HorizontalFlip, "horizontal flip"),
    "brightness": (transforms.Brightness, "scale the HSV value channel by [low, high] (the original project's)"),
    "jpeg_quality": (transforms.JpegQuality, "re-encode as JPEG at a quality in [low, high] (the original's)"),
    "scale_rotate_crop": (transforms.ScaleRotateCrop, "random zoom in/out, rotation and shift; mask nearest"),
    "color_jitter": (transforms.ColorJitter, "contrast, saturation and hue"),
    "gaussian_blur": (transforms.GaussianBlur, "Gaussian blur with a random sigma"),
    "motion_blur": (transforms.MotionBlur, "linear motion blur in a random direction"),
    "noise": (transforms.Noise, "additive Gaussian noise"),
    "background_swap": (transforms.BackgroundSwap, "paste the person onto another or a synthetic background"),
    "copy_paste": (composite.CopyPaste, "composites: 1-5 people from the training set pasted at any scale and "
                   "position onto a training photo or a person-free scene; person-free canvases with empty masks"),
}


@hookimpl
def register_augmenters(register):
    for name, (cls, description) in BUILTINS.items():
        register(name, cls, description=description)
