"""How the Soprano CPU kernels are built, chosen and loaded: the install build's variants, no compiler at run
time, the development build's private folder, argument checks before C, one OpenMP runtime."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from pipeline.synthesize.soprano import kernels  # noqa: E402
from tests.conftest import ROOT  # noqa: E402


def _installed_or_skip() -> str:
    names = kernels.variants_here()
    if not names or kernels.installed(names[0]) is None:
        pytest.skip("no install build of the kernels for this CPU (pip install -e . builds them)")
    return names[0]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={k: v for k, v in env.items() if v is not None},
    )


def test_the_install_build_runs_with_no_compiler_on_path(tmp_path):
    """The engine loads the variant the install built for this CPU and synthesizes with no C compiler to be
    found and an empty kernel cache (nothing is built at run time)."""
    best = _installed_or_skip()
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_soprano_checkpoint import build

    ckpt = build(tmp_path / "tiny", "tiny", seed=0)
    cache = tmp_path / "cache"
    code = (
        "import shutil, json, torch\n"
        "from pipeline.synthesize.soprano import kernels, SopranoEngine\n"
        "from pipeline.synthesize.base import SynthRequest\n"
        "k = kernels.load()\n"
        f"eng = SopranoEngine({str(ckpt)!r}, device='cpu', dtype='float32', threads=1)\n"
        "out = eng.synthesize_batch([SynthRequest('hello there.', 1, 0, 1.0)])\n"
        "print(json.dumps({'cc': [shutil.which(c) for c in ('cc', 'gcc', 'clang')], 'variant': k.variant,\n"
        "                  'path': k.path, 'lm': eng.identity()['lm_kernels'], 'samples': len(out[0].audio)}))\n"
    )
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent),
        "CC": None,
        "RENDER_KERNEL_CACHE": str(cache),
    }
    proc = _run(code, env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["cc"] == [None, None, None]
    assert got["variant"] == best and Path(got["path"]).parent == kernels.HERE
    assert got["lm"].startswith(f"variant={best};source={kernels.source_digest()}") and got["samples"] > 0
    assert not cache.exists() or not any(cache.iterdir())


def test_the_variant_follows_the_isa_cap():
    """Capped to AVX2 (as `make bench-soprano --isa avx2` does), an AVX-512 machine loads the avx2 variant."""
    _installed_or_skip()
    if kernels.installed("avx2") is None:
        pytest.skip("no avx2 install build")
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    proc = _run("from pipeline.synthesize.soprano import kernels; print(kernels.load().variant)", env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "avx2"


def test_the_variants_compute_the_same_bits():
    """Every installed variant gives the same results bit for bit (no contraction, the same written FMAs),
    and its bfloat16 outputs are float32 rounded to nearest even, as torch rounds."""
    built = [v for v in kernels.VARIANTS if v in kernels.variants_here() and kernels.installed(v)]
    if not built:
        pytest.skip("no install build runs here")
    g = torch.Generator().manual_seed(7)
    h, w = torch.randn(5, 64, generator=g) * 3, torch.rand(64, generator=g) + 0.5
    gu = torch.randn(5, 2 * 96, generator=g) * 4
    # attention over a float16 cache: 4 heads of 128 over up to 100 positions (the AVX-512 build's 32-wide blocks
    # and the 16-wide and single tails)
    q = torch.randn(5, 4 * 128, generator=g)
    kc, vc = torch.randn(5, 1, 128, 100, generator=g).half(), torch.randn(5, 1, 100, 128, generator=g).half()
    rows = kernels.Rows.of(torch.arange(5), torch.tensor([99, 0, 31, 47, 64]))
    results = []
    for v in built:
        k = kernels._open(kernels.installed(v))
        assert k is not None and k.variant == v
        x32, xb = torch.empty(5, 64), torch.empty(5, 64, dtype=torch.bfloat16)
        k.rms_norm(h, w, x32, 1e-6)
        k.rms_norm(h, w, xb, 1e-6)
        assert torch.equal(xb, x32.to(torch.bfloat16))
        a32, ab = torch.empty(5, 96), torch.empty(5, 96, dtype=torch.bfloat16)
        k.silu_mul(gu, a32, 1)
        k.silu_mul(gu.to(torch.bfloat16), ab, 1)
        assert torch.equal(ab, _silu_bf16(k, gu.to(torch.bfloat16)))
        att = torch.empty(5, 4 * 128)
        k.attention(q, rows, kc, vc, 4, 128**-0.5, att, 1)
        results.append((x32, xb, a32, ab, att))
    for other in results[1:]:
        assert all(torch.equal(a, b) for a, b in zip(results[0], other, strict=True))


def _silu_bf16(k: kernels.Kernels, gu: torch.Tensor) -> torch.Tensor:
    out = torch.empty(gu.shape[0], gu.shape[1] // 2)
    k.silu_mul(gu.float(), out, 1)
    return out.to(torch.bfloat16)


def test_arguments_are_checked_before_any_c_call():
    """A wrong dtype, layout, shape or index is a Python exception, never a crash."""
    k = kernels.load()
    if k is None:
        pytest.skip("no kernels here")
    R, heads, kvh, hd = 3, 4, 1, 16
    h, w, out = torch.randn(R, 64), torch.ones(64), torch.empty(R, 64)
    with pytest.raises(ValueError, match="float32"):
        k.rms_norm(h.double(), w, out, 1e-6)
    with pytest.raises(ValueError, match="contiguous rows"):
        k.rms_norm(torch.randn(64, R).t(), w, out, 1e-6)
    with pytest.raises(ValueError, match="shape"):
        k.rms_norm(h, w, torch.empty(R, 32), 1e-6)
    with pytest.raises(ValueError, match="multiple of 8"):
        k.rms_norm(torch.randn(R, 60), torch.ones(60), torch.empty(R, 60), 1e-6)
    with pytest.raises(ValueError, match="vector"):
        k.add_rms_norm(h, h, torch.ones(63), out, 1e-6)
    qkv, q = torch.randn(R, (heads + 2 * kvh) * hd), torch.empty(R, heads * hd)
    qkw, rot = torch.ones(heads + kvh, hd), torch.randn(32, hd // 2, 2)
    kc, vc = torch.zeros(2, kvh, hd, 16), torch.zeros(2, kvh, 16, hd)
    ok = kernels.Rows.of(torch.tensor([0, 1, 1]), torch.tensor([0, 5, 15]))
    k.qk_rope_cache(qkv, q, qkw, rot, ok, kc, vc, heads, 1e-6)
    k.attention(q, ok, kc, vc, heads, hd**-0.5, torch.empty(R, heads * hd), 1)
    third_row = kernels.Rows.of(torch.tensor([0, 2, 1]), torch.tensor([0, 1, 2]))
    past_the_end = kernels.Rows.of(torch.tensor([0, 1, 1]), torch.tensor([0, 1, 16]))
    for rows in (third_row, past_the_end):
        with pytest.raises(IndexError):
            k.qk_rope_cache(qkv, q, qkw, rot, rows, kc, vc, heads, 1e-6)
        with pytest.raises(IndexError):
            k.attention(q, rows, kc, vc, heads, 1.0, torch.empty(R, heads * hd), 1)
    with pytest.raises(IndexError):
        kernels.Rows.of(torch.tensor([0, -1, 1]), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="cache"):
        k.attention(q, ok, kc.half(), vc, heads, 1.0, torch.empty(R, heads * hd), 1)
    with pytest.raises(ValueError, match="cache"):
        k.attention(q, ok, kc.transpose(2, 3), vc, heads, 1.0, torch.empty(R, heads * hd), 1)
    with pytest.raises(ValueError, match="group"):
        k.attention(
            torch.empty(R, 3 * hd),
            ok,
            torch.zeros(2, 2, hd, 16),
            torch.zeros(2, 2, 16, hd),
            3,
            1.0,
            torch.empty(R, 3 * hd),
            1,
        )
    with pytest.raises(ValueError, match="float32"):
        b = qkv.to(torch.bfloat16)
        k.qk_rope_cache(b, b[:, : heads * hd], qkw, rot, ok, kc, vc, heads, 1e-6)
    logits, seen = torch.randn(2, 300), torch.zeros(2, 300, dtype=torch.bool)
    with pytest.raises(ValueError, match="top-k"):
        k.penalized_topk(logits, seen, 1.2, 0.5, torch.empty(2, 257), torch.empty(2, 257, dtype=torch.int64))
    with pytest.raises(ValueError, match="bool"):
        k.penalized_topk(
            logits, seen.byte(), 1.2, 0.5, torch.empty(2, 5), torch.empty(2, 5, dtype=torch.int64)
        )


def test_one_openmp_runtime_is_loaded_with_the_kernels():
    """The kernels' OpenMP is torch's own runtime: with both loaded and both having run threaded work, the
    process maps exactly one OpenMP library (any of libgomp, libiomp, libomp)."""
    if kernels.load() is None:
        pytest.skip("no kernels here")
    code = (
        "import json, re, torch\n"
        "from pipeline.synthesize.soprano import kernels\n"
        "torch.set_num_threads(2)\n"
        "k = kernels.load()\n"
        "gu = torch.randn(64, 4096)\n"
        "k.silu_mul(gu, torch.empty(64, 2048), 2)\n"
        "torch.randn(512, 512) @ torch.randn(512, 512)\n"
        "paths = {l.split()[-1] for l in open('/proc/self/maps') if len(l.split()) >= 6}\n"
        "omp = sorted(p for p in paths if re.search(r'lib(g|i)?omp[^/]*\\.so', p.rsplit('/', 1)[-1]))\n"
        "print(json.dumps({'omp': omp, 'kernels': k.path in paths}))\n"
    )
    proc = _run(code, dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["kernels"]
    assert len(got["omp"]) == 1, f"OpenMP runtimes mapped: {got['omp']}"
    assert re.search(r"lib(g|i)?omp", got["omp"][0])


PLANTED = r"""
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen("%s", "w");
    if (f) { fputs("loaded", f); fclose(f); }
}
int kernels_abi(void) { return %d; }
const char *kernels_build(void) { return "variant=planted;source=%s"; }
"""


@pytest.mark.parametrize("how", ["other owner", "group-writable", "world-writable", "planted file only"])
def test_a_planted_library_is_never_loaded(how, tmp_path, monkeypatch, caplog):
    """The development build's folder: one owned by another user, or one group or others may write, is
    refused (the build goes to a fresh private folder); a planted file in a good folder is replaced by a
    build of our own. The planted library, whose load-time constructor would leave a mark, never runs."""
    if kernels.load() is None or kernels._compiler() is None:
        pytest.skip("needs the kernels and a C compiler")
    if how == "other owner" and os.getuid() != 0:
        pytest.skip("chown to another user needs root")
    cc = kernels._compiler()
    variant = kernels.variants_here()[0]
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    folder, mark = tmp_path / "cache", tmp_path / "mark"
    folder.mkdir(mode=0o700)
    src = tmp_path / "planted.c"
    src.write_text(PLANTED % (mark, kernels.ABI, kernels.source_digest()))
    planted = folder / kernels.dev_build_name(cc, variant, version)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(planted), str(src)], check=True)
    if how == "other owner":
        os.chown(planted, 65534, 65534)
        os.chown(folder, 65534, 65534)
    elif how == "group-writable":
        os.chmod(folder, 0o770)
    elif how == "world-writable":
        os.chmod(folder, 0o777)
    else:
        os.chmod(planted, 0o666)
    monkeypatch.setenv("RENDER_KERNEL_CACHE", str(folder))
    monkeypatch.setattr(kernels, "installed", lambda v: None)  # no install build: the development build
    with caplog.at_level(logging.WARNING):
        k = kernels.load.__wrapped__()
    assert k is not None and k.variant == variant and k.variant != "planted"
    assert not mark.exists(), "the planted library was loaded"
    maps = Path("/proc/self/maps").read_text()
    if how == "planted file only":
        assert k.path == str(planted) and os.stat(planted).st_uid == os.getuid()
        assert not os.stat(planted).st_mode & 0o077
    else:
        assert str(planted) not in maps and k.path != str(planted)
        assert "refusing the kernel cache" in caplog.text
        assert planted.exists()  # nothing of another's is deleted


def test_the_install_succeeds_without_a_compiler(tmp_path):
    """setup.py's build with a compiler that fails: the build still succeeds, builds nothing, and says so."""
    if not (ROOT / "setup.py").is_file():
        pytest.skip("needs the source tree")
    env = {**os.environ, "CC": "false", "LDSHARED": "false"}
    proc = subprocess.run(
        [
            sys.executable,
            "setup.py",
            "-q",
            "build_ext",
            "--build-lib",
            str(tmp_path / "lib"),
            "--build-temp",
            str(tmp_path / "tmp"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "render: Soprano CPU kernels built: none" in proc.stderr
    assert not list((tmp_path / "lib").rglob("*.so")) if (tmp_path / "lib").exists() else True
