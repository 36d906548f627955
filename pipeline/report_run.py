"""Two parts of `report.html`: what this run did beside what the folder holds (a run that reused everything
says so, not "rendered in 24 s"), and each format's loudness as a whole (every chapter format, the M4B from its
AAC chapter streams, the read-along EPUB's own audio)."""

from __future__ import annotations

import html

from .export.readalong_audio import combine
from .records import Manifest
from .timecode import short

_E = html.escape


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def run_paragraph(manifest: Manifest) -> str:
    """One paragraph: the folder's contents, then this run's work."""
    st = manifest.stats
    n = len(manifest.chapters)
    holds = [_count(n, "chapter") + f" ({short(st.audio_seconds)} of audio)"]
    if manifest.m4b:
        holds.append(f"the M4B {manifest.m4b.file}")
    if manifest.readalong:
        holds.append(f"the read-along EPUB {manifest.readalong}")
    did = []
    if st.chapters_rendered:
        did.append(f"{_count(st.chapters_rendered, 'chapter')} rendered")
    if st.chapters_reencoded:
        did.append(f"{_count(st.chapters_reencoded, 'chapter')} re-encoded from the segment cache")
    if st.chapters_reused:
        did.append(f"{_count(st.chapters_reused, 'chapter')} reused as they were")
    work = f"{_count(st.rendered, 'segment')} synthesized, {st.reused} reused"
    if not st.chapters_rendered and not st.chapters_reencoded:
        work = "nothing synthesized or encoded: every chapter was already finished"
    return (
        f'<p class="meta">The folder holds {_E(", ".join(holds))}. This run: {_E(", ".join(did) or "no chapters")}'
        f"; {_E(work)}; the whole-book files brought up to date; {st.wall_seconds:.0f} s in all.</p>"
    )


def format_levels(manifest: Manifest) -> dict[str, dict]:
    """{format: {"rms_db", "peak_db", "lufs"}} for the book as a whole: each chapter format (m4b: its AAC
    chapter streams, which the M4B is copied from) and "epub audio" where the read-along book has its own."""
    out: dict[str, dict] = {}
    formats = sorted({f for ch in manifest.chapters for f in ch.loudness})
    for fmt in formats:
        levels = [
            {
                "rms_db": ch.loudness[fmt].rms_db,
                "peak_db": ch.loudness[fmt].peak_db,
                "lufs": ch.loudness[fmt].lufs,
                "seconds": ch.duration,
            }
            for ch in manifest.chapters
            if fmt in ch.loudness
        ]
        out[fmt] = combine(levels)
    audio = manifest.readalong_audio
    if audio:
        out[f"epub audio ({audio.get('bitrate')} mono)"] = audio
    return out


def formats_table(manifest: Manifest, target: float, ceiling: float, ebu: bool) -> str:
    """The table of each format's loudness and peak against the target."""
    rows = []
    for fmt, lv in format_levels(manifest).items():
        level = lv.get("lufs") if ebu else lv.get("rms_db")
        peak = lv.get("peak_db")
        cls = "none" if level is None else ("ok" if abs(level - target) <= 1.0 else "warn")
        pcls = "none" if peak is None else ("ok" if peak <= ceiling + 0.05 else "bad")
        rows.append(
            f"<tr><td>{_E(fmt.upper() if ' ' not in fmt else fmt)}</td>"
            f"<td class='num {cls}'>{'–' if level is None else f'{level:.1f}'}</td>"
            f"<td class='num {pcls}'>{'–' if peak is None else f'{peak:.1f}'}</td></tr>"
        )
    if not rows:
        return ""
    return (
        f"<h2>Formats</h2><table><tr><th>Format</th><th>Loudness ({'LUFS' if ebu else 'dB RMS'}, target "
        f"{target:g})</th><th>Peak (dBFS, max {ceiling:g})</th></tr>{''.join(rows)}</table>"
    )
