"""How fast each engine speaks and how much it takes at once: its spec, and the one duration estimator.

Light on purpose (no engine imported): the planner, `--dry-run`, the worker's checks and the executors
all read an engine's speaking rate and default batch size here, before or without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import defaults as D

INNER_PAUSE_S = 0.3  # engines pause about this long at a sentence or clause end inside a segment
_STOPS = ".!?;:"


@dataclass(slots=True, frozen=True)
class EngineSpec:
    """What the pipeline knows of an engine without loading it."""

    name: str
    sample_rate: int
    chars_per_second: float  # speaking rate on normalized text, at speed 1.0
    batch_size: int  # segments handed over at once unless --batch-size says otherwise
    max_batch: int  # the most segments it takes at once
    speed_scales_rate: bool = False  # whether `engine.speed` scales the speaking rate

    def rate(self, speed: float = 1.0) -> float:
        """Characters of normalized text per second at `speed`."""
        return self.chars_per_second * (speed if self.speed_scales_rate else 1.0)

    def batch(self, requested: int = 0) -> int:
        """`requested` segments per batch, or this engine's default when 0."""
        return requested or self.batch_size


HIBARI = EngineSpec(
    "hibari",
    D.HIBARI_SAMPLE_RATE_HZ,
    D.HIBARI_CHARS_PER_S,
    D.HIBARI_BATCH_SIZE,
    max_batch=64,
    speed_scales_rate=True,
)
SOPRANO = EngineSpec(
    "soprano", D.SOPRANO_SAMPLE_RATE_HZ, D.SOPRANO_CHARS_PER_S, D.SOPRANO_BATCH_SIZE, max_batch=4096
)
SPECS = {s.name: s for s in (HIBARI, SOPRANO)}


def spec_of(name: str) -> EngineSpec:
    """The spec of engine `name` (hibari's for a name it does not know, as a conservative estimate)."""
    return SPECS.get(name, HIBARI)


def speech_seconds(text: str, chars_per_second: float) -> float:
    """The speaking time alone of normalized `text`, pauses aside: what the segment bounds (2-15 s) are
    on, and `Segment.est_seconds`."""
    return len(text) / chars_per_second


def expected_seconds(text: str, chars_per_second: float) -> float:
    """How long an engine speaking `chars_per_second` takes to say normalized `text`: its speaking time,
    plus the pause it makes at each sentence or clause end inside the text. What the duration check
    compares with, and what `--dry-run` adds up for a chapter and the book."""
    stops = sum(text.count(p) for p in _STOPS)
    inner = max(0, stops - 1) if text.rstrip()[-1:] in _STOPS else stops
    return speech_seconds(text, chars_per_second) + INNER_PAUSE_S * inner
