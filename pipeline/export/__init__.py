"""Export: chapter audio to encoded, tagged files and subtitles, then the whole-book outputs.

`BookExporter.chapter(audio)` runs per chapter (beside synthesis) and returns its `ChapterRecord`;
`BookExporter.finish(records)` writes the whole-book files from every finished chapter's record. The
roles live in their own modules: `names` (safe file names), `encode` (ffmpeg encoding and loudness
measurement), `tags` (per-container tags), `book` (whole-book outputs). Every file is written under a
temporary name and moved into place only when complete (`pipeline.files`), at a path checked to resolve
inside the output folder.
"""

from __future__ import annotations

import itertools
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import defaults as D
from ..audio import FRAME_SAMPLES
from ..config import OutputConfig
from ..cover import book_cover
from ..files import atomic_path, inside
from ..loudness import Loudness, pcm_gaps_floor_db
from ..records import (
    Book,
    BookOutputs,
    Chapter,
    ChapterAudio,
    ChapterRecord,
    CheckResult,
    CoverInfo,
    FormatLoudness,
    SegmentRecord,
)
from ..subtitles import chapter_cues
from .book import (
    place_chapters,
    write_abs_metadata,
    write_book_subtitles,
    write_chapter_list,
    write_cover,
    write_m4b,
    write_readalong,
    write_subtitles,
)
from .encode import aac_samples, encode_to_target
from .names import EXTENSIONS, chapter_stem, safe_name
from .tags import tag_chapter

log = logging.getLogger(__name__)


def speech_gaps(audio: ChapterAudio) -> list[tuple[float, float]]:
    """The pauses between consecutive segments' speech, (start, end) in seconds."""
    spans = [(t.start, t.end) for t in audio.timings if t.end > t.start]
    return [(a[1], b[0]) for a, b in itertools.pairwise(spans) if b[0] > a[1]]


