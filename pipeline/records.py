"""The records that flow between stages.

ingest -> Book(Chapter(Paragraph)) -> segment -> Plan(Segment) -> synthesize -> RenderedSegment
       -> assemble -> ChapterAudio -> export -> ChapterRecord -> whole-book outputs -> Manifest, Report;
       RenderState holds each finished chapter's record between runs.

Audio in these records is always mono float32 in [-1, 1], shape (T,), at the record's `sample_rate`.
The records after export are what the JSON files hold (`pipeline.serialize` turns them into JSON and
back, in field order; fields marked `OMIT_NONE` are left out while None).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .pace import expected_seconds

# The `schema_version` of each JSON file the renderer writes (docs/schemas/; the changelog is in the README):
# a change in what a field means is a new version.
MANIFEST_SCHEMA_VERSION = 2  # 2: a chapter's `segments` is a count, the list is `segment_list`
REPORT_SCHEMA_VERSION = 1
STATE_SCHEMA_VERSION = 2  # 2: per-file size and hash, and a checksum of the state itself
SHELF_SCHEMA_VERSION = 1


class Pause(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() of a member, which outputs use
    """What follows a segment, and so how long the silence after it is."""

    SENTENCE = "sentence"
    LINE = "line"  # a line break inside verse
    PARAGRAPH = "paragraph"
    SECTION = "section"  # a scene break or a heading inside a chapter
    TITLE = "title"  # after the chapter title
    END = "end"  # the last segment of a chapter


class ParagraphKind(str, enum.Enum):  # noqa: UP042 - as Pause
    TEXT = "text"
    TITLE = "title"  # the chapter title, read first
    HEADING = "heading"  # a heading inside the chapter
    VERSE = "verse"  # lines separated by short pauses


@dataclass(slots=True)
class Paragraph:
    """One block of text as the book gives it. `lines` holds verse lines (text is their join)."""

    text: str
    kind: ParagraphKind = ParagraphKind.TEXT
    section_break_before: bool = False

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.split("\n") if line.strip()]


@dataclass(slots=True)
class Chapter:
    """A chapter in reading order. `index` is 1-based in the book's chapter list; `level` 0 is top level."""

    index: int
    title: str
    paragraphs: list[Paragraph]
    level: int = 0
    parents: list[str] = field(default_factory=list)  # titles of enclosing TOC entries (parts)
    source: str = ""  # href inside the EPUB, or line number in text

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)

    @property
    def display_title(self) -> str:
        """Title with its parts, "Part - Chapter", for players that know no hierarchy."""
        return " - ".join([*self.parents, self.title]) if self.parents else self.title


@dataclass(slots=True)
class Book:
    title: str
    authors: list[str]
    chapters: list[Chapter]
    language: str = "en"
    publisher: str = ""
    date: str = ""
    description: str = ""
    identifier: str = ""
    series: str = ""  # the series the book belongs to, and its place in it ("2", "2.5")
    series_index: str = ""
    cover: bytes | None = None
    cover_type: str = ""  # MIME type of `cover`
    source: str = ""  # path the book was read from
    warnings: list[str] = field(default_factory=list)

    @property
    def author(self) -> str:
        return ", ".join(self.authors)

    @property
    def year(self) -> str:
        return self.date[:4] if self.date[:4].isdigit() else ""


@dataclass(slots=True)
class Segment:
    """A piece of a chapter the engine reads at once: one or more sentences, or part of a long one.

    `text` is what the book says; `normalized` is what the engine reads.
    """

    chapter: int  # Chapter.index
    index: int  # 0-based within the chapter
    text: str
    normalized: str
    pause_after: Pause = Pause.SENTENCE
    paragraph: int = 0  # index of the paragraph in the chapter
    est_seconds: float = 0.0
    sentences: list[str] = field(default_factory=list)  # the original sentences it holds

    @property
    def id(self) -> str:
        return f"{self.chapter:03d}-{self.index:05d}"

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.normalized.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class EngineOutput:
    """What an engine returns for one segment: mono float32 audio, shape (T,), at the engine's rate.

    `finish_reason` is "stop" when the engine ended on its own, "length" when it hit its cap.
    `repetition` is an engine's hallucination signal (0 none .. 1 certain), None when it has none.
    """

    audio: np.ndarray
    finish_reason: str = "stop"
    repetition: float | None = None
    tokens: int = 0


@dataclass(slots=True)
class Check:
    """One validation check on a segment. Plain Python values (never numpy scalars), so it serializes."""

    name: str
    passed: bool
    value: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        self.passed = bool(self.passed)
        if self.value is not None:
            self.value = float(self.value)


@dataclass(slots=True)
class RenderedSegment:
    """A segment's audio, as rendered and validated: mono float32, shape (T,), at `sample_rate` Hz."""

    segment: Segment
    audio: np.ndarray
    sample_rate: int
    seed: int = 0
    attempts: int = 1
    checks: list[Check] = field(default_factory=list)
    finish_reason: str = "stop"
    repetition: float | None = None
    cached: bool = False
    samples: int = field(init=False, default=0)  # len(audio) as rendered, kept by `release_audio`

    def __post_init__(self) -> None:
        self.samples = len(self.audio)

    @property
    def duration(self) -> float:
        return self.samples / self.sample_rate

    def release_audio(self) -> None:
        """Free the audio (once the chapter's buffer holds it); `samples` and `duration` stay true."""
        self.audio = np.zeros(0, np.float32)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if not c.passed]


