"""The bundle's README.md: a model card with YAML front matter (Hugging Face style) and a usage snippet."""

from __future__ import annotations

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
        lines += ["", "| metric | value |", "| --- | --- |"]
        lines += [f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items()]
    return "\n".join(lines) + "\n"
