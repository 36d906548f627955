"""How long reading a book-length PDF takes, on one core: `make bench-pdf`.

Typesets the two corpus books as one PDF of about 380 pages (tests/pdfbooks.py: reportlab, running heads,
page numbers, a contents page, hyphenated justified text, bookmarks), once, under bench/pdf/, then reads it
with `pipeline.ingest.read_book` pinned to one CPU, and reads the same books' EPUBs the same way, side by
side. Prints the pages, the seconds (best of --runs), the seconds per 350 pages, and the PDF/EPUB ratio.
The target is at most 10 s for 350 pages on one core.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _book(corpus: Path, out: Path) -> Path:
    from pipeline.ingest import read_book
    from pipeline.records import Book
    from tests.pdfbooks import typeset

    if out.exists():
        return out
    books = [
        read_book(corpus / "bierce-the-devils-dictionary.epub"),
        read_book(corpus / "wodehouse-love-among-the-chickens.epub"),
    ]
    chapters = [ch for b in books for ch in b.chapters]
    both = Book(title="Two Books", authors=["Ambrose Bierce", "P. G. Wodehouse"], chapters=chapters)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.pdf")
    typeset(both, tmp)
    os.replace(tmp, out)
    return out


def _best(paths: list[Path], runs: int) -> float:
    from pipeline.ingest import read_book

    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        for p in paths:
            read_book(p)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "pdf" / "two-books.pdf")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    pdf = _book(args.corpus, args.out)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(str(pdf)))
    from pipeline.ingest.pdf.blocks import _dictionary

    t = time.perf_counter()
    _dictionary()  # the word list loads once per process, on the first PDF read
    words_s = time.perf_counter() - t
    pdf_s = _best([pdf], args.runs)
    epub_s = _best(
        [
            args.corpus / "bierce-the-devils-dictionary.epub",
            args.corpus / "wodehouse-love-among-the-chickens.epub",
        ],
        args.runs,
    )
    cpu = (
        next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else "unknown CPU"
    )
    print(f"CPU: {cpu}, one core; load average {os.getloadavg()[0]:.1f}")
    print(
        f"PDF  {pages} pages: {pdf_s:.2f} s (best of {args.runs}), {pdf_s / pages * 350:.2f} s per 350 pages "
        f"(target <= 10 s)"
    )
    print(f"     plus {words_s:.2f} s once per process to load the hyphenation word list")
    print(f"EPUB the same two books: {epub_s:.2f} s; PDF/EPUB = {pdf_s / epub_s:.1f}x")


if __name__ == "__main__":
    main()
