"""The Soprano engine on CUDA (marked `gpu`: skipped without CUDA; `make bench-gpu` runs them). Not yet run:
no GPU has been lent to this project."""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here"),
]

from pipeline.synthesize.base import SynthRequest, segment_seed  # noqa: E402 - after the importorskip above: without torch the module skips
from tests.conftest import ROOT  # noqa: E402 - after the importorskip above: without torch the module skips

sys.path.insert(0, str(ROOT / "scripts"))
from make_soprano_checkpoint import build  # noqa: E402 - scripts/ joins sys.path just above

TEXTS = [
    "The keeper climbed the stairs.",
    "A storm came in from the sea over the rocks and the gulls cried.",
    "He lit the lamp.",
    "The boat would not return until morning, she said, and he laughed.",
]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return build(tmp_path_factory.mktemp("soprano-gpu") / "tiny", "tiny", seed=0)


def reqs() -> list[SynthRequest]:
    return [SynthRequest(t, segment_seed(t), 0, 0.0) for t in TEXTS]


def test_torch_backend_on_cuda_is_batch_invariant(ckpt):
    from pipeline.synthesize.soprano import SopranoEngine

    eng = SopranoEngine(ckpt, device="cuda", backend="torch")
    assert eng.lm_precision in ("bfloat16", "float16")
    batch = eng.synthesize_batch(reqs())
    for k, r in enumerate(reqs()):
        solo = eng.synthesize_batch([r])[0]
        assert solo.tokens == batch[k].tokens
        assert np.isfinite(solo.audio).all() and len(solo.audio) == (solo.tokens - 1) * 2048


def test_lmdeploy_backend_returns_states_for_every_kept_token(ckpt):
    pytest.importorskip("lmdeploy", reason="lmdeploy is not installed (pip install -e '.[gpu]')")
    from pipeline.synthesize.soprano import SopranoEngine

    eng = SopranoEngine(ckpt, device="cuda", backend="lmdeploy")
    outs = eng.synthesize_batch(reqs())
    for o in outs:
        assert o.tokens >= 1 and len(o.audio) == (o.tokens - 1) * 2048 and np.isfinite(o.audio).all()
    eng.close()
