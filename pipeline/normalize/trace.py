"""Which rule rewrote which span: the trace behind `render --normalize --explain`.

Rules call `sub(pattern, fn, text, rule)` instead of `pattern.sub(fn, text)`; while a trace is active (a
list set in `TRACE`), every rewrite is recorded as (original span, rule, reading). Without one it is
`pattern.sub` itself, at no cost.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable

TRACE: contextvars.ContextVar[list | None] = contextvars.ContextVar("normalize_trace", default=None)


def sub(pattern: re.Pattern, fn: Callable[[re.Match], str], text: str, rule: str) -> str:
    """`pattern.sub(fn, text)`, recording each rewrite (span, rule, reading) when a trace is active."""
    trace = TRACE.get()
    if trace is None:
        return pattern.sub(fn, text)

    def traced(m: re.Match) -> str:
        out = fn(m)
        if out != m.group(0):
            trace.append((m.group(0), rule, out.strip()))
        return out

    return pattern.sub(traced, text)
