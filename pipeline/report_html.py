"""`report.html`: the run's report as one self-contained page a person can read.

No network and no external files: styles inline, the loudness plot inline SVG, and each flagged segment's
audio a short mono MP3 cut from its chapter file and embedded as a `data:` URI. Built from the manifest and
`report.json` (`pipeline.report.build_report`), so it says exactly what those say.
"""

from __future__ import annotations

import base64
import html
import logging
from pathlib import Path

from . import defaults as D
from .ffmpeg import run_ffmpeg
from .files import atomic_write
from .records import ChapterRecord, Manifest, Report
from .report_run import formats_table, run_paragraph
from .timecode import short

log = logging.getLogger(__name__)

REPORT_HTML_NAME = "report.html"
MAX_CLIPS = 60  # audio players embedded; flagged segments past this are listed without one
CLIP_BITRATE = "48k"
_E = html.escape

_CSS = """
:root { --ok: #1b7f3b; --warn: #b26a00; --bad: #b3261e; --ink: #1d1d1f; --mute: #6e6e73; --line: #e3e3e8; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; background: #f6f6f8; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 2px; } h2 { font-size: 18px; margin: 28px 0 10px; }
.sub { color: var(--mute); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card b { display: block; font-size: 22px; } .card span { color: var(--mute); font-size: 13px; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line);
        border-radius: 10px; overflow: hidden; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #fafafc; font-weight: 600; font-size: 13px; color: var(--mute); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); font-weight: 600; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 99px; font-size: 12px; font-weight: 600; }
.pill.ok { background: #e5f4ea; } .pill.bad { background: #fbe7e6; } .pill.warn { background: #fff1dc; }
.plot { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 8px; }
.seg { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin: 0 0 10px; }
.seg .text { margin: 6px 0; font-style: italic; } .seg audio { width: 100%; height: 34px; }
.meta { color: var(--mute); font-size: 13px; } .none { color: var(--mute); }
"""


def _level(ch: ChapterRecord, settings: dict) -> tuple[float | None, float | None, str]:
    """(measured loudness, peak, unit) of a chapter's first encoded format, as the preset measures it."""
    m = next(iter(ch.loudness.values()), None)
    if m is None:
        return None, None, "LUFS" if settings.get("loudness") == "ebu" else "dB RMS"
    if settings.get("loudness") == "ebu":
        return m.lufs, m.peak_db, "LUFS"
    return m.rms_db, m.peak_db, "dB RMS"


