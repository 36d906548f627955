"""hibari: the embedded engine. A Kokoro-82M voice distilled to a 7.9 MB ONNX model inside its wheel."""

from __future__ import annotations

import numpy as np

from .. import defaults as D
from ..errors import EngineError
from ..pace import HIBARI
from ..records import EngineOutput
from .base import Engine, SynthRequest


class HibariEngine(Engine):
    spec = HIBARI

    def __init__(
        self, voice: str = D.HIBARI_VOICE, speed: float = D.HIBARI_SPEED, threads: int = D.HIBARI_THREADS
    ):
        try:
            import hibari
            from hibari.voices import VOICES
        except ImportError as e:
            raise EngineError(
                "the hibari engine is not installed; install with: pip install hibari-tts"
            ) from e
        if voice not in VOICES:
            raise EngineError(f"unknown hibari voice '{voice}'; voices: {', '.join(sorted(VOICES))}")
        try:
            self._tts = hibari.Hibari(voice=voice, threads=threads)
        except Exception as e:  # a voice not in the wheel and no network: hibari names the file to fetch
            raise EngineError(f"hibari voice '{voice}' could not be loaded: {str(e).splitlines()[0]}") from e
        self.voice = voice
        self.speed = speed
        self.threads = threads
        self.version = hibari.__version__

    def synthesize_batch(self, requests: list[SynthRequest]) -> list[EngineOutput]:
        # hibari's graph takes one sequence at a time ([1, L] ids); the batch is a loop over one loaded model
        out = []
        for req in requests:
            audio = self._tts(req.text, speed=self.speed, seed=req.seed)
            out.append(EngineOutput(audio=np.asarray(audio, dtype=np.float32)))
        return out

    def identity(self) -> dict:
        return {
            "engine": self.name,
            "version": self.version,
            "voice": self.voice,
            "speed": self.speed,
            "sample_rate": self.sample_rate,
        }

    def describe(self) -> str:
        return f"hibari {self.version} (voice {self.voice}, speed {self.speed})"
