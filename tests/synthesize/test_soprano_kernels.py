"""The LM's fused CPU kernels (`soprano/kernels.c`) against the same LM run in torch operations."""

from __future__ import annotations

import logging

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from pipeline.synthesize.soprano import kernels  # noqa: E402 - after the importorskip above: without torch the module skips
from pipeline.synthesize.soprano.lm import LMShape, QwenLM  # noqa: E402 - after the importorskip above: without torch the module skips


def _kernels_or_skip():
    if kernels.load() is None:
        pytest.skip("the fused kernels need an x86 CPU with AVX2+FMA and a C compiler")


def _snr_db(ref: torch.Tensor, got: torch.Tensor) -> float:
    ref, got = ref.double(), got.double()
    return float(10 * np.log10((ref**2).sum().item() / max(((ref - got) ** 2).sum().item(), 1e-300)))


def _random_lm(
    heads: int,
    kv_heads: int,
    head_dim: int,
    hidden: int = 64,
    mlp: int = 96,
    layers: int = 2,
    vocab: int = 300,
    seed: int = 0,
    precision: str = "float32",
) -> QwenLM:
    """A Qwen3 of any shape, random weights (q/k norm weights too, so the paired order matters)."""
    g = torch.Generator().manual_seed(seed)
    shape = LMShape(
        vocab=vocab,
        hidden=hidden,
        mlp=mlp,
        layers=layers,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        rms_eps=1e-6,
        rope_theta=10000.0,
        eos_id=None,
        tie_embeddings=False,
    )

    def w(*size, scale=0.2):
        return torch.randn(*size, generator=g) * scale

    t = {
        "model.embed_tokens.weight": w(vocab, hidden, scale=1.0),
        "lm_head.weight": w(vocab, hidden),
        "model.norm.weight": 1 + w(hidden, scale=0.1),
    }
    for i in range(layers):
        p = f"model.layers.{i}."
        t.update(
            {
                p + "input_layernorm.weight": 1 + w(hidden, scale=0.1),
                p + "post_attention_layernorm.weight": 1 + w(hidden, scale=0.1),
                p + "self_attn.q_proj.weight": w(heads * head_dim, hidden),
                p + "self_attn.k_proj.weight": w(kv_heads * head_dim, hidden),
                p + "self_attn.v_proj.weight": w(kv_heads * head_dim, hidden),
                p + "self_attn.o_proj.weight": w(hidden, heads * head_dim),
                p + "self_attn.q_norm.weight": 1 + w(head_dim, scale=0.1),
                p + "self_attn.k_norm.weight": 1 + w(head_dim, scale=0.1),
                p + "mlp.gate_proj.weight": w(mlp, hidden),
                p + "mlp.up_proj.weight": w(mlp, hidden),
                p + "mlp.down_proj.weight": w(hidden, mlp),
            }
        )
    return QwenLM(shape, t, torch.device("cpu"), precision, max_positions=128)


