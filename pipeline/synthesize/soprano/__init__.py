"""Soprano-80M: a small Qwen3 LM whose last hidden states feed a Vocos decoder, 32 kHz.

`weights` imports without torch (`find_weights` serves `--engine auto` and dry runs); `SopranoEngine`
loads torch when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .weights import find_weights

if TYPE_CHECKING:
    from .engine import SopranoEngine


def __getattr__(name: str):
    if name == "SopranoEngine":
        from .engine import SopranoEngine

        return SopranoEngine
    raise AttributeError(name)


__all__ = ["SopranoEngine", "find_weights"]
