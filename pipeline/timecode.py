"""Timestamps, formatted one way each: SMIL and report clocks, subtitle and chapter-list stamps, and the
short form pages show."""

from __future__ import annotations


def _hmsm(seconds: float) -> tuple[int, int, int, int]:
    """(hours, minutes, seconds, milliseconds) of a non-negative time, rounded to the millisecond."""
    ms = round(max(0.0, seconds) * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return h, m, s, ms


def clock(seconds: float) -> str:
    """H:MM:SS.mmm: a SMIL clock value (as media:duration takes it), and the report's timestamps."""
    h, m, s, ms = _hmsm(seconds)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}"


def stamp(seconds: float, sep: str = ".") -> str:
    """HH:MM:SS<sep>mmm: SRT (sep ","), WebVTT and mp4chaps chapter lists (sep ".")."""
    h, m, s, ms = _hmsm(seconds)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def short(seconds: float) -> str:
    """M:SS, or H:MM:SS from an hour on, rounded to the second: for people reading a page."""
    h, rest = divmod(round(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
