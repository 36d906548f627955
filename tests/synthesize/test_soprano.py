"""The Soprano engine on tiny random-weight checkpoints, loaded by the same code as the published weights."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
pytest.importorskip("tokenizers")

from pipeline.errors import EngineError  # noqa: E402 - after the importorskip above: without torch the module skips
from pipeline.synthesize.base import SynthRequest, segment_seed  # noqa: E402 - after the importorskip above: without torch the module skips
from pipeline.synthesize.soprano.weights import find_weights  # noqa: E402 - after the importorskip above: without torch the module skips
from tests.conftest import BIERCE, ROOT, WODEHOUSE, run_cli  # noqa: E402 - after the importorskip above: without torch the module skips

sys.path.insert(0, str(ROOT / "scripts"))
from make_soprano_checkpoint import build  # noqa: E402 - scripts/ joins sys.path just above

WORDS = (
    "the keeper climbed the stairs and lit the lamp while a storm came in from the sea over the rocks "
    "and the gulls cried about the boat that would not return until morning"
).split()


def texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(2, 14)))).capitalize() + "." for _ in range(n)]


def request(text: str, attempt: int = 0, max_seconds: float = 0.0) -> SynthRequest:
    return SynthRequest(text, segment_seed(text, attempt), attempt, max_seconds)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return build(tmp_path_factory.mktemp("soprano") / "tiny", "tiny", seed=0)


@pytest.fixture(scope="module")
def engine(ckpt):
    from pipeline.synthesize.soprano import SopranoEngine

    torch.set_num_threads(1)  # tiny matrices: one thread is fastest, and robust on a shared machine
    return SopranoEngine(ckpt, device="cpu", dtype="float32", decoder_dtype="float32", temperature=0.3)


def run_jobs(engine, reqs: list[SynthRequest], slots: int):
    from pipeline.synthesize.soprano.generate import Job, generate

    jobs = [Job(engine.prompt_ids(r.text), r.seed, engine.cap_tokens(r)) for r in reqs]
    generate(engine.lm, jobs, engine.stop_id, engine.sampling, slots)
    return jobs


def test_batch_invariance_tokens_states_and_audio(engine):
    """A segment alone and inside 32 mixed-length segments (and with slots reused mid-flight): same tokens,
    hidden states and audio within 1e-4, same seed."""
    reqs = [request(t) for t in texts(32, seed=1)]
    assert len({len(engine.prompt_ids(r.text)) for r in reqs}) > 5  # prompts of many lengths
    full = run_jobs(engine, reqs, slots=32)
    reused = run_jobs(engine, reqs, slots=7)  # rows freed and refilled
    assert len({len(j.tokens) for j in full}) > 5
    for k in (0, 13, 31):
        alone = run_jobs(engine, [reqs[k]], slots=1)[0]
        for other in (full[k], reused[k]):
            assert other.tokens == alone.tokens
            assert other.finish_reason == alone.finish_reason
            assert torch.allclose(other.hidden, alone.hidden, atol=1e-4, rtol=0)
    batch = engine.synthesize_batch(reqs)
    for k in (0, 13, 31):
        solo = engine.synthesize_batch([reqs[k]])[0]
        assert solo.tokens == batch[k].tokens
        assert solo.audio.shape == batch[k].audio.shape
        assert np.abs(solo.audio - batch[k].audio).max() < 1e-4


def test_another_attempt_samples_differently(engine):
    t = texts(1, seed=2)[0]
    a, b = engine.synthesize_batch([request(t, 0), request(t, 1)])
    assert a.tokens != b.tokens or not np.array_equal(a.audio, b.audio)


def test_cached_steps_equal_a_full_forward(engine):
    """Decoding token by token through the slot cache gives the states a single forward over the whole
    sequence gives: positions, RoPE and the cache line up for prompts of different lengths."""
    reqs = [request(t) for t in texts(5, seed=3)]
    jobs = run_jobs(engine, reqs, slots=3)
    lm = engine.lm
    for job in jobs:
        seq = job.prompt + job.tokens
        ids = torch.tensor([seq])
        cache = lm.new_cache(1, len(seq) + 1)
        hiddens = []
        for p in range(len(job.prompt), len(seq) + 1):  # the state that produced token p - len(prompt)
            h, _ = lm.prefill(ids[:, :p], torch.tensor([p]), torch.tensor([0]), cache)
            hiddens.append(h[0])
        expect = torch.stack(hiddens)[: len(job.tokens)]
        assert torch.allclose(job.hidden, expect, atol=1e-4, rtol=0)


def test_output_is_t_minus_1_tokens_of_2048_samples(engine):
    outs = engine.synthesize_batch([request(t) for t in texts(6, seed=4)])
    for out in outs:
        assert out.tokens > 1
        assert out.audio.dtype == np.float32
        assert len(out.audio) == (out.tokens - 1) * 2048
        assert np.isfinite(out.audio).all()
    assert engine.sample_rate == 32000


def test_length_cap_from_text_never_over_512(engine):
    short = request("Hi there.", max_seconds=1.0)
    assert engine.cap_tokens(short) == max(16, math.ceil(1.0 * 15.625 + 1))
    assert engine.cap_tokens(request("word " * 2000)) == 512
    assert engine.cap_tokens(request("word " * 2000, max_seconds=600.0)) == 512
    plain = request("A sentence of some forty characters here.")
    assert engine.cap_tokens(plain) == math.ceil(
        len("A sentence of some forty characters here.") / 14 * 15.625 * 2.5 + 1
    )
    outs = engine.synthesize_batch([short, plain])
    for req, out in zip([short, plain], outs, strict=True):
        assert out.tokens <= engine.cap_tokens(req)
        assert out.finish_reason in ("stop", "length")
        assert (out.finish_reason == "length") == (out.tokens == engine.cap_tokens(req))


def test_a_logits_processor_forces_lengths_outside_the_loop(engine):
    """The benchmarks' forcing is a logits processor handed to the decode loop (none in production)."""
    from bench_soprano import ForceLength

    reqs = [request(t, max_seconds=4.0) for t in texts(4, seed=5)]
    assert engine.logits_processor is None
    engine.logits_processor = ForceLength([3, 20, 7, 40], engine.stop_id)
    try:
        outs = engine.synthesize_batch(reqs)
    finally:
        engine.logits_processor = None
    assert [o.tokens for o in outs] == [3, 20, 7, 40]
    assert all(o.finish_reason == "stop" for o in outs)


