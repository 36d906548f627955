"""The Ray executor: segments spread over a pool of engine actors on a Ray cluster.

`RayWorker` implements `pipeline.executors.SynthesisWorker`, as the local `Worker` does. Each `EngineActor` loads the engine once and wraps a local `Worker`, so validation, re-renders
and the segment cache behave exactly as on one machine. On a cluster with GPUs there is one actor per
`run.ray_gpus_per_actor` GPUs, else one per `run.ray_cpus_per_actor` cores, counting what is free when the
render starts (other jobs keep theirs).

Segments are the unit: `render(segments)` sorts them by length, cuts them into batches (at most
`engine.batch_size`, small enough that every actor gets one), keeps at most `IN_FLIGHT_PER_ACTOR` batches
queued on each actor and hands results to `on_done` in this process as batches finish. A killed actor is
restarted by Ray and its batch retried (`MAX_RESTARTS`, `MAX_TASK_RETRIES`); a batch whose actor is gone
for good is given to another actor.

The actors open the segment cache at the driver's cache path: on a cluster that path should be a
filesystem every node shares (NFS, a mounted bucket), or each node keeps a cache of its own and a rerun
only reuses what that node rendered. The `pipeline` package must be installed on every node.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
from collections import deque
from dataclasses import fields, replace

from ..cache import open_cache
from ..config import CacheConfig, Config
from ..errors import EngineError, RenderError
from ..pace import spec_of
from ..records import Attempt, RenderedSegment, Segment
from ..synthesize.worker import Worker, WorkerStats
from .local import local_worker

log = logging.getLogger(__name__)

MAX_RESTARTS = 4  # Ray restarts a dead engine actor (its model loads again) this many times
MAX_TASK_RETRIES = 3  # and retries the batch it was rendering this many times
RESUBMITS = 2  # a batch whose actor is gone for good goes to another actor this many times
IN_FLIGHT_PER_ACTOR = 2  # batches queued on one actor: one rendering, one waiting
CONNECT_TIMEOUT_S = 10.0  # a cluster address that does not answer in this long is reported at once


def import_ray():
    """The `ray` module, or an EngineError saying how to install it."""
    try:
        import ray
    except ImportError as e:
        raise EngineError("--executor ray needs Ray: install with: pip install -e '.[ray]'") from e
    return ray


class EngineActor:
    """One loaded engine inside a Ray actor: a local `Worker` with the driver's config and cache path.

    The engine loads on the first call (not in `__init__`), so a load failure reaches the driver as the
    engine's own error, and a restarted actor loads it again when its retried batch arrives."""

    def __init__(self, cfg: Config, cache_root: str | None, cache_max_bytes: int):
        self._cfg = cfg
        self._cache_root = cache_root
        self._cache_max_bytes = cache_max_bytes
        self._worker: Worker | None = None

    def _get_worker(self):
        if self._worker is None:
            cache = None
            if self._cache_root:
                cache = open_cache(CacheConfig(dir=self._cache_root, max_gb=self._cache_max_bytes / 1024**3))
            self._worker = local_worker(self._cfg, None, cache)
        return self._worker

    def info(self) -> dict:
        """Loads the engine; returns its identity, description and this process's id."""
        w = self._get_worker()
        return {"identity": w.identity, "describe": w.describe(), "pid": os.getpid()}

    def render(self, segments: list[Segment]) -> tuple[list[RenderedSegment], WorkerStats, dict]:
        """(results parallel to `segments`, this call's share of the worker's stats, their attempt history)."""
        w = self._get_worker()
        before = replace(w.stats)
        results = w.render(segments)
        delta = WorkerStats(
            **{f.name: getattr(w.stats, f.name) - getattr(before, f.name) for f in fields(WorkerStats)}
        )
        history = {s.id: w.history.pop(s.id) for s in segments if s.id in w.history}
        return results, delta, history


