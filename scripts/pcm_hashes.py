"""PCM hashes of a few renders, so a refactor can show the audio did not change by one sample.

Renders, with the embedded engine (hibari) and no cache: the demo sample (`scripts/make_sample.py`), two
chapters of a corpus Wodehouse, and a short text book written here. Each chapter is written as WAV; the
hash is SHA-256 of the WAV's `data` chunk alone (the PCM), so tags and file names may change freely.

Usage:
  python scripts/pcm_hashes.py --out bench/pcm > before.txt
  python scripts/pcm_hashes.py --out bench/pcm --compare before.txt     # exit 1 on any difference
"""

from __future__ import annotations

import argparse
import hashlib
import re
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WODEHOUSE = ROOT.parent / "shared" / "corpus" / "wodehouse-love-among-the-chickens.epub"
WODEHOUSE_CHAPTERS = "2,3"

TEXT_BOOK = """Title: The Ferry at Hollin Ford
Author: A. N. Other

CHAPTER I. THE CROSSING

On the 4th of June, 1887, at 6.30 p.m., the ferry left Hollin Ford with 12 passengers and a cart. The
fare was 3d. a head, or £1 2s. 6d. for the season, and Mr. Pell kept the money in a tin.

"It is 2 1/2 miles across," he said, "and we shall be over by 7."

CHAPTER II. THE FLOOD

The river rose 14 ft. in a night. By the 10th the water stood at 21.5 metres on the mark, and the
Board sent a telegram: COME AT ONCE.
"""


def data_chunk(wav: Path) -> bytes:
    """The PCM of a RIFF/WAVE file: the bytes of its `data` chunk."""
    raw = wav.read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{wav}: not a RIFF/WAVE file")
    pos = 12
    while pos + 8 <= len(raw):
        tag, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        if tag == b"data":
            return raw[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    raise ValueError(f"{wav}: no data chunk")


def render(book: Path, out: Path, chapters: str | None) -> None:
    cmd = [
        str(Path(sys.executable).parent / "render"),
        str(book),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--format",
        "wav",
        "--no-cache",
        "--quiet",
    ]
    if chapters:
        cmd += ["--chapters", chapters]
    subprocess.run(cmd, check=True)


def hashes(name: str, out: Path) -> list[str]:
    """One line per chapter: book, chapter number (the file name's prefix), PCM bytes, SHA-256."""
    lines = []
    for wav in sorted(out.glob("*.wav")):
        number = re.match(r"\d+", wav.name)
        pcm = data_chunk(wav)
        lines.append(
            f"{name} {number.group(0) if number else wav.stem} {len(pcm)} {hashlib.sha256(pcm).hexdigest()}"
        )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "pcm", help="work folder (made fresh)")
    ap.add_argument("--compare", type=Path, help="a file of earlier output: exit 1 unless identical")
    args = ap.parse_args()
    import shutil

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    sample = args.out / "sample.epub"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_sample.py"), str(sample)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    text = args.out / "ferry.txt"
    text.write_text(TEXT_BOOK, encoding="utf-8")
    lines: list[str] = []
    for name, book, chapters in (
        ("sample", sample, None),
        ("wodehouse", WODEHOUSE, WODEHOUSE_CHAPTERS),
        ("textbook", text, None),
    ):
        render(book, args.out / name, chapters)
        lines += hashes(name, args.out / name)
    print("\n".join(lines))
    if args.compare:
        before = args.compare.read_text(encoding="utf-8").split("\n")
        before = [b for b in before if b.strip()]
        if before != lines:
            print("pcm_hashes: DIFFERENT from " + str(args.compare), file=sys.stderr)
            return 1
        print(f"pcm_hashes: identical to {args.compare} ({len(lines)} chapters)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
