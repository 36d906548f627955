"""Files that exist only when whole: the one atomic-write helper, and paths kept inside the output folder.

A file is written under a hidden temporary name in its own folder (`.NAME.part`, or a unique
`.NAME.XXXX.part` where several processes may write the same name), flushed to disk, and moved into place
with `os.replace`; on any failure the temporary file is removed. A killed run leaves at most `.*.part`
files, which the next run in that folder removes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

log = logging.getLogger(__name__)

_UMASK = os.umask(0)
os.umask(_UMASK)


def partial(path: Path) -> Path:
    """The temporary name a file is written under until it is complete (hidden, `.part`)."""
    return path.with_name(f".{path.name}.part")


@contextmanager
def atomic_path(path: Path, unique: bool = False) -> Iterator[Path]:
    """Yields the temporary path to write `path`'s content to (by any means: Python, ffmpeg, a copy); when
    the block ends without an error the file is fsynced and moved into place, else removed. `unique`
    makes the temporary name unique (for writers that may race on one name, such as the segment cache)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if unique:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.fchmod(fd, 0o644 & ~_UMASK)
        os.close(fd)
        tmp = Path(name)
    else:
        tmp = partial(path)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is either absent, the old file, or the complete new one."""
    with atomic_path(path, unique=True) as tmp:
        tmp.write_bytes(data)


def json_bytes(data) -> bytes:
    """The JSON every output file uses: indented, UTF-8, a final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json(path: Path, data) -> None:
    atomic_write(path, json_bytes(data))


def inside(root: Path, path: Path) -> Path:
    """`path` resolved, after checking it lies inside `root` (raises OutputError otherwise)."""
    root_r = root.resolve()
    resolved = path.resolve()
    if resolved != root_r and root_r not in resolved.parents:
        raise OutputError(f"refusing to write outside the output folder: {path}")
    return resolved


def remove_stale_temporaries(out: Path) -> None:
    """Half-written files a killed run left behind (hidden `.NAME.part`); never a finished file."""
    for tmp in out.glob(".*.part"):
        try:
            tmp.unlink()
        except OSError as e:
            log.warning("could not remove the half-written %s (%s)", tmp, e.strerror or e)