def _check_reachable(address: str) -> None:
    """Fail in seconds where nothing listens at a "host:port" address (`ray.init` retries for minutes)."""
    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto" and the like: Ray resolves them itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise EngineError(
            f"nothing answers at the Ray address {address} ({e.strerror or e}); check "
            "--ray-address / RAY_ADDRESS ('ray status' on the head node shows it)"
        ) from e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _local_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class RayWorker:
    """The synthesize stage on a Ray cluster, with the local `Worker`'s interface.

    `ray.init(address=run.ray_address or RAY_ADDRESS)`, or, with neither, a new local Ray instance sized
    to this machine that `close()` shuts down. Inside a driver that already called `ray.init` (a `ray job
    submit` entrypoint that did, a notebook) the existing connection is used and left open."""

    def __init__(self, cfg: Config, cache, on_done=None):
        self._ray = import_ray()
        self.cfg = cfg
        self.on_done = on_done
        self.stats = WorkerStats()
        self.history: dict[str, list[Attempt]] = {}
        self._actors: list = []
        self._dead: set[int] = set()
        self._connected_here = False
        try:
            self._connect()
            self._start_actors(cache)
        except BaseException:
            self.close()
            raise

    def _connect(self) -> None:
        ray = self._ray
        if ray.is_initialized():
            return
        address = self.cfg.run.ray_address or os.environ.get("RAY_ADDRESS", "")
        if address:
            _check_reachable(address)
        try:
            if address:
                ray.init(address=address, logging_level=logging.WARNING)
            else:
                ray.init(
                    address="local",
                    num_cpus=_local_cpus(),
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                )
        except Exception as e:  # ray.init raises a bare Exception when a node times out starting
            if address:
                raise EngineError(
                    f"could not reach the Ray cluster at {address} ({_first_line(e)}); check "
                    "--ray-address / RAY_ADDRESS, or run 'ray status' there"
                ) from e
            ray.shutdown()  # whatever part of the instance did start
            raise EngineError(
                f"could not start a local Ray instance ({_first_line(e)}); run the same command "
                "again, or start one with 'ray start --head' and set RAY_ADDRESS"
            ) from e
        self._connected_here = True

    def _start_actors(self, cache) -> None:
        ray = self._ray
        run = self.cfg.run
        total, free = ray.cluster_resources(), ray.available_resources()  # free: what other jobs leave us
        if total.get("GPU", 0.0) > 0 and run.ray_gpus_per_actor > 0:
            kind, per_actor, opts = "GPU", run.ray_gpus_per_actor, {"num_gpus": run.ray_gpus_per_actor}
        else:
            kind, per_actor, opts = "CPU", run.ray_cpus_per_actor, {"num_cpus": run.ray_cpus_per_actor}
        if total.get(kind, 0.0) < per_actor:
            raise EngineError(
                f"the Ray cluster has {total.get(kind, 0.0):g} {kind}s; an engine actor needs "
                f"{per_actor:g} (run.ray_{kind.lower()}s_per_actor); lower it in the config"
            )
        n = max(1, int(free.get(kind, 0.0) // per_actor))
        each = f"{per_actor:g} {kind}"
        actor_cls = ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES)(EngineActor)
        root = str(cache.root) if cache is not None else None
        max_bytes = cache.max_bytes if cache is not None else 0
        self._actors = [actor_cls.options(**opts).remote(self.cfg, root, max_bytes) for _ in range(n)]
        infos = self._get([a.info.remote() for a in self._actors])
        if len({json.dumps(i["identity"], sort_keys=True) for i in infos}) > 1:
            raise EngineError(
                "the Ray nodes load different engines ("
                + "; ".join(sorted({i["describe"] for i in infos}))
                + "); install the same versions on every node"
            )
        self._identity = infos[0]["identity"]
        self._describe = infos[0]["describe"]
        log.info("Ray: %d engine actors (%s each): %s", n, each, self._describe)

    def _get(self, refs):
        """`ray.get`, with an error the engine raised in an actor re-raised as itself (one line for the CLI)."""
        try:
            return self._ray.get(refs)
        except self._ray.exceptions.RayTaskError as e:
            if isinstance(e.cause, RenderError):
                raise e.cause from None
            raise

    @property
    def identity(self) -> dict:
        return self._identity

    def describe(self) -> str:
        return self._describe

    def render(self, segments: list[Segment]) -> list[RenderedSegment]:
        """Render segments (any chapters, any books) on the actor pool; the result is parallel to `segments`."""
        ray = self._ray
        results: list[RenderedSegment | None] = [None] * len(segments)
        live = [k for k in range(len(self._actors)) if k not in self._dead]
        order = sorted(range(len(segments)), key=lambda i: len(segments[i].normalized))
        cap = spec_of(self._identity.get("engine", "")).batch(self.cfg.engine.batch_size)
        size = max(1, min(cap, math.ceil(len(order) / max(1, len(live)))))
        pending = deque((order[s : s + size], 0) for s in range(0, len(order), size))
        load = dict.fromkeys(range(len(self._actors)), 0)
        in_flight: dict = {}  # ObjectRef -> (actor index, segment indices, resubmissions)
        while pending or in_flight:
            while pending:
                live = [k for k in load if k not in self._dead]
                if not live:
                    raise EngineError(
                        "every Ray engine actor died (see the Ray logs: 'ray logs' or "
                        "/tmp/ray/session_latest/logs); run the same command again to resume"
                    )
                k = min(live, key=load.__getitem__)
                if load[k] >= IN_FLIGHT_PER_ACTOR:
                    break
                batch, tries = pending.popleft()
                ref = self._actors[k].render.remote([segments[i] for i in batch])
                in_flight[ref] = (k, batch, tries)
                load[k] += 1
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                k, batch, tries = in_flight.pop(ref)
                load[k] -= 1
                try:
                    out, delta, history = self._get(ref)
                except ray.exceptions.RayActorError as e:
                    if isinstance(e, ray.exceptions.ActorDiedError):
                        self._dead.add(k)
                    if tries >= RESUBMITS:
                        raise EngineError(
                            f"Ray engine actors kept dying on the batch starting at segment "
                            f"{segments[batch[0]].id} ({_first_line(e)}); see the Ray logs"
                        ) from e
                    log.warning(
                        "Ray engine actor %d lost a batch of %d segments (%s); giving it to another",
                        k,
                        len(batch),
                        _first_line(e),
                    )
                    pending.append((batch, tries + 1))
                    continue
                self._collect(batch, out, delta, history, results)
        done = [r for r in results if r is not None]
        assert len(done) == len(results)
        return done

    def _collect(
        self, batch: list[int], out: list[RenderedSegment], delta: WorkerStats, history: dict, results: list
    ) -> None:
        for f in fields(WorkerStats):
            setattr(self.stats, f.name, getattr(self.stats, f.name) + getattr(delta, f.name))
        for seg_id, attempts in history.items():
            self.history.setdefault(seg_id, []).extend(attempts)
        for i, r in zip(batch, out, strict=True):
            results[i] = r
            if self.on_done is not None:
                self.on_done(r)

    def close(self) -> None:
        ray = self._ray
        for a in self._actors:
            with contextlib.suppress(
                Exception
            ):  # already dead, or the cluster is gone: Ray raises its own kinds
                ray.kill(a)
        self._actors = []
        if self._connected_here and ray.is_initialized():
            ray.shutdown()
        self._connected_here = False
