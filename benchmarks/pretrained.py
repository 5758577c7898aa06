"""Time to a ready pretrained model from a warm cache, each in a fresh process, imports excluded, min of N; JSON.

    python benchmarks/pretrained.py [--repeats 3]

timm: ``zoo.build("timm/resnet50.a1_in1k")`` vs ``timm.create_model("resnet50.a1_in1k", pretrained=True)``, both
offline from one Hugging Face cache laid out as huggingface_hub lays it out, holding a checkpoint written by timm's
``save_for_hf`` (the real weights cannot be downloaded here; the bytes differ, the path and the size are the same).
torchvision: ``zoo.build("torchvision/resnet50", weights="IMAGENET1K_V2")`` vs ``resnet50(weights=...)``, only when
the real file is in torch's hub cache (its hash is checked, so it cannot be faked); otherwise reported as skipped.
Both sides' logits are compared on the same input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PRELUDE = """
import time, torch, torchvision, timm, zoo, zoo.factory, zoo.adapters  # imports outside the timing
from safetensors.torch import save_file
zoo.list_models("timm/resnet50*")  # the registry's loaders: imports, not loading
x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
"""
TIMED = """
t = time.perf_counter()
model = {call}
seconds = time.perf_counter() - t
with torch.no_grad():
    save_file({{"logits": model.eval()(x)}}, {out!r})
print(seconds)
"""
CALLS = {
    "zoo_timm": 'zoo.build("timm/resnet50.a1_in1k")',
    "timm": 'timm.create_model("resnet50.a1_in1k", pretrained=True)',
    "zoo_torchvision": 'zoo.build("torchvision/resnet50", weights="IMAGENET1K_V2")',
    "torchvision": "torchvision.models.resnet50(weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V2)",
}


def _hf_cache(cache: Path) -> None:
    """timm/resnet50.a1_in1k in ``cache``: save_for_hf output as blobs named by sha256, snapshot links, refs/main."""
    import timm

    upload = cache.parent / "upload"
    timm.models.save_for_hf(timm.create_model("resnet50"), str(upload), safe_serialization=True)
    repo = cache / "models--timm--resnet50.a1_in1k"
    snapshot = repo / "snapshots" / ("0" * 40)
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for path in upload.iterdir():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copyfile(path, repo / "blobs" / digest)
        (snapshot / path.name).symlink_to(Path("..") / ".." / "blobs" / digest)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)


def _time(kind: str, env: dict[str, str], out: Path, repeats: int) -> float:
    code = PRELUDE + TIMED.format(call=CALLS[kind], out=str(out))
    return min(
        float(subprocess.check_output([sys.executable, "-c", code], env=env, text=True).strip().splitlines()[-1])
        for _ in range(repeats)
    )


def _equal(a: Path, b: Path) -> bool:
    from safetensors.torch import load_file

    return bool((load_file(a)["logits"] == load_file(b)["logits"]).all())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch.hub

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        _hf_cache(tmp_path / "hf")
        env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "ZOO_OFFLINE": "1"}
        env["ZOO_CACHE_DIR"] = str(tmp_path / "zoo")
        _time("zoo_timm", env, tmp_path / "warmup.safetensors", 1)  # warm: the file's hash is now remembered
        zoo_s = _time("zoo_timm", env, tmp_path / "zoo.safetensors", args.repeats)
        timm_s = _time("timm", env, tmp_path / "timm.safetensors", args.repeats)
        result = {
            "benchmark": "pretrained_warm_cache",
            "timm_resnet50": {"zoo_s": round(zoo_s, 3), "timm_s": round(timm_s, 3),
                              "speedup": round(timm_s / zoo_s, 2),
                              "equal_logits": _equal(tmp_path / "zoo.safetensors", tmp_path / "timm.safetensors")},
        }  # fmt: skip
        real = Path(torch.hub.get_dir()) / "checkpoints" / "resnet50-11ad3fa6.pth"
        if real.is_file():
            zoo_tv = _time("zoo_torchvision", env, tmp_path / "zoo_tv.safetensors", args.repeats)
            tv = _time("torchvision", env, tmp_path / "tv.safetensors", args.repeats)
            result["torchvision_resnet50"] = {
                "zoo_s": round(zoo_tv, 3), "torchvision_s": round(tv, 3), "speedup": round(tv / zoo_tv, 2),
                "equal_logits": _equal(tmp_path / "zoo_tv.safetensors", tmp_path / "tv.safetensors"),
            }  # fmt: skip
        else:
            result["torchvision_resnet50"] = {"skipped": f"the real weights are not in {real.parent}"}
        result["repeats"] = args.repeats
    print(json.dumps(result))


if __name__ == "__main__":
    main()