@pytest.mark.parametrize("heads,kv_heads,head_dim", [(4, 1, 16), (6, 1, 24), (4, 2, 8), (8, 2, 32)])
def test_kernels_equal_the_torch_operations(heads, kv_heads, head_dim):
    """Prefill (prompts of several lengths into scattered cache rows), decode steps at uneven positions, and
    teacher forcing: hidden states, logits and the KV cache agree with the torch path to float32 rounding,
    for grouped heads in fours and not (6 = 4 + 2), head dims of 8, 16, 24 and 32 (the tails of the 16-wide
    blocks) and several kv heads."""
    _kernels_or_skip()
    fast = _random_lm(heads, kv_heads, head_dim)
    slow = _random_lm(heads, kv_heads, head_dim)
    assert fast.kernels is not None
    slow.kernels = None
    g = torch.Generator().manual_seed(1)
    lens = [7, 19, 1, 30, 16]
    ids = torch.zeros(len(lens), max(lens), dtype=torch.long)
    for i, n in enumerate(lens):
        ids[i, :n] = torch.randint(0, fast.shape.vocab, (n,), generator=g)
    slots = torch.tensor([4, 0, 2, 1, 5])
    caches = [lm.new_cache(7, 64) for lm in (fast, slow)]
    (hf, lf), (hs, ls) = [
        lm.prefill(ids, torch.tensor(lens), slots, c) for lm, c in zip((fast, slow), caches, strict=True)
    ]
    assert _snr_db(hs, hf) > 110 and _snr_db(ls, lf) > 110
    for a, b in zip(*caches, strict=True):
        assert _snr_db(b, a) > 110
    pos = torch.zeros(7, dtype=torch.long)
    pos[slots] = torch.tensor(lens)
    tok = torch.randint(0, fast.shape.vocab, (7,), generator=g)
    for _ in range(6):
        (hf, lf), (hs, ls) = [
            lm.step(tok, pos, c, int(pos.max()) + 1) for lm, c in zip((fast, slow), caches, strict=True)
        ]
        assert _snr_db(hs, hf) > 110 and _snr_db(ls, lf) > 110
        pos += 1
        tok = lf.argmax(-1)
    seq = ids[3, :30].tolist()
    assert _snr_db(slow.states(seq), fast.states(seq)) > 110


