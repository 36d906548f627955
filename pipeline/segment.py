"""Segment: chapters to segments of 2-15 s of speech, each ending where a pause belongs.

Sentences come from nltk's Punkt, trained on the book's own text (no data download) plus a list of
known abbreviations. Work is done on spans of the paragraph's original text, so the words a segment
holds are exactly a slice of the book: the original text is kept beside the normalized one.

- A segment never crosses a paragraph.
- A sentence longer than the maximum is split at clause boundaries (; : , dashes), and failing that at a
  space, never inside a word; pieces are balanced so no short tail is left over.
- Short sentences are merged with a neighbour in their paragraph while the result stays under the
  maximum; a piece still short is merged up to `merge_max_s` rather than stand alone. A segment under
  the minimum is then a whole paragraph (a title, a line of dialogue, a dictionary headword).
- Every word of a chapter lands in exactly one segment, in order.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import defaults as D
from .normalize import Lexicon, fix_quotes, normalize, unsupported_scripts
from .records import Book, Chapter, Paragraph, ParagraphKind, Pause, Segment

log = logging.getLogger(__name__)

# abbreviations Punkt should never end a sentence on (lower case, no final period)
KNOWN_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "rev", "revd", "hon", "st", "capt", "col", "gen", "lt", "sgt", "cpl", "maj",
    "adm", "gov", "sen", "rep", "pres", "fr", "jr", "sr", "vs", "v", "etc", "e.g", "i.e", "mt", "ft",
    "fig", "vol", "pp", "p", "ch", "esq", "messrs", "mme", "mlle", "inc", "ltd", "co", "corp", "bros", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "a.m", "p.m", "b.c", "a.d",
    "approx", "dept", "est", "govt", "viz", "cf", "ibid", "op", "cit", "ave", "rd", "blvd", "sq", "univ", "ed",
    "lb", "lbs", "oz", "yd", "yds", "mi", "hr", "hrs", "min", "sec", "&c",
}
_CLAUSE_END = re.compile(r"[;:,\u2014\u2013](?= )|(?<= )-{1,2}(?= )")     # cut after it, at the space
_SPACE = re.compile(r"\s+")
_NUMBER_ABBR_END = re.compile(r"(?<![\w.])(?:[Nn]os?|pp?)\.$")     # "No. 5": the number belongs to it
# titles that never end a sentence: Punkt's orthographic guess may still split "St. | Andrews"
_TITLE_END = re.compile(r"(?<![\w.])(?:Mr|Mrs|Ms|Messrs|Mme|Mlle|Dr|St|Capt|Col|Gen|Lt|Sgt|Prof|Rev|Hon|Sen|Gov)\.$")
_ETC_END = re.compile(r"(?<![\w.])etc\.\s+(?=[\"\u201c\u2018']?[A-Z])")
_TRAINING_CHARS = 2_000_000          # Punkt learns enough from the first 2 MB of a book


class SentenceSplitter:
    """Punkt trained on one book's text; `spans(text)` gives (start, end) of each sentence."""

    def __init__(self, training_text: str = ""):
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

        params = PunktParameters()
        if training_text.strip():
            trainer = PunktTrainer()
            trainer.INCLUDE_ALL_COLLOCS = False
            trainer.train(training_text[:_TRAINING_CHARS], finalize=True)
            params = trainer.get_params()
        params.abbrev_types.update(KNOWN_ABBREVIATIONS)
        self._tokenizer = PunktSentenceTokenizer(params)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans of `text`, whitespace outside them; empty sentences left out."""
        out = []
        for start, end in self._tokenizer.span_tokenize(text):
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end and out and (
                    text[start].isdigit() and _NUMBER_ABBR_END.search(text, max(out[-1][0], out[-1][1] - 6), out[-1][1])
                    or text[start].isupper() and _TITLE_END.search(text, max(out[-1][0], out[-1][1] - 8), out[-1][1])):
                start = out.pop()[0]
            if start < end:
                # "etc." ends a sentence when a capital follows; Punkt, told it is an abbreviation, never splits
                for m in _ETC_END.finditer(text, start, end):
                    out.append((start, m.start() + 4))
                    start = m.end()
                out.append((start, end))
        return out

    def split(self, text: str) -> list[str]:
        return [text[a:b] for a, b in self.spans(text)]

    @classmethod
    def for_book(cls, book: Book) -> "SentenceSplitter":
        return cls("\n\n".join(c.text for c in book.chapters))


@dataclass(slots=True)
class _Piece:
    start: int               # span in the paragraph's text
    end: int
    normalized: str
    seconds: float
    ends_line: bool = False  # the end of a verse line
    ends_sentence: bool = True


class Segmenter:
    """Chapters to segments. `chars_per_second` is the engine's speaking-rate estimate on normalized text."""

    def __init__(self, splitter: SentenceSplitter, lexicon: Lexicon | None = None,
                 chars_per_second: float = D.HIBARI_CHARS_PER_S, min_s: float = D.SEGMENT_MIN_S,
                 max_s: float = D.SEGMENT_MAX_S, merge_max_s: float = D.SEGMENT_MERGE_MAX_S):
        self.splitter = splitter
        self.lexicon = lexicon
        self.cps = chars_per_second
        self.min_s = min_s
        self.max_s = max_s
        self.merge_max_s = max(merge_max_s, max_s)
        self.warnings: list[str] = []

    def normalize(self, text: str, heading: bool = False) -> str:
        return normalize(text, self.lexicon, heading=heading, quotes_fixed=True)

    def estimate(self, normalized: str) -> float:
        """Expected seconds of speech for normalized text."""
        return len(normalized) / self.cps

    # --- pieces: sentences, verse lines, or parts of a long sentence -------------------------------------
    def _units(self, para: Paragraph) -> list[tuple[int, int, bool]]:
        text = para.text
        if para.kind == ParagraphKind.VERSE:
            return [(m.start(), m.end(), True) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
        if para.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING):
            return [(0, len(text), False)]
        return [(a, b, False) for a, b in self.splitter.spans(text.replace("\n", " "))]

    def _piece(self, fixed: str, a: int, b: int, heading: bool, line: bool, sentence_end: bool) -> _Piece:
        norm = self.normalize(fixed[a:b], heading)
        return _Piece(a, b, norm, self.estimate(norm), line, sentence_end)

    def _split_long(self, fixed: str, a: int, b: int, heading: bool, line: bool) -> list[_Piece]:
        """A sentence longer than max_s: cut at clause ends, then at spaces, into pieces of about equal
        length, never inside a word. Linear in the sentence's length."""
        whole = self._piece(fixed, a, b, heading, line, True)
        if whole.seconds <= self.max_s:
            return [whole]
        parts = -(-whole.seconds // (self.max_s * 0.85))          # how many pieces, with some headroom
        target = (b - a) / parts                                  # original characters per piece
        cuts = [m.end() for m in _CLAUSE_END.finditer(fixed, a, b)]
        spaces = [m.start() for m in _SPACE.finditer(fixed, a, b)] if len(cuts) < parts else []
        pieces: list[_Piece] = []
        start = a
        ci = si = 0
        while b - start > target * 1.15:
            ideal = start + target
            lo, hi = start + target * 0.5, start + target * 1.15
            best = None
            while ci < len(cuts) and cuts[ci] <= hi:            # the clause end nearest the ideal cut
                if cuts[ci] >= lo and (best is None or abs(cuts[ci] - ideal) < abs(best - ideal)):
                    best = cuts[ci]
                ci += 1
            if best is None:
                if not spaces:
                    spaces = [m.start() for m in _SPACE.finditer(fixed, a, b)]
                    si = 0
                while si < len(spaces) and spaces[si] <= start:
                    si += 1
                j = si
                while j < len(spaces) and spaces[j] <= hi:
                    if best is None or abs(spaces[j] - ideal) < abs(best - ideal):
                        best = spaces[j]
                    j += 1
                if best is None:                                # no space in reach: the next one, if any
                    best = spaces[j] if j < len(spaces) else None
            if best is None or best >= b:
                break                                           # one enormous word: never cut inside it
            end = best
            while end > start and fixed[end - 1].isspace():
                end -= 1
            if end > start:
                pieces.append(self._piece(fixed, start, end, heading, False, False))
            start = best
            while start < b and fixed[start].isspace():
                start += 1
        if start < b:
            pieces.append(self._piece(fixed, start, b, heading, line, True))
        return pieces

    def _pieces(self, para: Paragraph, fixed: str) -> list[_Piece]:
        heading = para.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING)
        out: list[_Piece] = []
        for a, b, line in self._units(para):
            out.extend(self._split_long(fixed, a, b, heading, line))
        return out

    # --- merging -------------------------------------------------------------------------------------------
    def _merge(self, pieces: list[_Piece]) -> list[list[_Piece]]:
        """Short neighbours within a paragraph merged while the result stays under max_s; a group still
        short is then merged into its shorter neighbour up to merge_max_s."""
        def secs(group: list[_Piece]) -> float:
            return self.estimate(" ".join(p.normalized for p in group if p.normalized))

        groups: list[list[_Piece]] = []
        for piece in pieces:
            if groups and (secs(groups[-1]) < self.min_s or piece.seconds < self.min_s) and \
                    secs(groups[-1] + [piece]) <= self.max_s:
                groups[-1].append(piece)
            else:
                groups.append([piece])
        i = 0
        while len(groups) > 1 and i < len(groups):
            if secs(groups[i]) >= self.min_s:
                i += 1
                continue
            options = []
            if i > 0:
                options.append((secs(groups[i - 1] + groups[i]), i - 1))
            if i + 1 < len(groups):
                options.append((secs(groups[i] + groups[i + 1]), i))
            fits = [o for o in options if o[0] <= self.merge_max_s]
            if not fits:
                i += 1
                continue
            _, left = min(fits)
            groups[left:left + 2] = [groups[left] + groups[left + 1]]
            i = max(left, 0)
        return groups

    # --- chapters ------------------------------------------------------------------------------------------
    def chapter_segments(self, chapter: Chapter) -> list[Segment]:
        segments: list[Segment] = []
        paras = chapter.paragraphs
        scripts: dict[str, None] = {}
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
            text = para.text
            if not text.isascii():
                for s in unsupported_scripts(text):
                    scripts.setdefault(s, None)
            fixed = fix_quotes(text)
            groups = self._merge(self._pieces(para, fixed))
            verse = para.kind == ParagraphKind.VERSE
            heading = para.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING)
            for gi, group in enumerate(groups):
                original = text[group[0].start:group[-1].end]
                if not verse:
                    original = original.replace("\n", " ")
                if len(group) == 1:
                    normalized = group[0].normalized
                elif verse:
                    said = []
                    for k, p in enumerate(group):
                        n = p.normalized
                        if n and k < len(group) - 1 and n[-1] not in ".,;:!?\"'":
                            n += ","              # a verse line ends on a short pause
                        if n:
                            said.append(n)
                    normalized = " ".join(said)
                else:                             # sentences merged: read as one, so a quotation that runs
                    normalized = self.normalize(fixed[group[0].start:group[-1].end], heading)   # across them stays one

                last = gi == len(groups) - 1
                if last:
                    pause = end_pause
                elif group[-1].ends_line:
                    pause = Pause.LINE
                elif not group[-1].ends_sentence:
                    pause = Pause.LINE            # a long sentence cut at a clause: a short breath
                else:
                    pause = Pause.SENTENCE
                segments.append(Segment(chapter=chapter.index, index=len(segments), text=original,
                                        normalized=normalized, pause_after=pause, paragraph=pi,
                                        est_seconds=round(self.estimate(normalized), 3),
                                        sentences=[text[p.start:p.end] for p in group]))
        if scripts:
            msg = (f"chapter {chapter.index} ({chapter.title[:40]}): text in {', '.join(scripts)} script is "
                   "skipped (the English front end cannot read it)")
            self.warnings.append(msg)
            log.warning(msg)
        return segments

    def book_segments(self, book: Book, chapters: Iterable[Chapter] | None = None) -> dict[int, list[Segment]]:
        return {c.index: self.chapter_segments(c) for c in (chapters or book.chapters)}
