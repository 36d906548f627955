"""The Soprano LM: Qwen3 (RMSNorm, q/k norm, RoPE, grouped-query attention) written out in torch.

Loaded from a Hugging Face `model.safetensors` by its tensor names; q/k/v and gate/up are fused into one
matrix each at load time. The forward passes are the two a batched decode loop needs:
`prefill` (new prompts, each written into its own KV-cache slot from position 0) and `step` (one token for
every slot at that slot's own position). Both return only the last-layer hidden state (after the final
norm) and the logits of the last position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from . import kernels
from .precision import Linear, linear, torch_dtype
from .weights import read_config


@dataclass(frozen=True, slots=True)
class LMShape:
    vocab: int
    hidden: int
    mlp: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    rms_eps: float
    rope_theta: float
    eos_id: int | None
    tie_embeddings: bool

    @classmethod
    def from_config(cls, cfg: dict) -> LMShape:
        rope = cfg.get("rope_parameters") or {}
        theta = float(rope.get("rope_theta", cfg.get("rope_theta", 1_000_000.0)))
        scaling = cfg.get("rope_scaling") or {}
        if scaling and scaling.get("rope_type", scaling.get("type", "default")) != "default":
            raise ValueError(f"rope scaling '{scaling}' is not supported")
        eos = cfg.get("eos_token_id")
        if isinstance(eos, list):
            eos = eos[0] if eos else None
        return cls(
            vocab=int(cfg["vocab_size"]),
            hidden=int(cfg["hidden_size"]),
            mlp=int(cfg["intermediate_size"]),
            layers=int(cfg["num_hidden_layers"]),
            heads=int(cfg["num_attention_heads"]),
            kv_heads=int(cfg["num_key_value_heads"]),
            head_dim=int(cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]),
            rms_eps=float(cfg.get("rms_norm_eps", 1e-6)),
            rope_theta=theta,
            eos_id=eos,
            tie_embeddings=bool(cfg.get("tie_word_embeddings", False)),
        )

    @property
    def params(self) -> int:
        """Parameters in the matrices a token passes through (embedding lookup excluded, lm_head included)."""
        attn = self.hidden * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        return self.layers * (attn + 3 * self.hidden * self.mlp) + self.hidden * self.vocab

    def flops_per_token(self, context: float) -> float:
        """Multiply-adds x 2 for one generated token attending to `context` positions."""
        return 2.0 * self.params + 4.0 * self.layers * self.heads * self.head_dim * context

    def kv_bytes_per_position(self, dtype: torch.dtype) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * torch.tensor([], dtype=dtype).element_size()


def _rms(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    # one fused kernel; it accumulates in float32 for bf16/fp16 inputs, as Qwen3's RMSNorm does
    return F.rms_norm(x, (x.shape[-1],), w, eps)


def _rope(x: torch.Tensor, rot: torch.Tensor) -> torch.Tensor:
    """Rotary embedding of x (..., hd) whose dims are laid out in pairs (d, d + hd/2 of the checkpoint's
    layout side by side): one complex product by `rot` (..., hd/2), complex64, computed in float32."""
    y = torch.view_as_complex(x.float().unflatten(-1, (-1, 2))) * rot
    return torch.view_as_real(y).flatten(-2).to(x.dtype)


class QwenLM:
    """Qwen3 weights on one device in one precision, and the prefill/step passes over a slot KV cache.

    `dtype` is a torch dtype or a precision name (`precision.PRECISIONS`); under "int8" the matrix products
    run in int8 and everything else (embedding, norms, attention, KV cache, logits) in float32; under "fp16w"
    the products read float16 weights and compute in float32. On the CPU with float32 activations, what lies
    between the products runs in the fused kernels (`kernels.py`) where they build, else in torch."""

    def __init__(
        self,
        shape: LMShape,
        tensors: dict[str, torch.Tensor],
        device: torch.device,
        dtype: torch.dtype | str,
        max_positions: int = 4096,
    ):
        self.precision = dtype if isinstance(dtype, str) else str(dtype).split(".")[-1]
        self.shape, self.device, self.dtype = shape, device, torch_dtype(self.precision)
        s = shape
        # the fused CPU kernels for what lies between the products, where they build: the residual stream and
        # everything between the products in float32; under bfloat16 the products read and write bfloat16
        # (oneDNN, weights prepacked), converted inline by the kernels
        self.kernels = self._fused_kernels(device, s, self.precision)
        self.product_dtype = self.dtype
        if self.kernels is not None:
            self.dtype = torch.float32
        dtype = self.dtype
        self.embed = self._get(tensors, "model.embed_tokens.weight")
        head = (
            "model.embed_tokens.weight"
            if s.tie_embeddings or "lm_head.weight" not in tensors
            else "lm_head.weight"
        )
        self.lm_head: Linear = self._lin(tensors, head)
        self.norm = self._get(tensors, "model.norm.weight")
        # per layer: its norms (tensors) and products (Linear)
        self.layers: list[dict[str, Any]] = [
            self._layer(tensors, f"model.layers.{i}.") for i in range(s.layers)
        ]
        hd = s.head_dim
        inv = 1.0 / (s.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        ang = torch.arange(max_positions, dtype=torch.float64)[:, None] * inv[None, :]
        self.rot = torch.polar(torch.ones_like(ang), ang).to(
            device=device, dtype=torch.complex64
        )  # (P, hd/2)
        self.scale = hd**-0.5
        # the KV cache: float16 under the 16- and 8-bit-weight precisions when the kernels run (they read it
        # through F16C: half the bytes a step's attention reads, about 70 dB from float32); else the
        # activations' dtype
        self.kv_dtype = (
            torch.float16
            if self.kernels is not None and self.precision in ("fp16w", "int8", "bfloat16")
            else dtype
        )
        self.rot_pairs = torch.view_as_real(self.rot).contiguous()  # (P, hd/2, 2) cos, sin

    @staticmethod
    def _fused_kernels(device: torch.device, s: LMShape, precision: str):
        """The fused CPU kernels where this precision and shape can use them and they load, else None."""
        if (
            device.type == "cpu"
            and precision in ("float32", "int8", "fp16w", "bfloat16")
            and s.hidden % 8 == 0
            and s.head_dim % 8 == 0
            and s.mlp % 8 == 0
            and s.heads % s.kv_heads == 0
        ):
            return kernels.load()
        return None

    def _get(self, tensors: dict[str, torch.Tensor], name: str) -> torch.Tensor:
        """A norm or embedding weight in the activations' dtype, on the device."""
        return tensors[name].to(device=self.device, dtype=self.dtype).contiguous()

    def _lin(self, tensors: dict[str, torch.Tensor], *names: str) -> Linear:
        """One product over the named weights stacked by rows, in this precision."""
        return linear(torch.cat([tensors[n].float() for n in names]), None, self.precision, self.device)

    def _layer(self, tensors: dict[str, torch.Tensor], p: str) -> dict[str, Any]:
        """One decoder layer's norms and products (`p`: its weights' name prefix)."""
        s = self.shape
        # q and k head dims reordered so each rotary pair (d, d + hd/2) sits side by side: rotary embedding
        # is then one complex product. q.k is a sum over dims, so the order changes no score; v keeps its own.
        hd = s.head_dim
        pair = torch.stack([torch.arange(hd // 2), torch.arange(hd // 2) + hd // 2], dim=1).flatten()

        def paired(name: str, heads: int) -> torch.Tensor:
            w = tensors[name].float()
            return w.unflatten(0, (heads, hd))[:, pair].flatten(0, 1) if w.dim() == 2 else w[pair]

        qkv = torch.cat(
            [
                paired(p + "self_attn.q_proj.weight", s.heads),
                paired(p + "self_attn.k_proj.weight", s.kv_heads),
                tensors[p + "self_attn.v_proj.weight"].float(),
            ]
        )
        # q_norm for the query heads and k_norm for the key heads, as one (heads + kv_heads, hd) weight
        qk_norm = torch.cat(
            [
                paired(p + "self_attn.q_norm.weight", 1).expand(s.heads, hd),
                paired(p + "self_attn.k_norm.weight", 1).expand(s.kv_heads, hd),
            ]
        )
        return {
            "in_norm": self._get(tensors, p + "input_layernorm.weight"),
            "post_norm": self._get(tensors, p + "post_attention_layernorm.weight"),
            "qkv": linear(qkv, None, self.precision, self.device),
            "o": self._lin(tensors, p + "self_attn.o_proj.weight"),
            "qk_norm": qk_norm.to(device=self.device, dtype=self.dtype).contiguous(),
            "gate_up": self._lin(tensors, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
            "down": self._lin(tensors, p + "mlp.down_proj.weight"),
        }

    @classmethod
    def load(
        cls, path: Path, device: torch.device, dtype: torch.dtype | str, max_positions: int = 4096
    ) -> QwenLM:
        from safetensors.torch import load_file

        shape = LMShape.from_config(read_config(path))
        return cls(shape, load_file(str(path / "model.safetensors")), device, dtype, max_positions)

    def new_cache(self, slots: int, positions: int) -> tuple[torch.Tensor, torch.Tensor]:
        """K and V caches, zeroed: K (layers, slots, kv_heads, head_dim, positions), stored transposed so a
        step's scores are one plain batched product q K (3x faster on the CPU than against K's transpose), and
        V (layers, slots, kv_heads, positions, head_dim)."""
        s = self.shape
        return (
            torch.zeros(
                (s.layers, slots, s.kv_heads, s.head_dim, positions), device=self.device, dtype=self.kv_dtype
            ),
            torch.zeros(
                (s.layers, slots, s.kv_heads, positions, s.head_dim), device=self.device, dtype=self.kv_dtype
            ),
        )

    @staticmethod
    def move_rows(
        cache: tuple[torch.Tensor, torch.Tensor], dst: torch.Tensor, src: torch.Tensor, span: int
    ) -> None:
        """Copy cache rows `src` into rows `dst`, positions 0..span-1 (what the rows have written)."""
        kc, vc = cache
        kc[:, dst, :, :, :span] = kc[:, src, :, :, :span]
        vc[:, dst, :, :span] = vc[:, src, :, :span]

    @staticmethod
    def shrink(cache: tuple[torch.Tensor, torch.Tensor], rows: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The cache's first `rows` rows (views)."""
        return cache[0][:, :rows], cache[1][:, :rows]

    def _qkv(self, layer: dict, h: torch.Tensor, rot: torch.Tensor):
        """h (N, hidden) -> q (N, heads, hd), k and v (N, kv_heads, hd); q and k normed and rotated (by `rot`,
        (N, 1, hd/2)), in the paired dim order."""
        s = self.shape
        qkv = layer["qkv"](_rms(h, layer["in_norm"], s.rms_eps))
        qk, v = qkv.split([(s.heads + s.kv_heads) * s.head_dim, s.kv_heads * s.head_dim], dim=-1)
        # q_norm and k_norm in one pass: the norm without weight, then each head's weight
        qk = F.rms_norm(qk.unflatten(-1, (s.heads + s.kv_heads, s.head_dim)), (s.head_dim,), None, s.rms_eps)
        qk = _rope(qk.mul_(layer["qk_norm"]), rot)
        return qk[:, : s.heads], qk[:, s.heads :], v.unflatten(-1, (s.kv_heads, s.head_dim))

    def _mlp(self, layer: dict, h: torch.Tensor) -> torch.Tensor:
        gate, up = layer["gate_up"](_rms(h, layer["post_norm"], self.shape.rms_eps)).chunk(2, dim=-1)
        return layer["down"](F.silu(gate).mul_(up))

    def _head(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = _rms(h, self.norm, self.shape.rms_eps)
        return hidden, self.lm_head(hidden).float()

    def _prefill_layers(
        self,
        ids: torch.Tensor,
        lengths: list[int],
        slots: torch.Tensor,
        cache: tuple[torch.Tensor, torch.Tensor],
    ) -> torch.Tensor:
        """The layers over prompts packed end to end, `ids` (sum(lengths),), prompt i of `lengths[i]` tokens
        written into cache row `slots[i]` at positions 0..lengths[i]-1; (sum(lengths), hidden) after the final
        norm. Packed, not padded: the products cost the real tokens only, and attention runs per prompt."""
        s = self.shape
        kc, vc = cache
        dev = ids.device
        starts = [0]
        for n in lengths:
            starts.append(starts[-1] + n)
        pos = torch.cat([torch.arange(n, device=dev) for n in lengths])  # (N,)
        row = torch.repeat_interleave(slots, torch.tensor(lengths, device=dev))  # (N,) cache row per token
        h = F.embedding(ids, self.embed)  # (N, hidden)
        if self.kernels is not None:
            # each token attends to its own slot's positions 0..its position, which are all in the cache
            # once the layer's keys are written: the decode kernels run prefill causally as well
            return self._layers_native(h, row, pos, cache)
        rot = self.rot[pos][:, None, :]  # (N, 1, hd/2)
        g = s.heads // s.kv_heads
        for li, layer in enumerate(self.layers):
            q, k, v = self._qkv(layer, h, rot)  # (N, H|KV, hd)
            kc[li, row, :, :, pos] = k
            vc[li, row, :, pos] = v
            a = torch.empty_like(q)
            for i in range(len(lengths)):
                a0, a1 = starts[i], starts[i + 1]
                # (KV, g, n, hd) queries against (KV, 1, n, hd) keys: grouped heads share a key without copies
                qi = q[a0:a1].unflatten(1, (s.kv_heads, g)).permute(1, 2, 0, 3)
                ki = k[a0:a1].transpose(0, 1)[:, None]
                vi = v[a0:a1].transpose(0, 1)[:, None]
                o = F.scaled_dot_product_attention(
                    qi, ki.expand(-1, g, -1, -1), vi.expand(-1, g, -1, -1), is_causal=True, scale=self.scale
                )
                a[a0:a1] = o.permute(2, 0, 1, 3).flatten(1, 2)
            h = h.add_(layer["o"](a.flatten(1)))
            h = h.add_(self._mlp(layer, h))
        return _rms(h, self.norm, s.rms_eps)

    def _layers_native(
        self, h: torch.Tensor, slot: torch.Tensor, pos: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        """Every layer through the fused kernels: rows `h` (R, hidden), float32, each at cache row `slot[r]` and
        position `pos[r]`, attending to that row's positions 0..pos[r]. Returns the rows after the final norm,
        float32. Per layer: four products in torch, four kernel calls between them (which read and write the
        products' dtype, float32 or bfloat16, and keep the residual stream in float32)."""
        s, K = self.shape, self.kernels
        assert K is not None
        R, H, hd, eps, pd = h.shape[0], s.hidden, s.head_dim, s.rms_eps, self.product_dtype
        rows = kernels.Rows.of(slot, pos)  # checked once: every call checks them against its cache
        kc, vc = cache
        threads = torch.get_num_threads()
        x = torch.empty((R, H), dtype=pd)
        q = torch.empty((R, s.heads * hd), dtype=torch.float32) if pd != torch.float32 else None
        attn = torch.empty((R, s.heads * hd), dtype=pd)
        act = torch.empty((R, s.mlp), dtype=pd)
        out = torch.empty((R, H), dtype=torch.float32)
        K.rms_norm(h, self.layers[0]["in_norm"], x, eps)
        for li, layer in enumerate(self.layers):
            k_l, v_l = kc[li], vc[li]
            qkv = layer["qkv"](x)
            qf = qkv[:, : s.heads * hd] if q is None else q  # float32 q: normed and rotated in place
            K.qk_rope_cache(qkv, qf, layer["qk_norm"], self.rot_pairs, rows, k_l, v_l, s.heads, eps)
            K.attention(qf, rows, k_l, v_l, s.heads, self.scale, attn, threads)
            K.add_rms_norm(h, layer["o"](attn), layer["post_norm"], x, eps)
            K.silu_mul(layer["gate_up"](x), act, threads)
            last = li + 1 == len(self.layers)
            after = self.norm if last else self.layers[li + 1]["in_norm"]
            K.add_rms_norm(h, layer["down"](act), after, out if last else x, eps)
        return out

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """The LM head over final hidden states (n, hidden): logits (n, vocab) float32."""
        return self.lm_head(hidden.to(self.product_dtype)).float()

    @torch.inference_mode()
    def prefill(
        self,
        ids: torch.Tensor,
        lengths: torch.Tensor,
        slots: torch.Tensor,
        cache: tuple[torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompts `ids` (n, P), right-padded, real lengths `lengths` (n,), into cache `slots` (n,) at
        positions 0..P-1. Returns the last real position's hidden state (n, hidden) and logits (n, vocab) f32."""
        lens = [int(n) for n in lengths.tolist()]
        packed = torch.cat([ids[i, :n] for i, n in enumerate(lens)])
        h = self._prefill_layers(packed, lens, slots, cache)
        ends = torch.tensor(lens, device=h.device).cumsum(0) - 1
        hidden = h[ends]  # (n, hidden)
        return hidden, self.logits(hidden)

    @torch.inference_mode()
    def states(self, ids: list[int]) -> torch.Tensor:
        """Teacher forcing: the last-layer hidden state (after the final norm) at every position of one
        sequence `ids`, shape (len(ids), hidden), in the LM's dtype. For parity checks and benchmarks."""
        t = torch.tensor(ids, dtype=torch.int64, device=self.device)
        cache = self.new_cache(1, len(ids))
        return self._prefill_layers(
            t, [len(ids)], torch.zeros(1, dtype=torch.int64, device=self.device), cache
        )

    @torch.inference_mode()
    def step(
        self,
        ids: torch.Tensor,
        positions: torch.Tensor,
        cache: tuple[torch.Tensor, torch.Tensor],
        context: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One token per slot: `ids` (S,) at `positions` (S,), slot i is cache row i. `context` >= every
        position + 1 bounds the attention. Returns hidden (S, hidden) and logits (S, vocab) float32."""
        s = self.shape
        S = ids.shape[0]
        kc, vc = cache
        h = F.embedding(ids, self.embed)  # (S, hidden)
        if self.kernels is not None:
            hidden = self._layers_native(h, torch.arange(S), positions, cache)
            return hidden, self.logits(hidden)
        rot = self.rot[positions][:, None, :]  # (S, 1, hd/2)
        rows = torch.arange(S, device=h.device)
        span = torch.arange(context, device=h.device)
        g = s.heads // s.kv_heads
        # additive mask: slot i sees positions 0..positions[i]; one (g, context) plane per slot and KV head
        mask = torch.zeros((S, s.kv_heads, 1, context), device=h.device, dtype=self.dtype)
        mask.masked_fill_((span[None, :] > positions[:, None])[:, None, None, :], float("-inf"))
        mask = mask.flatten(0, 1)  # (S*KV, 1, C)
        for li, layer in enumerate(self.layers):
            q, k, v = self._qkv(layer, h, rot)  # (S, H|KV, hd)
            kc[li, rows, :, :, positions] = k
            vc[li, rows, :, positions] = v
            # grouped-query attention as two batched products per (slot, KV head): the g query heads of a
            # group against its keys (hd, C) and values (C, hd), views into the cache
            keys = kc[li, :S, :, :, :context].flatten(0, 1)  # (S*KV, hd, C)
            vals = vc[li, :S, :, :context].flatten(0, 1)  # (S*KV, C, hd)
            qg = q.unflatten(1, (s.kv_heads, g)).flatten(0, 1).contiguous()  # (S*KV, g, hd)
            scores = torch.baddbmm(mask, qg, keys, alpha=self.scale)  # (S*KV, g, C)
            probs = torch.softmax(scores.float(), dim=-1).to(self.dtype)
            a = torch.bmm(probs, vals)  # (S*KV, g, hd)
            h = h.add_(layer["o"](a.reshape(S, -1)))
            h = h.add_(self._mlp(layer, h))
        return self._head(h)