@pytest.mark.parametrize("half", [0, 1])
def test_kernel_rows_are_independent_of_their_batch_and_threads(half):
    """Attention (over a float32 or a float16 cache) and the gated activation compute each row alone, in a
    fixed order: a row's result is the same bit for bit whatever rows are beside it and however many
    threads share them; and it is softmax(q k / sqrt(hd)) v."""
    _kernels_or_skip()
    K = kernels.load()
    g = torch.Generator().manual_seed(2)
    rows, heads, kvh, hd, P = 6, 4, 1, 64, 300  # enough work for the threaded path
    kc, vc = torch.randn(rows, kvh, hd, P, generator=g), torch.randn(rows, kvh, P, hd, generator=g)
    if half:
        kc, vc = kc.half(), vc.half()
    qkv = torch.randn(rows, (heads + 2 * kvh) * hd, generator=g)
    pos = torch.tensor([5, 290, 17, 100, 0, 64])
    ks, vs = kc.stride(), vc.stride()

    def attention(sel: list[int], threads: int) -> torch.Tensor:
        q, sl, ps = qkv[sel].contiguous(), torch.tensor(sel), pos[sel].contiguous()
        out = torch.empty(len(sel), heads * hd)
        K.attention(
            q.data_ptr(),
            q.stride(0),
            kc.data_ptr(),
            ks[0],
            ks[1],
            ks[2],
            vc.data_ptr(),
            vs[0],
            vs[1],
            vs[2],
            sl.data_ptr(),
            ps.data_ptr(),
            len(sel),
            heads,
            kvh,
            hd,
            hd**-0.5,
            out.data_ptr(),
            heads * hd,
            threads,
            half,
        )
        return out

    def silu_mul(x: torch.Tensor, threads: int) -> torch.Tensor:
        out = torch.empty(x.shape[0], x.shape[1] // 2)
        K.silu_mul(
            x.data_ptr(), x.stride(0), out.data_ptr(), out.stride(0), x.shape[0], out.shape[1], threads
        )
        return out

    every = attention(list(range(rows)), 2)
    for r in range(rows):
        assert torch.equal(attention([r], 1)[0], every[r])
    # against torch: softmax(q k / sqrt(hd)) v over positions 0..pos, per query head
    for r in range(rows):
        q = qkv[r, : heads * hd].view(heads, hd)
        p = torch.softmax(q @ kc[r, 0, :, : pos[r] + 1].float() * hd**-0.5, dim=-1)
        assert torch.allclose(
            every[r].view(heads, hd), p @ vc[r, 0, : pos[r] + 1].float(), atol=1e-5, rtol=1e-5
        )
    gu = torch.randn(300, 2 * 512, generator=g) * 4
    both = silu_mul(gu, 2)
    assert torch.equal(silu_mul(gu[7:8].contiguous(), 1)[0], both[7])
    gate, up = gu.chunk(2, dim=-1)
    assert torch.allclose(both, torch.nn.functional.silu(gate) * up, atol=1e-5, rtol=1e-5)


def test_float16_cache_under_16_bit_weights():
    """Under fp16w the cache is float16 (read through F16C): within about 65 dB of a float32 cache."""
    _kernels_or_skip()
    from pipeline.synthesize.soprano.precision import cpu_features

    if not cpu_features().int8_native:
        pytest.skip("fp16w needs FBGEMM")
    lm = _random_lm(4, 1, 32, hidden=128, mlp=256, precision="fp16w")
    assert lm.kv_dtype == torch.float16 and _random_lm(4, 1, 32).kv_dtype == torch.float32
    seq = torch.randint(0, lm.shape.vocab, (50,), generator=torch.Generator().manual_seed(4)).tolist()
    half = lm.states(seq)
    lm.kv_dtype = torch.float32
    assert 55 < _snr_db(lm.states(seq), half) < 100


def test_positions_outside_the_cache_are_an_error_not_a_crash():
    _kernels_or_skip()
    lm = _random_lm(4, 1, 16)
    cache = lm.new_cache(2, 8)
    with pytest.raises(IndexError):
        lm.step(torch.tensor([1, 2]), torch.tensor([3, 8]), cache, 9)
    with pytest.raises(IndexError):
        lm.step(torch.tensor([1, 2]), torch.tensor([3, 200]), cache, 201)


def test_without_the_kernels_the_lm_runs_in_torch(monkeypatch, tmp_path, caplog):
    """Switched off, or with a compiler that cannot build them, the LM still runs (in torch), with a warning
    for the failed build and nothing left half-written in the cache."""
    monkeypatch.setattr(kernels, "load", kernels.load.__wrapped__)
    monkeypatch.setenv("RENDER_SOPRANO_KERNELS", "0")
    assert kernels.load() is None
    assert _random_lm(4, 1, 16).kernels is None
    monkeypatch.setenv("RENDER_SOPRANO_KERNELS", "1")
    monkeypatch.setenv("RENDER_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    if kernels.cpu_features().flags >= {"avx2", "fma"}:
        with caplog.at_level(logging.WARNING):
            assert kernels.load() is None
        assert "did not build" in caplog.text
    assert list(tmp_path.iterdir()) == []
    lm = _random_lm(4, 1, 16)
    h, logits = lm.prefill(
        torch.tensor([[5, 6, 7]]), torch.tensor([3]), torch.tensor([0]), lm.new_cache(1, 8)
    )
    assert torch.isfinite(h).all() and logits.shape == (1, lm.shape.vocab)


def test_decoder_mlp_kernels_equal_the_int8_linears(tmp_path):
    """The int8 decoder's fused pointwise MLP (row mapping undone, bias, GELU, the next mapping, the residual
    add) gives the audio the `_Int8Linear` path gives, to int8's own rounding; a sequence decoded alone and
    among others of other lengths is the same bit for bit; and GELU is exact to float32 over a wide range."""
    _kernels_or_skip()
    from pipeline.synthesize.soprano.precision import cpu_features

    if not cpu_features().int8_native:
        pytest.skip("int8 needs FBGEMM")
    import sys

    from pipeline.synthesize.soprano.decoder import VocosDecoder
    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_soprano_checkpoint import build

    ckpt = build(tmp_path / "tiny", "tiny", seed=3)
    fused = VocosDecoder.load(ckpt, torch.device("cpu"), "int8")
    plain = VocosDecoder.load(ckpt, torch.device("cpu"), "int8")
    assert fused.kernels is not None
    plain.kernels = None
    g = torch.Generator().manual_seed(5)
    hidden = [torch.rand(n, fused.in_dim, generator=g) for n in (9, 40, 23, 2)]
    a, b = fused.decode(hidden), plain.decode(hidden)
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape and _snr_db(y, x) > 40
    assert torch.equal(fused.decode([hidden[2]])[0], a[2])
    K = kernels.load()
    rows, cols = 16, 512
    u = (
        torch.linspace(-12, 12, cols)[None, :] * torch.linspace(0.05, 1, rows)[:, None]
        + torch.linspace(-3, 3, rows)[:, None]
    )
    one, zero = torch.ones(rows), torch.zeros(rows)
    z, lo, r, nothing = torch.empty_like(u), torch.empty(rows), torch.empty(rows), torch.zeros(cols)
    K.dequant_gelu_unit(
        u.data_ptr(),
        cols,
        one.data_ptr(),
        zero.data_ptr(),
        nothing.data_ptr(),
        nothing.data_ptr(),
        z.data_ptr(),
        cols,
        lo.data_ptr(),
        r.data_ptr(),
        rows,
        cols,
        1,
    )
    assert torch.equal(z.amin(-1), torch.zeros(rows)) and torch.equal(z.amax(-1), torch.ones(rows))
    gelu = z.double() * r[:, None] + lo[:, None]
    assert torch.allclose(
        gelu, torch.nn.functional.gelu(u.double()), atol=1e-6, rtol=5e-7
    )  # float32 rounding


def test_an_unwritable_cache_falls_back_to_a_private_temporary_folder(monkeypatch, tmp_path):
    _kernels_or_skip()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("RENDER_KERNEL_CACHE", str(blocker / "kernels"))
    lib = kernels.load.__wrapped__()
    assert lib is not None and lib.kernels_abi() == kernels.ABI


def test_fused_sampling_prefix_equals_torch(monkeypatch):
    """Penalty, temperature, softmax and top-k in one kernel pass: the same k tokens in the same order with
    the probabilities torch computes (to float32 rounding), -inf logits at probability 0, and the same
    samples from the same uniforms."""
    _kernels_or_skip()
    from pipeline.synthesize.soprano import sampling

    g = torch.Generator().manual_seed(6)
    n, vocab = 40, 3000
    logits = torch.randn(n, vocab, generator=g) * torch.linspace(0.2, 4, n)[:, None]
    logits[3, :2990] = float("-inf")  # fewer finite logits than k
    seen = torch.rand(n, vocab, generator=g) < 0.05
    u = sampling.uniforms(np.arange(n), np.arange(n))
    K = kernels.load()
    vals, idx = torch.empty(n, 50), torch.empty(n, 50, dtype=torch.int64)
    scratch = torch.empty(vocab)
    K.penalized_topk(
        logits.data_ptr(),
        vocab,
        seen.data_ptr(),
        vocab,
        n,
        vocab,
        1.2,
        0.3,
        50,
        vals.data_ptr(),
        idx.data_ptr(),
        scratch.data_ptr(),
    )
    pen = torch.where(seen, torch.where(logits > 0, logits / 1.2, logits * 1.2), logits)
    want_vals, want_idx = torch.softmax(pen / 0.3, dim=-1).topk(50, dim=-1)
    assert torch.allclose(vals, want_vals, rtol=2e-6, atol=1e-30)
    finite = want_vals > 0
    assert torch.equal(idx[finite], want_idx[finite]) and (vals[~finite] == 0).all() and finite[3].sum() == 10
    fast = sampling.sample(logits, seen, u, 0.3, 0.95, 1.2, 50)
    monkeypatch.setattr(kernels, "load", lambda: None)
    slow = sampling.sample(logits, seen, u, 0.3, 0.95, 1.2, 50)
    assert torch.equal(fast, slow)
