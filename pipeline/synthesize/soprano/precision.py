"""What the CPU runs natively, the precision chosen from it, and the linear layers in that precision.

Precisions: `float32`, `bfloat16`, `float16` (CUDA) and `int8`: int8 weights (per output channel) times
int8 activations quantized per call (FBGEMM's dynamic linear, 7-bit activations so AVX2's 16-bit pair sums
cannot saturate), float32 in and out; and `fp16w` (the LM on AVX2 CPUs): every product with float16
weights and float32 arithmetic (FBGEMM's fp16 GEMM: F16C widens the weights in registers, so it reads half
the bytes of float32 and is faster than MKL's float32 at every batch size the LM runs, about 60 dB from it).
Everything that is not a matrix product (norms, attention, the ISTFT head) stays in float32 under `int8`
and `fp16w`.

The CPU's features come from /proc/cpuinfo, less what the process was told not to use: torch's own
`ATEN_CPU_CAPABILITY` (seen through `torch.backends.cpu.get_cpu_capability()`) and oneDNN's
`ONEDNN_MAX_CPU_ISA`. A benchmark that caps them emulates an older CPU, and the engine then chooses as it
would there: it never picks a dtype the CPU would only emulate.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from ...errors import EngineError

PRECISIONS = ("float32", "bfloat16", "float16", "int8", "fp16w")
_TORCH = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
    "int8": torch.float32,
    "fp16w": torch.float32,
}
_BELOW_AVX512 = ("sse41", "avx", "avx2", "avx2_vnni", "avx2_vnni_2", "default")
_BELOW_BF16 = ("avx512_core", "avx512_core_vnni")


@dataclass(frozen=True, slots=True)
class CpuFeatures:
    """The x86 features this process may use (flags as /proc/cpuinfo spells them), and torch's level."""

    flags: frozenset[str]
    capability: str  # torch.backends.cpu.get_cpu_capability(): DEFAULT, AVX2, AVX512, ...

    @property
    def bf16_native(self) -> bool:
        """bf16 matrix products in hardware (AVX512-BF16 or AMX), not emulated in float32."""
        return bool(self.flags & {"avx512_bf16", "amx_bf16"})

    @property
    def int8_native(self) -> bool:
        """FBGEMM's int8 kernels run here (AVX2 or newer, with the quantized ops in this torch build)."""
        return "avx2" in self.flags and "fma" in self.flags and _fbgemm_available()

    @property
    def isa(self) -> str:
        """A short name for the widest vector ISA in use: AVX512-BF16, AVX512-VNNI, AVX512, AVX2 or SSE."""
        if self.flags & {"amx_bf16"}:
            return "AMX-BF16"
        for flag, name in (
            ("avx512_bf16", "AVX512-BF16"),
            ("avx512_vnni", "AVX512-VNNI"),
            ("avx512f", "AVX512"),
            ("avx2", "AVX2"),
        ):
            if flag in self.flags:
                return name
        return "SSE" if self.flags else "unknown"

    def describe(self) -> str:
        native = ", ".join(n for n, ok in (("bfloat16", self.bf16_native), ("int8", self.int8_native)) if ok)
        return f"{self.isa} (torch {self.capability}; native: float32{', ' + native if native else ''})"


def _fbgemm_available() -> bool:
    try:
        return "fbgemm" in torch.backends.quantized.supported_engines and hasattr(
            torch.ops.quantized, "linear_dynamic"
        )
    except (AttributeError, RuntimeError):
        return False


@lru_cache(maxsize=1)
def cpu_features() -> CpuFeatures:
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    capability = torch.backends.cpu.get_cpu_capability()
    onednn = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "")).strip().lower()
    if not capability.startswith("AVX512") or onednn in _BELOW_AVX512:
        flags = {f for f in flags if not f.startswith(("avx512", "amx"))}
    elif onednn in _BELOW_BF16:
        flags = {f for f in flags if f not in ("avx512_bf16", "amx_bf16", "amx_tile", "amx_int8")}
    if capability in ("DEFAULT", "NO AVX"):
        flags -= {"avx2", "fma"}
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        flags -= {"avx512_bf16", "amx_bf16"}
    return CpuFeatures(frozenset(flags), capability)


