"""The synthesis worker: feeds an engine in batches, validates every output, re-renders failures.

A segment whose checks fail is re-rendered with a new seed (attempt n+1) in a later batch, up to
`max_attempts`; the best attempt by the checks is kept and its record says how many were made. The rest
of the book never waits on a failing segment: retries ride along with later batches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import defaults as D
from ..config import ValidateConfig
from ..errors import RenderError
from ..normalize import plain_text
from ..records import Attempt, Check, EngineOutput, RenderedSegment, Segment
from ..serialize import to_json
from ..validate import asr_check, asr_sampled, check_segment, score
from .base import Engine, SynthRequest, take_seed

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WorkerStats:
    rendered: int = 0  # segments synthesized in this run
    reused: int = 0  # segments taken from the cache
    retried: int = 0  # extra attempts made
    failed: int = 0  # segments still failing after every attempt
    audio_s: float = 0.0


class Worker:
    """The local synthesize stage around one loaded engine (implements `pipeline.executors.SynthesisWorker`)."""

    def __init__(
        self,
        engine: Engine,
        validate: ValidateConfig,
        batch_size: int,
        cache=None,
        silence_db: float = D.SILENCE_THRESHOLD_DB,
        on_done: Callable[[RenderedSegment], None] | None = None,
    ):
        self.engine = engine
        self.vcfg = validate
        self.batch_size = max(1, min(engine.spec.batch(batch_size), engine.max_batch))
        self.cache = cache
        self.silence_db = silence_db
        self.on_done = on_done
        self.stats = WorkerStats()
        self._identity = engine.identity()
        self.history: dict[str, list[Attempt]] = {}  # segment id -> every attempt: seed and failed checks

    @property
    def identity(self) -> dict:
        return self._identity

    def describe(self) -> str:
        return self.engine.describe()

    def close(self) -> None:
        self.engine.close()

    def _recheck(self, seg: Segment, hit) -> list[Check]:
        """A cached segment's checks under this run's settings: the cheap checks again on its audio (they
        cost little, and the limits may have changed), its ASR result as cached."""
        audio, meta = hit
        out = EngineOutput(audio, meta.get("finish_reason", "stop"), meta.get("repetition"))
        checks = check_segment(out, self.engine.sample_rate, self._expected(seg), self.vcfg, self.silence_db)
        return checks + [
            Check(**c) for c in meta.get("checks", []) if c.get("name") == "asr" and self._wants_asr(seg)
        ]

    def _wants_asr(self, seg: Segment) -> bool:
        return self.vcfg.qc == "asr" and asr_sampled(seg.text_hash, self.vcfg.asr_sample)

    def _expected(self, seg: Segment) -> float:
        return self.engine.expected_seconds(seg.normalized)

    def render(self, segments: list[Segment]) -> list[RenderedSegment]:
        """Render segments (any chapters); the result is parallel to `segments`."""
        results: list[RenderedSegment | None] = [None] * len(segments)
        todo: list[int] = []
        for i, seg in enumerate(segments):
            if not seg.normalized.strip(" .,;:!?\"'-"):
                results[i] = done = self._empty(seg)
            elif (hit := self._reuse(seg)) is not None:
                results[i] = done = hit
                self.stats.reused += 1
            else:
                todo.append(i)
                continue
            self._done(done)

        attempt = 0
        best: dict[int, RenderedSegment] = {}
        while todo and attempt < self.vcfg.max_attempts:
            todo = self._render_round(segments, todo, attempt, best, results)
            attempt += 1
        return [r for r in results if r is not None]

    def _empty(self, seg: Segment) -> RenderedSegment:
        """A segment with nothing to say (only punctuation or blanks): no audio, one passing check."""
        return RenderedSegment(
            seg,
            np.zeros(0, np.float32),
            self.engine.sample_rate,
            checks=[Check("empty", True, None, "nothing to say")],
        )

    def _reuse(self, seg: Segment) -> RenderedSegment | None:
        """The segment from the cache, or None when there is no cache, no entry, or the entry does not pass
        under this run's settings."""
        if self.cache is None:
            return None
        hit = self.cache.get(self.cache.key(seg.normalized, self._identity, seg.take_seed))
        if (
            hit is not None
            and self._wants_asr(seg)
            and not any(c.get("name") == "asr" for c in hit[1].get("checks", []))
        ):
            hit = None  # cached before --qc asr was asked for: render again to check it
        checks = self._recheck(seg, hit) if hit is not None else []
        if (
            hit is not None
            and all(c.get("passed") for c in hit[1].get("checks", []))
            and not all(c.passed for c in checks)
        ):
            hit = None  # passed under the settings it was made with, not under these
        if hit is None:
            return None
        audio, meta = hit
        return RenderedSegment(
            seg,
            audio,
            self.engine.sample_rate,
            seed=meta.get("seed", 0),
            attempts=meta.get("attempts", 1),
            cached=True,
            checks=checks,
            finish_reason=meta.get("finish_reason", "stop"),
            repetition=meta.get("repetition"),
        )

    def _render_round(
        self,
        segments: list[Segment],
        todo: list[int],
        attempt: int,
        best: dict[int, RenderedSegment],
        results: list[RenderedSegment | None],
    ) -> list[int]:
        """Attempt `attempt` (from 0) at the segments indexed by `todo`, in batches; returns the indices to
        render again."""
        again: list[int] = []
        # similar lengths together: engines that pad a batch pad less
        order = sorted(todo, key=lambda i: len(segments[i].normalized))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            reqs = [self._request(segments[i], attempt) for i in chunk]
            outs = self._synthesize(reqs)
            for i, req, out in zip(chunk, reqs, outs, strict=True):
                cand = self._candidate(segments[i], req, out, attempt)
                if self._keep(i, cand, attempt, best, results):
                    again.append(i)
        return again

    def _request(self, seg: Segment, attempt: int) -> SynthRequest:
        return SynthRequest(
            seg.normalized,
            take_seed(seg.take_seed, seg.normalized, attempt),
            attempt,
            self._expected(seg) * self.vcfg.duration_ratio_max,
        )

    def _candidate(self, seg: Segment, req: SynthRequest, out: EngineOutput, attempt: int) -> RenderedSegment:
        """One attempt's output, checked (ASR too when sampled and the cheap checks pass) and recorded in
        `history`."""
        checks = check_segment(out, self.engine.sample_rate, self._expected(seg), self.vcfg, self.silence_db)
        audio = out.audio if np.isfinite(out.audio).all() else np.nan_to_num(out.audio)
        if all(c.passed for c in checks) and self._wants_asr(seg):
            checks.append(
                asr_check(
                    audio,
                    self.engine.sample_rate,
                    plain_text(seg.normalized),
                    self.vcfg.asr_wer_max,
                )
            )
        self.history.setdefault(seg.id, []).append(
            Attempt(
                attempt + 1,
                req.seed,
                [c.name for c in checks if not c.passed],
                "; ".join(c.detail for c in checks if not c.passed and c.detail),
            )
        )
        return RenderedSegment(
            seg,
            audio.astype(np.float32, copy=False),
            self.engine.sample_rate,
            seed=req.seed,
            attempts=attempt + 1,
            checks=checks,
            finish_reason=out.finish_reason,
            repetition=out.repetition,
        )

    def _keep(
        self,
        i: int,
        cand: RenderedSegment,
        attempt: int,
        best: dict[int, RenderedSegment],
        results: list[RenderedSegment | None],
    ) -> bool:
        """Keeps the better of `cand` and the best attempt so far at segment `i`; finishes the segment when
        it passed or no attempts are left. Returns whether it is to be rendered again."""
        prev = best.get(i)
        if prev is None or score(cand.checks) < score(prev.checks):
            best[i] = cand
        best[i].attempts = attempt + 1
        if attempt > 0:
            self.stats.retried += 1
        if cand.passed or attempt + 1 >= self.vcfg.max_attempts:
            self._finish(i, best[i], results)
            return False
        log.info(
            "segment %s failed %s; re-rendering (attempt %d)",
            cand.segment.id,
            ", ".join(cand.failed_checks),
            attempt + 2,
        )
        return True

    def _synthesize(self, reqs: list[SynthRequest]) -> list[EngineOutput]:
        """The engine's batch call, isolating failures: a batch that raises is split in halves until the
        segment that breaks the engine is found; that one gets an empty output whose finish reason
        records the error, so its chapter still completes and the report names it."""
        try:
            return self.engine.synthesize_batch(reqs)
        except RenderError:
            raise
        except Exception as e:  # noqa: BLE001 - an engine failure on one input must not stop the book
            if len(reqs) > 1:
                mid = len(reqs) // 2
                return self._synthesize(reqs[:mid]) + self._synthesize(reqs[mid:])
            log.warning("engine failed on a segment (%s: %s)", type(e).__name__, e)
            return [
                EngineOutput(np.zeros(0, np.float32), finish_reason=f"error: {type(e).__name__}: {e}"[:200])
            ]

    def _finish(self, i: int, r: RenderedSegment, results: list) -> None:
        results[i] = r
        self.stats.rendered += 1
        if not r.passed:
            self.stats.failed += 1
            log.warning(
                "segment %s still failing after %d attempts: %s",
                r.segment.id,
                r.attempts,
                "; ".join(c.detail for c in r.checks if not c.passed),
            )
        if self.cache is not None:
            self.cache.put(
                self.cache.key(r.segment.normalized, self._identity, r.segment.take_seed),
                r.audio,
                {
                    "seed": r.seed,
                    "attempts": r.attempts,
                    "finish_reason": r.finish_reason,
                    "repetition": r.repetition,
                    "checks": to_json(r.checks),
                },
            )
        self._done(r)

    def _done(self, r: RenderedSegment) -> None:
        self.stats.audio_s += r.duration
        if self.on_done is not None:
            self.on_done(r)
