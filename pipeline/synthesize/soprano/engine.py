"""SopranoEngine: Soprano-80M behind the engine interface. Text -> LM hidden states -> decoder -> audio.

The LM runs on the torch backend (CPU or CUDA, `generate.py`) or on lmdeploy/TurboMind (CUDA); the decoder
always runs in torch. Each segment samples from its own seed, so its audio does not depend on its batch.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ... import defaults as D
from ...config import EngineConfig
from ...errors import EngineError
from ...pace import SOPRANO
from ...records import EngineOutput
from ..base import Engine, SynthRequest
from .decoder import VocosDecoder
from .generate import Job, LoopStats, Sampling, generate
from .lm import LMShape, QwenLM
from .planner import BatchPlan, is_oom, plan
from .sampling import repetition_score
from .weights import WHERE, find_weights, read_config

log = logging.getLogger(__name__)
ENGINE_VERSION = "2"          # bump when a change here changes the audio (2: soprano-tts text preparation)


# What soprano-tts 0.2.0 does to text before tokenizing it (its utils/text_normalizer.clean_text, after
# number and abbreviation expansion, which our own normalization does better): symbols to words, ':' to '.',
# ';' to ',', lower case, only the characters its tokenizer was trained on, punctuation deduplicated.
_SYMBOL_WORDS = [("@", " at "), ("&", " and "), ("%", " percent "), (":", "."), (";", ","),
                 ("+", " plus "), ("\\", " backslash "), ("~", " about "), ("<=", " less than or equal to "),
                 (">=", " greater than or equal to "), ("<", " less than "), (">", " greater than "),
                 ("=", " equals "), ("/", " slash "), ("_", " "), ("*", " ")]
MODEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz !$%&'*,-.0123456789?")   # after prepare: the training set
_UNKNOWN = re.compile(r"[^a-z !$%&'*,\-.0-9?]")
_SPACE_PUNCT = re.compile(r" ([.?!,])")
_TRIPLE = re.compile(r"(\w)\1{2,}")


def model_text(text: str) -> str:
    """The text in the form the model was trained on (soprano-tts's own preparation, applied after our
    normalization): ASCII, symbols as words, ':' as '.', ';' as ',', lower case, double quotes and other
    characters outside its training set dropped, punctuation deduplicated, and a sentence end (a period) when
    the text has none; a piece cut at a comma keeps its comma."""
    text = unicodedata.normalize("NFKD", text.replace("\u2014", " - ")).encode("ascii", "ignore").decode("ascii")
    for sym, words in _SYMBOL_WORDS:
        if sym in text:
            text = text.replace(sym, words)
    text = _UNKNOWN.sub("", text.lower())
    text = _SPACE_PUNCT.sub(r"\1", re.sub(r"\s+", " ", text)).strip()
    text = re.sub(r"\.\.\.+", "\x00", text)
    text = re.sub(r",+", ",", text)
    text = re.sub(r"[.,]*\.[.,]*", ".", text)
    text = re.sub(r"[.,!]*![.,!]*", "!", text)
    text = re.sub(r"[.,!?]*\?[.,!?]*", "?", text)
    text = _TRIPLE.sub(lambda m: m.group(0)[:2], text.replace("\x00", "..."))
    text = text.strip(" ,.") if not re.search(r"[a-z0-9]", text) else text.lstrip(" ,.")
    if text and text[-1] not in ".!?,":
        text += "."
    return text


def expected_tokens(text: str) -> float:
    return len(text) / SOPRANO.chars_per_second * D.SOPRANO_TOKENS_PER_S


def prompt(text: str) -> str:
    """The prompt Soprano was trained on, around text already in its form (`model_text`)."""
    return f"[STOP][TEXT]{text}[START]"


def _dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        # measured on an AVX512-BF16 CPU: bf16 matmuls 4-7x the float32 rate (scripts/bench_soprano.py)
        return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise EngineError(f"unknown dtype '{name}'; use auto, float32, bfloat16 or float16") from None


@dataclass(slots=True)
class EngineStats:
    """Where the time went, for benchmarks."""

    lm_s: float = 0.0
    decoder_s: float = 0.0
    tokens: int = 0
    lm_flops: float = 0.0
    decoder_flops: float = 0.0
    audio_s: float = 0.0


class SopranoEngine(Engine):
    spec = SOPRANO

    def __init__(self, path: Path, device: str = "auto", dtype: str = "auto", decoder_dtype: str = "auto",
                 backend: str = D.SOPRANO_BACKEND, temperature: float = D.SOPRANO_TEMPERATURE,
                 top_p: float = D.SOPRANO_TOP_P, repetition_penalty: float = D.SOPRANO_REPETITION_PENALTY,
                 top_k: int = D.SOPRANO_TOP_K,
                 max_new_tokens: int = D.SOPRANO_MAX_NEW_TOKENS, memory_fraction: float = D.SOPRANO_MEMORY_FRACTION,
                 kv_cache_fraction: float = D.SOPRANO_KV_CACHE_FRACTION, lm_slots: int = 0, decoder_frames: int = 0,
                 threads: int = 0):
        self.path = Path(path)
        if threads > 0:
            # torch's intra-op threads on the CPU (0: torch's default, one per core). On a machine shared
            # with other work, fewer threads than cores avoids OpenMP barriers waiting on a preempted thread.
            torch.set_num_threads(threads)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise EngineError(f"device '{device}' asked for but CUDA is not available; use --device cpu")
        self.lm_dtype = _dtype(dtype, self.device)
        self.decoder_dtype = self.lm_dtype if decoder_dtype == "auto" else _dtype(decoder_dtype, self.device)
        if self.device.type == "cpu" and torch.float16 in (self.lm_dtype, self.decoder_dtype):
            raise EngineError("float16 is for CUDA; on the CPU use bfloat16 or float32")
        if backend == "auto":
            backend = "torch"
            if self.device.type == "cuda":
                try:
                    import lmdeploy  # noqa: F401
                    backend = "lmdeploy"
                except ImportError:
                    pass
        if backend == "lmdeploy" and self.device.type != "cuda":
            raise EngineError("the lmdeploy backend runs on CUDA only; use --config with backend = 'torch'")
        self.backend = backend
        self.sampling = Sampling(temperature, top_p, repetition_penalty, top_k)
        self.max_new_tokens = min(max_new_tokens, D.SOPRANO_MAX_NEW_TOKENS)
        self.memory_fraction, self.kv_cache_fraction = memory_fraction, kv_cache_fraction
        self.stats = EngineStats()
        try:
            from tokenizers import Tokenizer
            self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            self.shape = LMShape.from_config(read_config(self.path))
            # TurboMind holds its own copy of the LM; the torch one is loaded only to run it here
            self.lm = QwenLM.load(self.path, self.device, self.lm_dtype,
                                  max_positions=D.SOPRANO_MAX_NEW_TOKENS + 1024) if backend == "torch" else None
            self.decoder = VocosDecoder.load(self.path, self.device, self.decoder_dtype)
        except ImportError as e:
            raise ImportError("the soprano engine needs torch, safetensors and tokenizers: "
                              "install with: pip install -e '.[soprano]'") from e
        except (KeyError, ValueError, RuntimeError, OSError) as e:
            raise EngineError(f"Soprano checkpoint at {self.path} could not be loaded "
                              f"({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''}); {WHERE}") from e
        stop = self.tokenizer.token_to_id("[STOP]")
        if stop is None:
            raise EngineError(f"Soprano tokenizer at {self.path} has no [STOP] token; {WHERE}")
        self.stop_id = stop
        if self.shape.eos_id is not None and self.shape.eos_id != stop:
            log.warning("config.json eos_token_id %s is not [STOP] (%s); stopping at [STOP]", self.shape.eos_id, stop)
        inter = self.decoder.blocks[0]["w1"].shape[0] if self.decoder.blocks else 0
        self.plan: BatchPlan = plan(self.shape, 256 + self.max_new_tokens, self.lm_dtype, self.decoder.dim, inter,
                               self.decoder.n_fft, self.decoder_dtype, self.device, memory_fraction)
        self.lm_slots = lm_slots or self.plan.lm_slots
        self.decoder_frames = decoder_frames or self.plan.decoder_frames
        self._turbomind = None
        if backend == "lmdeploy":
            from .lmdeploy_backend import TurboMindLM
            self._turbomind = TurboMindLM(self.path, kv_cache_fraction, self.lm_slots, 256 + self.max_new_tokens,
                                          dtype if dtype != "auto" else "auto")
        self._identity: dict | None = None

    @classmethod
    def from_config(cls, cfg: EngineConfig) -> SopranoEngine:
        path = find_weights(cfg.model_path, download=True)
        if path is None:
            raise EngineError(f"Soprano weights not found; {WHERE}")
        return cls(path, device=cfg.device, dtype=cfg.dtype, decoder_dtype=cfg.decoder_dtype, backend=cfg.backend,
                   temperature=cfg.temperature, top_p=cfg.top_p, repetition_penalty=cfg.repetition_penalty, top_k=cfg.top_k,
                   max_new_tokens=cfg.max_new_tokens, memory_fraction=cfg.memory_fraction,
                   kv_cache_fraction=cfg.kv_cache_fraction, threads=cfg.threads)

    # --- the hook -------------------------------------------------------------------------------------
    def cap_tokens(self, req: SynthRequest) -> int:
        """The length guard: tokens allowed for this segment, from its text, never over 512."""
        if req.max_seconds > 0:
            want = req.max_seconds * D.SOPRANO_TOKENS_PER_S + 1
        else:
            want = expected_tokens(req.text) * D.SOPRANO_LENGTH_CAP_RATIO + 1
        return int(min(self.max_new_tokens, max(D.SOPRANO_MIN_CAP_TOKENS, math.ceil(want))))

    def prompt_ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(prompt(model_text(text))).ids

    def synthesize_batch(self, requests: list[SynthRequest], force_tokens: list[int] | None = None) -> list[EngineOutput]:
        """Audio per request (mono float32, shape ((T-1) * 2048,), 32 kHz). `force_tokens` (benchmarks only)
        makes request i generate exactly that many tokens before [STOP]."""
        if not requests:
            return []
        jobs = []
        for i, req in enumerate(requests):
            cap = self.cap_tokens(req)
            force = None
            if force_tokens is not None:
                force = int(force_tokens[i])
                cap = max(cap, min(force + 1, D.SOPRANO_MAX_NEW_TOKENS))
            jobs.append(Job(self.prompt_ids(req.text), req.seed, cap, force))
        t0 = time.perf_counter()
        self._generate(jobs, [model_text(r.text) for r in requests])
        t1 = time.perf_counter()
        audio = self._decode([j.hidden for j in jobs])
        t2 = time.perf_counter()
        st = self.stats
        st.lm_s += t1 - t0
        st.decoder_s += t2 - t1
        outs = []
        for job, a in zip(jobs, audio, strict=True):
            st.tokens += len(job.tokens)
            st.decoder_flops += len(job.tokens) * self.decoder.flops_per_token()
            st.audio_s += len(a) / self.sample_rate
            outs.append(EngineOutput(audio=a.numpy().astype(np.float32, copy=False), finish_reason=job.finish_reason,
                                     repetition=repetition_score(job.hidden), tokens=len(job.tokens)))
        return outs

    def _generate(self, jobs: list[Job], texts: list[str]) -> None:
        if self._turbomind is not None:
            prompts = [prompt(t) for t in texts]
            self._turbomind.generate(prompts, jobs, self.stop_id, self.sampling, self.shape.vocab)
            return
        slots = self.lm_slots
        while True:
            loop = LoopStats()
            try:
                generate(self.lm, jobs, self.stop_id, self.sampling, slots, loop)
                self.stats.lm_flops += loop.flops
                return
            except (RuntimeError, MemoryError) as e:
                if not is_oom(e) or slots == 1:
                    raise
                slots = max(1, slots // 2)
                log.warning("out of memory with %d LM slots; retrying with %d", slots * 2, slots)
                self.lm_slots = slots
                for j in jobs:          # per-sequence seeds: a rerun gives the same tokens
                    j.tokens, j.hidden, j.finish_reason = [], None, ""
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()

    def _decode(self, hidden: list[torch.Tensor]) -> list[torch.Tensor]:
        """Decoder batches of similar length (sorted, at most `decoder_frames` padded frames each)."""
        order = sorted(range(len(hidden)), key=lambda i: hidden[i].shape[0])
        out: list[torch.Tensor | None] = [None] * len(hidden)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order):
                frames = D.SOPRANO_UPSCALE * (hidden[order[end]].shape[0] - 1) + 1
                if frames * (end - start + 1) > self.decoder_frames:
                    break
                end += 1
            chunk = order[start:end]
            try:
                audio = self.decoder.decode([hidden[i] if hidden[i].shape[0] else hidden[i].new_zeros(1, hidden[i].shape[1])
                                             for i in chunk])
            except (RuntimeError, MemoryError) as e:
                if not is_oom(e) or self.decoder_frames <= 4 * D.SOPRANO_MAX_NEW_TOKENS + 1:
                    raise
                self.decoder_frames //= 2
                log.warning("out of memory in the decoder; retrying with %d frames a batch", self.decoder_frames)
                continue
            for i, a in zip(chunk, audio, strict=True):
                out[i] = a
            start = end
        return out  # type: ignore[return-value]

    # --- identity -------------------------------------------------------------------------------------
    def identity(self) -> dict:
        if self._identity is None:
            h = hashlib.sha256()
            for name in ("config.json", "model.safetensors", "tokenizer.json", "decoder.pth"):
                with open(self.path / name, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            self._identity = {
                "engine": self.name, "engine_version": ENGINE_VERSION, "weights_sha256": h.hexdigest()[:16],
                "config": json.loads((self.path / "config.json").read_text()),
                "backend": self.backend, "device": self.device.type, "lm_dtype": str(self.lm_dtype).split(".")[-1],
                "decoder_dtype": str(self.decoder_dtype).split(".")[-1], "temperature": self.sampling.temperature,
                "top_p": self.sampling.top_p, "top_k": self.sampling.top_k,
                "repetition_penalty": self.sampling.repetition_penalty,
                "max_new_tokens": self.max_new_tokens, "sample_rate": self.sample_rate}
        return self._identity

    def describe(self) -> str:
        return (f"soprano ({self.backend} on {self.device.type}, LM {str(self.lm_dtype).split('.')[-1]}, "
                f"decoder {str(self.decoder_dtype).split('.')[-1]}, {self.lm_slots} LM slots, weights {self.path})")

    def close(self) -> None:
        if self._turbomind is not None:
            self._turbomind.close()
        self.lm = None  # type: ignore[assignment]
        self.decoder = None  # type: ignore[assignment]
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
