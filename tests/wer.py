"""Word error rate between two texts, for comparing what two readers of one book will say."""

from __future__ import annotations

import difflib
import re
import unicodedata


def words(text: str) -> list[str]:
    """Lower-case words, quotes and dashes aside ("Fellow-Travellers" is two words, as a listener hears it)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)


def errors(ref: list[str], hyp: list[str]) -> int:
    """Substitutions, deletions and insertions turning `ref` into `hyp` (difflib's alignment: an upper bound
    of the edit distance, exact where the texts differ in scattered places)."""
    n = 0
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if op != "equal":
            n += max(a1 - a0, b1 - b0)
    return n


def wer(ref: str, hyp: str) -> float:
    """Word error rate of `hyp` against `ref`: errors / words of `ref` (0.0 for two empty texts)."""
    r, h = words(ref), words(hyp)
    return errors(r, h) / max(1, len(r)) if r or h else 0.0


def plan_text(plan: dict) -> list[tuple[str, str]]:
    """(title, normalized text) of each chapter of a `render --dry-run --json` plan."""
    return [(c["title"], " ".join(s["normalized"] for s in c["segments"])) for c in plan["chapters"]]
