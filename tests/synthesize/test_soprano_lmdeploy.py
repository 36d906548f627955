"""The lmdeploy backend's adapter, against a stand-in `lmdeploy` module (no GPU or lmdeploy here): what it
asks TurboMind for, and how it turns TurboMind's responses into the same jobs the torch loop fills.

The stand-in's configs are dataclasses with exactly the fields of lmdeploy 0.7.3 (the minimum pinned in
pyproject: hidden-state output arrived in 0.7.0, Qwen3 on TurboMind in 0.7.3), so a field the adapter
invents is a TypeError here as it is there. Where lmdeploy itself imports, its real config classes are used."""
from __future__ import annotations

import dataclasses
import sys
import types
from dataclasses import dataclass

import pytest

torch = pytest.importorskip("torch")

# field names of lmdeploy 0.7.3's GenerationConfig and TurbomindEngineConfig (lmdeploy/messages.py)
GENERATION_FIELDS = ("n max_new_tokens do_sample top_p top_k min_p temperature repetition_penalty ignore_eos "
                     "random_seed stop_words bad_words stop_token_ids bad_token_ids min_new_tokens skip_special_tokens "
                     "spaces_between_special_tokens logprobs response_format logits_processors output_logits "
                     "output_last_hidden_state").split()
TURBOMIND_FIELDS = ("dtype model_format tp session_len max_batch_size cache_max_entry_count cache_chunk_size "
                    "cache_block_seq_len enable_prefix_caching quant_policy rope_scaling_factor use_logn_attn "
                    "download_dir revision max_prefill_token_num num_tokens_per_iter max_prefill_iters "
                    "communicator").split()


def strict_config(name: str, fields: list[str]) -> type:
    """A dataclass taking only `fields` (all optional), read back like a dict."""
    cls = dataclasses.make_dataclass(name, [(f, object, dataclasses.field(default=None)) for f in fields])
    cls.__getitem__ = lambda self, key: getattr(self, key)
    return cls


@dataclass
class Response:
    token_ids: list
    last_hidden_state: object
    finish_reason: str


def fake_lmdeploy(calls: dict) -> types.ModuleType:
    mod = types.ModuleType("lmdeploy")

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

    mod.pipeline = pipeline
    mod.TurbomindEngineConfig = strict_config("TurbomindEngineConfig", TURBOMIND_FIELDS)
    mod.GenerationConfig = strict_config("GenerationConfig", GENERATION_FIELDS)
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


def test_the_stand_in_rejects_a_field_lmdeploy_lacks():
    mod = fake_lmdeploy({})
    with pytest.raises(TypeError):
        mod.GenerationConfig(top_k=50, no_such_field=1)


def test_adapter_fields_exist_in_the_installed_lmdeploy(monkeypatch):
    """The adapter's configs built by the real lmdeploy classes (only TurboMind itself is stood in)."""
    lmdeploy = pytest.importorskip("lmdeploy", reason="lmdeploy is not installed here (the gpu extra, CUDA machines)")
    calls: dict = {}
    fake = fake_lmdeploy(calls)
    monkeypatch.setattr(lmdeploy, "pipeline", fake.pipeline)
    from pipeline.synthesize.soprano.generate import Job, Sampling
    from pipeline.synthesize.soprano.lmdeploy_backend import TurboMindLM
    lm = TurboMindLM("/models/soprano", cache_fraction=0.8, max_batch=64, session_len=768, dtype="bfloat16")
    assert isinstance(calls["backend"], lmdeploy.TurbomindEngineConfig)
    lm.generate(["[STOP][TEXT]a[START]"], [Job([1, 2], seed=1, cap=8)], stop_id=3,
                sampling=Sampling(0.3, 0.95, 1.2, 50), vocab=8192)
    assert all(isinstance(g, lmdeploy.GenerationConfig) for g in calls["gen"])


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