def _round(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


def chapter_record(audio: ChapterAudio, files: dict[str, str], **measured) -> ChapterRecord:
    """The record of an exported chapter: its files, `measured` (loudness, pause floor, M4B part...), and
    per segment its place in the chapter file and its checks."""
    ch = audio.chapter
    return ChapterRecord(
        index=ch.index,
        title=ch.title,
        display_title=ch.display_title,
        level=ch.level,
        parents=ch.parents,
        files=files,
        file=next(iter(files.values()), ""),
        duration=round(audio.duration, 3),
        samples=len(audio.audio),
        sample_rate=audio.sample_rate,
        segments=len(audio.rendered),
        **measured,
        segment_list=[
            SegmentRecord(
                t.segment.id,
                t.segment.text,
                t.segment.normalized,
                t.segment.sentences,
                round(t.start, 3),
                round(t.end - t.start, 3),
                t.segment.pause_after.value,
                r.seed,
                r.attempts,
                r.cached,
                r.passed,
                {c.name: CheckResult(c.passed, c.value, c.detail) for c in r.checks},
            )
            for t, r in zip(audio.timings, audio.rendered, strict=True)
        ],
    )


class BookExporter:
    """Writes a book's outputs as its chapters finish: chapter files in every format, subtitles, the AAC
    parts of the M4B; then the book-level files. The orchestrator (`pipeline.render`) calls
    `chapter(audio)` per chapter and `finish(records)` once."""

    def __init__(
        self, book: Book, out: Path, cfg: OutputConfig, comment: str, total_chapters: int, narrator: str = ""
    ):
        self.book = book
        self.out = Path(out)
        self.cfg = cfg
        self.comment = comment
        self.total = total_chapters
        self.width = max(2, len(str(total_chapters)))
        self.formats = [f for f in cfg.formats if f not in ("m4b", "epub")]
        self.epub = "epub" in cfg.formats
        if self.epub and "mp3" not in self.formats:
            self.formats.insert(0, "mp3")  # the read-along book carries each chapter's MP3
        self.m4b = "m4b" in cfg.formats
        self.narrator = narrator
        self.parts = self.out / D.PARTS_DIR
        data, mime, source = book_cover(book)
        self.cover = (data, mime)
        self.cover_source = source

    def chapter_stem(self, chapter: Chapter) -> str:
        """ "NN - Title", the title with its parts ("03 - A Scandal in Bohemia - III"), as a listener sees it."""
        return chapter_stem(chapter.index, chapter.display_title, self.width)

    def _target(self, name: str) -> Path:
        return inside(self.out, self.out / name)

    def chapter(self, audio: ChapterAudio) -> ChapterRecord:
        """Encode, check and tag one chapter in every chapter format, write its subtitles and its AAC part
        for the M4B; returns its record."""
        ch = audio.chapter
        stem = self.chapter_stem(ch)

        def one(fmt: str) -> tuple[str, Path, Loudness, int]:
            """Encode, check and tag under a temporary name; the finished file appears only when whole."""
            if fmt == "m4b":
                self.parts.mkdir(exist_ok=True)
                target = inside(self.out, self.parts / f"{ch.index:05d}.m4a")
                # the priming frame takes the place of the first 1024 samples (head silence): see export.book
                pcm = audio.audio[FRAME_SAMPLES:]
            else:
                target = self._target(f"{stem}{EXTENSIONS[fmt]}")
                pcm = audio.audio
            with atomic_path(target) as tmp:
                measured, passes = encode_to_target(pcm, audio.sample_rate, tmp, fmt, self.cfg)
                tag_chapter(
                    tmp,
                    fmt,
                    self.book,
                    ch.display_title,
                    ch.index,
                    self.total,
                    self.comment,
                    self.cover,
                    self.narrator,
                )
            return fmt, target, measured, passes

        # every format is its own ffmpeg process: encode them side by side
        jobs = [*self.formats, *(["m4b"] if self.m4b else [])]
        with ThreadPoolExecutor(max_workers=len(jobs) or 1, thread_name_prefix="encode") as pool:
            done = list(pool.map(one, jobs))
        files: dict[str, str] = {}
        measured: dict = {"loudness": {}}
        for fmt, target, level, passes in done:
            measured["loudness"][fmt] = FormatLoudness(**level.to_json(), passes=passes)
            if fmt == "m4b":
                measured["aac_samples"] = aac_samples(target)
                measured["m4b_part"] = f"{D.PARTS_DIR}/{target.name}"
            else:
                files[fmt] = target.name
        # the pauses' noise floor: the assembler writes digital silence between segments and the codecs keep
        # it silent; measured here on the audio handed to the encoders, without decoding every file again
        floor = _round(
            max(pcm_gaps_floor_db(audio.audio, audio.sample_rate, speech_gaps(audio)), D.SILENCE_FLOOR_DB)
        )
        if floor is not None and floor > D.PAUSE_FLOOR_DB:
            log.warning(
                "chapter %d: pauses at %.1f dB, above the floor of %.0f dB", ch.index, floor, D.PAUSE_FLOOR_DB
            )
        spoken = [t for t in audio.timings if t.end > t.start]
        measured.update(
            pause_floor_db=floor,
            speech_start=round(min((t.start for t in spoken), default=0.0), 3),
            speech_end=round(max((t.end for t in spoken), default=0.0), 3),
        )
        if self.cfg.subtitles:
            measured["subtitles"] = write_subtitles(self.out, stem, chapter_cues(audio))
        # files besides `files` that a resumed run needs to reuse this chapter (pipeline.state)
        measured["extra_files"] = [
            *measured.get("subtitles", {}).values(),
            *([measured["m4b_part"]] if self.m4b else []),
        ]
        return chapter_record(audio, files, **measured)

    def finish(self, chapters: list[ChapterRecord]) -> BookOutputs:
        """Book-level outputs once every chapter is done: each record gets its place in the book
        (`start`/`end`, the M4B's chapter marks when one is written), then `chapters.txt`, the book's
        subtitles, the M4B, `metadata.json` and the read-along EPUB. Returns what the manifest lists."""
        place_chapters(chapters, self.m4b)
        outputs = BookOutputs(
            CoverInfo(self.cover_source, self.cover[1]), write_chapter_list(self.out, chapters)
        )
        if self.cfg.subtitles:
            outputs.book_subtitles = write_book_subtitles(self.out, self.book, chapters)
        if self.m4b and chapters:
            outputs.m4b = write_m4b(self.out, self.book, chapters, self.comment, self.cover, self.narrator)
        outputs.metadata_file = write_abs_metadata(self.out, self.book, chapters, self.narrator)
        outputs.cover_file = write_cover(self.out, self.cover)
        if self.epub:
            outputs.readalong, outputs.readalong_made_from = write_readalong(
                self.out, self.book, chapters, self.narrator
            )
        return outputs


__all__ = ["BookExporter", "chapter_record", "safe_name", "speech_gaps"]
