"""The local executor: one engine and its `Worker` in this process (also what each Ray actor runs)."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Config
from ..records import RenderedSegment
from ..synthesize import load_engine
from ..synthesize.worker import Worker


def local_worker(
    cfg: Config, engine=None, cache=None, on_done: Callable[[RenderedSegment], None] | None = None
) -> Worker:
    """A `Worker` around `engine` (loaded from `cfg.engine` when None), with the run's checks and cache."""
    if engine is None:
        engine = load_engine(cfg.engine)
    return Worker(
        engine,
        cfg.validate_,
        cfg.engine.batch_size,
        cache=cache,
        on_done=on_done,
        silence_db=cfg.pauses.silence_threshold_db,
    )
