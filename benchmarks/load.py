"""Time to first prediction of a VGG16 (553 MB): ``zoo.load(bundle)`` vs the usual torchvision path.

Each measurement runs in a fresh process (imports excluded, min of N); prints JSON with the ratios.
"cold" runs start with an empty zoo cache, so the sha256 of the weights is computed; "warm" runs find the file
already verified (same size, mtime, ctime and inode) and skip the hash, as every load after the first does.
    python benchmarks/load.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ZOO = """
import time, torch, torchvision, zoo, zoo.bundle  # imports outside the timing, as on the torchvision side
x = torch.randn(1, 3, 224, 224)
t = time.perf_counter()
model = zoo.load({bundle!r})
with torch.no_grad():
    model(x)
print(time.perf_counter() - t)
"""

TORCHVISION = """
import time, torch, torchvision
x = torch.randn(1, 3, 224, 224)
t = time.perf_counter()
model = torchvision.models.vgg16()
model.load_state_dict(torch.load({pth!r}, weights_only=True))
model.eval()
with torch.no_grad():
    model(x)
print(time.perf_counter() - t)
"""


def _time(code: str, repeats: int, *, fresh_cache: bool = False) -> float:
    runs = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, **({"ZOO_CACHE_DIR": cache} if fresh_cache else {})}
            runs.append(float(subprocess.check_output([sys.executable, "-c", code], text=True, env=env)))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    import zoo

    with tempfile.TemporaryDirectory() as tmp:
        model = zoo.build("vgg16")
        bundle, pth = Path(tmp) / "vgg16", Path(tmp) / "vgg16.pth"
        zoo.save(model, bundle)
        torch.save(model.state_dict(), pth)
        del model
        cold_s = _time(ZOO.format(bundle=str(bundle)), args.repeats, fresh_cache=True)
        zoo.load(bundle)  # verifies once, as a user's first load does
        warm_s = _time(ZOO.format(bundle=str(bundle)), args.repeats)
        tv_s = _time(TORCHVISION.format(pth=str(pth)), args.repeats)
    print(
        json.dumps(
            {
                "benchmark": "time_to_first_prediction_vgg16",
                "torchvision_s": round(tv_s, 3),
                "zoo_cold_s": round(cold_s, 3),
                "zoo_warm_s": round(warm_s, 3),
                "speedup_cold": round(tv_s / cold_s, 2),
                "speedup_warm": round(tv_s / warm_s, 2),
                "repeats": args.repeats,
            }
        )
    )


if __name__ == "__main__":
    main()
