"""The records that flow between stages.

ingest -> Book(Chapter(Paragraph)) -> segment -> Segment -> synthesize -> RenderedSegment
       -> assemble -> ChapterAudio -> export -> files + manifest.

Audio in these records is always mono float32 in [-1, 1], shape (T,), at the record's `sample_rate`.
"""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field

import numpy as np


class Pause(str, enum.Enum):
    """What follows a segment, and so how long the silence after it is."""

    SENTENCE = "sentence"
    LINE = "line"            # a line break inside verse
    PARAGRAPH = "paragraph"
    SECTION = "section"      # a scene break or a heading inside a chapter
    TITLE = "title"          # after the chapter title
    END = "end"              # the last segment of a chapter


class ParagraphKind(str, enum.Enum):
    TEXT = "text"
    TITLE = "title"          # the chapter title, read first
    HEADING = "heading"      # a heading inside the chapter
    VERSE = "verse"          # lines separated by short pauses


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
    parents: list[str] = field(default_factory=list)   # titles of enclosing TOC entries (parts)
    source: str = ""                                    # href inside the EPUB, or line number in text

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
    series: str = ""                  # the series the book belongs to, and its place in it ("2", "2.5")
    series_index: str = ""
    cover: bytes | None = None
    cover_type: str = ""              # MIME type of `cover`
    source: str = ""                  # path the book was read from
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

    chapter: int                      # Chapter.index
    index: int                        # 0-based within the chapter
    text: str
    normalized: str
    pause_after: Pause = Pause.SENTENCE
    paragraph: int = 0                # index of the paragraph in the chapter
    est_seconds: float = 0.0
    sentences: list[str] = field(default_factory=list)   # the original sentences it holds

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

    def __post_init__(self):
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

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

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
