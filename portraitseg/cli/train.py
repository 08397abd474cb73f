"""``portraitseg train``: config file + overrides -> a training run with checkpoints, logs and curves."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?",
                        help="YAML or TOML config file; what it does not name keeps the recipe's value (the bundled "
                             "model's recipe, portraitseg/trainers/default.yaml)")
    parser.add_argument("--data", action="append", metavar="DIR[@SPLIT]",
                        help="training folder with images/ and masks/, optionally @split-list; repeatable; "
                             "relative paths resolve against $PORTRAITSEG_DATA")
    parser.add_argument("--train-split", help="split list for a single --data folder (same as DIR@SPLIT)")
    parser.add_argument("-o", "--output", help="run folder (checkpoints, logs, curves)")
    parser.add_argument("--encoder", help="registered encoder name (see 'portraitseg plugins')")
    parser.add_argument("--loss", help="registered loss name")
    parser.add_argument("--augment", action="append", metavar="NAME[:k=v,...]",
                        help="augmenter, repeatable; replaces the configured list")
    parser.add_argument("--epochs", type=int, help="passes over the training data (default: the recipe's or the "
                        "config's)")
    parser.add_argument("--batch-size", type=int, help="images per step (default: the recipe's, 16)")
    parser.add_argument("--lr", type=float, help="peak AdamW learning rate after warm-up, cosine decay (default: the "
                        "recipe's or the config's)")
    parser.add_argument("--train-size", "--input-size", type=int, nargs=2, metavar=("H", "W"), dest="train_size",
                        help="the training canvas (--input-size: its old name)")
    parser.add_argument("--pretrained", help="ImageNet weights file or folder for the encoder")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"],
                        help="autocast: auto takes bf16 on a CPU with bf16 units (AMX, AVX512-BF16), bf16 or fp16 on a "
                             "GPU, else fp32 (default: the recipe's, auto)")
    parser.add_argument("--workers", type=int, help="data loader worker processes")
    parser.add_argument("--push-to-hub", metavar="ORG/NAME", help="push the best checkpoint when training ends")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any setting (value read as YAML), e.g. --set ema=0.999")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output from its state.pt")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run in an --output folder that holds one (its checkpoints and log are "
                             "deleted)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from portraitseg.trainers.config import build_config, parse_override
    from portraitseg.trainers.loop import train

    overrides = dict(parse_override(item) for item in args.set)
    data = args.data
    if args.train_split:
        data = [f"{(data or ['eg1800'])[0]}@{args.train_split}"] + (data or [])[1:]
    flags = dict(data=data, output=args.output, encoder=args.encoder, loss=args.loss, epochs=args.epochs,
                 batch_size=args.batch_size, lr=args.lr, pretrained=args.pretrained, precision=args.precision,
                 workers=args.workers, push_to_hub=args.push_to_hub,
                 train_size=list(args.train_size) if args.train_size else None, augmentations=args.augment)
    overrides.update({key: value for key, value in flags.items() if value is not None})
    config = build_config(args.config, overrides)
    history = train(config, resume=args.resume, progress=not args.no_progress, overwrite=args.overwrite)
    scored = [row for row in history if "selection" in row]
    if scored:
        best = max(scored, key=lambda row: row["selection"])
        print(f"done: {len(history)} epochs in {config.output}; best/ is epoch {best['epoch']} "
              f"(selection score {best['selection']:.2f}, held-out mIoU {best.get('val_miou', float('nan')):.2f})")
    elif history:
        print(f"done: {len(history)} epochs in {config.output}")
    if config.push_to_hub:
        from portraitseg.cli.push import push_checkpoint

        push_checkpoint(f"{config.output}/best", config.push_to_hub)
    return 0
