import subprocess
import sys
import time


def _python(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def test_import_zoo_is_light():
    heavy = "('timm', 'tensorboard', 'huggingface_hub')"
    code = f"import sys, zoo; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_import_zoo_costs_at_most_the_torch_import():
    torch_s = min(_python("import torch, torchvision") for _ in range(3))
    zoo_s = min(_python("import zoo") for _ in range(3))
    assert zoo_s <= 1.1 * torch_s, (zoo_s, torch_s)


def test_listing_builtins_does_not_import_timm():
    code = "import sys, zoo; names = zoo.list_models('vgg*'); print(len(names), 'timm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["8", "False"]
