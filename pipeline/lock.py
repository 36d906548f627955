"""One render per output folder: a kernel lock (`flock`) on `<out>/.render.lock`, held for the whole render.

The kernel releases the lock when its holder exits in any way (Ctrl-C, SIGKILL, a crash, a power cut), so
there is no stale lock to detect and no pid to guess: a lock file left behind by a killed render is just a
file, taken over by the next one. The holder writes its pid into the file for the error message another
render prints; nothing trusts it. The holder removes the file before it lets go, and a process that got the
lock checks that the file it locked is still the one at the path (not one removed meanwhile), so two
processes never both hold it.

Not covered: renders on two different hosts writing one folder on a network filesystem. NFS v4 and most
SMB mounts forward `flock` to the server, but NFS v3 without lockd, some FUSE filesystems and object-store
mounts do not lock across hosts at all; run one render per output folder there (a shelf already gives each
book its own folder).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import tempfile
from pathlib import Path

from .errors import LockedError, OutputError

log = logging.getLogger(__name__)

LOCK_NAME = ".render.lock"


class OutputLock:
    def __init__(self, folder: str | Path):
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> OutputLock:
        folder = self.path.parent
        for _ in range(50):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = _read_pid(fd)
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    who = f"pid {holder}" if holder else "another process"
                    raise LockedError(
                        f"{folder}: another render ({who}) is writing this folder; wait for it "
                        "to finish or choose another --out"
                    ) from None
                raise OutputError(
                    f"{folder}: cannot lock {LOCK_NAME} ({e.strerror or e}); the filesystem may "
                    "not support locks: choose a local --out"
                ) from e
            if not self._still_linked(fd):
                os.close(fd)  # the holder we waited behind removed this file: lock the new one
                continue
            try:  # for the message another render prints; informational only
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except OSError as e:
                log.debug("could not write the pid into %s (%s)", self.path, e)
            self._fd = fd
            try:
                _probe_writable(folder)
            except BaseException:
                self.release()
                raise
            return self
        raise LockedError(f"{folder}: the output lock keeps changing hands; try again")

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as e:
            raise OutputError(
                f"{self.path.parent}: cannot create the lock file {LOCK_NAME} ({e.strerror or e}); "
                "check the folder is writable or choose another --out"
            ) from e

    def _still_linked(self, fd: int) -> bool:
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                self.path.unlink()  # while still holding it: a waiter that locked this inode retries
            except OSError as e:
                log.debug("could not remove %s (%s)", self.path, e)
            os.close(fd)  # closing the only descriptor drops the flock

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int:
    try:
        return int(os.pread(fd, 32, 0).decode("ascii", "replace").strip() or 0)
    except (OSError, ValueError):
        return 0


def _probe_writable(folder: Path) -> None:
    """Create and remove a uniquely named file: the lock file may be writable where new files are not
    (a read-only remount after the lock file was made, a full quota)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".render-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as e:
        raise OutputError(
            f"{folder}: output folder is not writable ({e.strerror or e}); choose another --out"
        ) from e
