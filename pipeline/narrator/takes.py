"""Retakes: a segment rendered again with another seed, spliced into its chapter without touching the rest.

A chapter's audio is defined as its first renders assembled (`pipeline.assemble.assemble_chapter`), then
each retaken segment's speech span replaced by its chosen take: trimmed and faded as the assembler does,
resampled on its own, at the chapter's gain, through the same peak limiter. Every other sample of the
chapter is the assembled one, bit for bit, only shifted by the takes' length differences; the chapter is
padded to whole codec frames again. The definition does not depend on the order of retakes, so a chapter
made again from scratch (files deleted, a plain rerun) comes out the same.

The chosen takes live in `<out>/.render-takes.json` (`TakeStore`): segment id -> `SegmentTakes`, the last
take being the chosen one, applied to the plan of every later run (`Segment.take_seed`), so the segment
cache, the chapter fingerprints and the worker all see the chosen seed.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..assemble import assemble_chapter, trim_bounds
from ..audio import faded, pad_to_frames, resample
from ..config import OutputConfig, PauseConfig
from ..errors import OutputError, UsageError
from ..files import atomic_write
from ..loudness import LIMITER_MARGIN_DB, limit_peaks
from ..records import Chapter, ChapterAudio, Plan, RenderedSegment, Segment, SegmentTakes, SegmentTiming, Take
from ..serialize import from_json, to_json
from ..synthesize.base import segment_seed

log = logging.getLogger(__name__)

TAKES_NAME = ".render-takes.json"
TAKES_VERSION = 1
SEED_MAX = 0x7FFFFFFF
_SPEC = re.compile(r"^(\d{1,3})-(\d{1,5})(?:@(\d+))?$")


def parse_retake(spec: str) -> list[tuple[str, int | None]]:
    """`--retake` to [(segment id, seed or None)]: "002-00005,002-00007@1234" (IDs as report.html and
    manifest.json show them). Raises UsageError naming the first bad item."""
    out: list[tuple[str, int | None]] = []
    for item in (s.strip() for s in spec.split(",")):
        m = _SPEC.match(item)
        if not m:
            raise UsageError(
                f"--retake: '{item}' is not a segment ID; IDs look like 002-00005 (chapter-segment, "
                "as report.html and manifest.json show them), optionally with @SEED"
            )
        seed = int(m.group(3)) if m.group(3) is not None else None
        if seed is not None and seed > SEED_MAX:
            raise UsageError(f"--retake: seed {seed} of '{item}' is too large; seeds are 0-{SEED_MAX}")
        out.append((f"{int(m.group(1)):03d}-{int(m.group(2)):05d}", seed))
    return out


def _new_seed(entry: SegmentTakes, text: str) -> int:
    """A seed no earlier take of this segment used."""
    used = {t.seed for t in entry.history}
    k = len(entry.history) + 1
    while (seed := segment_seed(f"take {k}\x00{text}")) in used:
        k += 1
    return seed


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class TakeStore:
    """The output folder's chosen takes (`.render-takes.json`), read at the start of a render."""

    def __init__(self, out: Path):
        self.path = Path(out) / TAKES_NAME
        self.takes: dict[str, SegmentTakes] = {}
        self.retaken: list[str] = []  # segments this run takes again
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != TAKES_VERSION:
                raise ValueError("not a takes file of this version")
            self.takes = from_json(dict[str, SegmentTakes], data.get("takes"))
        except (FileNotFoundError, NotADirectoryError):  # no takes yet (or no folder: said by the render)
            pass
        except (OSError, ValueError, TypeError, AttributeError) as e:
            raise OutputError(
                f"{self.path}: the chosen takes cannot be read ({e}); restore the file, or delete "
                "it to go back to every segment's first take"
            ) from None

    def retake(self, plan: Plan, specs: list[tuple[str, int | None]]) -> list[str]:
        """Record a new take of each segment in `specs` (nothing written yet: `save` does); raises UsageError,
        before any change, for an ID not in the planned book."""
        by_id = {s.id: s for segs in [*plan.segments.values(), *plan.others.values()] for s in segs}
        for seg_id, _ in specs:
            if seg_id in by_id and by_id[seg_id].chapter not in plan.segments:
                raise UsageError(
                    f"--retake: segment {seg_id} is in chapter {by_id[seg_id].chapter}, which --chapters "
                    "leaves out; add it, or leave --chapters out"
                )
            if seg_id not in by_id:
                chapter = int(seg_id[:3])
                have = plan.segments.get(chapter) or plan.others.get(chapter)
                where = (
                    f"chapter {chapter} has segments {have[0].id} to {have[-1].id}"
                    if have
                    else f"the book has no chapter {chapter}"
                    if chapter not in {c.index for c in plan.book.chapters}
                    else f"chapter {chapter} has no segments"
                )
                raise UsageError(
                    f"--retake: no segment {seg_id} in this book ({where}; see report.html or manifest.json)"
                )
        for seg_id, seed in specs:
            seg = by_id[seg_id]
            entry = self.takes.get(seg_id)
            if entry is None or entry.text_hash != seg.text_hash:
                entry = SegmentTakes(
                    seg.chapter, seg.text, seg.text_hash, [Take(1, segment_seed(seg.normalized))]
                )
                self.takes[seg_id] = entry
            n = len(entry.history) + 1
            entry.history.append(
                Take(n, seed if seed is not None else _new_seed(entry, seg.normalized), _now())
            )
        self.retaken = [seg_id for seg_id, _ in specs]
        return self.retaken

    def apply(self, plan: Plan) -> int:
        """Give each planned segment its chosen take's seed; a take whose segment's text changed since is
        dropped (said once). Returns how many segments have a chosen take."""
        n = 0
        for segs in [*plan.segments.values(), *plan.others.values()]:
            for i, seg in enumerate(segs):
                entry = self.takes.get(seg.id)
                if entry is None:
                    continue
                if entry.text_hash != seg.text_hash:
                    log.warning(
                        "segment %s: its text changed since it was retaken; its first take is used", seg.id
                    )
                    del self.takes[seg.id]
                    continue
                first = entry.chosen.seed == entry.history[0].seed  # back to the first take: no splice
                segs[i] = seg if first else replace(seg, take_seed=entry.chosen.seed)
                n += 1
        return n

    def note_durations(self, chapters) -> None:
        """Record each chosen take's duration from the finished chapters' records (`ChapterRecord`s)."""
        for rec in chapters:
            for s in rec.segment_list:
                entry = self.takes.get(s.id)
                if entry is not None and entry.chosen.seed == s.seed:
                    entry.chosen.duration = s.duration

    def record(self, manifest, lexicons: list[str]) -> None:
        """Into a finished render's `Manifest`: the takes' history (each chosen take's duration noted, and
        kept), how many segments this run took again, and the lexicon files the plan read."""
        self.note_durations(manifest.chapters)
        self.save()
        manifest.takes = dict(self.takes) or None
        manifest.stats.retaken = len(self.retaken)
        manifest.lexicons = lexicons or None

    def save(self) -> None:
        if not self.takes and not self.path.exists():
            return
        atomic_write(
            self.path,
            json.dumps(
                {"version": TAKES_VERSION, "takes": to_json(self.takes)}, ensure_ascii=False, indent=1
            ).encode("utf-8"),
        )