def test_hallucination_signal_fires_on_repetition_only():
    from pipeline.synthesize.soprano.sampling import repetition_score

    g = torch.Generator().manual_seed(0)
    varied = torch.randn(200, 512, generator=g)
    assert repetition_score(varied) == 0.0
    stuck = torch.cat(
        [
            torch.randn(20, 512, generator=g),
            torch.randn(1, 512, generator=g) + 0.05 * torch.randn(40, 512, generator=g),
            torch.randn(20, 512, generator=g),
        ]
    )
    assert repetition_score(stuck) >= 0.5
    brief = torch.cat([varied[:50], varied[50:51].repeat(10, 1), varied[60:]])  # a 10-step hold: speech
    assert repetition_score(brief) < 0.5
    # the reference's rule: more than 16 near-identical steps in a row
    at_17 = torch.cat([varied[:5], varied[5:6].repeat(18, 1), varied[30:40]])
    at_16 = torch.cat([varied[:5], varied[5:6].repeat(17, 1), varied[30:40]])
    assert repetition_score(at_17) >= 0.5 > repetition_score(at_16)


def test_hallucination_signal_through_the_engine(tmp_path):
    """A checkpoint whose LM is stuck (every token embeds alike, the layers add nothing) yields identical
    states step after step: the signal fires, and the finish reason says it ran to its cap."""
    from safetensors.torch import load_file, save_file

    from pipeline.synthesize.soprano import SopranoEngine

    d = build(tmp_path / "stuck", "tiny", seed=1)
    t = load_file(str(d / "model.safetensors"))
    t["model.embed_tokens.weight"][:] = t["model.embed_tokens.weight"][0].clone()
    t["lm_head.weight"][3] = -100.0 * t["model.embed_tokens.weight"][0]  # and [STOP] is never likely
    for name in t:
        if name.endswith(("o_proj.weight", "down_proj.weight")):
            t[name] = torch.zeros_like(t[name])  # the state is the token's embedding alone
    save_file(t, str(d / "model.safetensors"))
    eng = SopranoEngine(d, device="cpu", dtype="float32", decoder_dtype="float32", repetition_penalty=1.0)
    out = eng.synthesize_batch([request("The same thing over and over again.")])[0]
    assert out.finish_reason == "length" and out.repetition >= 0.5


