"""The engine family: one hook, `synthesize_batch`; the worker around it owns batching, retries, caching.

Engines are language-blind: they receive normalized text and a seed per segment and return audio.
"""

from __future__ import annotations

import abc
import hashlib
from dataclasses import dataclass
from typing import Any

from ..pace import HIBARI, expected_seconds
from ..records import EngineOutput


@dataclass(slots=True, frozen=True)
class SynthRequest:
    """One segment for an engine: normalized text, the seed to sample with, and the attempt number."""

    text: str
    seed: int
    attempt: int = 0
    max_seconds: float = 0.0  # the text's expected duration x the duration ratio cap (0 = engine default)


def segment_seed(text: str, attempt: int = 0) -> int:
    """A seed from the segment's content and attempt number: the same text renders the same audio,
    whichever batch it runs in, and a re-render after a failed check samples differently."""
    digest = hashlib.sha256(f"{attempt}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


class Engine(abc.ABC):
    """A TTS engine. Subclasses set `spec` (its `pipeline.pace.EngineSpec`: name, rate, speaking rate,
    batch sizes) and implement `synthesize_batch`. Audio out is mono float32 in [-1, 1], shape (T,), at
    `sample_rate` Hz. `speed` scales the speaking rate where the spec says it does."""

    spec = HIBARI
    speed: float = 1.0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def sample_rate(self) -> int:
        return self.spec.sample_rate

    @property
    def max_batch(self) -> int:
        return self.spec.max_batch

    @property
    def chars_per_second(self) -> float:
        return self.spec.rate(self.speed)

    @abc.abstractmethod
    def synthesize_batch(self, requests: list[SynthRequest]) -> list[EngineOutput]:
        """Render each request; the output list is parallel to `requests`."""

    def expected_seconds(self, text: str) -> float:
        """How long this engine should take to say normalized `text`: its speaking rate, plus the pause
        it makes at each sentence or clause end inside the text (what the duration check compares with)."""
        return expected_seconds(text, self.chars_per_second)

    def identity(self) -> dict[str, Any]:
        """Everything about the engine that changes the audio: model, version, voice, sampling settings.
        It goes into the manifest and into every segment's cache key."""
        return {"engine": self.name, "sample_rate": self.sample_rate}

    def describe(self) -> str:
        return self.name

    def close(self) -> None:  # noqa: B027 - an optional hook: an engine with nothing to free keeps this one
        """Free the model (GPU memory, threads)."""
