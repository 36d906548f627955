"""One render per output folder: a lock file holding the owner's pid.

The lock is created with O_EXCL. A lock whose pid is no longer alive (a render killed with SIGKILL or a
power cut) is stale and taken over; a live one is a clear error.
"""
from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from .errors import LockedError, OutputError

log = logging.getLogger(__name__)

LOCK_NAME = ".render.lock"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # a zombie (killed, not yet reaped by its parent) holds nothing
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().split(b") ", 1)[1][:1] != b"Z"
    except (OSError, IndexError):
        return True


class OutputLock:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / LOCK_NAME
        self.held = False

    def acquire(self) -> "OutputLock":
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if _alive(pid) and pid != os.getpid():
                    raise LockedError(f"{self.path.parent}: another render (pid {pid}) is writing this folder; "
                                      "wait for it to finish or choose another --out") from None
                log.info("taking over a stale lock from pid %s", pid or "unknown")
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass
                continue
            except OSError as e:
                raise OutputError(f"{self.path.parent}: cannot create a lock file ({e.strerror}); "
                                  "check the folder is writable") from e
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()}\n")
            self.held = True
            return self
        raise LockedError(f"{self.path.parent}: could not take the output lock; try again")

    def release(self) -> None:
        if self.held:
            try:
                self.path.unlink()
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
            self.held = False

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