def test_decoder_matches_the_reference_package(engine, ckpt):
    """The decoder against soprano-tts 0.2.0's own SopranoDecoder (its Vocos backbone of nn.Conv1d and
    ConvNeXt blocks, F.interpolate and its ISTFT head) loaded with the same state dict, batched and alone."""
    ref_mod = pytest.importorskip(
        "soprano.vocos.decoder", reason="soprano-tts is not installed (make dev installs it)"
    )
    sd = torch.load(ckpt / "decoder.pth", weights_only=True)
    shape = json.loads((ckpt / "shape.json").read_text())
    ref = ref_mod.SopranoDecoder(
        num_input_channels=shape["hidden"],
        decoder_num_layers=shape["dec_layers"],
        decoder_dim=shape["dec_dim"],
        decoder_intermediate_dim=shape["dec_inter"],
    ).eval()
    ref.load_state_dict(sd)
    g = torch.Generator().manual_seed(3)
    hidden = [torch.randn(n, engine.lm.shape.hidden, generator=g) for n in (9, 4, 15)]
    ours = engine.decoder.decode(hidden)  # one batch, padded to the longest
    for h, a in zip(hidden, ours, strict=True):
        with torch.no_grad():
            want = ref(h.T[None])[0]
        assert a.shape == want.shape == ((h.shape[0] - 1) * 2048,)
        assert _snr_db(want.numpy(), a.numpy()) > 100
        alone = engine.decoder.decode([h])[0]
        assert torch.equal(alone, a) or (alone - a).abs().max() < 1e-5


def test_identity_names_weights_and_settings(engine, ckpt):
    ident = engine.identity()
    assert ident["engine"] == "soprano" and ident["sample_rate"] == 32000
    assert ident["lm_dtype"] == "float32" and ident["backend"] == "torch"
    assert len(ident["weights_sha256"]) == 16 and ident["temperature"] == 0.3
    # the fused CPU kernels round differently from torch's operations: a cache never mixes the two
    assert ident["lm_kernels"] == ("fused" if engine.lm.kernels is not None else "torch")
    assert ident["decoder_kernels"] == "torch"  # float32: only the int8 decoder has fused kernels
    json.dumps(ident)


@pytest.mark.parametrize(
    "damage, expect",
    [
        (lambda d: (d / "decoder.pth").unlink(), "missing decoder.pth"),
        (lambda d: (d / "config.json").write_text("{not json"), "config.json unreadable"),
        (
            lambda d: (d / "model.safetensors").write_bytes(b"\x08\x00"),
            "model.safetensors is not a safetensors file",
        ),
        (
            lambda d: (d / "tokenizer.json").write_text('{"added_tokens": [], "model": {"vocab": {}}}'),
            "lacks [STOP]",
        ),
    ],
)
def test_malformed_checkpoint_is_one_line(tmp_path, damage, expect):
    d = build(tmp_path / "ck", "tiny")
    damage(d)
    with pytest.raises(EngineError) as e:
        find_weights(str(d))
    msg = str(e.value)
    assert expect in msg and "\n" not in msg and "--model-path" in msg


