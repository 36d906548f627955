"""The nightly job: render what is new or changed, log it, exit non-zero when any book failed.

Usage: python scripts/nightly.py [configs/nightly.toml]
Reads the TOML described in configs/nightly.toml and runs the real `render` command on the shelf, its
output appended to the log file with a time stamp. The exit code is render's (8: some books failed).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path

KEYS = {"sources", "out", "log", "formats", "engine", "cache_dir", "config", "executor", "chapters"}


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "configs/nightly.toml")
    try:
        conf = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        print(f"nightly: error: {path}: {e}", file=sys.stderr)
        return 2
    unknown = set(conf) - KEYS
    if unknown or not conf.get("sources") or not conf.get("out"):
        print(
            f"nightly: error: {path}: needs sources and out; unknown keys: {sorted(unknown)}; "
            f"valid keys: {', '.join(sorted(KEYS))}",
            file=sys.stderr,
        )
        return 2
    render = Path(sys.executable).with_name("render")
    cmd = [str(render), *conf["sources"], "--out", conf["out"], "--quiet"]
    if conf.get("formats"):
        cmd += ["--format", ",".join(conf["formats"])]
    for key, flag in (
        ("engine", "--engine"),
        ("cache_dir", "--cache-dir"),
        ("config", "--config"),
        ("executor", "--executor"),
        ("chapters", "--chapters"),
    ):
        if conf.get(key):
            cmd += [flag, str(conf[key])]
    log = Path(conf.get("log") or Path(conf["out"]) / "nightly.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"=== {started} exit {proc.returncode}: {' '.join(cmd)}\n{proc.stderr}{proc.stdout}")
    sys.stderr.write(proc.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
