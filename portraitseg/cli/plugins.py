"""``portraitseg plugins``: every registered encoder, loss and augmenter, with the plugin that provided it."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from portraitseg.plugins import KINDS, get_registry
    from portraitseg.zoo.encoders.lookup import pretrained_cfg_of

    table = {kind: [{"name": e.name, "plugin": e.plugin, "description": e.metadata.get("description", "")}
                    for e in get_registry(kind)] for kind in KINDS}
    for row in table["encoders"]:  # what its pretrained weights expect, from its PretrainedCfg
        cfg = pretrained_cfg_of(row["name"])
        row.update(normalization=cfg.normalization, weights=cfg.source)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    for kind, rows in table.items():
        print(f"{kind}:")
        width = max((len(r["name"]) for r in rows), default=0)
        pwidth = max((len(r["plugin"]) for r in rows), default=0)
        for r in rows:
            print(f"  {r['name']:<{width}}  {r['plugin']:<{pwidth}}  {r['description']}")
            if "weights" in r:
                norm = r["normalization"]
                print(f"  {'':<{width}}  {'':<{pwidth}}  weights: {r['weights']}; input (x - {norm['mean'][0]:g}) / "
                      f"{norm['std'][0]:g}")
    return 0
