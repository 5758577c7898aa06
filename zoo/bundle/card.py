"""The bundle's README.md: a model card with YAML front matter (Hugging Face style) and a usage snippet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def render_card(config: dict[str, Any], extra: dict[str, Any]) -> str:
    """Markdown model card for a bundle ``config``; ``extra`` may add description, tags, datasets, license."""
    model = config["model"]
    metrics = config.get("metrics") or {}
    front = {
        "library_name": "zoo",
        "license": extra.get("license") or config.get("license") or "other",
        "tags": ["zoo", "image-classification", *extra.get("tags", []), model["name"]],
        "datasets": list(extra.get("datasets", [])),
        "metrics": sorted(k for k, v in metrics.items() if isinstance(v, int | float)),
        "pipeline_tag": "image-classification",
    }
    index = model_index(config, extra)
    if index:
        front["model-index"] = index
    pre = config["preprocess"]
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False).rstrip(),
        "---",
        "",
        f"# {extra.get('title') or model['name']}",
        "",
        extra.get("description") or f"A `{model['name']}` model saved by zoo.",
        "",
        "## Usage",
        "",
        "```python",
        "import zoo",
        "",
        'model = zoo.load("path/to/this/folder")  # or an https:// URL of the folder, or "hf-hub:org/name"',
        "```",
        "",
        "```bash",
        "zoo predict path/to/this/folder image.png",
        "```",
        "",
        "## Details",
        "",
        f"- builder: `{model['name']}` with `{model.get('kwargs', {})}`",
        f"- input: {pre['input_size']}, mean {pre['mean']}, std {pre['std']}",
    ]
    if config.get("classes"):
        lines.append(f"- classes ({len(config['classes'])}): {', '.join(map(str, config['classes'][:20]))}")
    if metrics:
        lines += ["", "## Results", "", "| metric | value |", "| --- | --- |"]
        lines += [f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items()]
    evaluation = config.get("evaluation")
    if evaluation:
        lines += ["", f"## Evaluation on {evaluation.get('data', 'held-out data')}", ""]
        lines += [f"eval_acc {evaluation['eval_acc']:.4f}, eval_loss {evaluation['eval_loss']:.4f}, "
                  f"{evaluation['samples']} samples", "", "| class | precision | recall | f1 | support |",
                  "| --- | --- | --- | --- | --- |"]  # fmt: skip
        lines += [f"| {c} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |"
                  for c, r in evaluation["per_class"].items()]  # fmt: skip
    return "\n".join(lines) + "\n"


def model_index(config: dict[str, Any], extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Hugging Face ``model-index``: task, dataset and the accuracy / loss the run or ``zoo eval`` measured."""
    evaluation = config.get("evaluation") or {}
    metrics = config.get("metrics") or {}
    values = {
        "accuracy": evaluation.get("eval_acc", metrics.get("val_acc", metrics.get("train_acc"))),
        "loss": evaluation.get("eval_loss", metrics.get("val_loss", metrics.get("train_loss"))),
    }
    found = [{"type": k, "value": round(float(v), 6)} for k, v in values.items() if isinstance(v, int | float)]
    if not found:
        return []
    datasets = list(extra.get("datasets", []))
    dataset = evaluation.get("data") or (datasets[0] if datasets else "evaluation data")
    return [{"name": config["model"]["name"], "results": [{
        "task": {"type": "image-classification", "name": "Image Classification"},
        "dataset": {"name": str(dataset), "type": str(dataset)},
        "metrics": found,
    }]}]  # fmt: skip


def update_card_with(folder: Path, result: Any, data: str) -> None:
    """Put ``zoo eval``'s results in a bundle: ``evaluation`` in config.json, and the card rendered again."""
    from ..atomic import write_json, write_text
    from .format import CARD, CONFIG, read_config

    config = read_config(folder)
    config["evaluation"] = {**result.to_dict(), "data": data}
    write_json(folder / CONFIG, config)
    write_text(folder / CARD, render_card(config, {}))
