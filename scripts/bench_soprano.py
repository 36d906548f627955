"""Benchmark: the Soprano engine against the reference package (soprano-tts 0.2.0) on the CPU, side by side.

    make bench-soprano          (or: python scripts/bench_soprano.py --reference-python .venv-bench/bin/python)

The same sentences from a corpus book (`pipeline.render.plan_book`: single-sentence segments the reference
also keeps whole) go through the reference's `SopranoTTS.infer_batch` (transformers backend, float32, in its
own environment) and through `SopranoEngine`, both on one random checkpoint of the published shape, with
the same number of tokens forced per sentence on both sides (random weights would otherwise never say
[STOP]). The two sides run in two long-lived worker processes, interleaved reference/engine/engine/reference
so that load from other work on the machine falls on both alike; the load average is printed with them.

`--isa avx2` (the default) caps both processes to AVX2 (torch's ATEN_CPU_CAPABILITY, oneDNN, MKL and FBGEMM
dispatch): the CPUs most people have, and this project's machines, have no AVX-512 and no native bf16. On an
AVX2 machine the cap changes nothing; `--isa native` measures what this CPU has. The engine picks its
precision as it would on such a CPU (`precision.choose`); only precisions the CPU runs natively are
measured, each with its decoded-audio SNR against float32 on the same forced tokens beside its speed.

Printed: the CPU and ISA each side ran, matmul peaks of the native dtypes, the reference's and the engine's
audio seconds per wall second, the LM/decoder split, the engine's share of the peak of the dtype it used,
each precision's speed and audio SNR, and finally exactly three lines: `reference tokens: N`,
`engine tokens: N`, `ratio: R` (engine speed / reference speed, in the precision `auto` chooses).
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
MARK = "@@bench "  # worker replies start with this (both packages print other things)

ISA_ENV = {
    "avx2": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
    },
    "native": {},
}


class ForceLength:
    """A logits processor for the engine's decode loop: job i says exactly `counts[i]` tokens, then [STOP].
    Benchmarks only (random weights never choose [STOP] by themselves)."""

    def __init__(self, counts: list[int], stop_id: int):
        self.counts, self.stop_id = counts, stop_id

    def __call__(self, jobs: list[int], steps: list[int], logits) -> None:
        import torch

        done = torch.tensor(
            [s >= self.counts[j] for j, s in zip(jobs, steps, strict=True)], device=logits.device
        )
        logits[:, self.stop_id] = float("-inf")
        logits.masked_fill_(done[:, None], float("-inf"))
        logits[done, self.stop_id] = 0.0


def reply(obj: dict) -> None:
    print(MARK + json.dumps(obj), flush=True)


def load_now() -> float:
    return os.getloadavg()[0]


# --- the reference side: runs in the bench environment, imports only soprano-tts and its dependencies ----
def reference_worker() -> None:
    import soprano.backends.transformers as tb
    import torch
    from soprano.tts import SopranoTTS
    from transformers import LogitsProcessor, LogitsProcessorList

    state = {"rows": None, "lm": 0.0, "decoder": 0.0}

    class ForceLengthHF(LogitsProcessor):
        """Row i says exactly n_i tokens, then [STOP] (ForceLength, on the reference's side)."""

        def __init__(self, counts, prompt_len, stop):
            self.counts, self.prompt_len, self.stop = counts, prompt_len, stop

        def __call__(self, input_ids, scores):
            step = input_ids.shape[1] - self.prompt_len
            for i, n in enumerate(self.counts):
                if step >= n:
                    scores[i, :] = float("-inf")
                    scores[i, self.stop] = 0.0
                else:
                    scores[i, self.stop] = float("-inf")
            return scores

    orig_init, orig_infer = tb.TransformersModel.__init__, tb.TransformersModel.infer

    def init(self, *a, **k):
        orig_init(self, *a, **k)
        generate = self.model.generate
        stop = self.model.config.eos_token_id

        def forced_generate(*ga, **gk):
            rows = state["rows"] or [8] * gk["input_ids"].shape[0]  # the constructor's warm-up: 8 tokens
            gk["logits_processor"] = LogitsProcessorList(
                [ForceLengthHF(rows, gk["input_ids"].shape[1], stop)]
            )
            return generate(*ga, **gk)

        self.model.generate = forced_generate

    def infer(self, prompts, *a, **k):
        t = time.perf_counter()
        try:
            return orig_infer(self, prompts, *a, **k)
        finally:
            state["lm"] += time.perf_counter() - t

    tb.TransformersModel.__init__, tb.TransformersModel.infer = init, infer

    tts = None
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "split":
            # how many prompts the reference makes of each text (it splits and merges sentences itself)
            reply({"parts": [len(SopranoTTS._preprocess_text(None, [t])) for t in msg["texts"]]})
        elif msg["op"] == "init":
            torch.set_num_threads(msg["threads"])
            tts = SopranoTTS(
                backend="transformers",
                device="cpu",
                model_path=msg["model_path"],
                decoder_batch_size=msg["decoder_batch_size"],
            )
            dec_forward = tts.decoder.forward

            def timed_decoder(x, _f=dec_forward):
                t = time.perf_counter()
                try:
                    return _f(x)
                finally:
                    state["decoder"] += time.perf_counter() - t

            tts.decoder.forward = timed_decoder
            reply(
                {
                    "capability": torch.backends.cpu.get_cpu_capability(),
                    "threads": torch.get_num_threads(),
                    "torch": torch.__version__,
                    "dtype": str(tts.pipeline.model.dtype).split(".")[-1],
                }
            )
        elif msg["op"] == "run":
            if msg.get("warm"):
                # as the engine's side is warmed: a few sentences first, untimed, so first-call costs fall on neither
                state["rows"] = msg["tokens"][:4]
                tts.infer_batch(
                    msg["texts"][:4],
                    top_p=msg["top_p"],
                    temperature=msg["temperature"],
                    repetition_penalty=msg["repetition_penalty"],
                )
            state["rows"], state["lm"], state["decoder"] = msg["tokens"], 0.0, 0.0
            load0, c0, t0 = load_now(), time.process_time(), time.perf_counter()
            audio = tts.infer_batch(
                msg["texts"],
                top_p=msg["top_p"],
                temperature=msg["temperature"],
                repetition_penalty=msg["repetition_penalty"],
            )
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            reply(
                {
                    "wall": wall,
                    "cpu": cpu,
                    "lm": state["lm"],
                    "decoder": state["decoder"],
                    "samples": [int(a.shape[-1]) for a in audio],
                    "load": (load0 + load_now()) / 2,
                }
            )
        elif msg["op"] == "quit":
            return


# --- the engine side: runs in the project's environment ----------------------------------------------------
def engine_worker() -> None:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import torch

    from pipeline.synthesize.base import SynthRequest, segment_seed
    from pipeline.synthesize.soprano import SopranoEngine
    from pipeline.synthesize.soprano.generate import Job, generate
    from pipeline.synthesize.soprano.precision import cpu_features, linear

    engines: dict[str, SopranoEngine] = {}
    ckpt, threads = "", 1

    def engine(precision: str) -> SopranoEngine:
        if precision not in engines:
            engines[precision] = SopranoEngine(Path(ckpt), device="cpu", dtype=precision, threads=threads)
        return engines[precision]

    def requests(texts: list[str], tokens: list[int]) -> list[SynthRequest]:
        # a length guard above the forced count (the cap counts 15.625 tokens a second)
        return [
            SynthRequest(t, segment_seed(t), 0, (n + 2) / 15.625) for t, n in zip(texts, tokens, strict=True)
        ]

    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "init":
            ckpt, threads = msg["model_path"], msg["threads"]
            torch.set_num_threads(threads)
            feats = cpu_features()
            # what runs natively here: float32, FBGEMM's int8 and fp16-weight products (AVX2), bf16 (AVX512-BF16)
            natives = ["float32"] + [
                p
                for p, ok in (
                    ("int8", feats.int8_native),
                    ("fp16w", feats.int8_native),
                    ("bfloat16", feats.bf16_native),
                )
                if ok
            ]
            eng = engine("auto")
            if eng.lm_precision == eng.decoder_precision:
                engines[eng.lm_precision] = eng
            reply(
                {
                    "capability": feats.capability,
                    "features": feats.describe(),
                    "natives": natives,
                    "auto": [eng.lm_precision, eng.decoder_precision],
                    "threads": torch.get_num_threads(),
                    "torch": torch.__version__,
                    "slots": eng.lm_slots,
                    "decoder_frames": eng.decoder_frames,
                    "stop_id": eng.stop_id,
                    "sampling": {
                        "temperature": eng.sampling.temperature,
                        "top_p": eng.sampling.top_p,
                        "repetition_penalty": eng.sampling.repetition_penalty,
                    },
                    "lm_flops_per_token": eng.shape.flops_per_token(0),
                    "decoder_flops_per_token": eng.decoder.flops_per_token(),
                }
            )
        elif msg["op"] == "peak":
            # a square product large enough to reach the kernels' rate, small enough to take seconds
            n, out = msg["n"], {}
            a, b = torch.randn(n, n), torch.randn(n, n) * 0.02
            for precision in msg["precisions"]:
                f = linear(b, None, precision, torch.device("cpu"))
                x = a.to(torch.bfloat16) if precision == "bfloat16" else a
                f(x)
                best = 0.0
                for _ in range(5):
                    t = time.perf_counter()
                    for _ in range(4):
                        f(x)
                    best = max(best, 2 * n**3 * 4 / (time.perf_counter() - t) / 1e9)
                out[precision] = best
            reply(out)
        elif msg["op"] == "run":
            eng = engine(msg["precision"])
            reqs = requests(msg["texts"], msg["tokens"])
            eng.logits_processor = ForceLength(msg["tokens"], eng.stop_id)
            if msg.get("warm"):
                eng.synthesize_batch(reqs[:4])
            eng.stats.__init__()
            load0, c0, t0 = load_now(), time.process_time(), time.perf_counter()
            outs = eng.synthesize_batch(reqs)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            eng.logits_processor = None
            st = eng.stats
            reply(
                {
                    "wall": wall,
                    "cpu": cpu,
                    "lm": st.lm_s,
                    "decoder": st.decoder_s,
                    "lm_flops": st.lm_flops,
                    "decoder_flops": st.decoder_flops,
                    "tokens": [o.tokens for o in outs],
                    "samples": [len(o.audio) for o in outs],
                    "load": (load0 + load_now()) / 2,
                }
            )
        elif msg["op"] == "snr":
            # the same forced tokens for every precision: sampled once in float32, then teacher-forced
            base = engine("float32")
            jobs = [
                Job(base.prompt_ids(t), segment_seed(t), n + 2)
                for t, n in zip(msg["texts"], msg["tokens"], strict=True)
            ]
            generate(
                base.lm,
                jobs,
                base.stop_id,
                base.sampling,
                len(jobs),
                None,
                ForceLength(msg["tokens"], base.stop_id),
            )

            def states(eng: SopranoEngine, job: Job) -> torch.Tensor:
                seq = job.prompt + job.tokens
                return eng.lm.states(seq)[len(job.prompt) - 1 : len(seq) - 1].float()

            def audio(eng: SopranoEngine, hidden: list[torch.Tensor]) -> np.ndarray:
                return np.concatenate([a.numpy() for a in eng.decoder.decode(hidden)])

            def snr(ref: np.ndarray, got: np.ndarray) -> float:
                return float(
                    10
                    * np.log10(
                        (ref.astype(np.float64) ** 2).sum()
                        / max(((ref.astype(np.float64) - got) ** 2).sum(), 1e-30)
                    )
                )

            h32 = [states(base, j) for j in jobs]
            loop_vs_forced = snr(
                np.concatenate([j.hidden.numpy() for j in jobs]), np.concatenate([h.numpy() for h in h32])
            )
            a32 = audio(base, h32)
            out = {
                "sentences": len(jobs),
                "tokens": sum(len(j.tokens) for j in jobs),
                "loop_vs_teacher_forced_db": loop_vs_forced,
                "precisions": {},
            }
            for precision in msg["precisions"]:
                if precision == "float32":
                    continue
                eng = engine(precision)
                hp = [states(eng, j) for j in jobs]
                out["precisions"][precision] = {
                    "lm_hidden_db": snr(
                        np.concatenate([h.numpy() for h in h32]), np.concatenate([h.numpy() for h in hp])
                    ),
                    "decoder_db": snr(a32, audio(eng, h32)),
                    "audio_db": snr(a32, audio(eng, hp)),
                }
            reply(out)
        elif msg["op"] == "quit":
            return


# --- the parent -------------------------------------------------------------------------------------------
class Worker:
    def __init__(self, python: str, role: str, env: dict[str, str]):
        self.role = role
        self.proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--worker", role],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tempfile.gettempdir(),
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false", **env},
        )

    def ask(self, **msg) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(MARK):
                return json.loads(line[len(MARK) :])
        err = self.proc.stderr.read()
        sys.exit(f"bench: the {self.role} worker failed:\n{err[-3000:]}")

    def close(self) -> None:
        try:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait(timeout=60)


