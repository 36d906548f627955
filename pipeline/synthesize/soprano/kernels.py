"""The Soprano engine's fused CPU kernels (`kernels.c`): built by the package build, chosen by CPU features,
loaded by ctypes behind argument checks.

`load()` returns a `Kernels` (every C call behind checks of dtype, layout, shape and index ranges that raise
`ValueError`/`IndexError`, never a crash), or None where they cannot run: not x86 with AVX2+FMA+F16C, no
build, or `RENDER_SOPRANO_KERNELS=0`; the engine then runs the same operations in torch. Nothing here is
needed for correctness, only for speed: both paths are tested against each other and against transformers.

Which library: `pip install` builds one per variant (`build_flags.VARIANTS`: avx512 with BF16, avx2) next
to this file; the first variant whose features the CPU has, less what `ATEN_CPU_CAPABILITY` and
`ONEDNN_MAX_CPU_ISA` take away (`precision.cpu_features`), and whose build matches this `kernels.c`
(its hash is compiled in) is loaded. No compiler is needed at run time.

For development (the source edited since the install, or no install build): where a C compiler is found,
the variant is built at run time into `$RENDER_KERNEL_CACHE` (else `$XDG_CACHE_HOME/render/kernels`, else
`~/.cache/render/kernels`). That folder must be a directory owned by this user with mode 0700 (created so;
one owned by someone else, or that group or others can open, is refused with a warning); the file is named
by a hash of the source, variant, flags and compiler, written under a temporary name and renamed, and no
other build there is ever deleted. If the folder is refused or cannot be written, the build goes to a fresh
private folder from `mkdtemp` (a name no other user can predict), removed once the library is loaded.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.machinery
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from .build_flags import OPENMP, VARIANTS, defines, flags
from .precision import cpu_features

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SOURCE = HERE / "kernels.c"
ABI = 5
_P, _I, _F, _B = ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_int
_SIGNATURES = {
    "rms_norm": [_P, _I, _P, _P, _I, _B, _I, _I, _F],
    "add_rms_norm": [_P, _P, _I, _B, _P, _P, _I, _B, _I, _I, _F],
    "qk_rope_cache": [
        _P,
        _I,
        _B,
        _P,
        _I,
        _P,
        _P,
        _P,
        _P,
        _I,
        _I,
        _I,
        _I,
        _F,
        _P,
        _I,
        _I,
        _I,
        _P,
        _I,
        _I,
        _I,
        _B,
    ],
    "attention": [_P, _I, _P, _I, _I, _I, _P, _I, _I, _I, _P, _P, _I, _I, _I, _I, _F, _P, _I, _B, _B, _B],
    "silu_mul": [_P, _I, _B, _P, _I, _B, _I, _I, _B],
    "row_unit": [_P, _I, _P, _I, _P, _P, _I, _I, _B],
    "dequant_gelu_unit": [_P, _I, _P, _P, _P, _P, _P, _I, _P, _P, _I, _I, _B],
    "dequant_residual": [_P, _I, _P, _P, _P, _P, _P, _I, _I, _I, _B],
    "penalized_topk": [_P, _I, _P, _I, _I, _I, _F, _F, _I, _P, _P, _P],
}
_ACT = {torch.float32: 0, torch.bfloat16: 1}  # activation dtypes the kernels read and write
_CACHE = {torch.float32: 0, torch.float16: 1}  # KV-cache dtypes


def source_digest() -> str:
    """The first 16 hex digits of kernels.c's SHA-256, as the build compiles it in."""
    return hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]