def choose(name: str, device: torch.device, part: str = "lm") -> str:
    """The precision `name` ("auto" or one of PRECISIONS) resolves to on `device`, for `part` "lm" or "decoder".

    auto: bf16 (fp16 without it) on CUDA; on the CPU bf16 where the CPU has it natively; else, where FBGEMM
    runs (every AVX2 CPU), the LM `fp16w` and the decoder int8; float32 elsewhere. Measured by
    `make bench-soprano` on the published shape: an int8 LM is about 25 dB from float32 in audio (its
    weights' 8-bit rounding compounds over 17 layers: int8 in any one of its four products costs 30-34 dB),
    so the LM keeps 16-bit weights; the int8 decoder is about 34 dB, and `auto` as a whole about 34 dB
    (README, "Soprano precision")."""
    if name == "auto":
        if device.type == "cuda":
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        feats = cpu_features()
        if feats.bf16_native:
            return "bfloat16"
        if feats.int8_native:
            return "int8" if part == "decoder" else "fp16w"
        return "float32"
    if name not in PRECISIONS:
        raise EngineError(f"unknown dtype '{name}'; use auto, {', '.join(PRECISIONS)}")
    if name == "float16" and device.type == "cpu":
        raise EngineError("float16 is for CUDA; on the CPU use bfloat16, int8 or float32")
    if name in ("int8", "fp16w") and (device.type != "cpu" or not cpu_features().int8_native):
        raise EngineError(f"{name} runs on x86 CPUs with AVX2 (FBGEMM); use float32 or bfloat16")
    return name


def torch_dtype(precision: str) -> torch.dtype:
    """The dtype activations (and the KV cache) are held in under `precision`."""
    return _TORCH[precision]


Linear = Callable[[torch.Tensor], torch.Tensor]


def linear(weight: torch.Tensor, bias: torch.Tensor | None, precision: str, device: torch.device) -> Linear:
    """x (..., in) -> (..., out) in `precision` (one of PRECISIONS), from a float32 `weight` (out, in) and
    optional `bias` (out,)."""
    if precision == "int8":
        return _Int8Linear(weight, bias)
    if precision == "fp16w":
        return _Fp16WeightLinear(weight, bias)
    w = weight.to(device=device, dtype=_TORCH[precision]).contiguous()
    b = None if bias is None else bias.to(device=device, dtype=_TORCH[precision])
    return lambda x: F.linear(x, w, b)


class _Fp16WeightLinear:
    """FBGEMM's fp16 GEMM: weights stored in float16 (F16C converts them), float32 activations, arithmetic and
    result. Each output row depends on its input row alone."""

    __slots__ = ("bias", "packed")

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        w = weight.detach().float().cpu().contiguous()
        self.packed = torch.ops.quantized.linear_prepack_fp16(w, None)
        self.bias = None if bias is None else bias.detach().float().cpu()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.ops.quantized.linear_dynamic_fp16(x.float(), self.packed)
        return y if self.bias is None else y.add_(self.bias)


class _Int8Linear:
    """FBGEMM's dynamic-quantized linear, made per row: weights int8 per output channel; each input row is
    first mapped onto [0, 1] by its own min and range, so FBGEMM's per-tensor activation scale is the same
    (1/127) for every batch. A row's result never depends on the rows beside it (a segment sounds the same
    in any batch), and every row uses the whole 7-bit range.

    W x = r (W z) + m (W 1) + b, with z = (x - m) / r, m and r the row's min and range."""

    __slots__ = ("bias", "out_features", "packed", "wsum")

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        w = weight.detach().float().cpu().contiguous()
        scale = (w.abs().amax(dim=1) / 127.0).clamp_min(1e-12).double()
        previous = torch.backends.quantized.engine
        with warnings.catch_warnings():
            # the quantized-tensor constructors are marked deprecated; FBGEMM's prepacked ops are what runs
            warnings.simplefilter("ignore")
            try:
                torch.backends.quantized.engine = "fbgemm"
                q = torch.quantize_per_channel(
                    w, scale, torch.zeros(w.shape[0], dtype=torch.long), 0, torch.qint8
                )
                self.packed = torch.ops.quantized.linear_prepack(q, None)
            finally:
                torch.backends.quantized.engine = previous
        self.wsum = q.dequantize().sum(dim=1)  # W 1, of the weights as quantized
        self.bias = None if bias is None else bias.detach().float().cpu()
        self.out_features = w.shape[0]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        # amin and amax apart: torch's CPU aminmax over the last dim is 6-17x slower than the two of them
        lo = x.amin(dim=-1, keepdim=True)
        r = (x.amax(dim=-1, keepdim=True) - lo).clamp_min_(1e-30)
        z = (x - lo).div_(r)
        # reduce_range: 7-bit activations, so u8 x s8 pair sums stay inside AVX2's int16 (no saturation)
        y = torch.ops.quantized.linear_dynamic(z, self.packed, True).mul_(r).addcmul_(lo, self.wsum)
        return y if self.bias is None else y.add_(self.bias)
