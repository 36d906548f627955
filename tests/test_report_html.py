"""report.html: one self-contained page per render, checked as a person would see it in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.plan import plan_book
from pipeline.render import render_book
from tests.validate.test_rerender import FAULTS, FaultyHibari

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def faulty_report(tmp_path_factory, sample_epub):
    """A real render of chapters 1-2 where three segments come out broken on their first attempt."""
    cfg = load_config(
        overrides={"engine": {"name": "hibari"}, "cache": {"enabled": False}, "output": {"formats": ["mp3"]}}
    )
    plan = plan_book(sample_epub, cfg, "1-2")
    by_id = {s.id: s for s in plan.segments[1]}
    engine = FaultyHibari({by_id[sid].normalized: kind for sid, kind in FAULTS.items()})
    out = tmp_path_factory.mktemp("report") / "book"
    render_book(sample_epub, out, cfg, "1-2", engine=engine)
    return out


def test_the_page_is_self_contained_and_says_what_the_report_says(faulty_report):
    import json

    page = (faulty_report / "report.html").read_text(encoding="utf-8")
    report = json.loads((faulty_report / "report.json").read_text())
    manifest = json.loads((faulty_report / "manifest.json").read_text())
    # nothing fetched from anywhere: no external scripts, styles, images or media
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page), "an external reference"
    assert "<link" not in page and "<script" not in page and "@import" not in page
    # every chapter with its duration, every flagged segment with its text and an audio player
    for ch in manifest["chapters"]:
        assert ch["title"] in page
    assert len(report["flagged"]) == len(FAULTS)
    for f in report["flagged"]:
        assert f["text"].replace("'", "&#x27;").replace('"', "&quot;") in page or f["text"] in page
    players = re.findall(
        r'<audio controls preload="none" src="data:audio/mpeg;base64,([A-Za-z0-9+/=]+)"', page
    )
    assert len(players) == len(FAULTS)
    assert all(len(p) > 2000 for p in players)  # real audio, not an empty clip
    assert "<svg" in page and "circle" in page  # the loudness plot, a dot per chapter
    assert page.count("<circle") == len(manifest["chapters"])


def _screenshot(html: Path, png: Path, size: str = "1100,1400") -> None:
    profile = tempfile.mkdtemp(prefix="render-chromium-")
    try:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={size}",
                f"--screenshot={png}",
                html.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (make test installs the Debian package "
    "'chromium' where apt-get can; see the Makefile)",
)
def test_the_page_renders_in_headless_chromium(faulty_report, tmp_path):
    from PIL import Image

    png = tmp_path / "report.png"
    _screenshot(faulty_report / "report.html", png)
    assert png.is_file(), "Chromium wrote no screenshot"
    img = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    # not blank: text, cards, the plot's colours; many distinct colours and real contrast
    colours = np.unique(img.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 50, len(colours)
    assert img.std() > 12
    # the status pill and plot use the report's red/amber/green: some pixels are clearly coloured
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    assert ((r - g > 60) & (r - b > 60)).sum() > 30  # red: "still failing" or peak markers
    assert ((g - r > 40) & (g - b > 20)).sum() > 30  # green: dots inside the target band
    shutil.copy(png, Path(tempfile.gettempdir()) / "render-report-screenshot.png")
