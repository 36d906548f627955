"""Parity: the Soprano engine against the reference package (soprano-tts 0.2.0) itself, side by side.

    make parity          (or: python scripts/parity_soprano.py --reference-python .venv-bench/bin/python)

On one random checkpoint of the published shape (scripts/make_soprano_checkpoint.py), the reference's own
code runs in its own environment: its transformers LM (`soprano.backends.transformers`, float32) over fixed
prompts, greedy generation with its repetition penalty, and its `SopranoDecoder` over fixed hidden states.
The engine does the same here. Printed: the SNR of the engine's last-layer hidden states against the
reference's (teacher-forced over prompt and continuation, and from the engine's batched decode loop),
whether the greedy tokens are identical, and the decoder's audio SNR alone and batched; in float32 and in
each other precision this CPU runs natively. Exits 1 if float32 falls below the floors (LM 80 dB, decoder
100 dB) or the greedy tokens differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LM_FLOOR_DB, DECODER_FLOOR_DB = 80.0, 100.0

REFERENCE = r"""
import json, sys
import numpy as np
import torch
torch.set_num_threads(1)
from soprano.backends.transformers import TransformersModel
from soprano.vocos.decoder import SopranoDecoder
spec = json.load(open(sys.argv[1]))
out = {}
lm = TransformersModel(device="cpu", model_path=spec["model_path"])
model, tok = lm.model, lm.tokenizer
for i, text in enumerate(spec["texts"]):
    ids = tok(f"[STOP][TEXT]{text}[START]", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        g = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                           max_new_tokens=spec["greedy_tokens"], min_new_tokens=spec["greedy_tokens"],
                           repetition_penalty=spec["repetition_penalty"], pad_token_id=tok.pad_token_id)
        h = model(g, output_hidden_states=True).hidden_states[-1][0]
    out[f"prompt{i}"] = ids[0].numpy()
    out[f"greedy{i}"] = g[0, ids.shape[1]:].numpy()
    out[f"hidden{i}"] = h.numpy()
dec = SopranoDecoder()
dec.load_state_dict(torch.load(spec["model_path"] + "/decoder.pth", map_location="cpu"))
dec.eval()
hs = np.load(spec["decoder_input"])
for i in range(len(spec["decoder_lengths"])):
    h = torch.as_tensor(hs[f"h{i}"])
    with torch.no_grad():
        out[f"audio{i}"] = dec(h.T[None])[0].numpy()
