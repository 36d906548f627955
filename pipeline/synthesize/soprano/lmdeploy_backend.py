"""The lmdeploy/TurboMind backend (CUDA only): the whole list of prompts submitted at once, the KV cache
sized as a fraction of free VRAM (the reference fixes it at 100 MB), last hidden states returned for the
generated tokens. Imported only when chosen; needs `pip install -e '.[gpu]'`.

Not exercised by the test suite (no GPU, no lmdeploy there); the torch backend is the reference for the
decode loop's semantics, and this one follows it: same prompt, same stop token, same cap, same kept states.
"""
from __future__ import annotations

from pathlib import Path

import torch

from .generate import Job, Sampling


class TurboMindLM:
    def __init__(self, path: Path, cache_fraction: float, max_batch: int, session_len: int, dtype: str):
        try:
            from lmdeploy import GenerationConfig, TurbomindEngineConfig, pipeline
        except ImportError as e:
            raise ImportError("the lmdeploy backend needs lmdeploy (CUDA): install with: pip install -e '.[gpu]'") \
                from e
        self._GenerationConfig = GenerationConfig
        # cache_max_entry_count < 1 is the fraction of *free* GPU memory given to the k/v cache (lmdeploy > 0.2.1)
        cfg = TurbomindEngineConfig(cache_max_entry_count=cache_fraction, max_batch_size=max_batch,
                                    session_len=session_len,
                                    dtype={"bfloat16": "bfloat16", "float16": "float16"}.get(dtype, "auto"))
        self._pipe = pipeline(str(path), backend_config=cfg, log_level="ERROR")

    def generate(self, prompts: list[str], jobs: list[Job], stop_id: int, sampling: Sampling, vocab: int) -> None:
        """Fill each job's tokens, hidden (T, hidden) float32 and finish_reason, as the torch loop does."""
        configs = [self._GenerationConfig(
            output_last_hidden_state="generation", do_sample=sampling.temperature > 0,
            temperature=max(sampling.temperature, 1e-3), top_p=sampling.top_p, top_k=sampling.top_k or vocab,
            repetition_penalty=sampling.repetition_penalty, random_seed=job.seed, max_new_tokens=job.cap,
            stop_token_ids=[stop_id], skip_special_tokens=False, ignore_eos=False) for job in jobs]
        responses = self._pipe(prompts, gen_config=configs)
        for job, r in zip(jobs, responses, strict=True):
            ids = list(r.token_ids)
            hidden = torch.as_tensor(r.last_hidden_state).float()
            keep = [i for i, t in enumerate(ids) if t != stop_id]
            job.tokens = [ids[i] for i in keep]
            job.hidden = hidden[keep] if len(keep) else hidden[:0]
            job.finish_reason = "stop" if r.finish_reason == "stop" else "length"

    def close(self) -> None:
        close = getattr(self._pipe, "close", None)
        if close is not None:
            close()
