"""Executors: where the synthesize stage runs, behind one interface (`SynthesisWorker`).

`local` is `pipeline.synthesize.worker.Worker` in this process (`executors.local`); `ray`
(`executors.ray_executor.RayWorker`) spreads segments over engine actors on a Ray cluster, each actor
wrapping a local worker. `make_worker` picks one from `cfg.run.executor`; the orchestrator only ever
sees the protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..config import Config
from ..records import Attempt, RenderedSegment, Segment
from ..synthesize.worker import WorkerStats
from .local import local_worker

if TYPE_CHECKING:
    from ..cache import DiskCache
    from ..synthesize.base import Engine


@runtime_checkable
class SynthesisWorker(Protocol):
    """Renders segments and keeps count. `identity` is the engine identity that keys the cache and the
    chapter fingerprints; `history` maps a segment id to every attempt (seed, failed checks); `on_done`
    is called once per finished segment, in the driver's process."""

    stats: WorkerStats
    history: dict[str, list[Attempt]]
    on_done: Callable[[RenderedSegment], None] | None

    @property
    def identity(self) -> dict[str, Any]: ...

    def describe(self) -> str: ...

    def render(self, segments: list[Segment]) -> list[RenderedSegment]: ...

    def close(self) -> None: ...


def make_worker(
    cfg: Config,
    engine: Engine | None = None,
    cache: DiskCache | None = None,
    on_done: Callable[[RenderedSegment], None] | None = None,
) -> SynthesisWorker:
    """The synthesis worker for `cfg.run.executor`: in this process (local, around `engine` or the one
    `cfg.engine` names), or spread over Ray actors."""
    if cfg.run.executor == "ray":
        from .ray_executor import RayWorker

        return RayWorker(cfg, cache, on_done=on_done)
    return local_worker(cfg, engine, cache, on_done)


__all__ = ["SynthesisWorker", "local_worker", "make_worker"]
