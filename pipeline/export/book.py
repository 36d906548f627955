"""Whole-book outputs, from every finished chapter's record: each chapter's place in the book, the
chapter list, the book's subtitles, the M4B with chapter marks, Audiobookshelf's `metadata.json` and the
read-along EPUB.

The M4B is built from AAC chapter streams without a second encode: each chapter is encoded once to AAC
(`.parts/NNNNN.m4a`), and the book is their concatenation by stream copy plus FFMETADATA chapters. AAC
starts every stream with one priming frame (1024 samples) and the concatenation keeps it, so each
chapter's AAC stream is fed the chapter less its first 1024 samples (head silence): with chapters padded
to whole frames (`pipeline.audio.pad_to_frames`), every chapter then spans exactly its own length in
the M4B, and the chapter marks, taken from the parts' real packet counts, fall on the chapter starts.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import defaults as D
from ..errors import OutputError
from ..ffmpeg import run_ffmpeg
from ..files import atomic_path, atomic_write, inside, json_bytes
from ..records import Book, ChapterRecord, M4BInfo
from ..subtitles import book_cues, chapters_txt, parse_vtt, to_srt, to_vtt
from .names import book_stem
from .tags import GENRE, isbn_of, tag_m4b


def place_chapters(chapters: list[ChapterRecord], m4b: bool) -> None:
    """Set each record's `start`/`end` in the whole book: the M4B's chapter marks when one is written
    (from the AAC parts' real lengths), else the chapters' durations end to end."""
    pos = 0.0
    for rec in chapters:
        span = (rec.aac_samples or 0) / rec.sample_rate if m4b else rec.duration  # an M4B part is measured
        rec.start, rec.end = round(pos, 3), round(pos + span, 3)
        pos += span


def write_subtitles(out: Path, stem: str, cues) -> dict[str, str]:
    """`<stem>.srt` and `<stem>.vtt` in `out`; returns {kind: file name}."""
    subs = {}
    for kind, text in (("srt", to_srt(cues)), ("vtt", to_vtt(cues))):
        target = inside(out, out / f"{stem}.{kind}")
        atomic_write(target, text.encode("utf-8"))
        subs[kind] = target.name
    return subs


def write_chapter_list(out: Path, chapters: list[ChapterRecord]) -> str:
    atomic_write(
        inside(out, out / D.CHAPTERS_NAME),
        chapters_txt([(rec.span[0], rec.display_title) for rec in chapters]).encode("utf-8"),
    )
    return D.CHAPTERS_NAME


def write_book_subtitles(out: Path, book: Book, chapters: list[ChapterRecord]) -> dict[str, str] | None:
    """The whole book's subtitles, on the M4B's timeline, from each chapter's own (verified) file; None
    when some chapter has none."""
    if not chapters or not all((rec.subtitles or {}).get("vtt") for rec in chapters):
        return None
    cues = book_cues(
        [
            (*rec.span, parse_vtt((out / (rec.subtitles or {})["vtt"]).read_text(encoding="utf-8")))
            for rec in chapters
        ]
    )
    return write_subtitles(out, book_stem(book.title), cues)


def _ffmeta_escape(text: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", text)


def ffmetadata(book: Book, marks: list[tuple[int, int, str]]) -> str:
    """FFMETADATA1 with the book's tags and one [CHAPTER] per (start ms, end ms, title), TIMEBASE=1/1000."""
    lines = [
        ";FFMETADATA1",
        f"title={_ffmeta_escape(book.title)}",
        f"album={_ffmeta_escape(book.title)}",
        f"artist={_ffmeta_escape(book.author)}",
        f"genre={GENRE}",
    ]
    for start, end, title in marks:
        lines += [
            "",
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={start}",
            f"END={end}",
            f"title={_ffmeta_escape(title)}",
        ]
    return "\n".join(lines) + "\n"


def write_m4b(
    out: Path,
    book: Book,
    chapters: list[ChapterRecord],
    comment: str,
    cover: tuple[bytes, str] | None,
    narrator: str,
) -> M4BInfo:
    """The M4B: the chapters' AAC parts concatenated by stream copy, with chapter marks and tags."""
    parts_dir = out / D.PARTS_DIR
    target = inside(out, out / f"{book_stem(book.title)}.m4b")
    listing = parts_dir / "concat.txt"
    meta = parts_dir / "chapters.ffmeta"
    parts = [(parts_dir / f"{rec.index:05d}.m4a").resolve() for rec in chapters]
    listing.write_text("".join("file '" + str(p).replace("'", "'\\''") + "'\n" for p in parts), "utf-8")
    ms = [(round(rec.span[0] * 1000), round(rec.span[1] * 1000), rec.display_title) for rec in chapters]
    meta.write_text(ffmetadata(book, ms), "utf-8")
    try:
        missing = [p.name for p in parts if not p.is_file()]
        if missing:
            raise OutputError(
                f"M4B: AAC chapter streams missing from {parts_dir}: {', '.join(missing)}; "
                "delete the output folder's .render-state.json and run again"
            )
        with atomic_path(target) as tmp:
            run_ffmpeg(
                [
                    "-f",
                    "concat",
                    "-safe",
                    "0",
                    "-i",
                    str(listing),
                    "-f",
                    "ffmetadata",
                    "-i",
                    str(meta),
                    "-map",
                    "0:a",
                    "-map_metadata",
                    "1",
                    "-map_chapters",
                    "1",
                    "-c",
                    "copy",
                    "-movflags",
                    "+faststart",
                    "-f",
                    "ipod",
                    str(tmp),
                ]
            )
            tag_m4b(tmp, book, comment, cover, narrator)
    finally:
        listing.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
    return M4BInfo(target.name, chapters[-1].span[1], len(chapters))


def abs_metadata(book: Book, chapters: list[ChapterRecord], narrator: str) -> dict:
    """The book as Audiobookshelf's `metadata.json` sidecar reads it (its schema, so a plain dict);
    chapters are the M4B's marks (the records' start/end, set by `place_chapters`)."""
    isbn = isbn_of(book)
    year = book.year or None
    return {
        "title": book.title,
        "subtitle": None,
        "authors": list(book.authors),
        "narrators": [narrator] if narrator else [],
        "series": [f"{book.series} #{book.series_index}" if book.series_index else book.series]
        if book.series
        else [],
        "genres": [GENRE],
        "publishedYear": year,
        "publishedDate": book.date or None,
        "publisher": book.publisher or None,
        "description": book.description or None,
        "isbn": isbn or None,
        "asin": None,
        "language": book.language or None,
        "explicit": False,
        "abridged": False,
        "tags": [],
        "chapters": [
            {"id": i, "start": rec.start, "end": rec.end, "title": rec.display_title}
            for i, rec in enumerate(chapters)
        ],
    }


def write_abs_metadata(out: Path, book: Book, chapters: list[ChapterRecord], narrator: str) -> str:
    atomic_write(inside(out, out / D.METADATA_NAME), json_bytes(abs_metadata(book, chapters, narrator)))
    return D.METADATA_NAME


def write_cover(out: Path, cover: tuple[bytes | None, str]) -> str | None:
    """`cover.jpg`, the folder's cover as Audiobookshelf and players look for it; None without a cover."""
    from ..layout import COVER_NAME, cover_jpeg

    jpeg = cover_jpeg(cover)
    if not jpeg:
        return None
    atomic_write(inside(out, out / COVER_NAME), jpeg)
    return COVER_NAME


def write_readalong(out: Path, book: Book, chapters: list[ChapterRecord], narrator: str) -> tuple[str, dict]:
    """The read-along EPUB 3 (`pipeline.export.readalong`): from the source EPUB 3 itself where it can be, else
    generated from the book's paragraphs. Returns its file name and what it was made from (and why)."""
    from .readalong import readalong_epub

    target = inside(out, out / f"{book_stem(book.title)}.epub")
    data, made = readalong_epub(book, chapters, out, narrator)
    atomic_write(target, data)
    return target.name, made