def cache_dir() -> Path:
    if os.environ.get("RENDER_KERNEL_CACHE"):
        return Path(os.environ["RENDER_KERNEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "render" / "kernels"


def variants_here() -> list[str]:
    """The variants this CPU (and this process's ISA caps) can run, best first."""
    have = cpu_features().flags
    return [name for name, (needs, _) in VARIANTS.items() if needs <= have]


# --- the checked interface --------------------------------------------------------------------------------
def _mat(
    t: torch.Tensor, name: str, dtypes: dict | tuple, rows: int | None = None, cols: int | None = None
) -> int:
    """Check that `t` is a CPU matrix of one of `dtypes` with unit column stride (and `rows`, `cols` where
    given); its row stride."""
    if not isinstance(t, torch.Tensor) or t.device.type != "cpu" or t.dtype not in dtypes:
        raise ValueError(
            f"{name}: a CPU tensor of {', '.join(str(d) for d in dtypes)} expected, got "
            f"{getattr(t, 'dtype', type(t).__name__)} on {getattr(t, 'device', '?')}"
        )
    if t.dim() != 2 or (t.shape[0] > 1 and t.stride(1) != 1) or (t.shape[0] <= 1 and not t.is_contiguous()):
        raise ValueError(
            f"{name}: a matrix with contiguous rows expected, got shape {tuple(t.shape)} strides {t.stride()}"
        )
    if (rows is not None and t.shape[0] != rows) or (cols is not None and t.shape[1] != cols):
        raise ValueError(f"{name}: shape ({rows}, {cols}) expected, got {tuple(t.shape)}")
    return t.stride(0)


def _vec(t: torch.Tensor, name: str, n: int, dtype: torch.dtype = torch.float32) -> None:
    if (
        not isinstance(t, torch.Tensor)
        or t.device.type != "cpu"
        or t.dtype != dtype
        or t.shape != (n,)
        or not t.is_contiguous()
    ):
        raise ValueError(
            f"{name}: a contiguous CPU vector of {n} {dtype} expected, got "
            f"{getattr(t, 'dtype', '?')} {tuple(getattr(t, 'shape', ()))}"
        )


def _mul8(name: str, n: int) -> None:
    if n <= 0 or n % 8:
        raise ValueError(f"{name} must be a positive multiple of 8, got {n}")


@dataclass(frozen=True, slots=True)
class Rows:
    """Cache rows and positions of a batch, checked once: `slot` and `pos` (R,) int64 private copies, with the
    largest position and slot, for the bounds every kernel call checks against its cache."""

    slot: torch.Tensor
    pos: torch.Tensor
    max_slot: int
    max_pos: int

    @classmethod
    def of(cls, slot: torch.Tensor, pos: torch.Tensor) -> Rows:
        s = torch.as_tensor(slot).to("cpu", torch.int64).flatten().clone()
        p = torch.as_tensor(pos).to("cpu", torch.int64).flatten().clone()
        if s.shape != p.shape:
            raise ValueError(f"slot and pos differ in length: {s.shape[0]} and {p.shape[0]}")
        if s.numel() and (int(s.min()) < 0 or int(p.min()) < 0):
            raise IndexError("a negative cache row or position")
        return cls(s, p, int(s.max()) if s.numel() else -1, int(p.max()) if p.numel() else -1)

    def __len__(self) -> int:
        return self.slot.shape[0]


def _cache(t: torch.Tensor, name: str, rows: Rows, kvh: int, hd: int, positions_dim: int) -> tuple[int, ...]:
    """Check one layer's K (slots, kvh, hd, P: positions_dim 3) or V (slots, kvh, P, hd: 2) cache against
    `rows`; its strides."""
    if (
        not isinstance(t, torch.Tensor)
        or t.device.type != "cpu"
        or t.dtype not in _CACHE
        or t.dim() != 4
        or t.shape[1] != kvh
        or t.shape[5 - positions_dim] != hd
        or t.stride(3) != 1
    ):
        raise ValueError(
            f"{name}: a 4-d CPU float32 or float16 cache of {kvh} kv heads of {hd} with a unit "
            f"last stride expected, got {getattr(t, 'dtype', '?')} {tuple(getattr(t, 'shape', ()))}"
        )
    if rows.max_slot >= t.shape[0] or rows.max_pos >= t.shape[positions_dim]:
        raise IndexError(
            f"{name}: position or cache row outside the cache ({t.shape[0]} rows, "
            f"{t.shape[positions_dim]} positions)"
        )
    return t.stride()


class Kernels:
    """The library, its build and checked calls. Tensors in, nothing out: results go to the `out` tensors."""

    def __init__(self, lib: ctypes.CDLL, path: str):
        self.lib, self.path = lib, path
        lib.kernels_build.restype = ctypes.c_char_p
        self.build = lib.kernels_build().decode()
        self.variant = dict(p.split("=", 1) for p in self.build.split(";")).get("variant", "?")
        for name, args in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, None

    def rms_norm(self, x: torch.Tensor, w: torch.Tensor, out: torch.Tensor, eps: float) -> None:
        """out = RMSNorm(x) * w per row; x (R, dim) float32, out float32 or bfloat16."""
        xs = _mat(x, "x", (torch.float32,))
        R, dim = x.shape
        _mul8("dim", dim)
        _vec(w, "w", dim)
        os_ = _mat(out, "out", _ACT, R, dim)
        self.lib.rms_norm(x.data_ptr(), xs, w.data_ptr(), out.data_ptr(), os_, _ACT[out.dtype], R, dim, eps)

    def add_rms_norm(
        self, h: torch.Tensor, y: torch.Tensor, w: torch.Tensor, out: torch.Tensor, eps: float
    ) -> None:
        """h += y, then out = RMSNorm(h) * w; h (R, dim) contiguous float32, y float32 or bfloat16."""
        _mat(h, "h", (torch.float32,))
        R, dim = h.shape
        if not h.is_contiguous():
            raise ValueError("h: a contiguous matrix expected")
        _mul8("dim", dim)
        ys, os_ = _mat(y, "y", _ACT, R, dim), _mat(out, "out", _ACT, R, dim)
        _vec(w, "w", dim)
        self.lib.add_rms_norm(
            h.data_ptr(),
            y.data_ptr(),
            ys,
            _ACT[y.dtype],
            w.data_ptr(),
            out.data_ptr(),
            os_,
            _ACT[out.dtype],
            R,
            dim,
            eps,
        )

    def qk_rope_cache(
        self,
        src: torch.Tensor,
        q: torch.Tensor,
        qkw: torch.Tensor,
        rot: torch.Tensor,
        rows: Rows,
        kc: torch.Tensor,
        vc: torch.Tensor,
        heads: int,
        eps: float,
    ) -> None:
        """q/k RMSNorm + rotary embedding of src (R, (heads + 2 kvh) hd), q heads into q (R, heads hd) float32,
        k and v into one layer's caches kc (slots, kvh, hd, P) and vc (slots, kvh, P, hd) at `rows`."""
        kvh, hd = kc.shape[1], kc.shape[2]
        _mul8("head_dim", hd)
        R = len(rows)
        ss = _mat(src, "qkv", _ACT, R, (heads + 2 * kvh) * hd)
        qs = _mat(q, "q", (torch.float32,), R, heads * hd)
        if q.data_ptr() == src.data_ptr() and src.dtype != torch.float32:
            raise ValueError("q may be qkv itself only when qkv is float32")
        _mat(qkw, "qk_norm", (torch.float32,), heads + kvh, hd)
        if (
            not qkw.is_contiguous()
            or rot.dtype != torch.float32
            or not rot.is_contiguous()
            or rot.shape[1:] != (hd // 2, 2)
        ):
            raise ValueError("rot: contiguous float32 (positions, hd/2, 2) expected")
        if rows.max_pos >= rot.shape[0]:
            raise IndexError(f"a position past the rotary table ({rot.shape[0]} positions)")
        ks, vs = _cache(kc, "k cache", rows, kvh, hd, 3), _cache(vc, "v cache", rows, kvh, hd, 2)
        if kc.dtype != vc.dtype:
            raise ValueError("k and v caches differ in dtype")
        self.lib.qk_rope_cache(
            src.data_ptr(),
            ss,
            _ACT[src.dtype],
            q.data_ptr(),
            qs,
            qkw.data_ptr(),
            rot.data_ptr(),
            rows.slot.data_ptr(),
            rows.pos.data_ptr(),
            R,
            heads,
            kvh,
            hd,
            eps,
            kc.data_ptr(),
            ks[0],
            ks[1],
            ks[2],
            vc.data_ptr(),
            vs[0],
            vs[1],
            vs[2],
            _CACHE[kc.dtype],
        )

    def attention(
        self,
        q: torch.Tensor,
        rows: Rows,
        kc: torch.Tensor,
        vc: torch.Tensor,
        heads: int,
        scale: float,
        out: torch.Tensor,
        threads: int,
    ) -> None:
        """Each row's q heads (R, heads hd) float32 over positions 0..pos of its cache slot (one layer's kc, vc)
        into out (R, heads hd), float32 or bfloat16."""
        kvh, hd = kc.shape[1], kc.shape[2]
        _mul8("head_dim", hd)
        if kvh <= 0 or heads % kvh:
            raise ValueError(f"{heads} query heads do not group over {kvh} kv heads")
        R = len(rows)
        qs = _mat(q, "q", (torch.float32,), R, heads * hd)
        os_ = _mat(out, "out", _ACT, R, heads * hd)
        ks, vs = _cache(kc, "k cache", rows, kvh, hd, 3), _cache(vc, "v cache", rows, kvh, hd, 2)
        if kc.dtype != vc.dtype:
            raise ValueError("k and v caches differ in dtype")
        self.lib.attention(
            q.data_ptr(),
            qs,
            kc.data_ptr(),
            ks[0],
            ks[1],
            ks[2],
            vc.data_ptr(),
            vs[0],
            vs[1],
            vs[2],
            rows.slot.data_ptr(),
            rows.pos.data_ptr(),
            R,
            heads,
            kvh,
            hd,
            scale,
            out.data_ptr(),
            os_,
            _ACT[out.dtype],
            max(1, threads),
            _CACHE[kc.dtype],
        )

    def silu_mul(self, gu: torch.Tensor, out: torch.Tensor, threads: int) -> None:
        """out = silu(gate) * up, gate and up the halves of gu's rows (R, 2 inter); float32 or bfloat16 each."""
        gs = _mat(gu, "gate_up", _ACT)
        R, inter = gu.shape[0], gu.shape[1] // 2
        _mul8("intermediate size", inter)
        os_ = _mat(out, "out", _ACT, R, inter)
        if gu.shape[1] != 2 * inter:
            raise ValueError("gate_up: an even number of columns expected")
        self.lib.silu_mul(
            gu.data_ptr(), gs, _ACT[gu.dtype], out.data_ptr(), os_, _ACT[out.dtype], R, inter, max(1, threads)
        )

    def row_unit(
        self, x: torch.Tensor, z: torch.Tensor, lo: torch.Tensor, r: torch.Tensor, threads: int
    ) -> None:
        """Each row of x (R, cols) float32 onto [0, 1] into z, its min and range into lo and r (R,)."""
        xs = _mat(x, "x", (torch.float32,))
        R, cols = x.shape
        _mul8("cols", cols)
        zs = _mat(z, "z", (torch.float32,), R, cols)
        _vec(lo, "lo", R)
        _vec(r, "r", R)
        self.lib.row_unit(
            x.data_ptr(), xs, z.data_ptr(), zs, lo.data_ptr(), r.data_ptr(), R, cols, max(1, threads)
        )

    def dequant_gelu_unit(
        self,
        y: torch.Tensor,
        r: torch.Tensor,
        lo: torch.Tensor,
        wsum: torch.Tensor,
        bias: torch.Tensor,
        z: torch.Tensor,
        lo2: torch.Tensor,
        r2: torch.Tensor,
        threads: int,
    ) -> None:
        """v = y r + lo wsum + bias, GELU(v) onto [0, 1] per row into z (may be y), its min and range into lo2, r2."""
        ys = _mat(y, "y", (torch.float32,))
        R, cols = y.shape
        _mul8("cols", cols)
        zs = _mat(z, "z", (torch.float32,), R, cols)
        for t, n, name in (
            (r, R, "r"),
            (lo, R, "lo"),
            (wsum, cols, "wsum"),
            (bias, cols, "bias"),
            (lo2, R, "lo2"),
            (r2, R, "r2"),
        ):
            _vec(t, name, n)
        self.lib.dequant_gelu_unit(
            y.data_ptr(),
            ys,
            r.data_ptr(),
            lo.data_ptr(),
            wsum.data_ptr(),
            bias.data_ptr(),
            z.data_ptr(),
            zs,
            lo2.data_ptr(),
            r2.data_ptr(),
            R,
            cols,
            max(1, threads),
        )

    def dequant_residual(
        self,
        y: torch.Tensor,
        r: torch.Tensor,
        lo: torch.Tensor,
        wsum: torch.Tensor,
        bias: torch.Tensor,
        x: torch.Tensor,
        threads: int,
    ) -> None:
        """x += y r + lo wsum + bias, x and y (R, cols) float32."""
        ys = _mat(y, "y", (torch.float32,))
        R, cols = y.shape
        _mul8("cols", cols)
        xs = _mat(x, "x", (torch.float32,), R, cols)
        for t, n, name in ((r, R, "r"), (lo, R, "lo"), (wsum, cols, "wsum"), (bias, cols, "bias")):
            _vec(t, name, n)
        self.lib.dequant_residual(
            y.data_ptr(),
            ys,
            r.data_ptr(),
            lo.data_ptr(),
            wsum.data_ptr(),
            bias.data_ptr(),
            x.data_ptr(),
            xs,
            R,
            cols,
            max(1, threads),
        )

    def penalized_topk(
        self,
        logits: torch.Tensor,
        seen: torch.Tensor,
        penalty: float,
        temperature: float,
        probs: torch.Tensor,
        ids: torch.Tensor,
    ) -> None:
        """Per row of logits (R, vocab) float32 and seen (R, vocab) bool: penalty, temperature, softmax, and the
        k = probs.shape[1] (1..256) likeliest tokens into probs (R, k) float32 and ids (R, k) int64."""
        ls = _mat(logits, "logits", (torch.float32,))
        R, vocab = logits.shape
        k = probs.shape[1] if probs.dim() == 2 else 0
        if not 0 < k <= min(256, vocab):
            raise ValueError(f"top-k of 1..{min(256, vocab)} expected, got {k}")
        ss = _mat(seen, "seen", (torch.bool,), R, vocab)
        if not (probs.is_contiguous() and ids.is_contiguous()):
            raise ValueError("probs and ids: contiguous matrices expected")
        _mat(probs, "probs", (torch.float32,), R, k)
        _mat(ids, "ids", (torch.int64,), R, k)
        if not temperature > 0.0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        scratch = torch.empty(vocab, dtype=torch.float32)
        self.lib.penalized_topk(
            logits.data_ptr(),
            ls,
            seen.data_ptr(),
            ss,
            R,
            vocab,
            penalty,
            temperature,
            k,
            probs.data_ptr(),
            ids.data_ptr(),
            scratch.data_ptr(),
        )


# --- finding, building and loading a library --------------------------------------------------------------
def installed(variant: str) -> Path | None:
    """The library the package build made for `variant`, if any."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = HERE / f"_kernels_{variant}{suffix}"
        if path.is_file():
            return path
    return None


def private_folder(folder: Path) -> bool:
    """True when `folder` is (after creating it, mode 0700, if missing) a real directory owned by this user
    that no one else may enter or write (mode 0700); else False, with the reason in a warning."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        st = os.lstat(folder)
    except OSError as e:
        log.debug("kernel cache %s: %s", folder, e)
        return False
    if not stat.S_ISDIR(st.st_mode):
        why = "not a directory"
    elif uid is not None and st.st_uid != uid:
        why = f"owned by uid {st.st_uid}, not {uid}"
    elif st.st_mode & 0o077:
        why = f"mode {stat.S_IMODE(st.st_mode):04o}, not 0700"
    else:
        return True
    log.warning("refusing the kernel cache %s (%s); building in a private temporary folder", folder, why)
    return False


def _trusted_file(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    uid = os.getuid() if hasattr(os, "getuid") else st.st_uid
    return stat.S_ISREG(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o022


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _compile(cc: str, variant: str, out: Path) -> bool:
    """Compile `variant` to `out` (with OpenMP where the compiler has it), via a temporary name in its folder."""
    macros = [f"-D{k}={v}" for k, v in defines(variant, source_digest())]
    for extra in (OPENMP, []):
        fd, tmp = tempfile.mkstemp(suffix=".so.tmp", dir=out.parent)
        os.close(fd)
        try:
            r = subprocess.run(
                [cc, *flags(variant), *macros, "-shared", *extra, "-o", tmp, str(SOURCE)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            if r.returncode == 0:
                os.chmod(tmp, 0o700)
                os.replace(tmp, out)
                return True
            log.debug("kernel build with %s %s failed: %s", cc, extra, r.stderr.strip()[-500:])
        except (OSError, subprocess.SubprocessError) as e:
            log.debug("kernel build failed: %s", e)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return False


def _open(path: Path) -> Kernels | None:
    try:
        lib = ctypes.CDLL(str(path))
        if lib.kernels_abi() != ABI:
            return None
        k = Kernels(lib, str(path))
    except (OSError, AttributeError) as e:
        log.debug("the Soprano CPU kernels at %s: %s", path, e)
        return None
    return k if f"source={source_digest()}" in k.build else None


def dev_build_name(cc: str, variant: str, version: str) -> str:
    """The development build's file name: the variant and a hash of the source, flags and compiler."""
    key = hashlib.sha256(
        SOURCE.read_bytes() + " ".join([cc, variant, *flags(variant), version]).encode()
    ).hexdigest()
    return f"soprano-{variant}-{key[:16]}.so"


def _dev_build(variant: str) -> Kernels | None:
    """Build `variant` at run time with the system's compiler (development), in a private folder."""
    cc = _compiler()
    if cc is None:
        log.info("no built Soprano CPU kernels and no C compiler: those operations run in torch (slower)")
        return None
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    name = dev_build_name(cc, variant, version)
    folder = cache_dir()
    if private_folder(folder):
        path = folder / name
        try:
            if _trusted_file(path) or _compile(cc, variant, path):
                if _trusted_file(path) and (k := _open(path)) is not None:
                    return k
                log.warning(
                    "the Soprano CPU kernels did not build with %s; running those operations in torch", cc
                )
                return None
        except OSError as e:
            log.debug("kernel cache %s: %s", folder, e)
    tmp = Path(tempfile.mkdtemp(prefix="render-kernels-"))
    try:
        if not _compile(cc, variant, tmp / name):
            log.warning(
                "the Soprano CPU kernels did not build with %s; running those operations in torch", cc
            )
            return None
        return _open(tmp / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the loaded library stays mapped


@lru_cache(maxsize=1)
def load() -> Kernels | None:
    """The kernels for this CPU, or None where they cannot be used here (the engine then runs torch)."""
    if os.environ.get("RENDER_SOPRANO_KERNELS", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    if sys.platform not in ("linux", "darwin"):
        return None
    torch.get_num_threads()  # torch's OpenMP runtime is loaded and initialized before the library is
    names = variants_here()
    for variant in names:
        path = installed(variant)
        if path is not None:
            k = _open(path)
            if k is not None:
                return k
            log.info(
                "the installed %s kernels were built from another kernels.c (rebuild: pip install -e .)",
                variant,
            )
    return _dev_build(names[0]) if names else None
