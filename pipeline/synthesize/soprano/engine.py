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
from typing import TYPE_CHECKING

import numpy as np
import torch

from ... import defaults as D
from ...config import EngineConfig
from ...errors import EngineError
from ...normalize import plain_text, spell_initialisms
from ...pace import SOPRANO
from ...records import EngineOutput
from ..base import Engine, SynthRequest
from .decoder import VocosDecoder
from .generate import Job, LogitsProcessor, LoopStats, Sampling, generate
from .lm import LMShape, QwenLM
from .planner import BatchPlan, is_oom, plan
from .precision import choose, cpu_features, torch_dtype
from .sampling import repetition_score
from .weights import WHERE, find_weights, read_config

if TYPE_CHECKING:
    from .lmdeploy_backend import TurboMindLM

log = logging.getLogger(__name__)
ENGINE_VERSION = "7"  # bump when a change here changes the audio (2: soprano-tts text preparation,
# 3: int8 on CPUs without native bf16, 4: the mixed LM there, 5: fp16w LM there
# and packed prompts, 6: the fused CPU kernels of the LM and the int8 decoder, float32 rounding,
# 7: the bf16 LM on the CPU through the kernels, float32 between its products)


# What soprano-tts 0.2.0 does to text before tokenizing it (its utils/text_normalizer.clean_text, after
# number and abbreviation expansion, which our own normalization does better): symbols to words, ':' to '.',
# ';' to ',', lower case, only the characters its tokenizer was trained on, punctuation deduplicated.
_SYMBOL_WORDS = [
    ("@", " at "),
    ("&", " and "),
    ("%", " percent "),
    (":", "."),
    (";", ","),
    ("+", " plus "),
    ("\\", " backslash "),
    ("~", " about "),
    ("<=", " less than or equal to "),
    (">=", " greater than or equal to "),
    ("<", " less than "),
    (">", " greater than "),
    ("=", " equals "),
    ("/", " slash "),
    ("_", " "),
    ("*", " "),
]
MODEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz !$%&'*,-.0123456789?")  # after prepare: the training set
_UNKNOWN = re.compile(r"[^a-z !$%&'*,\-.0-9?]")
_SPACE_PUNCT = re.compile(r" ([.?!,])")
_TRIPLE = re.compile(r"(\w)\1{2,}")


