"""Token sampling with a per-sequence random stream, and Soprano's hallucination signal.

Every sequence draws its uniform numbers from a counter-based generator keyed by (seed, step), so the
token it samples never depends on which other sequences share its batch, nor on the batch's order.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import defaults as D
from . import kernels

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def uniforms(seeds: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """One float64 in [0, 1) per (seed, step) pair: splitmix64 of the pair, top 53 bits."""
    with np.errstate(over="ignore"):
        x = seeds.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + steps.astype(np.uint64) * np.uint64(
            0xD1B54A32D192ED03
        )
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _M64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def sample(
    logits: torch.Tensor,
    seen: torch.Tensor,
    u: np.ndarray,
    temperature: float,
    top_p: float,
    repetition_penalty: float,
    top_k: int = 0,
) -> torch.Tensor:
    """Next token per row. `logits` (n, vocab) float32, `seen` (n, vocab) bool: tokens already in the
    sequence (prompt included) for the repetition penalty, `u` (n,) uniforms. Returns (n,) int64.

    Penalty as in CTRL/transformers (positive logits divided, negative multiplied), then temperature,
    then top-k (when `top_k` > 0: the k most likely, renormalized, as transformers' TopKLogitsWarper), then
    nucleus: the fewest most likely tokens whose mass reaches `top_p`, sampled by inverse CDF."""
    n, vocab = logits.shape
    lib = (
        kernels.load()
        if logits.device.type == "cpu"
        and temperature > 0.0
        and 0 < top_k < min(vocab, 257)
        and logits.dtype == torch.float32
        and seen.dtype == torch.bool
        else None
    )
    if lib is not None:
        # penalty, temperature, softmax and top-k in one pass over each row (the fused CPU kernel)
        lg, sn = logits.contiguous(), seen.contiguous()
        vals = torch.empty((n, top_k), dtype=torch.float32)
        idx = torch.empty((n, top_k), dtype=torch.int64)
        scratch = torch.empty(vocab, dtype=torch.float32)
        lib.penalized_topk(
            lg.data_ptr(),
            vocab,
            sn.data_ptr(),
            vocab,
            n,
            vocab,
            repetition_penalty,
            temperature,
            top_k,
            vals.data_ptr(),
            idx.data_ptr(),
            scratch.data_ptr(),
        )
        return _nucleus_of_top_k(vals, idx, u, top_p, top_k)
    if repetition_penalty != 1.0:
        logits = torch.where(
            seen, torch.where(logits > 0, logits / repetition_penalty, logits * repetition_penalty), logits
        )
    if temperature <= 0.0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    out = torch.empty(n, dtype=torch.int64, device=logits.device)
    uu = torch.as_tensor(u, dtype=torch.float64, device=logits.device)
    if 0 < top_k < vocab:
        vals, idx = probs.topk(top_k, dim=-1)
        return _nucleus_of_top_k(vals, idx, u, top_p, top_k)
    # a peaked distribution has its nucleus in the top k: sort only those (in order of likelihood)
    k = min(vocab, D.SOPRANO_TOPK_FAST)
    vals, idx = probs.topk(k, dim=-1)
    covered = vals.sum(-1) >= top_p if top_p < 1.0 else torch.zeros(n, dtype=torch.bool, device=probs.device)
    rows = covered.nonzero().flatten()
    if rows.numel():
        v = vals[rows].double()
        v = torch.where(v.cumsum(-1) - v < top_p, v, torch.zeros_like(v))  # mass before it < top_p: kept
        c = v.cumsum(-1)
        pick = torch.searchsorted(c, (uu[rows] * c[:, -1])[:, None], right=True).clamp_(max=k - 1)
        out[rows] = idx[rows].gather(1, pick).flatten()
    rows = (~covered).nonzero().flatten()
    if rows.numel():
        # a flat distribution: no sort of the whole vocabulary. Tokens fall in bins of log-probability
        # below the row's best (1/16 nat wide); the nucleus is every bin down to the one where the mass
        # reaches `top_p` (that bin whole), sampled by inverse CDF in vocabulary order.
        p = probs[rows]
        kept = p
        if top_p < 1.0:
            logp = p.clamp_min(1e-30).log()
            bins = (logp.max(-1, keepdim=True).values - logp) * D.SOPRANO_TOPP_BINS_PER_NAT
            bins = bins.clamp_(max=D.SOPRANO_TOPP_BINS - 1).long()
            mass = torch.zeros(len(rows), D.SOPRANO_TOPP_BINS, device=p.device).scatter_add_(1, bins, p)
            last = (mass.cumsum(-1) < top_p).sum(-1, keepdim=True)  # the bin where top_p is reached
            kept = p.masked_fill(bins > last, 0.0)
        c = kept.cumsum(-1)
        pick = torch.searchsorted(c, (uu[rows].to(c.dtype) * c[:, -1])[:, None], right=True).clamp_(
            max=vocab - 1
        )
        out[rows] = pick.flatten()
    return out


def _nucleus_of_top_k(
    vals: torch.Tensor, idx: torch.Tensor, u: np.ndarray, top_p: float, top_k: int
) -> torch.Tensor:
    """transformers' order: top-k on the tempered logits (`vals`, `idx`: the k likeliest, most likely first),
    then top-p over the renormalized k, sampled by inverse CDF with `u`."""
    uu = torch.as_tensor(u, dtype=torch.float64, device=vals.device)
    v = vals.double() / vals.double().sum(-1, keepdim=True)
    if top_p < 1.0:
        v = torch.where(v.cumsum(-1) - v < top_p, v, torch.zeros_like(v))
    c = v.cumsum(-1)
    pick = torch.searchsorted(c, (uu * c[:, -1])[:, None], right=True).clamp_(max=top_k - 1)
    return idx.gather(1, pick).flatten()


def repetition_score(hidden: torch.Tensor) -> float:
    """Soprano's hallucination signal for one sequence, hidden (T, dim) in [0, 1]: consecutive hidden states
    whose mean absolute difference is below `SOPRANO_HALLUCINATION_DIFF` count a run up, others count it
    down; the score is the peak run over 2 x (`SOPRANO_HALLUCINATION_RUN` + 1), capped at 1. It reaches 0.5
    exactly where the reference detector fires (a run over 16 steps of L1 difference < 300 across 512 dims)."""
    if hidden is None or hidden.shape[0] < 2:
        return 0.0
    diff = (hidden[1:].float() - hidden[:-1].float()).abs().mean(-1).cpu().numpy()
    run = peak = 0
    for close in diff < D.SOPRANO_HALLUCINATION_DIFF:
        if close:
            run += 1
        elif run > 0:
            run -= 1
        peak = max(peak, run)
    return min(1.0, peak / (2.0 * (D.SOPRANO_HALLUCINATION_RUN + 1)))
