"""Benchmark for a CUDA machine: the Soprano engine over a whole book in one pass, torch and lmdeploy backends.

    make bench-gpu [BOOK=...]     (or: python scripts/bench_gpu.py --book BOOK [--model-path DIR])

Every segment of the book (`pipeline.render.plan_book`, as `render` cuts it) goes to one
`SopranoEngine.synthesize_batch` call per backend: the engine's own continuous batching and decoder batching
over the whole book. Printed per backend: segments, tokens, audio hours, wall time, x-real-time (audio
seconds per wall second), the LM/decoder split, and GPU memory (torch's peak allocation, and the device's
used memory at the end, which includes TurboMind's own KV cache). With `--model-path` the real weights run;
without, a random checkpoint of the published shape (which never says [STOP], so every segment runs to its
length guard: the same work on both backends, audio that is noise). Not yet run on a GPU (none was lent).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--book", default=str(ROOT.parent / "shared" / "corpus" / "wodehouse-love-among-the-chickens.epub")
    )
    ap.add_argument(
        "--model-path", default="", help="real Soprano weights (default: a random published-shape checkpoint)"
    )
    ap.add_argument("--backends", default="torch,lmdeploy")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    import torch

    if not torch.cuda.is_available():
        print(
            "bench-gpu: no CUDA device here (torch.cuda.is_available() is False); nothing measured",
            file=sys.stderr,
        )
        return 2
    from make_soprano_checkpoint import build

    from pipeline.config import Config
    from pipeline.errors import EngineError
    from pipeline.render import plan_book
    from pipeline.synthesize.base import SynthRequest, segment_seed
    from pipeline.synthesize.soprano import SopranoEngine

    ckpt = Path(args.model_path) if args.model_path else ROOT / "bench" / "soprano-published"
    if not args.model_path and not (ckpt / "decoder.pth").is_file():
        build(ckpt, "published", seed=0)
    plan = plan_book(Path(args.book), Config(), engine_name="soprano")
    segs = [s for ch in plan.segments.values() for s in ch]
    reqs = [SynthRequest(s.normalized, segment_seed(s.normalized), 0, 0.0) for s in segs]
    print(
        f"GPU: {torch.cuda.get_device_name(0)}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB; "
        f"torch {torch.__version__}; book {Path(args.book).name}: {len(reqs)} segments, "
        f"{sum(len(r.text) for r in reqs)} characters; weights {'real' if args.model_path else 'random (published shape)'}"
    )
    for backend in args.backends.split(","):
        try:
            eng = SopranoEngine(ckpt, device="cuda", backend=backend)
        except EngineError as e:
            print(f"{backend}: not run ({e})")
            continue
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        outs = eng.synthesize_batch(reqs)
        torch.cuda.synchronize()
        wall = time.perf_counter() - t0
        free, total = torch.cuda.mem_get_info()
        audio = sum(len(o.audio) for o in outs) / eng.sample_rate
        print(f"{backend}: {eng.describe()}")
        print(
            f"  {sum(o.tokens for o in outs)} tokens, {audio / 3600:.2f} h of audio in {wall:.1f} s: "
            f"{audio / wall:.0f}x real time; LM {eng.stats.lm_s:.1f} s, decoder {eng.stats.decoder_s:.1f} s; "
            f"torch peak {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB, device used {(total - free) / 2**30:.1f} GiB"
        )
        eng.close()
        del eng, outs
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
