"""DDP glue for ``torchrun``: process group from the environment, rank-aware device, metric all-reduce."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def world() -> tuple[int, int, int]:
    """``(rank, local_rank, world_size)`` from torchrun's environment (``(0, 0, 1)`` without it)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("LOCAL_RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def init(device: torch.device) -> bool:
    """Start the process group when running under torchrun with several processes; True when it did."""
    _, _, world_size = world()
    if world_size <= 1 or dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    return True


def local_device(device: torch.device) -> torch.device:
    """Each process's own GPU under torchrun (``cuda:LOCAL_RANK``); other devices are shared."""
    if device.type == "cuda" and dist.is_initialized():
        index = world()[1]
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return device


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    if dist.is_initialized():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def all_gather(tensor: torch.Tensor) -> torch.Tensor:
    """Every process's ``tensor`` stacked in rank order (``tensor[None]`` in one process)."""
    if not dist.is_initialized():
        return tensor[None].clone()
    rows = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(rows, tensor.contiguous())
    return torch.stack(rows)


def broadcast_int(value: int) -> int:
    """Rank 0's ``value`` on every process (``value`` itself in one process)."""
    if not dist.is_initialized():
        return value
    tensor = torch.tensor([value], dtype=torch.int64)
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