def _loudness_plot(chapters: list[ChapterRecord], settings: dict) -> str:
    """Inline SVG: each chapter's loudness (dot) against the target band, and its peak (tick) against the
    ceiling."""
    ebu = settings.get("loudness") == "ebu"
    target = settings.get("target_lufs" if ebu else "target_rms_db", D.TARGET_RMS_DB)
    ceiling = settings.get("peak_db", D.PEAK_CEILING_DB)
    pts = [(i, *_level(ch, settings)[:2]) for i, ch in enumerate(chapters)]
    values = [v for _, a, b in pts for v in (a, b) if v is not None] + [target - 4, ceiling + 1]
    lo, hi = min(values) - 1, max(values) + 1
    w, h, left, bottom, top = 960, 220, 46, 28, 12
    n = max(1, len(chapters))
    step = (w - left - 10) / n

    def y(v: float) -> float:
        return top + (hi - v) / (hi - lo) * (h - top - bottom)

    parts = [
        f'<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="Loudness per chapter" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">'
    ]
    parts.append(
        f'<rect x="{left}" y="{y(target + 1):.1f}" width="{w - left - 10}" '
        f'height="{y(target - 1) - y(target + 1):.1f}" fill="#e5f4ea"/>'
    )
    for v, color, label in (
        (target, "#1b7f3b", f"target {target:g}"),
        (ceiling, "#b3261e", f"peak max {ceiling:g}"),
    ):
        parts.append(
            f'<line x1="{left}" x2="{w - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{color}" '
            f'stroke-dasharray="4 3"/><text x="{w - 12}" y="{y(v) - 3:.1f}" text-anchor="end" '
            f'fill="{color}">{_E(label)}</text>'
        )
    tick = max(1, round((hi - lo) / 5))
    v = int(lo)
    while v <= hi:
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#6e6e73">{v}</text>')
        v += tick
    for i, level, peak in pts:
        cx = left + step * (i + 0.5)
        if peak is not None:
            parts.append(
                f'<line x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{y(peak):.1f}" y2="{y(peak):.1f}" '
                f'stroke="{"#b3261e" if peak > ceiling + 0.05 else "#6e6e73"}" stroke-width="2"/>'
            )
        if level is not None:
            off = abs(level - target) > 1.0
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{y(level):.1f}" r="5" '
                f'fill="{"#b26a00" if off else "#1b7f3b"}"><title>{_E(chapters[i].title)}: '
                f"{level:.1f}</title></circle>"
            )
        if n <= 40 or i % max(1, n // 20) == 0:
            parts.append(
                f'<text x="{cx:.1f}" y="{h - 10}" text-anchor="middle" fill="#6e6e73">'
                f"{chapters[i].index}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _clip(out: Path, ch_file: str, start: float, duration: float) -> str | None:
    """A `data:` URI of the span as a mono MP3, cut from the chapter file; None when it cannot be cut."""
    src = out / ch_file
    if not src.is_file():
        return None
    try:
        proc = run_ffmpeg(
            [
                "-ss",
                f"{max(0.0, start - 0.2):.3f}",
                "-t",
                f"{duration + 0.4:.3f}",
                "-i",
                str(src),
                "-map",
                "0:a:0",
                "-ac",
                "1",
                "-c:a",
                "libmp3lame",
                "-b:a",
                CLIP_BITRATE,
                "-f",
                "mp3",
                "-",
            ]
        )
    except Exception as e:  # noqa: BLE001 - a report without one player is better than no report
        log.warning("report.html: no audio for %s at %.1f s (%s)", ch_file, start, e)
        return None
    return "data:audio/mpeg;base64," + base64.b64encode(proc.stdout).decode("ascii")


def _targets(settings: dict) -> tuple[bool, float, float]:
    """(EBU R128 preset?, loudness target in LUFS or dB RMS, peak ceiling in dBFS) from the output settings."""
    ebu = settings.get("loudness") == "ebu"
    target = settings.get("target_lufs" if ebu else "target_rms_db", D.TARGET_RMS_DB)
    ceiling = settings.get("peak_db", D.PEAK_CEILING_DB)
    return ebu, target, ceiling


def _summary(manifest: Manifest, report: Report, title: str, settings: dict) -> list[str]:
    """The heading, the pass/fail pill, the summary cards, the run paragraph and any chapters missing."""
    st = manifest.stats
    s = report.summary
    engine = manifest.engine
    authors = ", ".join(manifest.book.authors) or "unknown author"
    failing = s.still_failing
    cards = [
        ("chapters", str(len(manifest.chapters))),
        ("audio", short(st.audio_seconds)),
        ("segments", str(s.segments)),
        ("flagged", str(s.flagged)),
        ("re-rendered", str(s.rerendered)),
        ("still failing", str(failing)),
    ]
    if s.wer is not None:
        cards.append(("word error rate", f"{s.wer:.1%}"))
    body = [
        f"<h1>{_E(title)}</h1>",
        f'<p class="sub">{_E(authors)} · engine {_E(str(engine.get("engine", engine.get("name", "?"))))}'
        f"{(' · voice ' + _E(str(engine['voice']))) if engine.get('voice') else ''} · "
        f"{_E(settings.get('loudness', 'acx').upper())} loudness"
        f' <span class="pill {"bad" if failing else "ok"}">{"needs attention" if failing else "all checks pass"}'
        "</span></p>",
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{_E(v)}</b><span>{_E(k)}</span></div>' for k, v in cards)
        + "</div>",
        run_paragraph(manifest),
    ]
    if st.chapters_missing:
        body.append(
            f'<p class="warn">Chapters not rendered yet: {_E(", ".join(map(str, st.chapters_missing)))}</p>'
        )
    return body


def _loudness_section(chapters: list[ChapterRecord], settings: dict) -> str:
    """The loudness plot with its legend."""
    ebu, target, ceiling = _targets(settings)
    return (
        f"<h2>Loudness</h2><div class='plot'>{_loudness_plot(chapters, settings)}</div>"
        f'<p class="meta">Dots: each chapter\'s loudness ({"LUFS" if ebu else "dB RMS"}), green inside '
        f"{target:g} ± 1; ticks: its peak (dBFS), red above {ceiling:g}.</p>"
    )


def _chapters_table(manifest: Manifest, report: Report, settings: dict) -> str:
    """One row a chapter: duration, loudness and peak against the preset, segments, word error rate."""
    ebu, target, ceiling = _targets(settings)
    by_index = {c.index: c for c in report.chapters}
    rows = []
    for ch in manifest.chapters:
        level, peak, _unit = _level(ch, settings)
        rep = by_index.get(ch.index)
        lv = "none" if level is None else ("ok" if abs(level - target) <= 1.0 else "warn")
        pk = "none" if peak is None else ("ok" if peak <= ceiling + 0.05 else "bad")
        wer = rep.wer if rep else None
        rows.append(
            f"<tr><td class='num'>{ch.index}</td><td>{_E(ch.display_title or ch.title)}"
            f"<div class='meta'>{_E(ch.file)}</div></td>"
            f"<td class='num'>{short(ch.duration)}</td>"
            f"<td class='num {lv}'>{'–' if level is None else f'{level:.1f}'}</td>"
            f"<td class='num {pk}'>{'–' if peak is None else f'{peak:.1f}'}</td>"
            f"<td class='num'>{ch.segments}</td>"
            f"<td class='num'>{'–' if wer is None else f'{wer:.1%}'}</td></tr>"
        )
    return (
        f"<h2>Chapters</h2><table><tr><th>#</th><th>Title</th><th>Duration</th>"
        f"<th>Loudness ({'LUFS' if ebu else 'dB RMS'}, target {target:g})</th>"
        f"<th>Peak (dBFS, max {ceiling:g})</th><th>Segments</th><th>WER</th></tr>{''.join(rows)}</table>"
    )


def _flagged_section(manifest: Manifest, report: Report, out: Path) -> list[str]:
    """The flagged segments, each with its checks and, for the first MAX_CLIPS, a player to hear it."""
    flagged = report.flagged
    body = [f"<h2>Flagged segments ({len(flagged)})</h2>"]
    if not flagged:
        body.append('<p class="none">No segment was flagged by the checks: nothing was re-rendered.</p>')
    seg_by_id = {seg.id: seg for ch in manifest.chapters for seg in ch.segment_list}
    for n, f in enumerate(flagged):
        seg = seg_by_id.get(f.segment)
        status = (
            '<span class="pill bad">still failing</span>'
            if not f.passed
            else '<span class="pill ok">fixed by re-render</span>'
            if f.rerendered
            else '<span class="pill warn">flagged</span>'
        )
        reasons = sorted({name for a in f.history for name in a.failed} | set(f.failed_checks))
        uri = _clip(out, f.file, f.start, seg.duration if seg else 5.0) if n < MAX_CLIPS else None
        player = f'<audio controls preload="none" src="{uri}"></audio>' if uri else ""
        body.append(
            f'<div class="seg">{status} <b>chapter {f.chapter}</b> · {_E(f.chapter_title)} · '
            f"{_E(f.at)} in {_E(f.file)} (book {_E(f.book_at)}) · segment {_E(f.segment)}"
            f'<p class="text">{_E(f.text)}</p><div class="meta">checks: {_E(", ".join(reasons) or "—")}'
            f"{(' — ' + _E(f.detail)) if f.detail else ''} · attempts {f.attempts} · seed {f.seed}"
            f"</div>{player}</div>"
        )
    return body


def render_html(manifest: Manifest, report: Report, out: Path) -> str:
    """The page, as a string."""
    settings = manifest.settings.get("output", {})
    ebu, target, ceiling = _targets(settings)
    title = manifest.book.title or "Untitled"
    body = _summary(manifest, report, title, settings)
    body.append(_loudness_section(manifest.chapters, settings))
    body.append(formats_table(manifest, target, ceiling, ebu))
    body.append(_chapters_table(manifest, report, settings))
    body.extend(_flagged_section(manifest, report, out))
    if manifest.takes:  # render --retake: each retaken segment, its takes, the chosen one to hear
        from .narrator.takes import takes_html

        body.append(takes_html(manifest, lambda file, start, seconds: _clip(out, file, start, seconds)))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_E(title)} — render report</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def write_html(manifest: Manifest, report: Report, out: Path) -> Path:
    target = Path(out) / REPORT_HTML_NAME
    atomic_write(target, render_html(manifest, report, Path(out)).encode("utf-8"))
    return target
