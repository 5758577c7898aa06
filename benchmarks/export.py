"""CPU latency of the exported ONNX file (onnxruntime) vs eager PyTorch, batch 1 and 32, median of N runs; JSON.

    python benchmarks/export.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

import zoo
from zoo.exporting import onnx_format

MODELS = [("cifar10_quick", (3, 32, 32)), ("timm/resnet18", (3, 224, 224)), ("vgg11", (3, 224, 224))]


def _median_s(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in MODELS:
            model = zoo.build(name).eval()
            path = Path(tmp) / f"{name.replace('/', '_')}.onnx"
            zoo.export(model, path, format="onnx")
            session = onnx_format.session(path)
            for batch in (1, 32):
                runs = args.runs if batch == 1 or name == "cifar10_quick" else max(3, args.runs // 5)
                x = torch.randn(batch, *size)
                with torch.no_grad():
                    eager = _median_s(lambda m=model, x=x: m(x), runs)
                feed = {"input": x.numpy()}
                ort = _median_s(lambda s=session, f=feed: s.run(None, f), runs)
                rows.append({"model": name, "batch": batch, "eager_ms": round(eager * 1e3, 2),
                             "onnxruntime_ms": round(ort * 1e3, 2), "speedup": round(eager / ort, 2)})  # fmt: skip
    print(json.dumps({"benchmark": "export_latency_cpu", "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