def test_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("SOPRANO_MODEL_PATH", raising=False)
    assert find_weights("") is None  # nothing named, nothing cached: auto picks hibari
    with pytest.raises(EngineError, match=r"Soprano weights folder not found: .*--model-path"):
        find_weights(str(tmp_path / "nowhere"))
    monkeypatch.setenv("SOPRANO_MODEL_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(EngineError):
        find_weights("")


def test_hf_cache_snapshot_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("SOPRANO_MODEL_PATH", raising=False)
    snap = tmp_path / "hub" / "models--ekwek--Soprano-1.1-80M" / "snapshots" / "abc123"
    build(snap, "tiny")
    (snap.parents[1] / "refs").mkdir()
    (snap.parents[1] / "refs" / "main").write_text("abc123")
    assert find_weights("") == snap


def test_cli_missing_weights_exit_7(sample_epub, tmp_path):
    proc = run_cli(
        str(sample_epub),
        "--out",
        str(tmp_path / "o"),
        "--engine",
        "soprano",
        "--model-path",
        str(tmp_path / "none"),
    )
    assert proc.returncode == 7
    errors = [line for line in proc.stderr.strip().splitlines() if "error" in line]
    assert len(errors) == 1 and "--model-path" in errors[0] and "Traceback" not in proc.stderr


def test_auto_and_dry_run_find_weights_without_torch(sample_epub, ckpt):
    code = (
        "import sys; from typer.testing import CliRunner; from pipeline.cli import app; "
        f"r = CliRunner().invoke(app, [{str(sample_epub)!r}, '--dry-run']); "
        "assert r.exit_code == 0, r.output; "
        "from pipeline.config import EngineConfig; from pipeline.synthesize import choose_engine; "
        "name, why = choose_engine(EngineConfig()); assert name == 'soprano', why; "
        "assert 'torch' not in sys.modules and 'safetensors' not in sys.modules; print('ok')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "SOPRANO_MODEL_PATH": str(ckpt)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")


def test_render_cli_with_soprano(sample_epub, ckpt, tmp_path):
    """The real command end to end on a random checkpoint: noise audio, but every stage runs and exits 0."""
    out = tmp_path / "out"
    proc = run_cli(
        str(sample_epub),
        "--out",
        str(out),
        "--engine",
        "soprano",
        "--model-path",
        str(ckpt),
        "--chapters",
        "1",
        "--quiet",
        "--threads",
        "1",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"]["engine"] == "soprano"
    files = sorted(p.name for p in out.glob("*.mp3"))
    assert files == ["01 - The Lighthouse Keeper.mp3"]
    ch = manifest["chapters"][0]
    assert ch["duration"] > 1.0 and ch["segments"] > 0


@pytest.mark.parametrize(
    "text, prepared",
    [
        (
            '"I will," he said: "tell you; now."',
            "i will, he said. tell you, now.",
        ),  # quotes out, : -> . and ; -> ,
        ("Chapter One", "chapter one."),  # a title ends as a sentence
        ("Wait...", "wait..."),
        ("Naïve café — here", "naive cafe - here."),
        ("and so on,", "and so on,"),  # a continuation stays one
        ("Hmmmmm, so", "hmm, so."),
        (
            "At ten PM EST the BBC called.",
            "at ten p m e s t the b b c called.",
        ),  # capitals spelled before lower case
    ],
)
def test_model_text_is_the_references_preparation(text, prepared):
    from pipeline.synthesize.soprano.engine import model_text

    assert model_text(text) == prepared


@pytest.mark.skipif(
    not (WODEHOUSE.exists() and BIERCE.exists()), reason="the corpus is not at ../shared/corpus"
)
def test_every_prompt_of_the_corpus_books_is_in_the_models_character_set():
    """No character outside the set soprano-tts trains on reaches the tokenizer (':' and ';' made unknown
    tokens with the real vocabulary): every segment of both corpus books, normalized and prepared."""
    from pipeline.config import Config
    from pipeline.plan import plan_book
    from pipeline.synthesize.soprano.engine import MODEL_CHARS, model_text

    for book in (WODEHOUSE, BIERCE):
        plan = plan_book(book, Config(), engine_name="soprano")
        prompts = [model_text(s.normalized) for segs in plan.segments.values() for s in segs]
        assert len(prompts) > 1000
        outside = {ch for p in prompts for ch in p} - MODEL_CHARS
        assert not outside, (book.name, outside)
        assert all(p for p in prompts)


@pytest.mark.parametrize("flat", [0.3, 1.0, 3.0], ids=["peaked", "medium", "flat"])
def test_sampler_matches_the_references_sampler_on_fixed_logits(flat):
    """On fixed logits (peaked to flat), with some tokens already said, the empirical distribution of our
    sampler matches the exact distribution of the reference's transformers path: its logits processors in
    generate's order (repetition penalty 1.2, temperature 0.3, top-k 50, top-p 0.95), to sampling noise."""
    transformers = pytest.importorskip("transformers")
    from pipeline import defaults as D
    from pipeline.synthesize.soprano.sampling import sample, uniforms

    rng = np.random.default_rng(7)
    vocab, draws = 512, 40_000
    logits = torch.as_tensor((rng.standard_normal(vocab) / flat).astype(np.float32))
    said = torch.as_tensor(rng.choice(vocab, size=40, replace=False))
    said = torch.cat([said, logits.topk(3).indices])  # the penalty also reaches the likeliest
    procs = transformers.LogitsProcessorList(
        [
            transformers.RepetitionPenaltyLogitsProcessor(D.SOPRANO_REPETITION_PENALTY),
            transformers.TemperatureLogitsWarper(D.SOPRANO_TEMPERATURE),
            transformers.TopKLogitsWarper(D.SOPRANO_TOP_K),
            transformers.TopPLogitsWarper(D.SOPRANO_TOP_P),
        ]
    )
    want = torch.softmax(procs(said[None], logits[None].clone())[0].double(), -1).numpy()
    seen = torch.zeros(draws, vocab, dtype=torch.bool)
    seen[:, said] = True
    got = sample(
        logits[None].repeat(draws, 1),
        seen,
        uniforms(np.arange(draws), np.zeros(draws)),
        D.SOPRANO_TEMPERATURE,
        D.SOPRANO_TOP_P,
        D.SOPRANO_REPETITION_PENALTY,
        D.SOPRANO_TOP_K,
    ).numpy()
    freq = np.bincount(got, minlength=vocab) / draws
    assert set(np.flatnonzero(freq)) <= set(np.flatnonzero(want > 0))
    assert 0.5 * np.abs(freq - want).sum() < 0.02


def _snr_db(ref: np.ndarray, got: np.ndarray) -> float:
    return float(10 * np.log10((ref**2).sum() / max(((ref - got) ** 2).sum(), 1e-30)))


def test_lm_matches_transformers_qwen3_on_the_same_checkpoint(ckpt):
    """An independent Qwen3: transformers' own implementation loads the same tiny checkpoint; the last-layer
    hidden states (after the final norm) of our prefill and of our one-token steps match it in fp32."""
    transformers = pytest.importorskip("transformers")
    import torch

    from pipeline.synthesize.soprano.lm import QwenLM

    ref = transformers.AutoModelForCausalLM.from_pretrained(str(ckpt), torch_dtype=torch.float32).eval()
    ours = QwenLM.load(ckpt, torch.device("cpu"), torch.float32, max_positions=256)
    rng = np.random.default_rng(3)
    prompts = [rng.integers(4, ours.shape.vocab, size=n).tolist() for n in (9, 23)]
    with torch.no_grad():
        want = [
            ref(torch.tensor([p]), output_hidden_states=True).hidden_states[-1][0].numpy() for p in prompts
        ]
    P = max(map(len, prompts))
    ids = torch.zeros(2, P, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, : len(p)] = torch.tensor(p)
    cache = ours.new_cache(2, 64)
    # prefill all but the last 4 tokens, then step them one at a time: both paths against the reference
    cut = [len(p) - 4 for p in prompts]
    ids_cut = torch.zeros(2, max(cut), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids_cut[i, : cut[i]] = torch.tensor(p[: cut[i]])
    hidden, _ = ours.prefill(ids_cut, torch.tensor(cut), torch.arange(2), cache)
    for i in range(2):
        assert _snr_db(want[i][cut[i] - 1], hidden[i].numpy()) > 90
    for i, p in enumerate(prompts):  # teacher forcing: every position at once
        assert _snr_db(want[i], ours.states(p).numpy()) > 90
    for k in range(4):
        pos = torch.tensor([cut[0] + k, cut[1] + k])
        tok = torch.tensor([prompts[0][cut[0] + k], prompts[1][cut[1] + k]])
        hidden, _ = ours.step(tok, pos, cache, context=int(pos.max()) + 1)
        for i in range(2):
            assert _snr_db(want[i][cut[i] + k], hidden[i].numpy()) > 90


# --- precision -----------------------------------------------------------------------------------------------
def _int8_or_skip():
    from pipeline.synthesize.soprano.precision import cpu_features

    if not cpu_features().int8_native:
        pytest.skip("int8 needs an x86 CPU with AVX2 and FBGEMM")


def test_cpu_features_follow_the_caps_a_process_is_given():
    """Capped to AVX2 (as the benchmark emulates the common CPU), the engine sees no AVX-512 and no native
    bf16, and `auto` picks an fp16-weight LM and an int8 decoder there; the host's own features come from
    /proc/cpuinfo."""
    code = (
        "import torch; from pipeline.synthesize.soprano.precision import cpu_features, choose; f = cpu_features(); "
        "print(f.isa, f.bf16_native, f.int8_native, choose('auto', torch.device('cpu'), 'decoder'), "
        "choose('auto', torch.device('cpu'), 'lm'), "
        "any(x.startswith('avx512') for x in f.flags))"
    )
    flags = Path("/proc/cpuinfo").read_text() if sys.platform.startswith("linux") else ""
    if " avx2 " not in flags:
        pytest.skip("the host has no AVX2")
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env={**__import__("os").environ, "ATEN_CPU_CAPABILITY": "avx2"},
    )
    assert proc.returncode == 0, proc.stderr
    isa, bf16, int8, decoder, lm, avx512 = proc.stdout.split()
    assert (isa, bf16, avx512) == ("AVX2", "False", "False")
    assert (lm, decoder) == (("fp16w", "int8") if int8 == "True" else ("float32", "float32"))


def test_int8_linear_is_per_row_and_close_to_float32():
    _int8_or_skip()
    from pipeline.synthesize.soprano.precision import linear

    g = torch.Generator().manual_seed(0)
    w, b = torch.randn(96, 64, generator=g) * 0.1, torch.randn(96, generator=g)
    f = linear(w, b, "int8", torch.device("cpu"))
    x = torch.randn(33, 64, generator=g) * torch.linspace(0.01, 10, 33)[:, None] + 2.0  # rows of any scale
    y = f(x)
    assert torch.equal(f(x[7:8]), y[7:8]) and torch.equal(f(x[3:20]), y[3:20])  # batch-invariant
    assert _snr_db(torch.nn.functional.linear(x, w, b).numpy(), y.numpy()) > 33


def test_fp16_weight_linear_is_per_row_and_closer_to_float32_than_int8():
    """fp16 weights (the LM's products on AVX2) are far closer to float32 than int8; both give a row the same
    result in any batch."""
    _int8_or_skip()
    from pipeline.synthesize.soprano.precision import linear

    g = torch.Generator().manual_seed(1)
    w, b = torch.randn(96, 64, generator=g) * 0.1, torch.randn(96, generator=g)
    x = torch.randn(33, 64, generator=g) * torch.linspace(0.01, 10, 33)[:, None] + 2.0
    want = torch.nn.functional.linear(x, w, b).numpy()
    snr = {}
    for kind in ("int8", "fp16w"):
        f = linear(w, b, kind, torch.device("cpu"))
        y = f(x)
        assert torch.equal(f(x[7:8]), y[7:8]) and torch.equal(f(x[3:20]), y[3:20]), kind
        snr[kind] = _snr_db(want, y.numpy())
    assert snr["fp16w"] > 60 and snr["fp16w"] > snr["int8"] + 20, snr


@pytest.mark.parametrize("precision", ["int8", "fp16w"])
def test_int8_engine_batch_invariance_and_audio_against_float32(ckpt, engine, precision):
    """An int8 or fp16-weight LM with the int8 decoder (what `auto` runs on AVX2 CPUs): a segment alone and
    in a batch gives the same tokens and audio (to 60 dB); on the same forced tokens its audio stays close to
    float32's (the published-shape figure is `make bench-soprano`'s)."""
    _int8_or_skip()
    from pipeline.synthesize.soprano import SopranoEngine

    eng = SopranoEngine(ckpt, device="cpu", dtype=precision, decoder_dtype="int8", temperature=0.3)
    assert (eng.lm_precision, eng.decoder_precision) == (precision, "int8")
    assert eng.identity()["lm_dtype"] == precision
    reqs = [request(t) for t in texts(12, seed=8)]
    batch = eng.synthesize_batch(reqs)
    for k in (0, 5, 11):
        solo = eng.synthesize_batch([reqs[k]])[0]
        # same tokens; float32 rounding that differs with the batch's shape may move a value across an int8
        # step, so the audio is equal to within that (not bit for bit)
        assert solo.tokens == batch[k].tokens and _snr_db(solo.audio, batch[k].audio) > 60
    jobs = run_jobs(engine, reqs[:4], slots=4)  # float32 tokens, then both teacher-forced on them
    ref, got = [], []
    for job in jobs:
        seq = job.prompt + job.tokens
        ref.append(engine.decoder.decode([engine.lm.states(seq)[len(job.prompt) - 1 : -1]])[0].numpy())
        got.append(eng.decoder.decode([eng.lm.states(seq)[len(job.prompt) - 1 : -1]])[0].numpy())
    assert _snr_db(np.concatenate(ref), np.concatenate(got)) > (25 if precision == "int8" else 28)


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_decoder_packs_sequences_yet_each_sounds_as_alone(ckpt, precision):
    """Sequences of different lengths decoded packed end to end (one zeroed separator row between them),
    over several passes: each one's audio is its audio decoded alone, bit for bit under int8 (whose rows are
    mapped one by one) and to float32 rounding in float32; one-token sequences give no samples."""
    if precision == "int8":
        _int8_or_skip()
    from pipeline.synthesize.soprano.decoder import VocosDecoder

    dec = VocosDecoder.load(ckpt, torch.device("cpu"), precision)
    dec.frames_per_pass = 96  # several passes over these lengths
    g = torch.Generator().manual_seed(9)
    hidden = [torch.rand(n, dec.in_dim, generator=g) for n in (12, 1, 30, 2, 7, 25, 9)]
    together = dec.decode(hidden)
    for h, audio in zip(hidden, together, strict=True):
        alone = dec.decode([h])[0]
        assert audio.shape == alone.shape == ((h.shape[0] - 1) * 2048,)
        if precision == "int8":
            assert torch.equal(audio, alone)
        else:
            assert torch.allclose(audio, alone, atol=1e-5, rtol=0)
