"""timm's keys in a bundle's ``config.json``: with them ``timm.create_model("local-dir:BUNDLE", pretrained=True)``
and, once pushed, ``timm.create_model("hf-hub:org/name", pretrained=True)`` rebuild the same model.

The keys are written by timm's own ``save_config_for_hf`` (what ``push_to_hf_hub`` uses), from the bundle's
classes and preprocessing; zoo's own keys stay the source of truth for zoo.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from torch import nn

from ..errors import BundleError, translated


def timm_keys(model: nn.Module, config: dict[str, Any]) -> dict[str, Any]:
    """timm's config keys for a timm-backed ``model`` ({} for any other), none that zoo's config already has."""
    if config["model"].get("provider") != "timm" or not hasattr(model, "pretrained_cfg"):
        return {}
    from timm.models._hub import save_config_for_hf  # timm's writer of exactly these keys

    pre = config["preprocess"]
    data = {"input_size": tuple(pre["input_size"]), "mean": tuple(pre["mean"]), "std": tuple(pre["std"])}
    data.update({k: pre[k] for k in ("crop_pct", "interpolation") if pre.get(k) is not None})
    labels = {"label_names": list(config["classes"])} if config.get("classes") else None
    with tempfile.TemporaryDirectory() as tmp, translated("timm's config of this model", BundleError):
        path = Path(tmp) / "config.json"
        save_config_for_hf(model, str(path), model_config=labels, data_config=data)
        keys = json.loads(path.read_text())
    return {k: v for k, v in keys.items() if k not in config}
