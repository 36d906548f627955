"""The run's report: what the checks flagged, what was re-rendered, what still fails, and where.

`build_report` reads the manifest's chapter records (final checks per segment) and the worker's attempt
history; `summary` turns the report into the lines printed at the end of a run. Timestamps are given
both in the chapter file and in the whole book (the M4B), so a person can find and listen to a segment.
"""

from __future__ import annotations

from .asr import words
from .records import Attempt, Flagged, Manifest, Report, ReportChapter, ReportSummary
from .timecode import clock


def build_report(manifest: Manifest, history: dict[str, list[Attempt]], qc: str = "none") -> Report:
    """The report for a finished run (written as `report.json`)."""
    flagged: list[Flagged] = []
    chapters: list[ReportChapter] = []
    for ch in manifest.chapters:
        errors, ref_words, checked = 0.0, 0, 0
        for seg in ch.segment_list:
            checks = seg.checks
            asr = checks.get("asr")
            if asr and asr.value is not None:
                n = len(words(seg.normalized))
                errors += asr.value * n
                ref_words += n
                checked += 1
            attempts = history.get(seg.id, [])
            failed_final = [name for name, c in checks.items() if not c.passed]
            ever_failed = any(a.failed for a in attempts) or failed_final or seg.attempts > 1
            if not ever_failed:
                continue
            start = seg.start
            book_start = (ch.start or 0.0) + start
            flagged.append(
                Flagged(
                    segment=seg.id,
                    chapter=ch.index,
                    chapter_title=ch.title,
                    file=ch.file,
                    start=round(start, 3),
                    at=clock(start),
                    book_start=round(book_start, 3),
                    book_at=clock(book_start),
                    text=seg.text,
                    normalized=seg.normalized,
                    attempts=seg.attempts,
                    seed=seg.seed,
                    history=attempts,
                    rerendered=seg.attempts > 1,
                    passed=not failed_final,
                    failed_checks=failed_final,
                    detail="; ".join(checks[n].detail for n in failed_final if checks[n].detail),
                )
            )
        chapters.append(
            ReportChapter(
                ch.index,
                ch.title,
                ch.file,
                len(ch.segment_list),
                checked,
                round(errors / ref_words, 3) if ref_words else None,
                ch.loudness,
                ch.pause_floor_db,
            )
        )
    still = [f for f in flagged if not f.passed]
    total = sum(c.segments for c in chapters)
    asr_words = [(c.wer, c.asr_checked) for c in chapters if c.wer is not None]
    wer = round(sum(w * n for w, n in asr_words) / sum(n for _, n in asr_words), 3) if asr_words else None
    return Report(
        ReportSummary(total, len(flagged), sum(f.rerendered for f in flagged), len(still), qc, wer),
        chapters,
        flagged,
        [f.segment for f in still],
    )


def summary(report: Report, limit: int = 20) -> str:
    """A readable end-of-run summary: counts, WER per chapter under --qc asr, and every segment still
    failing with its text and where to find it."""
    s = report.summary
    lines = [
        f"checks: {s.segments} segments, {s.flagged} flagged, {s.rerendered} re-rendered, "
        f"{s.still_failing} still failing"
    ]
    if s.qc == "asr":
        per = ", ".join(f"ch {c.index} {c.wer:.0%}" for c in report.chapters if c.wer is not None)
        lines.append(f"asr: word error rate {s.wer if s.wer is None else format(s.wer, '.0%')} ({per})")
    still = [f for f in report.flagged if not f.passed]
    for f in still[:limit]:
        text = f.text if len(f.text) <= 70 else f.text[:67] + "..."
        lines.append(
            f"  still failing: {f.file} at {f.at} (book {f.book_at}), segment {f.segment}, "
            f'{", ".join(f.failed_checks)}: "{text}"'
        )
    if len(still) > limit:
        lines.append(f"  ... and {len(still) - limit} more in report.json")
    return "\n".join(lines)
