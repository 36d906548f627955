"""Measure an engine's pace on rendered chapters: the constants behind `--dry-run`'s estimate.

    python scripts/calibrate_pace.py out/book1/manifest.json out/book2/manifest.json [--check more/manifest.json]

Fits each rendered segment's speech duration (trimmed, as `manifest.json` records it) as
`characters / rate + inner_pause x (sentence or clause ends inside it)` by least squares, prints the two
numbers for `pipeline/defaults.py` (HIBARI_SPOKEN_CHARS_PER_S, HIBARI_SPOKEN_INNER_PAUSE_S), then compares the
dry run's estimate with each chapter's measured duration, on the fitted chapters and on any `--check` ones
(held out of the fit). Render the chapters first, e.g.:

    render book.epub --out out/book1 --chapters 1,2,5 --engine hibari
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import load_config
from pipeline.pace import _STOPS
from pipeline.plan import plan_book


def _inner(text: str) -> int:
    stops = sum(text.count(p) for p in _STOPS)
    return max(0, stops - 1) if text.rstrip()[-1:] in _STOPS else stops


def fit(manifests: list[dict]) -> tuple[float, float]:
    rows = [
        (len(s["normalized"]), _inner(s["normalized"]), s["duration"])
        for m in manifests
        for c in m["chapters"]
        for s in c["segment_list"]
    ]
    a = np.array(rows, dtype=np.float64)
    (per_char, pause), *_ = np.linalg.lstsq(a[:, :2], a[:, 2], rcond=None)
    return 1.0 / per_char, pause


def compare(manifests: list[dict], label: str) -> None:
    cfg = load_config(None)
    total_est = total = 0.0
    for m in manifests:
        chapters = [c["index"] for c in m["chapters"]]
        plan = plan_book(m["book"]["source"], cfg, ",".join(map(str, chapters)), "hibari")
        for c in m["chapters"]:
            est = plan.chapter_seconds(c["index"])
            total_est += est
            total += c["duration"]
            print(
                f"  {label:8s} {c['title'][:40]:40s} measured {c['duration']:7.1f} s  estimate {est:7.1f} s  "
                f"{(est / c['duration'] - 1) * 100:+5.1f}%"
            )
    print(
        f"  {label:8s} all: measured {total:.0f} s, estimate {total_est:.0f} s, {(total_est / total - 1) * 100:+.1f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifests", nargs="+", type=Path)
    ap.add_argument("--check", nargs="*", type=Path, default=[])
    args = ap.parse_args()
    fitted = [json.loads(p.read_text(encoding="utf-8")) for p in args.manifests]
    rate, pause = fit(fitted)
    print(
        f"fit on {sum(len(m['chapters']) for m in fitted)} chapters: {rate:.2f} characters/s, inner pause {pause:.3f} s"
    )
    print("estimates with the constants now in pipeline/defaults.py:")
    compare(fitted, "fitted")
    if args.check:
        compare([json.loads(p.read_text(encoding="utf-8")) for p in args.check], "held out")


if __name__ == "__main__":
    main()
