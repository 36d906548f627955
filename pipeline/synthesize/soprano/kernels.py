"""The LM's fused CPU kernels (`kernels.c`): built once with the system's C compiler, cached, loaded by ctypes.

`load()` returns the library, or None where it cannot run (no AVX2+FMA+F16C, no C compiler, a failed build, or
`RENDER_SOPRANO_KERNELS=0`); the LM then runs the same operations in torch. Nothing here is needed for
correctness, only for speed: both paths are tested against each other and against transformers.

The build goes to `$RENDER_KERNEL_CACHE` (else `$XDG_CACHE_HOME/render/kernels`, else `~/.cache/...`),
named by a hash of the source, the flags and the compiler, written to a temporary name and renamed, so
parallel workers never load a half-written file.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import torch

from .precision import cpu_features

log = logging.getLogger(__name__)
SOURCE = Path(__file__).with_name("kernels.c")
ABI = 4
FLAGS = ["-O3", "-mavx2", "-mfma", "-mf16c", "-fPIC", "-shared", "-fno-math-errno"]
_I64, _F32P, _I64P = ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p
_SIGNATURES = {
    "rms_norm": [_F32P, _I64, _F32P, _F32P, _I64, _I64, _I64, ctypes.c_float],
    "add_rms_norm": [_F32P, _F32P, _I64, _F32P, _F32P, _I64, _I64, _I64, ctypes.c_float],
    "qk_rope_cache": [
        _F32P,
        _I64,
        _F32P,
        _F32P,
        _I64P,
        _I64P,
        _I64,
        _I64,
        _I64,
        _I64,
        ctypes.c_float,
        _F32P,
        _I64,
        _I64,
        _I64,
        _F32P,
        _I64,
        _I64,
        _I64,
        ctypes.c_int,
    ],
    "attention": [
        _F32P,
        _I64,
        _F32P,
        _I64,
        _I64,
        _I64,
        _F32P,
        _I64,
        _I64,
        _I64,
        _I64P,
        _I64P,
        _I64,
        _I64,
        _I64,
        _I64,
        ctypes.c_float,
        _F32P,
        _I64,
        ctypes.c_int,
        ctypes.c_int,
    ],
    "silu_mul": [_F32P, _I64, _F32P, _I64, _I64, _I64, ctypes.c_int],
    "row_unit": [_F32P, _I64, _F32P, _I64, _F32P, _F32P, _I64, _I64, ctypes.c_int],
    "dequant_gelu_unit": [
        _F32P,
        _I64,
        _F32P,
        _F32P,
        _F32P,
        _F32P,
        _F32P,
        _I64,
        _F32P,
        _F32P,
        _I64,
        _I64,
        ctypes.c_int,
    ],
    "dequant_residual": [_F32P, _I64, _F32P, _F32P, _F32P, _F32P, _F32P, _I64, _I64, _I64, ctypes.c_int],
    "penalized_topk": [
        _F32P,
        _I64,
        _F32P,
        _I64,
        _I64,
        _I64,
        ctypes.c_float,
        ctypes.c_float,
        _I64,
        _F32P,
        _I64P,
        _F32P,
    ],
}


def cache_dir() -> Path:
    if os.environ.get("RENDER_KERNEL_CACHE"):
        return Path(os.environ["RENDER_KERNEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "render" / "kernels"


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _build(cc: str, out: Path) -> bool:
    """Compile the library to `out` (with OpenMP where the compiler has it); True on success."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for extra in (["-fopenmp"], []):
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=out.parent)
        os.close(fd)
        try:
            r = subprocess.run(
                [cc, *FLAGS, *extra, "-o", tmp, str(SOURCE)], capture_output=True, text=True, timeout=120
            )
            if r.returncode == 0:
                os.replace(tmp, out)
                for old in out.parent.glob("soprano-*.so"):  # builds of earlier sources
                    if old != out:
                        old.unlink(missing_ok=True)
                return True
            log.debug("kernel build with %s %s failed: %s", cc, extra, r.stderr.strip()[-500:])
        except (OSError, subprocess.SubprocessError) as e:
            log.debug("kernel build failed: %s", e)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return False


@lru_cache(maxsize=1)
def load() -> ctypes.CDLL | None:
    """The kernel library, built if needed; None where it cannot be used here."""
    if os.environ.get("RENDER_SOPRANO_KERNELS", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    feats = cpu_features()
    if sys.platform not in ("linux", "darwin") or not {"avx2", "fma", "f16c"} <= feats.flags:
        return None
    cc = _compiler()
    if cc is None:
        log.info("no C compiler found: the Soprano engine's small CPU operations run in torch (slower)")
        return None
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join([cc, *FLAGS, version]).encode()).hexdigest()[:16]
    lib = None
    uid = os.getuid() if hasattr(os, "getuid") else 0
    # the cache, else (read-only home, full disk) a private folder under the temporary directory
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / f"render-kernels-{uid}"):
        path = folder / f"soprano-{key}.so"
        try:
            if not path.is_file() and not _build(cc, path):
                log.warning(
                    "the Soprano CPU kernels did not build with %s; running those operations in torch", cc
                )
                return None
            lib = ctypes.CDLL(str(path))
            break
        except OSError as e:
            log.debug("the Soprano CPU kernels at %s: %s", path, e)
    if lib is None:
        log.warning("the Soprano CPU kernels could not be built or loaded; running those operations in torch")
        return None
    if lib.kernels_abi() != ABI:
        return None
    for name, args in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, None
    torch.get_num_threads()  # torch's OpenMP runtime is loaded and initialized before the library runs
    return lib