def first_renders(worker, rendered: list[RenderedSegment]) -> dict[int, RenderedSegment]:
    """The first render (no take seed) of each segment of `rendered` that has a take: what the chapter is
    assembled from before its takes are spliced in (from the cache, or synthesized again: same seed, same
    audio). Keyed by position in `rendered`."""
    taken = [i for i, r in enumerate(rendered) if r.segment.take_seed is not None]
    if not taken:
        return {}
    hook, worker.on_done = worker.on_done, None  # not this run's progress: the chapter's own segments are
    try:
        firsts = worker.render([replace(rendered[i].segment, take_seed=None) for i in taken])
    finally:
        worker.on_done = hook
    return dict(zip(taken, firsts, strict=True))


def render_with_firsts(
    worker, segments: list[Segment]
) -> tuple[list[RenderedSegment], dict[int, RenderedSegment]]:
    """A chapter's segments rendered as the chapter holds them, and the first renders of those retaken
    (`first_renders`), what `assemble_with_takes` takes."""
    rendered = worker.render(segments)
    return rendered, first_renders(worker, rendered)


def _speech(r: RenderedSegment, pauses: PauseConfig, rate: int) -> np.ndarray:
    """A segment's speech as the assembler lays it: trimmed, faded, at `rate`."""
    s, e = trim_bounds(r.audio, r.sample_rate, pauses.silence_threshold_db, pauses.trim_keep_s)
    fade = max(1, int(pauses.trim_keep_s * r.sample_rate))
    return resample(faded(r.audio[s:e], fade), r.sample_rate, rate)


