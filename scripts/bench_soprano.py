"""Benchmark: the Soprano engine against the reference package (soprano-tts 0.2.0) on the CPU, side by side.

    make bench-soprano          (or: python scripts/bench_soprano.py --reference-python .venv-bench/bin/python)

The same sentences from a corpus book (`pipeline.render.plan_book`: single-sentence segments the reference
also keeps whole) go through the reference's `SopranoTTS.infer_batch` (transformers backend, in its own
environment, `model_path` = a random checkpoint of the published shape) and through `SopranoEngine`, with
the same number of tokens forced per sentence on both sides (random weights would otherwise never say
[STOP]). Printed: audio seconds per wall second for each, their ratio, tokens each side, the LM/decoder
time split, achieved GFLOP/s against a matmul peak measured here, and finally exactly three lines:
`reference tokens: N`, `engine tokens: N`, `ratio: R`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# --- the reference side: runs inside the bench environment, imports only soprano-tts -------------------
REFERENCE_WORKER = r'''
import json, sys, time
spec = json.load(open(sys.argv[1]))
import torch
torch.set_num_threads(spec["threads"])
from transformers import LogitsProcessor, LogitsProcessorList
import soprano.backends.transformers as tb
from soprano.tts import SopranoTTS

if spec.get("split_only"):
    # how many prompts the reference makes of each text (it splits and merges sentences itself)
    print(json.dumps([len(SopranoTTS._preprocess_text(None, [t])) for t in spec["texts"]]))
    sys.exit(0)

STOP = spec["stop_id"]
forced = {"rows": None}
timing = {"lm": 0.0, "decoder": 0.0}

class ForceLength(LogitsProcessor):
    """Row i says exactly n_i tokens, then [STOP] (the engine's force_tokens, reference side)."""
    def __init__(self, counts, prompt_len):
        self.counts, self.prompt_len = counts, prompt_len
    def __call__(self, input_ids, scores):
        step = input_ids.shape[1] - self.prompt_len
        for i, n in enumerate(self.counts):
            if step >= n:
                scores[i, :] = float("-inf")
                scores[i, STOP] = 0.0
            else:
                scores[i, STOP] = float("-inf")
        return scores

orig_init, orig_infer = tb.TransformersModel.__init__, tb.TransformersModel.infer
def init(self, *a, **k):
    orig_init(self, *a, **k)
    generate = self.model.generate
    def forced_generate(*ga, **gk):
        rows = forced["rows"] or [8] * gk["input_ids"].shape[0]     # the constructor's warm-up: 8 tokens
        gk["logits_processor"] = LogitsProcessorList([ForceLength(rows, gk["input_ids"].shape[1])])
        return generate(*ga, **gk)
    self.model.generate = forced_generate
def infer(self, prompts, *a, **k):
    t = time.perf_counter()
    try:
        return orig_infer(self, prompts, *a, **k)
    finally:
        timing["lm"] += time.perf_counter() - t
tb.TransformersModel.__init__, tb.TransformersModel.infer = init, infer

tts = SopranoTTS(backend="transformers", device="cpu", model_path=spec["model_path"],
                 decoder_batch_size=spec["decoder_batch_size"])
dec_forward = tts.decoder.forward
def timed_decoder(x):
    t = time.perf_counter()
    try:
        return dec_forward(x)
    finally:
        timing["decoder"] += time.perf_counter() - t
tts.decoder.forward = timed_decoder
texts, counts = spec["texts"], spec["tokens"]
forced["rows"] = counts
timing["lm"] = timing["decoder"] = 0.0
t0 = time.perf_counter()
audio = tts.infer_batch(texts, top_p=spec["top_p"], temperature=spec["temperature"],
                        repetition_penalty=spec["repetition_penalty"])
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "lm": timing["lm"], "decoder": timing["decoder"],
                  "samples": [int(a.shape[-1]) for a in audio], "threads": torch.get_num_threads()}))
