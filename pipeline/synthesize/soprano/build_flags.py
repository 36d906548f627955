"""The Soprano CPU kernels' build variants and flags: one table for the package build (setup.py, which loads
this file by path, without importing the package) and the development build in `kernels.py`.

Each variant: the CPU features (as /proc/cpuinfo spells them) it needs, and the compiler flags that build it.
"""

from __future__ import annotations

# -ffp-contract=off: no multiply-add is fused unless the source says so, so two compilers round alike
COMMON = ["-O3", "-fPIC", "-ffp-contract=off", "-fno-math-errno"]
OPENMP = ["-fopenmp"]
# best first: the loader takes the first variant whose features the CPU has (and the process may use)
VARIANTS: dict[str, tuple[frozenset[str], list[str]]] = {
    "avx512": (
        frozenset({"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"}),
        ["-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx512bf16"],
    ),
    "avx2": (frozenset({"avx2", "fma", "f16c"}), ["-mavx2", "-mfma", "-mf16c"]),
}


def flags(variant: str) -> list[str]:
    """The compile flags of `variant` (OpenMP apart)."""
    return [*COMMON, *VARIANTS[variant][1]]


def defines(variant: str, source_digest: str) -> list[tuple[str, str]]:
    """The macros that name the build inside the library (`kernels_build()`)."""
    return [
        ("KERNELS_VARIANT", f'"{variant}"'),
        ("KERNELS_SOURCE", f'"{source_digest}"'),
        ("KERNELS_FLAGS", '"' + " ".join(flags(variant)) + '"'),
    ]