def _gain(
    pcm: np.ndarray,
    timings: list[SegmentTiming],
    firsts: list[RenderedSegment],
    pauses: PauseConfig,
    rate: int,
) -> float:
    """The chapter's gain stage, estimated by least squares of its assembled speech on its segments' own."""
    num = den = 0.0
    for t, r in zip(timings, firsts, strict=True):
        if t.end <= t.start:
            continue
        pre = _speech(r, pauses, rate)
        a = round(t.start * rate)
        post = pcm[a : a + len(pre)]
        pre = pre[: len(post)]
        num += float(np.dot(post.astype(np.float64), pre))
        den += float(np.dot(pre.astype(np.float64), pre))
    return num / den if den > 0 else 1.0


def assemble_with_takes(
    chapter: Chapter,
    rendered: list[RenderedSegment],
    firsts: dict[int, RenderedSegment],
    pauses: PauseConfig,
    output: OutputConfig,
) -> ChapterAudio:
    """The chapter's audio (see the module's docstring): `rendered` as the chapter holds it now, `firsts`
    the first render of each retaken one (from `first_renders`)."""
    base = [firsts.get(i, r) for i, r in enumerate(rendered)]
    audio = assemble_chapter(chapter, base, pauses, output)
    if not firsts:
        return audio
    rate = output.sample_rate
    gain = _gain(audio.audio, audio.timings, base, pauses, rate)
    ceiling = output.peak_db - LIMITER_MARGIN_DB
    parts: list[np.ndarray] = []
    timings: list[SegmentTiming] = []
    pos = shift = 0  # read position in the assembled audio; samples added so far
    for i, (t, r) in enumerate(zip(audio.timings, rendered, strict=True)):
        if i not in firsts or t.end <= t.start:
            timings.append(SegmentTiming(r.segment, t.start + shift / rate, t.end + shift / rate))
            continue
        a, b = round(t.start * rate), round(t.end * rate)
        take = _speech(r, pauses, rate) * np.float32(gain)
        limit_peaks(take, rate, ceiling, in_place=True)
        parts += [audio.audio[pos:a], take.astype(np.float32, copy=False)]
        timings.append(SegmentTiming(r.segment, (a + shift) / rate, (a + shift + len(take)) / rate))
        shift += len(take) - (b - a)
        pos = b
    parts.append(audio.audio[pos:])
    pcm = pad_to_frames(np.concatenate(parts))
    return ChapterAudio(chapter, pcm, rate, timings, rendered)


def takes_html(manifest, clip) -> str:
    """report.html's "Retakes" section: per retaken segment its ID, text and every take (seed, when), with a
    player of the chosen one; `clip(file, start, seconds)` gives a player's `data:` URI or None."""
    from html import escape

    where = {s.id: (ch, s) for ch in manifest.chapters for s in ch.segment_list}
    parts = [f"<h2>Retakes ({len(manifest.takes)})</h2>"]
    for seg_id, entry in sorted(manifest.takes.items()):
        ch, seg = where.get(seg_id, (None, None))
        history = "; ".join(
            f"take {t.take}: seed {t.seed}"
            + (f", {t.at}" if t.at else " (first render)")
            + (f", {t.duration:.2f} s" if t.duration is not None else "")
            for t in entry.history
        )
        uri = clip(ch.file, seg.start, seg.duration) if ch is not None and seg is not None else None
        player = f'<audio controls preload="none" src="{uri}"></audio>' if uri else ""
        at = f" · {seg.start:.2f} s in {escape(ch.file)}" if ch is not None and seg is not None else ""
        parts.append(
            f'<div class="seg"><b>segment {escape(seg_id)}</b> · chapter {entry.chapter}{at} · '
            f"take {entry.chosen.take} of {len(entry.history)} chosen"
            f'<p class="text">{escape(entry.text)}</p><div class="meta">{escape(history)}</div>'
            f"{player}</div>"
        )
    return "".join(parts)


__all__ = [
    "TAKES_NAME",
    "TakeStore",
    "assemble_with_takes",
    "first_renders",
    "parse_retake",
    "render_with_firsts",
    "takes_html",
]
