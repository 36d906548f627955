"""End-to-end render against the sum of its unavoidable parts, measured side by side in one run.

(a) the standalone cost of each part that cannot be avoided:
    - the engine synthesizing the book's segments one after another, on one core;
    - ffmpeg encoding the resulting PCM to each requested format (MP3 chapters; AAC for the M4B);
(b) `render` end to end (MP3 chapters plus M4B, no cache, both cores available).

Prints the ratio of (b)'s wall time to the sum of (a)'s, x-real-time and peak RSS, and ends with the lines
`ratio: R` and `peak RSS: X GB`. Results also go to bench/results.json (not committed).

Usage: python scripts/bench.py [--book BOOK] [--chapters 1-10] [--formats mp3,m4b]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import Config  # noqa: E402 - the project root joins sys.path above
from pipeline.export.encode import codec_args  # noqa: E402 - the project root joins sys.path above
from pipeline.ffmpeg import ffmpeg_exe  # noqa: E402 - the project root joins sys.path above
from pipeline.plan import plan_book  # noqa: E402 - the project root joins sys.path above
from pipeline.synthesize.base import SynthRequest, segment_seed  # noqa: E402 - the project root joins sys.path above
from pipeline.synthesize.hibari_engine import HibariEngine  # noqa: E402 - the project root joins sys.path above

DEFAULT_BOOK = ROOT.parent / "shared" / "corpus" / "wodehouse-love-among-the-chickens.epub"
OUTPUT = Config().output  # the defaults the render uses: bitrates, sample rate


def synthesize_one_core(plan, tmp: Path) -> tuple[float, float, list[Path]]:
    """Every segment through the engine, one after another, pinned to one core. Returns (seconds,
    audio seconds, one raw float32 PCM file per chapter at the engine's rate)."""
    engine = HibariEngine(threads=1)
    engine.synthesize_batch([SynthRequest("Warm up.", 0)])
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})
    files, audio_s, spent = [], 0.0, 0.0
    try:
        for ch in plan.chapters:
            path = tmp / f"{ch.index:04d}.f32"
            with path.open("wb") as f:
                for seg in plan.segments[ch.index]:
                    if not seg.normalized.strip(" .,;:!?\"'-"):
                        continue
                    t0 = time.perf_counter()
                    out = engine.synthesize_batch(
                        [SynthRequest(seg.normalized, segment_seed(seg.normalized))]
                    )[0]
                    spent += time.perf_counter() - t0
                    audio_s += len(out.audio) / engine.sample_rate
                    f.write(np.ascontiguousarray(out.audio, "<f4").tobytes())
            files.append(path)
    finally:
        os.sched_setaffinity(0, affinity)
    return spent, audio_s, files


def encode_standalone(files: list[Path], rate: int, fmt: str, tmp: Path) -> float:
    """ffmpeg encoding each chapter's PCM to `fmt` at the output rate, one file after another."""
    t0 = time.perf_counter()
    for f in files:
        subprocess.run(
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "f32le",
                "-ar",
                str(rate),
                "-ac",
                "1",
                "-i",
                str(f),
                "-ar",
                str(OUTPUT.sample_rate),
                *codec_args(fmt, OUTPUT),
                str(tmp / f"enc.{fmt}"),
            ],
            check=True,
        )
    return time.perf_counter() - t0


def render_end_to_end(book: Path, chapters: str | None, formats: str, tmp: Path) -> tuple[float, float, dict]:
    """The real CLI, no cache. Returns (seconds, peak RSS in bytes of the render process tree's largest
    process, its manifest)."""
    render = Path(sys.executable).with_name("render")
    out = tmp / "e2e"
    cmd = [
        str(render),
        str(book),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--no-cache",
        "--quiet",
        "--format",
        formats,
    ] + (["--chapters", chapters] if chapters else [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: render failed: {err.strip()}")
    manifest = json.loads((out / "manifest.json").read_text())
    return wall, usage.ru_maxrss * 1024, manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--book", type=Path, default=DEFAULT_BOOK)
    ap.add_argument("--chapters", default=None, help="e.g. 1-10 for a quick development run")
    ap.add_argument("--formats", default="mp3,m4b")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f]

    cfg = Config()
    plan = plan_book(args.book, cfg, args.chapters, "hibari")
    n_segments = sum(len(s) for s in plan.segments.values())
    print(f"book: {plan.book.title} ({len(plan.chapters)} chapters, {n_segments} segments)", flush=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmpdir:
        tmp = Path(tmpdir)
        synth_s, audio_s, files = synthesize_one_core(plan, tmp)
        print(
            f"(a) synthesis, one core:        {synth_s:8.1f} s  ({audio_s / synth_s:6.1f}x real time, "
            f"{audio_s / 3600:.2f} h of audio)",
            flush=True,
        )
        parts = {"synthesis": synth_s}
        for fmt in formats:
            parts[f"encode {fmt}"] = encode_standalone(files, 24_000, fmt, tmp)
            print(
                f"(a) ffmpeg encode {fmt:4s}:          {parts[f'encode {fmt}']:8.1f} s  "
                f"({audio_s / parts[f'encode {fmt}']:6.1f}x real time)",
                flush=True,
            )
        for f in files:
            f.unlink()
        total_parts = sum(parts.values())
        print(f"(a) sum of the parts:           {total_parts:8.1f} s", flush=True)
        wall, peak, manifest = render_end_to_end(args.book, args.chapters, ",".join(formats), tmp)
    e2e_audio = manifest["stats"]["audio_seconds"]
    ratio = wall / total_parts
    print(
        f"(b) render end to end:          {wall:8.1f} s  ({e2e_audio / wall:6.1f}x real time, "
        f"{e2e_audio / 3600:.2f} h of finished audio)"
    )
    result = {
        "book": str(args.book),
        "chapters": args.chapters,
        "formats": formats,
        "segments": n_segments,
        "parts_seconds": parts,
        "parts_total_seconds": total_parts,
        "end_to_end_seconds": wall,
        "audio_seconds": audio_s,
        "x_real_time": e2e_audio / wall,
        "ratio": ratio,
        "peak_rss_bytes": peak,
        "cores": os.cpu_count(),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"x-real-time: {e2e_audio / wall:.1f}")
    print(f"ratio: {ratio:.3f}")
    print(f"peak RSS: {peak / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