'''


def run_reference(python: str, spec: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        script = Path(tmp) / "reference_worker.py"
        script.write_text(REFERENCE_WORKER)
        proc = subprocess.run([python, str(script), str(spec_path)], capture_output=True, text=True,
                              cwd=tmp, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    if proc.returncode != 0:
        sys.exit(f"bench: the reference failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def matmul_peak(dtype, threads: int, n: int = 2048, reps: int = 8) -> float:
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9)
    return best


def pick_sentences(book: Path, count: int, python: str | None, stop_id: int) -> list[str]:
    from pipeline.config import Config
    from pipeline.render import plan_book
    plan = plan_book(book, Config(), engine_name="soprano")
    segments = [s for segs in plan.segments.values() for s in segs]
    cands = [s.normalized for s in segments if len(s.sentences) == 1 and 30 <= len(s.normalized) <= 300]
    cands = cands[:count * 2]
    if python:
        parts = json.loads(subprocess.run(
            [python, "-c", REFERENCE_WORKER, _spec_file({"split_only": True, "texts": cands, "threads": 1})],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        cands = [t for t, n in zip(cands, parts) if n == 1]
    if len(cands) < count:
        sys.exit(f"bench: only {len(cands)} single-sentence segments in {book}")
    return cands[:count]


def _spec_file(spec: dict) -> str:
    f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(spec, f)
    f.close()
    return f.name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    ap.add_argument("--book", default=str(ROOT.parent / "shared" / "corpus" / "wodehouse-love-among-the-chickens.epub"))
    ap.add_argument("--sentences", type=int, default=200)
    ap.add_argument("--checkpoint", default=str(ROOT / "bench" / "soprano-published"),
                    help="random checkpoint of the published shape (built here if missing)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                    help="torch threads on both sides (default: every core, as the reference uses)")
    ap.add_argument("--reference-decoder-batch", type=int, default=1, help="the reference's decoder_batch_size")
    ap.add_argument("--skip-reference", action="store_true", help="engine only (no ratio)")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_soprano_checkpoint import build
    ckpt = Path(args.checkpoint)
    if not (ckpt / "decoder.pth").is_file():
        print(f"building a random checkpoint of the published shape in {ckpt}", flush=True)
        build(ckpt, "published", seed=0)

    import torch

    from pipeline import defaults as D
    from pipeline.synthesize.base import SynthRequest, segment_seed
    from pipeline.synthesize.soprano import SopranoEngine

    ref_python = None if args.skip_reference else os.path.abspath(args.reference_python)   # not resolved: a venv
    texts = pick_sentences(Path(args.book), args.sentences, ref_python, 3)
    tokens = [int(min(511, max(8, round(len(t) / D.SOPRANO_CHARS_PER_S * D.SOPRANO_TOKENS_PER_S)))) for t in texts]
    print(f"sentences: {len(texts)} from {Path(args.book).name} ({sum(map(len, texts))} characters); "
          f"forced tokens per sentence: min {min(tokens)}, median {sorted(tokens)[len(tokens) // 2]}, max {max(tokens)}")
    peak32 = matmul_peak(torch.float32, args.threads)
    peak16 = matmul_peak(torch.bfloat16, args.threads)
    print(f"matmul peak here ({args.threads} threads, 2048^3): float32 {peak32:.0f} GFLOP/s, bfloat16 {peak16:.0f} GFLOP/s")

    engine = SopranoEngine(ckpt, device="cpu", threads=args.threads)
    sampling = dict(temperature=engine.sampling.temperature, top_p=engine.sampling.top_p,
                    repetition_penalty=engine.sampling.repetition_penalty)
    lm_flops_per_token = engine.shape.flops_per_token(0)
    dec_flops_per_token = engine.decoder.flops_per_token()

    ref = None
    if ref_python:
        spec = {"texts": texts, "tokens": tokens, "model_path": str(ckpt), "threads": args.threads,
                "decoder_batch_size": args.reference_decoder_batch, "stop_id": engine.stop_id, **sampling}
        print("reference: running soprano-tts 0.2.0 (transformers backend, CPU) ...", flush=True)
        ref = run_reference(ref_python, spec)

    reqs = [SynthRequest(t, segment_seed(t), 0, 0.0) for t in texts]
    engine.synthesize_batch(reqs[:4], force_tokens=tokens[:4])             # warm-up, as the reference's own
    engine.stats.__init__()
    t0 = time.perf_counter()
    outs = engine.synthesize_batch(reqs, force_tokens=tokens)
    wall = time.perf_counter() - t0
    st = engine.stats
    eng_tokens = sum(o.tokens for o in outs)
    eng_audio = sum(len(o.audio) for o in outs) / engine.sample_rate
    assert [o.tokens for o in outs] == tokens, "the engine did not honour the forced token counts"
    useful = eng_tokens * (lm_flops_per_token + dec_flops_per_token)

    def line(name: str, wall_s: float, audio_s: float, lm_s: float, dec_s: float, detail: str) -> None:
        print(f"{name}: {audio_s / wall_s:.1f} audio-s per wall-s ({audio_s:.1f} s of audio in {wall_s:.1f} s); "
              f"LM {lm_s:.1f} s ({100 * lm_s / wall_s:.0f}%), decoder {dec_s:.1f} s ({100 * dec_s / wall_s:.0f}%); "
              f"{useful / wall_s / 1e9:.0f} GFLOP/s achieved ({100 * useful / wall_s / 1e9 / peak32:.0f}% of the "
              f"float32 peak, {100 * useful / wall_s / 1e9 / peak16:.0f}% of bfloat16); {detail}")

    ratio = float("nan")
    ref_tokens = 0
    if ref is not None:
        ref_tokens = sum(s // 2048 + 1 for s in ref["samples"])
        ref_audio = sum(ref["samples"]) / engine.sample_rate
        line("reference", ref["wall"], ref_audio, ref["lm"], ref["decoder"],
             f"LM float32, decoder float32 batch {args.reference_decoder_batch}, {ref['threads']} threads")
        ratio = (eng_audio / wall) / (ref_audio / ref["wall"])
    line("engine", wall, eng_audio, st.lm_s, st.decoder_s,
         f"LM {str(engine.lm_dtype).split('.')[-1]}, decoder {str(engine.decoder_dtype).split('.')[-1]}, "
         f"{engine.lm_slots} LM slots, {engine.decoder_frames} decoder frames a batch, {torch.get_num_threads()} threads")
    print(f"  engine LM {st.lm_flops / st.lm_s / 1e9:.0f} GFLOP/s, decoder {st.decoder_flops / st.decoder_s / 1e9:.0f} GFLOP/s")
    print(f"reference tokens: {ref_tokens}")
    print(f"engine tokens: {eng_tokens}")
    print(f"ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
