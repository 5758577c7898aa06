"""``trainer.fast`` (``zoo train --fast``): the throughput settings that suit the device, chosen for the user.

bf16 autocast where the device computes in bf16 (fp16 with a GradScaler on older GPUs), channels_last, the whole
dataset on the device when it fits and has no random augmentation, cuDNN's autotuner. A setting the spec gives
explicitly (a value other than its default) is kept as given. Returns what was applied and what does not apply
here, for the log.
"""

from __future__ import annotations

from typing import Any

import torch

from ..data.transforms import is_deterministic
from ..rng import rng_untouched
from ..specs import TrainerSpec

DEVICE_SHARE = 0.5  # of the free device memory the preprocessed dataset may take with data_on_device


def apply_fast(trainer: TrainerSpec, device: torch.device, train: Any) -> tuple[list[str], list[str]]:
    """Set ``trainer``'s throughput fields for ``device`` (in place) unless the spec set them to something else than
    their default; ``(applied, not_applied)`` as short phrases."""
    given = {name for name, field in TrainerSpec.model_fields.items() if getattr(trainer, name) != field.default}
    applied: list[str] = []
    skipped: list[str] = []

    def choose(field: str, value: Any, label: str) -> None:
        if field in given:
            skipped.append(f"{label} (trainer.{field} is set to {getattr(trainer, field)!r})")
        else:
            setattr(trainer, field, value)
            applied.append(label)

    amp, why_not = _autocast_dtype(device)
    if amp is None and "amp" not in given:
        skipped.append(f"autocast ({why_not})")
    else:
        choose("amp", amp, f"{trainer.amp if 'amp' in given else amp} autocast")
    choose("channels_last", True, "channels_last")
    if device.type == "cuda":
        if not trainer.deterministic:
            torch.backends.cudnn.benchmark = True
            applied.append("cuDNN benchmark")
        fits, why = _fits_on_device(train, device)
        if fits:
            choose("data_on_device", True, "data_on_device")
        else:
            skipped.append(f"data_on_device ({why})")
    else:
        skipped.append(f"cuDNN benchmark and data_on_device (CUDA only; this run is on {device.type})")
    return applied, skipped


def _autocast_dtype(device: torch.device) -> tuple[str | None, str]:
    """bf16 where the device computes in it natively (on a CPU: AVX512-BF16 or AMX; emulated bf16 is several times
    slower than float32), fp16 on a GPU without bf16."""
    if device.type == "cuda":
        return ("bf16" if torch.cuda.is_bf16_supported() else "fp16"), ""
    if device.type == "cpu":
        capabilities = torch.cpu.get_capabilities()
        if capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"):
            return "bf16", ""
        return None, "this CPU has no native bf16 (AVX512-BF16 or AMX): autocast would be slower than float32"
    return None, f"not on {device.type}"


def _fits_on_device(train: Any, device: torch.device) -> tuple[bool, str]:
    """Whether the preprocessed training set fits in half the free device memory and has no random augmentation
    (data_on_device applies the transforms once; "random" as the cache decides it, ``is_deterministic``)."""
    if not is_deterministic(getattr(train, "transform", None)):
        return False, "the training transforms are random: they run per epoch on the host"
    with rng_untouched():
        first = train[0][0]
    if not isinstance(first, torch.Tensor):
        return False, "the samples are not tensors"
    need = first.element_size() * first.numel() * len(train)
    free, _ = torch.cuda.mem_get_info(device)
    if need > DEVICE_SHARE * free:
        return False, f"the preprocessed data takes {need / 2**30:.1f} GB, over half the free device memory"
    return True, ""
