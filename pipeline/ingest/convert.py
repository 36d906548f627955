"""Any other book format through Calibre's `ebook-convert`, where it is installed (optional, never required).

The book is converted into an EPUB in a private temporary folder, with a time limit (`limits.ingest_seconds`)
and size limits on the input (`limits.epub_max_total_mb`) and the output (read by the EPUB reader within the
archive limits); the EPUB reader then reads it as any EPUB, and the temporary folder is removed. The Book's
`source` stays the original file (so the read-along EPUB uses generated pages, as for text).
Without `ebook-convert` on PATH the error names the formats render reads itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import InputError
from ..records import Book


def read_converted(
    path: Path,
    *,
    include_front_matter: bool = False,
    read_notes: bool = False,
    limits=None,
    readable: str = "",
) -> Book:
    """Convert `path` with ebook-convert and read the EPUB (`readable`: the suffixes render reads itself, for
    the error when it cannot). InputError when no converter is installed, the
    conversion fails, takes too long, or the result cannot be read."""
    from ..config import LimitsConfig
    from .epub import read_epub
    from .safety import ArchiveLimits

    limits = limits or LimitsConfig()
    suffix = path.suffix or "(none)"
    tool = shutil.which("ebook-convert")
    if tool is None:
        raise InputError(
            f"{path}: unsupported file type '{suffix}'; render reads {readable} (other formats "
            "are converted when Calibre's ebook-convert is installed)"
        )
    cap = int(limits.epub_max_total_mb * 2**20)
    if path.stat().st_size > cap:
        raise InputError(f"{path}: over {cap // 2**20} MB, too large to convert (limits.epub_max_total_mb)")
    seconds = max(1.0, float(limits.ingest_seconds))
    with tempfile.TemporaryDirectory(prefix="render-convert-") as tmp:
        out = Path(tmp) / "book.epub"
        src = Path(tmp) / f"input{''.join(path.suffixes[-2:]) or '.bin'}"
        # (no generated cover page: the EPUB reader would take the book's first TOC entry for a title page)
        shutil.copyfile(path, src)  # the converter picks its reader by suffix; no odd names reach it
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                [tool, str(src), str(out), "--no-default-epub-cover"],
                capture_output=True,
                timeout=seconds,
                cwd=tmp,
                env={**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(Path(tmp) / "config")},
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise InputError(
                f"{path}: converting with ebook-convert took longer than {seconds:.0f} s "
                "(limits.ingest_seconds)"
            ) from None
        if proc.returncode != 0 or not out.is_file():
            last = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip().splitlines()[
                -1:
            ] or [""]
            raise InputError(
                f"{path}: unsupported file type '{suffix}', and Calibre's ebook-convert could not convert it "
                f"({last[0][:120]}); render reads {readable}"
            )
        try:
            book = read_epub(
                str(out),
                include_front_matter=include_front_matter,
                read_notes=read_notes,
                limits=ArchiveLimits.of(limits),
            )
        except InputError as e:  # name the user's file, not the temporary EPUB
            raise InputError(str(e).replace(str(out), f"{path} (converted by ebook-convert)")) from None
    book.source = str(path)
    book.warnings.insert(
        0, f"converted from '{suffix}' with Calibre's ebook-convert in {time.monotonic() - t0:.1f} s"
    )
    return book
