"""Batch sizes from the memory there is: LM slots and decoder frames per batch, for RAM (CPU) or VRAM (CUDA).

The estimates count what the decode loop and the decoder allocate per slot and per frame; the engine
halves a batch and retries if an allocation fails anyway (`is_oom`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ... import defaults as D
from .lm import LMShape


@dataclass(frozen=True, slots=True)
class BatchPlan:
    lm_slots: int  # sequences decoded together (KV-cache rows)
    decoder_frames: int  # padded frames per decoder batch (4 per token)
    budget_bytes: int


def available_bytes(device: torch.device) -> int:
    """Free memory on `device`: CUDA free VRAM, or MemAvailable from /proc/meminfo on the CPU."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def slot_bytes(shape: LMShape, positions: int, dtype: torch.dtype) -> int:
    """Bytes one KV-cache row and its bookkeeping take for sequences up to `positions` long."""
    size = torch.tensor([], dtype=dtype).element_size()
    kv = shape.kv_bytes_per_position(dtype) * positions
    states = positions * shape.hidden * 4  # kept hidden states, float32
    vocab = shape.vocab * (1 + 4 * 6)  # seen mask, logits, probs, sort buffers
    act = positions * (shape.hidden * 4 + 2 * shape.mlp + shape.heads * shape.head_dim * 2) * size
    return kv + states + vocab + act


def frame_bytes(dim: int, inter: int, n_fft: int, dtype: torch.dtype) -> int:
    """Bytes one decoder frame takes at its peak (the MLP of a block, or the float32 head)."""
    size = torch.tensor([], dtype=dtype).element_size()
    return max((2 * inter + 6 * dim) * size, (n_fft + 2) * 4 * 4 + dim * 4)


def plan(
    shape: LMShape,
    positions: int,
    lm_dtype: torch.dtype,
    dim: int,
    inter: int,
    n_fft: int,
    dec_dtype: torch.dtype,
    device: torch.device,
    fraction: float = D.SOPRANO_MEMORY_FRACTION,
) -> BatchPlan:
    budget = int(available_bytes(device) * fraction)
    cpu = device.type == "cpu"
    max_slots = D.SOPRANO_CPU_MAX_SLOTS if cpu else D.SOPRANO_CUDA_MAX_SLOTS
    max_frames = D.SOPRANO_CPU_DECODER_FRAMES if cpu else D.SOPRANO_CUDA_DECODER_FRAMES
    slots = max(1, min(max_slots, budget // max(1, slot_bytes(shape, positions, lm_dtype))))
    frames = max(
        4 * D.SOPRANO_MAX_NEW_TOKENS + 1,
        min(max_frames, budget // max(1, frame_bytes(dim, inter, n_fft, dec_dtype))),
    )
    return BatchPlan(int(slots), int(frames), budget)


def is_oom(e: BaseException) -> bool:
    """True for an out-of-memory error from torch on any device."""
    if isinstance(e, getattr(torch, "OutOfMemoryError", ())):
        return True
    msg = str(e).lower()
    return isinstance(e, (RuntimeError, MemoryError)) and (
        "out of memory" in msg or "can't allocate memory" in msg or isinstance(e, MemoryError)
    )
