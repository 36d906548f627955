"""Synthesize: engines behind one interface, and the worker that feeds them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..config import EngineConfig
from ..errors import EngineError
from .base import Engine, SynthRequest, segment_seed

log = logging.getLogger(__name__)


def soprano_weights(model_path: str = "") -> Path | None:
    """Where Soprano's weights are, without loading anything: --model-path, SOPRANO_MODEL_PATH, HF cache."""
    try:
        from .soprano.weights import find_weights
    except ImportError:
        return None
    return find_weights(model_path, download=False)


def choose_engine(cfg: EngineConfig) -> tuple[str, str]:
    """(engine name, why) for `cfg.name`, resolving "auto" without loading a model."""
    if cfg.name != "auto":
        return cfg.name, "chosen with --engine"
    where = soprano_weights(cfg.model_path or os.environ.get("SOPRANO_MODEL_PATH", ""))
    if where is not None:
        return "soprano", f"Soprano weights found at {where}"
    return "hibari", "the embedded engine; Soprano is used instead when its weights are found"


def load_engine(cfg: EngineConfig) -> Engine:
    name, why = choose_engine(cfg)
    log.info("engine: %s (%s)", name, why)
    if name == "hibari":
        from .hibari_engine import HibariEngine

        return HibariEngine(voice=cfg.voice, speed=cfg.speed, threads=cfg.threads)
    if name == "soprano":
        try:
            from .soprano import SopranoEngine
        except ImportError as e:
            raise EngineError(
                "the soprano engine needs torch: install with: pip install -e '.[soprano]'"
            ) from e
        return SopranoEngine.from_config(cfg)
    raise EngineError(f"unknown engine '{name}'")


__all__ = ["Engine", "SynthRequest", "choose_engine", "load_engine", "segment_seed"]
