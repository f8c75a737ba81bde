"""Set-up of ``torch.distributed`` from torchrun's environment (gloo on CPU, nccl on GPU).

``torchrun --nproc_per_node=K -m driftscale train ...`` starts K processes of the one Typer
``train`` command; each joins the process group here, trains with DistributedDataParallel
(:mod:`driftscale.learned.training`) and leaves the group at the end.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["close_distributed", "default_device", "dist_info", "init_distributed", "stop_all"]


def init_distributed() -> tuple[int, int]:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1); returns (rank, world).

    Backend: nccl when CUDA is available, gloo otherwise. Without torchrun: (0, 1).
    """
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def close_distributed() -> None:
    """Leave the process group, if this process joined one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def dist_info() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside a process group."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def default_device(rank: int) -> torch.device:
    """CUDA when available (``LOCAL_RANK``'s GPU under torchrun, else ``rank``'s), else CPU."""
    import torch

    if torch.cuda.is_available():
        return torch.device(
            "cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count()
        )
    return torch.device("cpu")


def stop_all(local: bool, device: torch.device) -> bool:
    """Whether any process wants to stop (``local`` on this one); all processes stop together."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return local
    flag = torch.tensor([1.0 if local else 0.0], device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)  # stop when any process is out of time
    return bool(flag.item() > 0)