@dataclass(slots=True)
class SegmentTiming:
    """Where a segment's speech sits inside its chapter's assembled audio, in seconds."""

    segment: Segment
    start: float
    end: float


@dataclass(slots=True)
class ChapterAudio:
    """A chapter assembled: mono float32 audio, shape (T,), at `sample_rate` Hz, plus segment timings."""

    chapter: Chapter
    audio: np.ndarray
    sample_rate: int
    timings: list[SegmentTiming] = field(default_factory=list)
    rendered: list[RenderedSegment] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass(slots=True)
class Plan:
    """A book's plan: the chapters a run renders and their segments (what `render --dry-run` prints)."""

    book: Book
    chapters: list[Chapter]
    segments: dict[int, list[Segment]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what the text front end skipped, and why
    # segments of the book's other chapters (not selected by --chapters), when planned for a render: a
    # chapter an earlier run finished from the same text and settings belongs in the whole-book outputs
    others: dict[int, list[Segment]] = field(default_factory=dict)
    chars_per_second: float = 15.0  # the engine's speaking rate the plan was made for

    @property
    def est_seconds(self) -> float:
        """The book's expected duration (selected chapters), pauses inside segments included."""
        return sum(self.chapter_seconds(i) for i in self.segments)

    def chapter_seconds(self, index: int) -> float:
        """A chapter's expected duration: `pipeline.pace.expected_seconds` of each segment, as the checks
        expect it."""
        return sum(expected_seconds(s.normalized, self.chars_per_second) for s in self.segments[index])


# --- after export: what the JSON files hold ----------------------------------------------------------
OMIT_NONE = {"omit_none": True}  # field metadata: left out of the JSON while None


@dataclass(slots=True)
class CheckResult:
    passed: bool
    value: float | None = None
    detail: str = ""


@dataclass(slots=True)
class SegmentRecord:
    """One segment as the manifest lists it: where its speech sits in the chapter file, and its checks."""

    id: str
    text: str
    normalized: str
    sentences: list[str]
    start: float
    duration: float
    pause_after: str
    seed: int
    attempts: int
    cached: bool
    passed: bool
    checks: dict[str, CheckResult] = field(default_factory=dict)


@dataclass(slots=True)
class FormatLoudness:
    """Levels measured on one encoded file, and how many encodes it took to reach the target."""

    rms_db: float | None
    peak_db: float | None
    lufs: float | None
    passes: int


@dataclass(slots=True)
class ChapterRecord:
    """A finished chapter: its files, measurements and segments; `start`/`end` are its place in the book
    (the M4B's chapter marks), set by the whole-book outputs."""

    index: int
    title: str
    display_title: str
    level: int
    parents: list[str]
    files: dict[str, str]  # format -> file name in the output folder
    file: str  # the first of them
    duration: float
    samples: int
    sample_rate: int
    segments: int
    loudness: dict[str, FormatLoudness] = field(default_factory=dict)
    aac_samples: int | None = field(default=None, metadata=OMIT_NONE)  # the M4B part's length
    m4b_part: str | None = field(default=None, metadata=OMIT_NONE)
    pause_floor_db: float | None = None
    speech_start: float = 0.0
    speech_end: float = 0.0
    subtitles: dict[str, str] | None = field(default=None, metadata=OMIT_NONE)
    extra_files: list[str] = field(default_factory=list)  # besides `files`, what a resumed run verifies
    segment_list: list[SegmentRecord] = field(default_factory=list)
    start: float | None = field(default=None, metadata=OMIT_NONE)
    end: float | None = field(default=None, metadata=OMIT_NONE)

    @property
    def all_files(self) -> list[str]:
        """Every file the chapter wrote, relative to the output folder."""
        return [*self.files.values(), *self.extra_files]

    @property
    def span(self) -> tuple[float, float]:
        """(start, end) in seconds of the whole book, once `export.book.place_chapters` has set them."""
        assert self.start is not None and self.end is not None, (
            f"chapter {self.index} is not placed in the book"
        )
        return self.start, self.end


@dataclass(slots=True)
class BookInfo:
    title: str
    authors: list[str]
    language: str
    publisher: str
    date: str
    identifier: str
    description: str
    series: str
    series_index: str
    source: str

    @classmethod
    def of(cls, book: Book, source: str) -> BookInfo:
        return cls(
            book.title,
            book.authors,
            book.language,
            book.publisher,
            book.date,
            book.identifier,
            book.description,
            book.series,
            book.series_index,
            source,
        )


@dataclass(slots=True)
class CoverInfo:
    source: str
    type: str


@dataclass(slots=True)
class M4BInfo:
    file: str
    duration: float
    chapters: int


@dataclass(slots=True)
class BookOutputs:
    """What the whole-book outputs wrote (`BookExporter.finish`); the manifest carries these fields."""

    cover: CoverInfo
    chapters_file: str
    book_subtitles: dict[str, str] | None = None
    m4b: M4BInfo | None = None
    metadata_file: str = ""
    cover_file: str | None = None
    readalong: str | None = None
    readalong_made_from: dict[str, Any] | None = None


@dataclass(slots=True)
class RunStats:
    segments: int = 0
    rendered: int = 0
    reused: int = 0
    retried: int = 0
    failed: int = 0
    chapters_rendered: int = 0  # synthesized (at least one segment) and encoded
    chapters_reencoded: int = 0  # every segment from the cache, assembled and encoded again
    chapters_reused: int = 0  # kept as they were
    chapters_missing: list[int] = field(default_factory=list)  # of the book, not finished in the folder
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0


@dataclass(slots=True)
class Attempt:
    """One render of a segment: its seed and the checks it failed."""

    attempt: int
    seed: int
    failed: list[str]
    detail: str = ""


@dataclass(slots=True)
class ReportSummary:
    segments: int
    flagged: int
    rerendered: int
    still_failing: int
    qc: str
    wer: float | None


@dataclass(slots=True)
class ReportChapter:
    index: int
    title: str
    file: str
    segments: int
    asr_checked: int
    wer: float | None
    loudness: dict[str, FormatLoudness]
    pause_floor_db: float | None


@dataclass(slots=True)
class Flagged:
    """A segment some check failed on, at least once: where it is, what it says, what happened."""

    segment: str
    chapter: int
    chapter_title: str
    file: str
    start: float
    at: str
    book_start: float
    book_at: str
    text: str
    normalized: str
    attempts: int
    seed: int
    history: list[Attempt]
    rerendered: bool
    passed: bool
    failed_checks: list[str]
    detail: str


@dataclass(slots=True)
class Report:
    """What `report.json` holds."""

    schema_version: int = field(default=REPORT_SCHEMA_VERSION, kw_only=True)
    summary: ReportSummary
    chapters: list[ReportChapter]
    flagged: list[Flagged]
    still_failing: list[str]


@dataclass(slots=True)
class Manifest:
    """What `manifest.json` holds: the book, the engine and settings, every finished chapter, the
    whole-book files (the fields of `BookOutputs`), this run's counts and the checks' summary."""

    schema_version: int = field(default=MANIFEST_SCHEMA_VERSION, kw_only=True)
    book: BookInfo
    engine: dict[str, Any]
    settings: dict[str, Any]
    chapters: list[ChapterRecord]
    cover: CoverInfo
    chapters_file: str
    book_subtitles: dict[str, str] | None = field(default=None, metadata=OMIT_NONE)
    m4b: M4BInfo | None = field(default=None, metadata=OMIT_NONE)
    metadata_file: str = ""
    cover_file: str | None = field(default=None, metadata=OMIT_NONE)
    readalong: str | None = field(default=None, metadata=OMIT_NONE)
    readalong_made_from: dict[str, Any] | None = field(default=None, metadata=OMIT_NONE)
    stats: RunStats = field(default_factory=RunStats)
    checks: ReportSummary | None = field(default=None, metadata=OMIT_NONE)
    library_folder: str | None = field(default=None, metadata=OMIT_NONE)  # --layout audiobookshelf


@dataclass(slots=True)
class ChapterState:
    """A finished chapter as `.render-state.json` keeps it: what it was made from, its record, and the
    size and SHA-256 of each file it wrote."""

    fingerprint: str
    record: ChapterRecord
    extra_files: list[str] = field(default_factory=list)
    digests: dict[str, list[Any]] = field(default_factory=dict)  # file -> [size, sha256 hex]


@dataclass(slots=True)
class RenderState:
    """What `.render-state.json` holds; `sha256` is a checksum of `chapters` (see `pipeline.state`)."""

    schema_version: int
    chapters: dict[str, ChapterState] = field(default_factory=dict)
    sha256: str = ""


@dataclass(slots=True)
class ShelfBook:
    """One book of a shelf in `corpus.json`."""

    source: str
    title: str | None = field(default=None, metadata=OMIT_NONE)
    authors: list[str] | None = field(default=None, metadata=OMIT_NONE)
    folder: str | None = field(default=None, metadata=OMIT_NONE)
    status: str = ""
    chapters: int | None = field(default=None, metadata=OMIT_NONE)
    audio_seconds: float | None = field(default=None, metadata=OMIT_NONE)
    rendered: int | None = field(default=None, metadata=OMIT_NONE)
    reused: int | None = field(default=None, metadata=OMIT_NONE)
    failed_segments: int | None = field(default=None, metadata=OMIT_NONE)
    wall_seconds: float | None = field(default=None, metadata=OMIT_NONE)
    reason: str | None = field(default=None, metadata=OMIT_NONE)


@dataclass(slots=True)
class ShelfSummary:
    """What `corpus.json` holds."""

    schema_version: int = field(default=SHELF_SCHEMA_VERSION, kw_only=True)
    books: list[ShelfBook]
    done: int
    unchanged: int
    failed: int
    audio_hours: float
    wall_seconds: float
    x_real_time: float
