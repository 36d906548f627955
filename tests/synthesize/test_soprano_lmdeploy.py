"""The lmdeploy backend: what can be tested without lmdeploy and CUDA, tested for real.

What it asks TurboMind for (`engine_settings`, `generation_settings`) and how it turns a response into the job
the torch loop would fill (`fill_job`) are plain functions, checked here on real values; where lmdeploy is
installed, its own config classes must take those arguments. TurboMind itself (`TurboMindLM.generate` calling
`lmdeploy.pipeline`) cannot run here: it needs CUDA and lmdeploy, and is tested by
tests/synthesize/test_soprano_gpu.py (marked gpu) on a machine that has them."""

from __future__ import annotations

import sys

import pytest

torch = pytest.importorskip("torch")

from pipeline.synthesize.soprano.generate import Job, Sampling  # noqa: E402 - after the importorskip above
from pipeline.synthesize.soprano.lmdeploy_backend import (  # noqa: E402 - after the importorskip above
    engine_settings,
    fill_job,
    generation_settings,
)


def test_each_job_asks_for_its_own_seed_cap_and_the_torch_loops_sampling():
    jobs = [Job([1, 2], seed=11, cap=40), Job([1, 2, 5], seed=12, cap=4)]
    greedy, sampled = Sampling(0.0, 1.0, 1.2), Sampling(0.3, 0.95, 1.2, 50)
    a, b = (generation_settings(j, 3, sampled, vocab=8192) for j in jobs)
    assert (a["random_seed"], a["max_new_tokens"], b["random_seed"], b["max_new_tokens"]) == (11, 40, 12, 4)
    assert a["stop_token_ids"] == [3] and a["output_last_hidden_state"] == "generation"
    assert (a["do_sample"], a["temperature"], a["top_p"], a["top_k"]) == (True, 0.3, 0.95, 50)
    g = generation_settings(jobs[0], 3, greedy, vocab=8192)
    assert g["do_sample"] is False and g["top_k"] == 8192 and g["temperature"] > 0  # TurboMind rejects 0
    e = engine_settings(0.8, 512, 768, "bfloat16")
    assert e == {"cache_max_entry_count": 0.8, "max_batch_size": 512, "session_len": 768, "dtype": "bfloat16"}
    assert engine_settings(0.8, 512, 768, "int8")["dtype"] == "auto"  # what TurboMind cannot take: its own


def test_a_response_fills_the_job_as_the_torch_loop_would():
    """[STOP] and its state left out; a capped job ends on "length"."""
    stopped, capped = Job([1], seed=1, cap=8), Job([1], seed=2, cap=4)
    fill_job(stopped, [10, 11, 12, 3], torch.arange(16.0).reshape(4, 4), "stop", stop_id=3)
    assert stopped.tokens == [10, 11, 12] and stopped.finish_reason == "stop"
    assert stopped.hidden is not None and torch.equal(stopped.hidden, torch.arange(12.0).reshape(3, 4))
    fill_job(capped, [10, 11, 12, 13], torch.ones(4, 4, dtype=torch.float16), "length", stop_id=3)
    assert capped.tokens == [10, 11, 12, 13] and capped.finish_reason == "length"
    assert (
        capped.hidden is not None and capped.hidden.dtype == torch.float32 and capped.hidden.shape == (4, 4)
    )
    empty = Job([1], seed=3, cap=4)
    fill_job(empty, [3], torch.zeros(1, 4), "stop", stop_id=3)
    assert empty.tokens == [] and empty.hidden is not None and empty.hidden.shape == (0, 4)


def test_the_installed_lmdeploys_configs_take_these_arguments():
    lmdeploy = pytest.importorskip(
        "lmdeploy", reason="lmdeploy is not installed here (the gpu extra, CUDA machines)"
    )
    lmdeploy.TurbomindEngineConfig(**engine_settings(0.8, 64, 768, "bfloat16"))
    lmdeploy.GenerationConfig(
        **generation_settings(Job([1, 2], seed=1, cap=8), 3, Sampling(0.3, 0.95, 1.2, 50), 8192)
    )


def test_missing_lmdeploy_is_an_engine_error_with_the_install_command(monkeypatch, tmp_path):
    """Asked for the lmdeploy backend without lmdeploy: the engine error (exit 7), not an internal error."""
    from pipeline.errors import EngineError
    from pipeline.synthesize.soprano import engine as soprano_engine

    monkeypatch.setitem(sys.modules, "lmdeploy", None)
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "scripts"))
    from make_soprano_checkpoint import build

    ckpt = build(tmp_path / "tiny", "tiny")
    monkeypatch.setattr(soprano_engine.torch.cuda, "is_available", lambda: True)
    with pytest.raises(EngineError, match=r"install with: pip install -e '\.\[gpu\]'") as e:
        soprano_engine.SopranoEngine(ckpt, device="cuda", dtype="bfloat16", backend="lmdeploy")
    assert e.value.exit_code == 7


def test_missing_lmdeploy_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "lmdeploy", None)
    from pipeline.synthesize.soprano.lmdeploy_backend import TurboMindLM

    with pytest.raises(ImportError, match=r"pip install -e '\.\[gpu\]'"):
        TurboMindLM("/x", 0.8, 8, 768, "auto")
