"""Telephone numbers in spaced groups ("020 7946 0958", "+44 20 7946 0958"): read digit by digit, a comma
between groups. (Dashed numbers, "555-123-4567", are the general number rules'.)"""

from __future__ import annotations

import re

from ..numbers import digits
from .base import Rule

_UK_PHONE = re.compile(r"(?<![\w.+])(?:\+\d{1,3}\s)?0\d{2,4}(?:\s\d{3,4}){1,2}(?![\w]|[.,]\d)")


def _spaced_groups(m: re.Match[str]) -> str:
    return ", ".join(digits(g) for g in re.findall(r"\d+", m.group(0)))


TELEPHONE = Rule(
    "telephone (spaced groups)",
    _UK_PHONE,
    _spaced_groups,
    lambda text: " 0" in text or text.startswith("0") or "+" in text,
)
RULES = (TELEPHONE,)