np.savez(spec["out"], **out)
print("ok")
"""


def snr_db(ref, got) -> float:
    import numpy as np

    ref, got = np.asarray(ref, dtype=np.float64), np.asarray(got, dtype=np.float64)
    return float(10 * np.log10((ref**2).sum() / max(((ref - got) ** 2).sum(), 1e-300)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    ap.add_argument("--checkpoint", default=str(ROOT / "bench" / "soprano-published"))
    ap.add_argument("--greedy-tokens", type=int, default=24)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    import numpy as np
    import torch
    from make_soprano_checkpoint import build

    from pipeline import defaults as D
    from pipeline.synthesize.soprano import SopranoEngine
    from pipeline.synthesize.soprano.engine import model_text
    from pipeline.synthesize.soprano.generate import Job, Sampling, generate
    from pipeline.synthesize.soprano.precision import cpu_features

    ckpt = Path(args.checkpoint)
    if not (ckpt / "decoder.pth").is_file():
        print(f"building a random checkpoint of the published shape in {ckpt}", flush=True)
        build(ckpt, "published", seed=0)
    torch.set_num_threads(1)
    texts = [
        model_text(t)
        for t in (
            "The keeper of the lighthouse climbed the stairs each evening.",
            "What do you mean by that? she asked, and he laughed.",
            "One, two, three; a hundred chickens ran about the yard.",
        )
    ]
    lengths = [9, 40, 23]
    g = torch.Generator().manual_seed(5)
    hidden_in = {f"h{i}": torch.randn(n, 512, generator=g).numpy() for i, n in enumerate(lengths)}
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "dec_in.npz", **hidden_in)
        spec = {
            "model_path": str(ckpt),
            "texts": texts,
            "greedy_tokens": args.greedy_tokens,
            "repetition_penalty": D.SOPRANO_REPETITION_PENALTY,
            "decoder_lengths": lengths,
            "decoder_input": str(Path(tmp) / "dec_in.npz"),
            "out": str(Path(tmp) / "ref.npz"),
        }
        (Path(tmp) / "spec.json").write_text(json.dumps(spec))
        (Path(tmp) / "ref.py").write_text(REFERENCE)
        print("reference: soprano-tts 0.2.0 (transformers LM float32, SopranoDecoder) ...", flush=True)
        proc = subprocess.run(
            [os.path.abspath(args.reference_python), str(Path(tmp) / "ref.py"), str(Path(tmp) / "spec.json")],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        if proc.returncode != 0:
            sys.exit(f"parity: the reference failed:\n{proc.stderr[-3000:]}")
        ref = dict(np.load(spec["out"]))

    feats = cpu_features()
    precisions = ["float32"] + [
        p
        for p, ok in (
            ("fp16w", feats.int8_native),
            ("int8", feats.int8_native),
            ("bfloat16", feats.bf16_native),
        )
        if ok
    ]
    print(f"engine: CPU {feats.describe()}; precisions {', '.join(precisions)}")
    ok = True
    for precision in precisions:
        eng = SopranoEngine(ckpt, device="cpu", dtype=precision, threads=1)
        forced, loop = [], []
        same_tokens = True
        jobs = []
        for i, text in enumerate(texts):
            prompt = eng.prompt_ids(text)
            if prompt != ref[f"prompt{i}"].tolist():
                sys.exit(f"parity: the prompt ids differ for {text!r}")
            seq = prompt + ref[f"greedy{i}"].tolist()
            forced.append(snr_db(ref[f"hidden{i}"], eng.lm.states(seq).float().numpy()))
            jobs.append(Job(prompt, 0, args.greedy_tokens))
        # the batched decode loop, greedy (temperature 0) with the same repetition penalty
        # ([STOP] masked, as the reference's min_new_tokens does)
        generate(
            eng.lm,
            jobs,
            eng.stop_id,
            Sampling(0.0, 1.0, D.SOPRANO_REPETITION_PENALTY, 0),
            len(jobs),
            processor=lambda _jobs, _steps, logits, stop=eng.stop_id: logits[:, stop].fill_(float("-inf")),
        )
        for i, job in enumerate(jobs):
            same_tokens &= job.tokens == ref[f"greedy{i}"].tolist()
            want = ref[f"hidden{i}"][len(job.prompt) - 1 : len(job.prompt) - 1 + len(job.tokens)]
            loop.append(snr_db(want, job.hidden.numpy()))
        hs = [torch.as_tensor(hidden_in[f"h{i}"]) for i in range(len(lengths))]
        batched = eng.decoder.decode(hs)
        alone = [eng.decoder.decode([h])[0] for h in hs]
        dec_b = min(snr_db(ref[f"audio{i}"], a.numpy()) for i, a in enumerate(batched))
        dec_a = min(snr_db(ref[f"audio{i}"], a.numpy()) for i, a in enumerate(alone))
        print(
            f"{precision}: LM hidden states {min(forced):.1f} dB teacher-forced, {min(loop):.1f} dB from the "
            f"decode loop (worst of {len(texts)} prompts, {args.greedy_tokens} tokens each); greedy tokens "
            f"{'identical' if same_tokens else 'DIFFERENT'}; decoder {dec_a:.1f} dB alone, {dec_b:.1f} dB batched"
        )
        if precision == "float32":
            ok = same_tokens and min(forced + loop) >= LM_FLOOR_DB and min(dec_a, dec_b) >= DECODER_FLOOR_DB
        eng.close()
    print(
        f"parity: {'ok' if ok else 'FAILED'} (float32 floors: LM {LM_FLOOR_DB:.0f} dB, decoder {DECODER_FLOOR_DB:.0f} dB, "
        "greedy tokens identical)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
