"""Weight-space ensemble of two checkpoints of one architecture (WiSE-FT, Wortsman et al., CVPR 2022): every
tensor ``alpha * fine_tuned + (1 - alpha) * base``. Interpolating a fine-tuned model with the model it started from
trades the new skills (here: real-world photos) against the old one's (EG1800 portraits) along one knob.

    python scripts/soup.py BASE_CHECKPOINT FINE_TUNED_CHECKPOINT --alpha 0.6 -o runs/soup/best
"""

from __future__ import annotations

import argparse
from pathlib import Path

from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", type=Path, help="the checkpoint the fine-tuning started from")
    parser.add_argument("fine_tuned", type=Path)
    parser.add_argument("--alpha", type=float, required=True, help="weight of the fine-tuned model, in [0, 1]")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    if not 0 <= args.alpha <= 1:
        parser.error("--alpha must be in [0, 1]")
    base, base_config = load_checkpoint(args.base)
    tuned, config = load_checkpoint(args.fine_tuned)
    if base_config.architecture_dict() != config.architecture_dict():
        parser.error("the two checkpoints differ in architecture")
    old = base.state_dict()
    mixed = {k: (args.alpha * v.float() + (1 - args.alpha) * old[k].float()).to(v.dtype) if v.is_floating_point()
             else v for k, v in tuned.state_dict().items()}
    tuned.load_state_dict(mixed)
    save_checkpoint(tuned, config, args.output)
    print(f"wrote {args.output}: {args.alpha} x {args.fine_tuned} + {1 - args.alpha:.2f} x {args.base}")


if __name__ == "__main__":
    main()
