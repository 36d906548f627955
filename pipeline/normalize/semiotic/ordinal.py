"""Old ordinals, as nineteenth-century books print them: "the 22d", "the 2d of October", "May 3d"."""

from __future__ import annotations

import re

from ..numbers import MONTHS, ordinal
from .base import Rule, has

_OLD_ORDINAL = re.compile(r"(?<![\w.])(?P<n>\d{0,3}[23])d(?![\w])")
_OLD_ORDINAL_BEFORE = re.compile(r"(?:\bthe|" + "|".join(MONTHS) + r")\s$", re.I)
_OLD_ORDINAL_AFTER = re.compile(r"^\s(?:of|inst|ult|instant|ultimo|day)\b")


def _old_ordinal(m: re.Match) -> str:
    n = int(m.group("n"))
    if n % 100 in (12, 13):
        return m.group(0)
    before = m.string[max(0, m.start() - 12) : m.start()]
    after = m.string[m.end() : m.end() + 10]
    if _OLD_ORDINAL_BEFORE.search(before) or _OLD_ORDINAL_AFTER.match(after):
        return ordinal(n)
    return m.group(0)


OLD_ORDINAL = Rule("old ordinal (22d)", _OLD_ORDINAL, _old_ordinal, has("d"))
RULES = (OLD_ORDINAL,)