def pick_sentences(book: Path, count: int, ref: Worker | None) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from pipeline.config import Config
    from pipeline.render import plan_book

    plan = plan_book(book, Config(), engine_name="soprano")
    segments = [s for segs in plan.segments.values() for s in segs]
    cands = [s.normalized for s in segments if len(s.sentences) == 1 and 30 <= len(s.normalized) <= 300]
    cands = cands[: count * 2]
    if ref is not None:
        parts = ref.ask(op="split", texts=cands)["parts"]
        cands = [t for t, n in zip(cands, parts, strict=True) if n == 1]
    if len(cands) < count:
        sys.exit(f"bench: only {len(cands)} single-sentence segments in {book}")
    return cands[:count]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=["reference", "engine"], help=argparse.SUPPRESS)
    ap.add_argument("--reference-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    ap.add_argument(
        "--book", default=str(ROOT.parent / "shared" / "corpus" / "wodehouse-love-among-the-chickens.epub")
    )
    ap.add_argument("--sentences", type=int, default=60)
    ap.add_argument("--snr-sentences", type=int, default=12, help="sentences the audio SNRs are measured on")
    ap.add_argument(
        "--rounds", type=int, default=2, help="parts the sentences are run in, R E / E R alternately"
    )
    ap.add_argument(
        "--checkpoint",
        default=str(ROOT / "bench" / "soprano-published"),
        help="random checkpoint of the published shape (built here if missing)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads on both sides (default: every core, as the reference uses; one when the "
        "machine is busy, where multi-threaded barriers stall on a core taken away)",
    )
    ap.add_argument(
        "--isa",
        choices=sorted(ISA_ENV),
        default="avx2",
        help="avx2: both sides capped to AVX2 (the common CPU); native: what this CPU has",
    )
    ap.add_argument(
        "--reference-decoder-batch", type=int, default=1, help="the reference's decoder_batch_size"
    )
    ap.add_argument("--skip-reference", action="store_true", help="engine only (no ratio)")
    args = ap.parse_args(argv)
    if args.worker == "reference":
        reference_worker()
        return 0
    if args.worker == "engine":
        engine_worker()
        return 0

    t_start = time.perf_counter()
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_soprano_checkpoint import build

    ckpt = Path(args.checkpoint)
    if not (ckpt / "decoder.pth").is_file():
        print(f"building a random checkpoint of the published shape in {ckpt}", flush=True)
        build(ckpt, "published", seed=0)

    env = ISA_ENV[args.isa]
    cores = len(os.sched_getaffinity(0))
    if args.threads <= 0:
        busy = os.getloadavg()[0] > cores / 2
        args.threads = 1 if busy else cores
        if busy:
            print(
                f"the machine is busy (load {os.getloadavg()[0]:.1f} on {cores} cores): one thread each side"
            )
    print(
        f"CPU: {cpu_name()}, {len(os.sched_getaffinity(0))} cores for this process, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; --isa {args.isa}"
        f"{' (' + ' '.join(f'{k}={v}' for k, v in env.items()) + ', both sides)' if env else ''}"
    )
    eng = Worker(sys.executable, "engine", env)
    ref = None if args.skip_reference else Worker(os.path.abspath(args.reference_python), "reference", env)
    try:
        texts = pick_sentences(Path(args.book), args.sentences, ref)
        from pipeline import defaults as D

        tokens = [
            int(min(511, max(8, round(len(t) / D.SOPRANO_CHARS_PER_S * D.SOPRANO_TOKENS_PER_S))))
            for t in texts
        ]
        print(
            f"sentences: {len(texts)} from {Path(args.book).name} ({sum(map(len, texts))} characters); forced "
            f"tokens per sentence: min {min(tokens)}, median {sorted(tokens)[len(tokens) // 2]}, max {max(tokens)}"
        )
        info = eng.ask(op="init", model_path=str(ckpt), threads=args.threads)
        auto_lm, auto_dec = info["auto"]
        print(
            f"engine ran: torch {info['torch']} capability {info['capability']}, CPU features {info['features']}; "
            f"auto precision: LM {auto_lm}, decoder {auto_dec}; {info['threads']} threads, {info['slots']} LM slots"
        )
        peaks = eng.ask(op="peak", n=1024, precisions=info["natives"])
        print(
            "matmul peak here (1024^3, "
            + f"{args.threads} threads): "
            + ", ".join(f"{p} {v:.0f} G{'OP' if p == 'int8' else 'FLOP'}/s" for p, v in peaks.items())
        )
        common = {"texts": texts, "tokens": tokens}
        ref_runs, eng_runs = [], []
        if ref is not None:
            rinfo = ref.ask(
                op="init",
                model_path=str(ckpt),
                threads=args.threads,
                decoder_batch_size=args.reference_decoder_batch,
            )
            print(
                f"reference ran: soprano-tts 0.2.0, torch {rinfo['torch']} capability {rinfo['capability']}, "
                f"LM {rinfo['dtype']}, {rinfo['threads']} threads, decoder batch {args.reference_decoder_batch}"
            )
        auto = "auto"
        eng.ask(op="run", precision=auto, warm=True, texts=texts[:8], tokens=tokens[:8])
        # the sentences in `rounds` parts; each part through both sides, in the order R E, E R, R E, ...
        parts = [(texts[i :: args.rounds], tokens[i :: args.rounds]) for i in range(args.rounds)]
        for r, (tx, tk) in enumerate(parts):
            for side in ("ref", "eng") if r % 2 == 0 else ("eng", "ref"):
                if side == "ref" and ref is not None:
                    ref_runs.append(
                        ref.ask(op="run", texts=tx, tokens=tk, warm=not ref_runs, **info["sampling"])
                    )
                    x = ref_runs[-1]
                elif side == "eng":
                    eng_runs.append(eng.ask(op="run", precision=auto, texts=tx, tokens=tk))
                    x = eng_runs[-1]
                else:
                    continue
                print(
                    f"  part {r + 1}/{args.rounds} {'reference' if side == 'ref' else 'engine (auto)'}: "
                    f"{sum(tk)} tokens, {x['wall']:.1f} s wall, {x['cpu']:.1f} s CPU, load {x['load']:.1f}",
                    flush=True,
                )
        assert [t for x in eng_runs for t in x["tokens"]] == [t for _, tk in parts for t in tk], (
            "the engine did not honour the forced token counts"
        )
        others = {}
        for p in info["natives"]:
            if [p, p] != info["auto"]:
                others[p] = eng.ask(op="run", precision=p, warm=True, **common)
                print(
                    f"  engine ({p}): {others[p]['wall']:.1f} s wall, load {others[p]['load']:.1f}",
                    flush=True,
                )
        n_snr = min(args.snr_sentences, len(texts))
        labels = ["auto"] + [p for p in info["natives"] if [p, p] != info["auto"]]
        snr = eng.ask(op="snr", texts=texts[:n_snr], tokens=tokens[:n_snr], precisions=labels)
    finally:
        eng.close()
        if ref is not None:
            ref.close()

    sr = D.SOPRANO_SAMPLE_RATE_HZ
    per_token = info["lm_flops_per_token"] + info["decoder_flops_per_token"]

    def total(runs: list[dict]) -> dict:
        keys = ("wall", "cpu", "lm", "decoder", "lm_flops", "decoder_flops")
        return {
            **{k: sum(x.get(k, 0.0) for x in runs) for k in keys},
            "samples": [s for x in runs for s in x["samples"]],
        }

    def speed(x: dict) -> float:
        return sum(x["samples"]) / sr / x["wall"]

    eng_tokens = sum(tokens)
    e = total(eng_runs)
    lm_rate = e["lm_flops"] / max(e["lm"], 1e-9) / 1e9
    dec_rate = e["decoder_flops"] / max(e["decoder"], 1e-9) / 1e9
    best_peak = max(peaks.values())
    best_dtype = max(peaks, key=peaks.get)
    useful = eng_tokens * per_token / e["wall"] / 1e9
    lm_peak_name = auto_lm if auto_lm in peaks else "float32"
    print(
        f"engine (LM {auto_lm}, decoder {auto_dec}): {speed(e):.1f} audio-s per wall-s ({sum(e['samples']) / sr:.1f} s "
        f"of audio in {e['wall']:.1f} s; CPU {e['cpu']:.1f} s); LM {e['lm']:.1f} s at {lm_rate:.0f} G/s = "
        f"{100 * lm_rate / peaks[lm_peak_name]:.0f}% of the {lm_peak_name} peak, decoder {e['decoder']:.1f} s at {dec_rate:.0f} G/s = "
        f"{100 * dec_rate / peaks[auto_dec]:.0f}% of the {auto_dec} peak; overall {useful:.0f} G/s useful = "
        f"{100 * useful / best_peak:.0f}% of the best native dtype's peak ({best_dtype})"
    )
    ratio, ref_tokens = float("nan"), 0
    if ref_runs:
        x = total(ref_runs)
        ref_tokens = sum(s // 2048 + 1 for s in x["samples"])
        print(
            f"reference: {speed(x):.1f} audio-s per wall-s ({sum(x['samples']) / sr:.1f} s of audio in "
            f"{x['wall']:.1f} s; CPU {x['cpu']:.1f} s); LM {x['lm']:.1f} s, "
            f"decoder {x['decoder']:.1f} s"
        )
        ratio = speed(e) / speed(x)
        print(
            "side by side, part by part (engine/reference speed): "
            + ", ".join(f"{speed(a) / speed(b):.2f}" for a, b in zip(eng_runs, ref_runs, strict=True))
            + f"; CPU-time ratio {x['cpu'] / e['cpu']:.2f}"
        )
    print(
        f"precisions (audio SNR against float32 on the same {snr['tokens']} forced tokens of "
        f"{snr['sentences']} sentences; the decode loop against teacher forcing: "
        f"{snr['loop_vs_teacher_forced_db']:.0f} dB):"
    )
    for p in labels[:1] + (["float32"] if "float32" not in labels else []) + labels[1:]:
        run = e if p == "auto" or [p, p] == info["auto"] else others[p]
        vs = f", {speed(run) / speed(total(ref_runs)):.2f}x the reference" if ref_runs else ""
        name = f"auto (LM {auto_lm}, decoder {auto_dec})" if p == "auto" else f"{p} (LM and decoder)"
        if p == "float32":
            print(f"  {name}: {speed(run):.1f} audio-s per wall-s{vs}; the baseline")
        else:
            s = snr["precisions"][p]
            print(
                f"  {name}: {speed(run):.1f} audio-s per wall-s{vs}; audio SNR {s['audio_db']:.1f} dB "
                f"(LM hidden states {s['lm_hidden_db']:.1f} dB, decoder alone {s['decoder_db']:.1f} dB)"
            )
    print(
        f"bench took {time.perf_counter() - t_start:.0f} s; load average now "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print(f"reference tokens: {ref_tokens}")
    print(f"engine tokens: {eng_tokens}")
    print(f"ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