def model_text(text: str) -> str:
    """The text in the form the model was trained on (soprano-tts's own preparation, applied after our
    normalization): ASCII, symbols as words, ':' as '.', ';' as ',', lower case, double quotes and other
    characters outside its training set dropped, punctuation deduplicated, and a sentence end (a period) when
    the text has none; a piece cut at a comma keeps its comma. Initialisms in capitals ("PM", "BBC") are
    spelled as letters first, since lower case would make them words."""
    text = plain_text(text)  # a lexicon's phoneme marks are for hibari; Soprano reads the word
    text = (
        unicodedata.normalize("NFKD", text.replace("\u2014", " - ")).encode("ascii", "ignore").decode("ascii")
    )
    for sym, words in _SYMBOL_WORDS:
        if sym in text:
            text = text.replace(sym, words)
    text = _UNKNOWN.sub("", spell_initialisms(text).lower())  # "PM" would be a word once lower-cased
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

    def __init__(
        self,
        path: Path,
        device: str = "auto",
        dtype: str = "auto",
        decoder_dtype: str = "auto",
        backend: str = D.SOPRANO_BACKEND,
        temperature: float = D.SOPRANO_TEMPERATURE,
        top_p: float = D.SOPRANO_TOP_P,
        repetition_penalty: float = D.SOPRANO_REPETITION_PENALTY,
        top_k: int = D.SOPRANO_TOP_K,
        max_new_tokens: int = D.SOPRANO_MAX_NEW_TOKENS,
        memory_fraction: float = D.SOPRANO_MEMORY_FRACTION,
        kv_cache_fraction: float = D.SOPRANO_KV_CACHE_FRACTION,
        lm_slots: int = 0,
        decoder_frames: int = 0,
        threads: int = 0,
    ):
        self.path = Path(path)
        self._use_device(device, threads)
        self._choose_precisions(dtype, decoder_dtype)
        self.backend = backend = self._choose_backend(backend)
        self.sampling = Sampling(temperature, top_p, repetition_penalty, top_k)
        self.max_new_tokens = min(max_new_tokens, D.SOPRANO_MAX_NEW_TOKENS)
        self.memory_fraction, self.kv_cache_fraction = memory_fraction, kv_cache_fraction
        self.stats = EngineStats()
        self._load(backend)
        self.stop_id = self._stop_token()
        self.plan: BatchPlan = plan(
            self.shape,
            256 + self.max_new_tokens,
            self.lm_dtype,
            self.decoder.dim,
            self.decoder.inter,
            self.decoder.n_fft,
            self.decoder_dtype,
            self.device,
            memory_fraction,
        )
        self.lm_slots = lm_slots or self.plan.lm_slots
        self.decoder_frames = decoder_frames or self.plan.decoder_frames
        self._turbomind = None
        if backend == "lmdeploy":
            self._turbomind = self._start_turbomind(kv_cache_fraction, dtype)
        self._identity: dict | None = None
        # benchmarks and tests: edits each step's logits before sampling (torch backend only), e.g. to force
        # a sequence's length; None in production
        self.logits_processor: LogitsProcessor | None = None

    def _use_device(self, device: str, threads: int) -> None:
        """Sets torch's CPU threads (when `threads` > 0) and `self.device` ('auto': CUDA when available)."""
        if threads > 0:
            # torch's intra-op threads on the CPU (0: torch's default, one per core). On a machine shared
            # with other work, fewer threads than cores avoids OpenMP barriers waiting on a preempted thread.
            torch.set_num_threads(threads)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise EngineError(f"device '{device}' asked for but CUDA is not available; use --device cpu")

    def _choose_precisions(self, dtype: str, decoder_dtype: str) -> None:
        """Sets the LM's and the decoder's precision and the torch dtypes their activations are held in."""
        # precisions: float32 | bfloat16 | float16 (CUDA) | int8 | fp16w (CPU, FBGEMM); auto from what the device
        # runs natively (precision.choose). lm_dtype/decoder_dtype: the torch dtype activations are held in.
        self.lm_precision = choose(dtype, self.device, "lm")
        self.decoder_precision = choose(
            dtype if decoder_dtype == "auto" else decoder_dtype, self.device, "decoder"
        )
        self.lm_dtype, self.decoder_dtype = (
            torch_dtype(self.lm_precision),
            torch_dtype(self.decoder_precision),
        )

    def _choose_backend(self, backend: str) -> str:
        """The LM's backend: 'torch' or 'lmdeploy' ('auto': lmdeploy on CUDA when it is installed). Raises
        EngineError when lmdeploy is asked for off CUDA or is not installed, before any weights load."""
        if backend == "auto":
            backend = "torch"
            if self.device.type == "cuda":
                try:
                    import lmdeploy  # only whether it is installed

                    backend = "lmdeploy"
                except ImportError:
                    pass
        if backend == "lmdeploy" and self.device.type != "cuda":
            raise EngineError("the lmdeploy backend runs on CUDA only; use --config with backend = 'torch'")
        if backend == "lmdeploy":
            try:  # before any weights load: the missing extra, exit 7
                import lmdeploy  # noqa: F401 - only whether it is installed, before any weights load
            except ImportError as e:
                raise EngineError(
                    f"the lmdeploy backend needs lmdeploy ({e}): install with: pip install -e '.[gpu]'"
                ) from e
        return backend

    def _load(self, backend: str) -> None:
        """Loads the tokenizer, the LM's shape, the torch LM (torch backend only) and the decoder; a missing
        extra or a broken checkpoint is an EngineError that says what to do."""
        try:
            from tokenizers import Tokenizer

            self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            self.shape = LMShape.from_config(read_config(self.path))
            # TurboMind holds its own copy of the LM; the torch one is loaded only to run it here
            self.lm = (
                QwenLM.load(
                    self.path, self.device, self.lm_precision, max_positions=D.SOPRANO_MAX_NEW_TOKENS + 1024
                )
                if backend == "torch"
                else None
            )
            self.decoder = VocosDecoder.load(self.path, self.device, self.decoder_precision)
        except ImportError as e:
            # a missing extra is an engine error (exit 7) that says what to install, not an internal error
            raise EngineError(
                f"the soprano engine needs torch, safetensors and tokenizers ({e}): "
                "install with: pip install -e '.[soprano]'"
            ) from e
        except (KeyError, ValueError, RuntimeError, OSError) as e:
            raise EngineError(
                f"Soprano checkpoint at {self.path} could not be loaded "
                f"({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''}); {WHERE}"
            ) from e

    def _stop_token(self) -> int:
        """The id of the tokenizer's [STOP] token, where generation stops."""
        stop = self.tokenizer.token_to_id("[STOP]")
        if stop is None:
            raise EngineError(f"Soprano tokenizer at {self.path} has no [STOP] token; {WHERE}")
        if self.shape.eos_id is not None and self.shape.eos_id != stop:
            log.warning(
                "config.json eos_token_id %s is not [STOP] (%s); stopping at [STOP]", self.shape.eos_id, stop
            )
        return stop

    def _start_turbomind(self, kv_cache_fraction: float, dtype: str) -> TurboMindLM:
        """The LM on lmdeploy's TurboMind, with room for `lm_slots` sequences."""
        from .lmdeploy_backend import TurboMindLM

        try:
            return TurboMindLM(
                self.path,
                kv_cache_fraction,
                self.lm_slots,
                256 + self.max_new_tokens,
                dtype if dtype != "auto" else "auto",
            )
        except ImportError as e:
            raise EngineError(str(e)) from e

    @classmethod
    def from_config(cls, cfg: EngineConfig) -> SopranoEngine:
        path = find_weights(cfg.model_path, download=True)
        if path is None:
            raise EngineError(f"Soprano weights not found; {WHERE}")
        return cls(
            path,
            device=cfg.device,
            dtype=cfg.dtype,
            decoder_dtype=cfg.decoder_dtype,
            backend=cfg.backend,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            repetition_penalty=cfg.repetition_penalty,
            top_k=cfg.top_k,
            max_new_tokens=cfg.max_new_tokens,
            memory_fraction=cfg.memory_fraction,
            kv_cache_fraction=cfg.kv_cache_fraction,
            threads=cfg.threads,
        )

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

    def synthesize_batch(self, requests: list[SynthRequest]) -> list[EngineOutput]:
        """Audio per request (mono float32, shape ((T-1) * 2048,), 32 kHz)."""
        if not requests:
            return []
        jobs = [Job(self.prompt_ids(req.text), req.seed, self.cap_tokens(req)) for req in requests]
        t0 = time.perf_counter()
        self._generate(jobs, [model_text(r.text) for r in requests])
        t1 = time.perf_counter()
        hidden = [j.hidden for j in jobs if j.hidden is not None]
        assert len(hidden) == len(jobs), "every job has its hidden states once generated"
        audio = self._decode(hidden)
        t2 = time.perf_counter()
        st = self.stats
        st.lm_s += t1 - t0
        st.decoder_s += t2 - t1
        outs: list[EngineOutput] = []
        for job, a, h in zip(jobs, audio, hidden, strict=True):
            st.tokens += len(job.tokens)
            st.decoder_flops += len(job.tokens) * self.decoder.flops_per_token()
            st.audio_s += len(a) / self.sample_rate
            outs.append(
                EngineOutput(
                    audio=a.numpy().astype(np.float32, copy=False),
                    finish_reason=job.finish_reason,
                    repetition=repetition_score(h),
                    tokens=len(job.tokens),
                )
            )
        return outs

    def _generate(self, jobs: list[Job], texts: list[str]) -> None:
        if self._turbomind is not None:
            if self.logits_processor is not None:
                raise EngineError("a logits processor runs on the torch backend only")
            prompts = [prompt(t) for t in texts]
            self._turbomind.generate(prompts, jobs, self.stop_id, self.sampling, self.shape.vocab)
            return
        slots = self.lm_slots
        assert self.lm is not None, "the torch backend loads the LM"
        while True:
            loop = LoopStats()
            try:
                generate(self.lm, jobs, self.stop_id, self.sampling, slots, loop, self.logits_processor)
                self.stats.lm_flops += loop.flops
                return
            except (RuntimeError, MemoryError) as e:
                if not is_oom(e) or slots == 1:
                    raise
                slots = max(1, slots // 2)
                log.warning("out of memory with %d LM slots; retrying with %d", slots * 2, slots)
                self.lm_slots = slots
                for j in jobs:  # per-sequence seeds: a rerun gives the same tokens
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
                audio = self.decoder.decode(
                    [
                        hidden[i] if hidden[i].shape[0] else hidden[i].new_zeros(1, hidden[i].shape[1])
                        for i in chunk
                    ]
                )
            except (RuntimeError, MemoryError) as e:
                if not is_oom(e) or self.decoder_frames <= 4 * D.SOPRANO_MAX_NEW_TOKENS + 1:
                    raise
                self.decoder_frames //= 2
                log.warning(
                    "out of memory in the decoder; retrying with %d frames a batch", self.decoder_frames
                )
                continue
            for i, a in zip(chunk, audio, strict=True):
                out[i] = a
            start = end
        done = [a for a in out if a is not None]
        assert len(done) == len(out), "every sequence is decoded"
        return done

    # --- identity -------------------------------------------------------------------------------------
    def identity(self) -> dict:
        if self._identity is None:
            h = hashlib.sha256()
            for name in ("config.json", "model.safetensors", "tokenizer.json", "decoder.pth"):
                with open(self.path / name, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            self._identity = {
                "engine": self.name,
                "engine_version": ENGINE_VERSION,
                "weights_sha256": h.hexdigest()[:16],
                "config": json.loads((self.path / "config.json").read_text()),
                "backend": self.backend,
                "device": self.device.type,
                "lm_dtype": self.lm_precision,
                "decoder_dtype": self.decoder_precision,
                # the fused kernels' build (variant, source hash, flags, compiler), or torch: the segment cache
                # never mixes audio from two builds
                "lm_kernels": self.lm.kernels.build
                if self.lm is not None and self.lm.kernels is not None
                else "torch",
                "decoder_kernels": self.decoder.kernels.build
                if self.decoder is not None and self.decoder.kernels is not None
                else "torch",
                "temperature": self.sampling.temperature,
                "top_p": self.sampling.top_p,
                "top_k": self.sampling.top_k,
                "repetition_penalty": self.sampling.repetition_penalty,
                "max_new_tokens": self.max_new_tokens,
                "sample_rate": self.sample_rate,
            }
        return self._identity

    def describe(self) -> str:
        where = self.device.type if self.device.type != "cpu" else f"cpu {cpu_features().describe()}"
        k = self.lm.kernels if self.lm is not None else None
        kern = (
            ""
            if self.device.type != "cpu"
            else (
                f", fused CPU kernels ({k.variant})"
                if k is not None
                else ", torch operations (no fused CPU kernels here)"
            )
        )
        return (
            f"soprano ({self.backend} on {where}, LM {self.lm_precision}, decoder {self.decoder_precision}"
            f"{kern}, {self.lm_slots} LM slots, weights {self.path})"
        )

    def close(self) -> None:
        if self._turbomind is not None:
            self._turbomind.close()
        self.lm = None
        self.decoder = None  # type: ignore[assignment]  # closed: the engine is never used again
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
