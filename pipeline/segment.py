"""Segment: chapters to segments of 2-15 s of speech, each ending where a pause belongs.

Sentences come from nltk's Punkt, trained on the book's own text (no data download) plus a list of
known abbreviations. A segment never crosses a paragraph; short sentences are merged within their
paragraph; a sentence longer than the maximum is split at clause boundaries (; : , dashes), and failing
that at a space, never inside a word. Every word of a chapter lands in exactly one segment, in order.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from . import defaults as D
from .normalize import Lexicon, normalize
from .records import Book, Chapter, Paragraph, ParagraphKind, Pause, Segment

# abbreviations Punkt should never end a sentence on (lower case, no final period)
KNOWN_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "rev", "hon", "st", "capt", "col", "gen", "lt", "sgt", "jr", "sr",
    "vs", "etc", "e.g", "i.e", "no", "mt", "ft", "fig", "vol", "pp", "ch", "esq", "messrs", "mme", "mlle",
    "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "a.m", "p.m", "b.c", "a.d", "approx", "dept", "est", "govt", "viz", "cf", "ibid", "op", "cit",
}
_CLAUSE = re.compile(r"(?<=[;:,])\s+|\s+(?=[\u2013\u2014])|(?<=[\u2013\u2014])(?=\w)|(?<=\s-)\s+")


class SentenceSplitter:
    """Punkt trained on one book's text; `split(paragraph)` returns its sentences, whitespace kept out."""

    def __init__(self, training_text: str = ""):
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

        params = PunktParameters()
        if training_text.strip():
            trainer = PunktTrainer()
            trainer.INCLUDE_ALL_COLLOCS = False
            trainer.train(training_text[:2_000_000], finalize=True)
            params = trainer.get_params()
        params.abbrev_types.update(KNOWN_ABBREVIATIONS)
        self._tokenizer = PunktSentenceTokenizer(params)

    def split(self, text: str) -> list[str]:
        return [s for s in (t.strip() for t in self._tokenizer.tokenize(text)) if s]

    @classmethod
    def for_book(cls, book: Book) -> "SentenceSplitter":
        return cls("\n\n".join(c.text for c in book.chapters))


def _split_long(sentence: str, est: Callable[[str], float], max_s: float) -> list[str]:
    """Split a sentence longer than `max_s` at clause boundaries, then at spaces; never inside a word."""
    if est(sentence) <= max_s:
        return [sentence]
    pieces = [p for p in _CLAUSE.split(sentence) if p and p.strip()]
    if len(pieces) > 1:
        out: list[str] = []
        cur = ""
        for piece in pieces:
            joined = f"{cur} {piece}" if cur else piece
            if cur and est(joined) > max_s:
                out.append(cur)
                cur = piece
            else:
                cur = joined
        if cur:
            out.append(cur)
        if len(out) > 1:
            return [q for p in out for q in _split_long(p, est, max_s)]
    words = sentence.split()
    if len(words) < 2:
        return [sentence]   # one enormous "word": nothing to split it at without breaking it
    # split at the space nearest the middle, by estimated time, then recurse on both halves
    half = est(sentence) / 2
    acc, cut = "", 1
    for i, w in enumerate(words[:-1], 1):
        acc = f"{acc} {w}" if acc else w
        if est(acc) >= half:
            cut = i
            break
    left, right = " ".join(words[:cut]), " ".join(words[cut:])
    return _split_long(left, est, max_s) + _split_long(right, est, max_s)


class Segmenter:
    """Chapters to segments. `chars_per_second` is the engine's speaking-rate estimate."""

    def __init__(self, splitter: SentenceSplitter, lexicon: Lexicon | None = None,
                 chars_per_second: float = D.HIBARI_CHARS_PER_S, min_s: float = D.SEGMENT_MIN_S,
                 max_s: float = D.SEGMENT_MAX_S):
        self.splitter = splitter
        self.lexicon = lexicon
        self.cps = chars_per_second
        self.min_s = min_s
        self.max_s = max_s

    def normalize(self, text: str) -> str:
        return normalize(text, self.lexicon)

    def estimate(self, normalized: str) -> float:
        """Expected seconds of speech for normalized text."""
        return len(normalized) / self.cps

    def _est_original(self, text: str) -> float:
        return self.estimate(self.normalize(text))

    def _pieces(self, para: Paragraph) -> list[tuple[str, bool]]:
        """(piece, ends_line) for a paragraph: sentences, or verse lines, each at most max_s long."""
        out: list[tuple[str, bool]] = []
        units: list[tuple[str, bool]]
        if para.kind == ParagraphKind.VERSE:
            units = [(line, True) for line in para.lines]
        elif para.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING):
            units = [(para.text.replace("\n", " "), False)]
        else:
            units = [(s, False) for s in self.splitter.split(para.text.replace("\n", " "))]
        for text, line in units:
            parts = _split_long(text, self._est_original, self.max_s)
            for j, part in enumerate(parts):
                out.append((part, line and j == len(parts) - 1))
        return out

    def chapter_segments(self, chapter: Chapter) -> list[Segment]:
        segments: list[Segment] = []
        paras = chapter.paragraphs
        for pi, para in enumerate(paras):
            nxt = paras[pi + 1] if pi + 1 < len(paras) else None
            if para.kind == ParagraphKind.TITLE:
                end_pause = Pause.TITLE
            elif nxt is None:
                end_pause = Pause.END
            elif para.kind == ParagraphKind.HEADING or nxt.section_break_before or nxt.kind == ParagraphKind.HEADING:
                end_pause = Pause.SECTION
            else:
                end_pause = Pause.PARAGRAPH
            groups: list[list[tuple[str, str, bool]]] = []   # [(original, normalized, ends_line)]
            for piece, line in self._pieces(para):
                norm = self.normalize(piece)
                if line and norm and norm[-1] not in ".,;:!?":
                    norm += ","          # a verse line ends on a short pause
                groups.append([(piece, norm, line)])
            groups = self._merge(groups)
            for gi, group in enumerate(groups):
                original = ("\n" if para.kind == ParagraphKind.VERSE else " ").join(g[0] for g in group)
                normalized = " ".join(g[1] for g in group if g[1]).strip()
                if normalized.endswith(",") and gi == len(groups) - 1:
                    normalized = normalized[:-1] + "."
                last = gi == len(groups) - 1
                pause = end_pause if last else (Pause.LINE if group[-1][2] else Pause.SENTENCE)
                segments.append(Segment(chapter=chapter.index, index=len(segments), text=original,
                                        normalized=normalized, pause_after=pause, paragraph=pi,
                                        est_seconds=round(self.estimate(normalized), 3),
                                        sentences=[g[0] for g in group]))
        # a segment with nothing to say (only punctuation) keeps its words in the record but is not spoken
        return segments

    def _merge(self, groups: list[list[tuple[str, str, bool]]]) -> list[list[tuple[str, str, bool]]]:
        """Merge short neighbours within a paragraph while the result stays under max_s."""
        def est(group):
            return self.estimate(" ".join(g[1] for g in group))

        out: list[list[tuple[str, str, bool]]] = []
        for group in groups:
            if out and (est(out[-1]) < self.min_s or est(group) < self.min_s) and \
                    est(out[-1] + group) <= self.max_s:
                out[-1] = out[-1] + group
            else:
                out.append(group)
        return out

    def book_segments(self, book: Book, chapters: Iterable[Chapter] | None = None) -> dict[int, list[Segment]]:
        return {c.index: self.chapter_segments(c) for c in (chapters or book.chapters)}
