"""The engine family: one hook, `synthesize_batch`; the worker around it owns batching, retries, caching.

Engines are language-blind: they receive normalized text and a seed per segment and return audio.
"""
from __future__ import annotations

import abc
import hashlib
from dataclasses import dataclass

from ..records import EngineOutput


INNER_PAUSE_S = 0.3      # engines pause about this long at a sentence or clause end inside a segment


@dataclass(slots=True, frozen=True)
class SynthRequest:
    """One segment for an engine: normalized text, the seed to sample with, and the attempt number."""

    text: str
    seed: int
    attempt: int = 0
    max_seconds: float = 0.0      # the text's expected duration x the duration ratio cap (0 = engine default)


def segment_seed(text: str, attempt: int = 0) -> int:
    """A seed from the segment's content and attempt number: the same text renders the same audio,
    whichever batch it runs in, and a re-render after a failed check samples differently."""
    digest = hashlib.sha256(f"{attempt}\x00{text}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


class Engine(abc.ABC):
    """A TTS engine. Subclasses set `name`, `sample_rate`, `chars_per_second` and implement
    `synthesize_batch`. Audio out is mono float32 in [-1, 1], shape (T,), at `sample_rate` Hz."""

    name: str = "engine"
    sample_rate: int = 24_000
    chars_per_second: float = 15.0
    max_batch: int = 64               # the most segments this engine takes at once

    @abc.abstractmethod
    def synthesize_batch(self, requests: list[SynthRequest]) -> list[EngineOutput]:
        """Render each request; the output list is parallel to `requests`."""

    def expected_seconds(self, text: str) -> float:
        """How long this engine should take to say normalized `text`: its speaking rate, plus the pause
        it makes at each sentence or clause end inside the text (what the duration check compares with)."""
        stops = sum(text.count(p) for p in ".!?;:")
        inner = max(0, stops - 1) if text.rstrip()[-1:] in ".!?;:" else stops
        return len(text) / self.chars_per_second + INNER_PAUSE_S * inner

    def identity(self) -> dict:
        """Everything about the engine that changes the audio: model, version, voice, sampling settings.
        It goes into the manifest and into every segment's cache key."""
        return {"engine": self.name, "sample_rate": self.sample_rate}

    def describe(self) -> str:
        return self.name

    def close(self) -> None:
        """Free the model (GPU memory, threads)."""
