"""Building VGG16 with weights: ``zoo.build("vgg16", weights=FILE)`` (meta device, no random init) vs
``torchvision.models.vgg16()`` + ``load_state_dict`` (random init first). Fresh process each, min of N; JSON.
    python benchmarks/build.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ZOO = """
import time, torch, torchvision, zoo, zoo.factory  # imports outside the timing, as on the torchvision side
t = time.perf_counter()
zoo.build("vgg16", weights={path!r})
print(time.perf_counter() - t)
"""

TORCHVISION = """
import time, torch, torchvision
t = time.perf_counter()
model = torchvision.models.vgg16()
model.load_state_dict(torch.load({path!r}, weights_only=True, mmap=True))
print(time.perf_counter() - t)
"""


def _time(code: str, repeats: int) -> float:
    return min(float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch
    import torchvision

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "vgg16.pth")
        torch.save(torchvision.models.vgg16().state_dict(), path)
        zoo_s = _time(ZOO.format(path=path), args.repeats)
        tv_s = _time(TORCHVISION.format(path=path), args.repeats)
    result = {"benchmark": "build_vgg16_with_weights", "zoo_build_s": round(zoo_s, 3)}
    result.update({"torchvision_s": round(tv_s, 3), "speedup": round(tv_s / zoo_s, 2), "repeats": args.repeats})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
