from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis in the suite is derandomized: the same examples on every run and no example database, so CI can
# never fail on a lucky draw. Crashes found by the deep campaign (`make fuzz`, profile "fuzz") are replayed
# as explicit @example()s. HYPOTHESIS_PROFILE=fuzz picks the random profile for a one-off local run.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Tests never touch the user's segment cache: one fresh cache per test session unless a test sets its own.
os.environ.setdefault("RENDER_CACHE_DIR", tempfile.mkdtemp(prefix="render-test-cache-"))
os.environ.setdefault("RENDER_KERNEL_CACHE", tempfile.mkdtemp(prefix="render-test-kernels-"))

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
WODEHOUSE = CORPUS / "wodehouse-love-among-the-chickens.epub"
BIERCE = CORPUS / "bierce-the-devils-dictionary.epub"


def run_cli(
    *args: str,
    input: str | None = None,
    timeout: float = 600,
    env: dict | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """Run the real `render` console script."""
    exe = Path(sys.executable).with_name("render")
    return subprocess.run(
        [str(exe), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd or ROOT,
    )


@pytest.fixture(scope="session")
def sample_epub(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_sample import build

    return build(tmp_path_factory.mktemp("sample") / "sample.epub")


@pytest.fixture(scope="session")
def hibari_engine():
    from pipeline.synthesize.hibari_engine import HibariEngine

    return HibariEngine()
