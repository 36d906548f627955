"""The package's native part: the Soprano CPU kernels (`pipeline/synthesize/soprano/kernels.c`), built once per
instruction-set variant when the package is built (`pip install .`, `pip install -e .`, a wheel).

Everything else about the package is declared in pyproject.toml; this file exists because setuptools takes
compiled extensions with per-variant flags and a build allowed to fail only from here. Each variant is a
plain shared library that `kernels.py` loads with ctypes, choosing one by the CPU's features at run time
(variants and flags: `pipeline/synthesize/soprano/build_flags.py`):

    avx2    AVX2 + FMA + F16C                            (x86-64 CPUs since 2013)
    avx512  AVX-512 F/BW/DQ/VL + BF16 (and the above)    (Intel Cooper Lake, Sapphire Rapids and later; AMD Zen 4)

No AMX variant: on AMX CPUs the matrix products run in oneDNN's AMX kernels (through torch), and what these
kernels do between them (norms, rotary embedding, attention over one query row, activations) has no
tile-shaped work that AMX would speed up.

A variant that does not build (no compiler, an old one, another architecture) is skipped with a warning and
the install still succeeds; the engine then runs those operations in torch. The last line of the build
(shown by `pip install -v`) says which variants were built.
"""

from __future__ import annotations

import hashlib
import importlib.util
import platform
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SOURCE = "pipeline/synthesize/soprano/kernels.c"
_spec = importlib.util.spec_from_file_location(
    "build_flags", HERE / "pipeline/synthesize/soprano/build_flags.py"
)
assert _spec is not None and _spec.loader is not None
bf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bf)


def _extensions() -> list[Extension]:
    if platform.machine().lower() not in ("x86_64", "amd64") or sys.platform == "win32":
        print(
            "render: Soprano CPU kernels not built (x86-64 Linux/macOS only); the engine runs those "
            "operations in torch",
            file=sys.stderr,
        )
        return []
    digest = hashlib.sha256((HERE / SOURCE).read_bytes()).hexdigest()[:16]
    return [
        Extension(
            f"pipeline.synthesize.soprano._kernels_{name}",
            [SOURCE],
            optional=True,
            define_macros=bf.defines(name, digest),
            extra_compile_args=[*bf.flags(name), *bf.OPENMP],
            extra_link_args=list(bf.OPENMP),
        )
        for name in bf.VARIANTS
    ]


class BuildKernels(build_ext):
    """build_ext that never fails the install: a variant that does not build with OpenMP is tried without it
    (each call then runs on one thread), then skipped; the last line names what was built."""

    def run(self) -> None:
        self.built: list[str] = []
        self.skipped: list[str] = []
        super().run()
        if self.extensions:
            print(
                f"render: Soprano CPU kernels built: {', '.join(self.built) or 'none'}"
                + (f" (skipped: {'; '.join(self.skipped)})" if self.skipped else "")
                + ("" if self.built else "; the engine will run those operations in torch"),
                file=sys.stderr,
            )

    def build_extension(self, ext: Extension) -> None:
        variant = ext.name.rsplit("_", 1)[-1]
        reason = ""
        for openmp in (True, False):
            try:
                super().build_extension(ext)
                self.built.append(variant if openmp else f"{variant} (no OpenMP)")
                return
            except Exception as e:  # noqa: BLE001 - CompileError, LinkError, no compiler: never fail the install
                reason = (str(e).strip().splitlines() or [type(e).__name__])[-1]
                ext.extra_compile_args = [a for a in ext.extra_compile_args if a not in bf.OPENMP]
                ext.extra_link_args = [a for a in ext.extra_link_args if a not in bf.OPENMP]
        self.skipped.append(f"{variant}: {reason}")

    def get_export_symbols(self, ext: Extension) -> list[str]:
        return []  # plain C libraries loaded by ctypes: no Python module init function


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildKernels})
