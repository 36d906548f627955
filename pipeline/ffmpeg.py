"""Locating and running ffmpeg: the machine's own if it has one, else the one in `imageio-ffmpeg`."""

from __future__ import annotations

import functools
import shutil
import signal
import subprocess

from .errors import OutputError, RenderError

_DISK_FULL = ("No space left on device", "File too large", "Disk quota exceeded")


@functools.cache
def ffmpeg_exe() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as e:
        raise RenderError("ffmpeg not found; install with: pip install imageio-ffmpeg") from e


def run_ffmpeg(
    args: list[str], input: bytes | memoryview | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg quietly; raise RenderError with its last error line on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, input=input, capture_output=True)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = msg[-1] if msg else f"exit {proc.returncode}"
        if proc.returncode == -signal.SIGXFSZ:
            last = "file size limit exceeded"
        if proc.returncode == -signal.SIGXFSZ or any(s in m for m in msg for s in _DISK_FULL):
            raise OutputError(
                f"disk full while writing audio ({last}); free some space and run the same "
                "command again to resume"
            )
        raise RenderError(f"ffmpeg failed: {last}")
    return proc


def decode_pcm(path: str, sample_rate: int | None = None) -> tuple:
    """Decode any audio file to mono float32, shape (T,); returns (audio, sample_rate)."""
    import numpy as np

    args = ["-i", str(path), "-map", "0:a:0", "-ac", "1"]
    if sample_rate:
        args += ["-ar", str(sample_rate)]
    args += ["-f", "f32le", "-"]
    proc = run_ffmpeg(args)
    rate = sample_rate or probe_sample_rate(path)
    return np.frombuffer(proc.stdout, dtype="<f4").copy(), rate


def probe_sample_rate(path: str) -> int:
    import re

    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True)
    m = re.search(rb"Audio: [^\n]*?(\d+) Hz", proc.stderr)
    return int(m.group(1)) if m else 0
