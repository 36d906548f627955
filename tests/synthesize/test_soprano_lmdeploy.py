"""The lmdeploy backend's adapter, against a stand-in `lmdeploy` module (no GPU or lmdeploy here): what it
asks TurboMind for, and how it turns TurboMind's responses into the same jobs the torch loop fills."""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest

torch = pytest.importorskip("torch")


@dataclass
class Response:
    token_ids: list
    last_hidden_state: object
    finish_reason: str


def fake_lmdeploy(calls: dict) -> types.ModuleType:
    mod = types.ModuleType("lmdeploy")

    class Config(dict):
        def __init__(self, **kw):
            super().__init__(**kw)

    def pipeline(path, backend_config=None, log_level=None):
        calls["path"], calls["backend"] = path, backend_config

        def run(prompts, gen_config=None):
            calls["prompts"], calls["gen"] = prompts, gen_config
            out = []
            for i, _ in enumerate(prompts):
                n = 3 + i
                ids = [10 + k for k in range(n)] + ([3] if i == 0 else [])      # first ends on [STOP]
                out.append(Response(ids, torch.arange(len(ids) * 4, dtype=torch.float32).reshape(len(ids), 4),
                                    "stop" if i == 0 else "length"))
            return out
        return run

    mod.pipeline, mod.TurbomindEngineConfig, mod.GenerationConfig = pipeline, Config, Config
    return mod


def test_turbomind_adapter(monkeypatch):
    calls: dict = {}
    monkeypatch.setitem(sys.modules, "lmdeploy", fake_lmdeploy(calls))
    from pipeline.synthesize.soprano.generate import Job, Sampling
    from pipeline.synthesize.soprano.lmdeploy_backend import TurboMindLM
    lm = TurboMindLM("/models/soprano", cache_fraction=0.8, max_batch=512, session_len=768, dtype="bfloat16")
    assert calls["backend"]["cache_max_entry_count"] == 0.8          # a share of free VRAM, not 100 MB
    assert calls["backend"]["max_batch_size"] == 512 and calls["backend"]["session_len"] == 768
    jobs = [Job([1, 2], seed=11, cap=40), Job([1, 2, 5], seed=12, cap=4)]
    lm.generate(["[STOP][TEXT]a[START]", "[STOP][TEXT]bb[START]"], jobs, stop_id=3,
                sampling=Sampling(0.3, 0.95, 1.2), vocab=8192)
    gen = calls["gen"]
    assert [g["random_seed"] for g in gen] == [11, 12] and [g["max_new_tokens"] for g in gen] == [40, 4]
    assert all(g["output_last_hidden_state"] == "generation" and g["stop_token_ids"] == [3] for g in gen)
    assert jobs[0].tokens == [10, 11, 12] and jobs[0].hidden.shape == (3, 4) and jobs[0].finish_reason == "stop"
    assert jobs[1].tokens == [10, 11, 12, 13] and jobs[1].hidden.shape == (4, 4) and jobs[1].finish_reason == "length"


def test_missing_lmdeploy_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "lmdeploy", None)
    from pipeline.synthesize.soprano.lmdeploy_backend import TurboMindLM
    with pytest.raises(ImportError, match=r"pip install -e '\.\[gpu\]'"):
        TurboMindLM("/x", 0.8, 8, 768, "auto")
