"""Stopping a render on Ctrl-C or SIGTERM within a second or two, at any moment, losing nothing finished.

The first signal sets the stop flag, terminates every ffmpeg child this process is waiting on (an encode in
flight is dropped: its `.part` file goes, its chapter is made again from the segment cache on resume), says
on stderr what was under way and how to resume, and raises KeyboardInterrupt in the main thread, which
unwinds the render: synthesis stops after the segment in hand, no new ffmpeg starts (`run_child` refuses),
the lock is released. A second signal ends the process at once (exit 128 + signal). Finished chapters and
the resume state are written atomically, so a resumed run gives the same bytes as an uninterrupted one.

`install()` is called by the command line only; the library never touches signal handlers on import.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading

_stopping = threading.Event()
_lock = threading.Lock()
_children: set[subprocess.Popen] = set()
_doing: dict[str, str] = {}
_signal = [0]


class Interrupted(KeyboardInterrupt):
    """Raised where work is refused or cut short because the render is stopping."""


def stopping() -> bool:
    return _stopping.is_set()


def exit_code() -> int:
    """128 + the signal that stopped the run (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + (_signal[0] or signal.SIGINT)


def doing(key: str, what: str | None) -> None:
    """Note (or clear, with None) what the render is doing under `key`, for the stop message."""
    with _lock:
        if what:
            _doing[key] = what
        else:
            _doing.pop(key, None)


def run_child(cmd: list[str], input: bytes | memoryview | None = None) -> subprocess.CompletedProcess:
    """`subprocess.run(cmd, input=input, capture_output=True)` that a stop terminates: refused once stopping,
    and while it runs, registered so the signal handler can end it."""
    if _stopping.is_set():
        raise Interrupted
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with _lock:
        _children.add(proc)
    try:
        out, err = proc.communicate(input)  # type: ignore[arg-type]  # any buffer is written; bytes() would copy a chapter of PCM
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        with _lock:
            _children.discard(proc)
    if _stopping.is_set():
        raise Interrupted
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def leave_now() -> None:
    """End the process with `exit_code()` once an interrupted render has unwound (the lock released, every
    file written or dropped): the interpreter's own teardown (onnxruntime, threads, modules) takes seconds."""
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(exit_code())


def _terminate_children() -> None:
    with _lock:
        children = list(_children)
    for proc in children:
        with contextlib.suppress(OSError):
            proc.kill()


def _message(signum: int) -> str:
    with _lock:
        under_way = "; ".join(_doing.values())
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    command = shlex.join(["render", *sys.argv[1:]])
    return (
        f"\nrender: {name}: stopping now ({under_way or 'nothing half-done'}: dropped, made again from "
        f"the segment cache next time; finished chapters are kept). To resume, run the same command "
        f"again: {command}\n(press Ctrl-C again to stop at once)\n"
    )


def _handler(signum: int, frame) -> None:
    if _stopping.is_set():  # the second signal: at once
        _terminate_children()
        os._exit(128 + signum)
    _signal[0] = signum
    _stopping.set()
    _terminate_children()
    try:
        sys.stderr.write(_message(signum))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    raise Interrupted


def install() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the render as above (main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)
