"""The lmdeploy/TurboMind backend (CUDA only): the whole list of prompts submitted at once, the KV cache
sized as a fraction of free VRAM (the reference fixes it at 100 MB), last hidden states returned for the
generated tokens. Imported only when chosen; needs `pip install -e '.[gpu]'`.

Not exercised by the test suite (no GPU, no lmdeploy there); the torch backend is the reference for the
decode loop's semantics, and this one follows it: same prompt, same stop token, same cap, same kept states.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .generate import Job, Sampling


def engine_settings(cache_fraction: float, max_batch: int, session_len: int, dtype: str) -> dict[str, Any]:
    """TurbomindEngineConfig's arguments. cache_max_entry_count < 1 is the fraction of *free* GPU memory given
    to the k/v cache (lmdeploy > 0.2.1)."""
    return {
        "cache_max_entry_count": cache_fraction,
        "max_batch_size": max_batch,
        "session_len": session_len,
        "dtype": {"bfloat16": "bfloat16", "float16": "float16"}.get(dtype, "auto"),
    }


def generation_settings(job: Job, stop_id: int, sampling: Sampling, vocab: int) -> dict[str, Any]:
    """GenerationConfig's arguments for one job: its seed and cap, the sampling the torch loop uses, the hidden
    states of the generated tokens, [STOP] as the stop token."""
    return {
        "output_last_hidden_state": "generation",
        "do_sample": sampling.temperature > 0,
        "temperature": max(sampling.temperature, 1e-3),
        "top_p": sampling.top_p,
        "top_k": sampling.top_k or vocab,
        "repetition_penalty": sampling.repetition_penalty,
        "random_seed": job.seed,
        "max_new_tokens": job.cap,
        "stop_token_ids": [stop_id],
        "skip_special_tokens": False,
        "ignore_eos": False,
    }


def fill_job(
    job: Job, token_ids: list[int], last_hidden_state: Any, finish_reason: str, stop_id: int
) -> None:
    """A TurboMind response into the job, as the torch loop fills it: tokens and hidden states (T, hidden)
    float32 without [STOP], and "stop" or "length"."""
    hidden = torch.as_tensor(last_hidden_state).float()
    keep = [i for i, t in enumerate(token_ids) if t != stop_id]
    job.tokens = [token_ids[i] for i in keep]
    job.hidden = hidden[keep] if len(keep) else hidden[:0]
    job.finish_reason = "stop" if finish_reason == "stop" else "length"


class TurboMindLM:
    def __init__(self, path: Path, cache_fraction: float, max_batch: int, session_len: int, dtype: str):
        try:
            from lmdeploy import GenerationConfig, TurbomindEngineConfig, pipeline
        except ImportError as e:
            raise ImportError(
                "the lmdeploy backend needs lmdeploy (CUDA): install with: pip install -e '.[gpu]'"
            ) from e
        self._GenerationConfig = GenerationConfig
        cfg = TurbomindEngineConfig(**engine_settings(cache_fraction, max_batch, session_len, dtype))
        self._pipe = pipeline(str(path), backend_config=cfg, log_level="ERROR")

    def generate(
        self, prompts: list[str], jobs: list[Job], stop_id: int, sampling: Sampling, vocab: int
    ) -> None:
        """Fill each job's tokens, hidden (T, hidden) float32 and finish_reason, as the torch loop does."""
        configs = [
            self._GenerationConfig(**generation_settings(job, stop_id, sampling, vocab)) for job in jobs
        ]
        responses = self._pipe(prompts, gen_config=configs)
        for job, r in zip(jobs, responses, strict=True):
            fill_job(job, list(r.token_ids), r.last_hidden_state, r.finish_reason, stop_id)

    def close(self) -> None:
        close = getattr(self._pipe, "close", None)
        if close is not None:
            close()
