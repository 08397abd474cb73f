"""Built-in augmenters, registered through ``register_augmenters`` like any third-party one."""

from portraitseg.augment import composite, transforms, views
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
    "body_crop": (views.BodyCrop, "a close view of a training person filling 30-90% of the frame, often headless "
                  "(torsos, arms, hands)"),
    "rotate": (views.Rotate, "turn by 90, 180 or 270 degrees or a free angle (people lying down, seen from above)"),
    "low_light": (views.LowLight, "under-exposure, gamma and noise; dark clothing darkened further"),
    "overlap_person": (views.OverlapPerson, "a second training person pasted overlapping the first, in front or "
                       "behind"),
}


@hookimpl
def register_augmenters(register):
    for name, (cls, description) in BUILTINS.items():
        register(name, cls, description=description)
