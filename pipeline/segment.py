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
from dataclasses import dataclass, field

from . import defaults as D
from .headings import said_title
from .normalize import Lexicon, fix_quotes, normalize, unsupported_scripts
from .normalize.abbreviations import CATEGORY as ABBREVIATION_CATEGORY
from .normalize.abbreviations import ends_with_abbreviation
from .normalize.words import is_roman_heading, roman_value
from .pace import speech_seconds
from .records import Book, Chapter, Paragraph, ParagraphKind, Pause, Segment

log = logging.getLogger(__name__)

# abbreviations Punkt should never end a sentence on (lower case, no final period): the titles and business
# words of the abbreviation table, and the rest of what books write before a full stop mid-sentence
KNOWN_ABBREVIATIONS = (
    ABBREVIATION_CATEGORY["title"]
    | ABBREVIATION_CATEGORY["business"]
    | {
        "vs",
        "v",
        "etc",
        "e.g",
        "i.e",
        "mt",
        "ft",
        "fig",
        "vol",
        "pp",
        "p",
        "ch",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "a.m",
        "p.m",
        "b.c",
        "a.d",
        "approx",
        "est",
        "govt",
        "viz",
        "cf",
        "ibid",
        "op",
        "cit",
        "ave",
        "rd",
        "blvd",
        "sq",
        "ed",
        "lb",
        "lbs",
        "oz",
        "yd",
        "yds",
        "mi",
        "hr",
        "hrs",
        "min",
        "sec",
        "&c",
    }
)
_CLAUSE_END = re.compile(r"[;:,\u2014\u2013](?= )|(?<= )-{1,2}(?= )")  # cut after it, at the space
_SPACE = re.compile(r"\s+")
_NUMBER_ABBR_END = re.compile(r"(?<![\w.])(?:[Nn]os?|pp?)\.$")  # "No. 5": the number belongs to it
# titles that never end a sentence: Punkt's orthographic guess may still split "St. | Andrews"
_TITLE_END = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Ms|Messrs|Mme|Mlle|Dr|St|Capt|Col|Gen|Lt|Sgt|Prof|Rev|Hon|Sen|Gov)\.$"
)
_ETC_END = re.compile(r"(?<![\w.])etc\.\s+(?=[\"\u201c\u2018']?[A-Z])")
_TRAINING_CHARS = 2_000_000  # Punkt learns enough from the first 2 MB of a book
_PUNKT_WINDOW = 20_000  # characters Punkt reads at once (see SentenceSplitter._raw_spans)
_WINDOW_END = re.compile(r"[.!?][\"')\]\u201d\u2019]{0,3}\s")
_DENSE_END = re.compile(r"(?<=[.!?])\s+")


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

    def _raw_spans(self, text: str):
        """Punkt's spans, on windows of at most about `_PUNKT_WINDOW` characters cut after a sentence end
        (Punkt's own regular expressions give up after 5 s, and a 10 MB paragraph would take longer);
        a window dense with . ! ? (no prose is) is split at whitespace after them instead, in one pass."""
        n = len(text)
        pos = 0
        while pos < n:
            end = n
            if n - pos > _PUNKT_WINDOW:
                m = _WINDOW_END.search(text, pos + _PUNKT_WINDOW, pos + _PUNKT_WINDOW + 4_000)
                if m is None:
                    m = _SPACE.search(text, pos + _PUNKT_WINDOW)
                end = m.end() if m else n
            window = text[pos:end]
            if window.count(".") + window.count("!") + window.count("?") > len(window) / 8:
                start = 0
                for m in _DENSE_END.finditer(window):
                    yield pos + start, pos + m.start()
                    start = m.end()
                yield pos + start, end
            else:
                for a, b in self._tokenizer.span_tokenize(window):
                    yield pos + a, pos + b
            pos = end

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans of `text`, whitespace outside them; empty sentences left out."""
        out: list[tuple[int, int]] = []
        for start, end in self._raw_spans(text):
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if (
                start < end
                and out
                and (
                    start == out[-1][1]  # no space between: "Really?:" is one word, never cut
                    or (
                        text[start].isdigit()
                        and _NUMBER_ABBR_END.search(text, max(out[-1][0], out[-1][1] - 6), out[-1][1])
                    )
                    or (
                        text[start].isupper()
                        and _TITLE_END.search(text, max(out[-1][0], out[-1][1] - 8), out[-1][1])
                    )
                    or _abbreviation_then_lower(text, out[-1], start)
                )
            ):
                start = out.pop()[0]
            if start < end:
                out.append((start, end))
        # "etc." ends a sentence when a capital follows; Punkt, told it is an abbreviation, never splits there
        if "etc." not in text:
            return out
        split: list[tuple[int, int]] = []
        for start, end in out:
            for m in _ETC_END.finditer(text, start, end):
                split.append((start, m.start() + 4))
                start = m.end()
            split.append((start, end))
        return split

    def split(self, text: str) -> list[str]:
        return [text[a:b] for a, b in self.spans(text)]

    @classmethod
    def for_book(cls, book: Book) -> SentenceSplitter:
        """Punkt trained on the book's prose: paragraphs of ordinary length and punctuation only (Punkt's
        trainer is slow on, and learns nothing from, a 10 MB line of dots), up to 2 MB."""
        parts: list[str] = []
        size = 0
        for c in book.chapters:
            for p in c.paragraphs:
                if _trainable(p.text):
                    parts.append(p.text)
                    size += len(p.text) + 2
                    if size > _TRAINING_CHARS:
                        return cls("\n\n".join(parts))
        return cls("\n\n".join(parts))


def _abbreviation_then_lower(text: str, previous: tuple[int, int], start: int) -> bool:
    """ "a 2 ft. 6 in. | truckle bed": a cut after an abbreviation's full stop before a lower-case word is no
    sentence end (`pipeline.normalize.abbreviations`)."""
    return text[start].islower() and ends_with_abbreviation(
        text[max(previous[0], previous[1] - 24) : previous[1]]
    )


def _trainable(text: str) -> bool:
    n = len(text)
    return (
        0 < n <= _PUNKT_WINDOW
        and text.count(" ") * 30 >= n
        and (text.count(".") + text.count("!") + text.count("?")) * 8 <= n
    )


@dataclass(slots=True)
class _Piece:
    start: int  # span in the paragraph's text
    end: int
    normalized: str
    seconds: float
    ends_line: bool = False  # the end of a verse line
    ends_sentence: bool = True


def roman_numbered_headings(book: Book) -> bool:
    """Whether the book numbers its headings with Roman numerals (I, II, III ...), so that a lone "I", "V"
    or "X" heading is read as a number like "II" is, consistently. A book whose headings are single letters
    that are not all numerals (A, B, C: a dictionary) keeps them as letters."""
    titles = [
        p.text.strip()
        for ch in book.chapters
        for p in ch.paragraphs
        if p.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING)
    ]
    numerals = [r for r in map(is_roman_heading, titles) if r]
    letters = {
        t.rstrip(".") for t in titles if len(t.rstrip(".")) == 1 and t[:1].isalpha() and t[:1].isupper()
    }
    if letters - set("IVXLCDM"):
        return False  # A, B, C ... headings: letters, not numbers
    values = [roman_value(r) for r in numerals]
    return (len(values) >= 2 and any(len(r) > 1 for r in numerals) and 1 in values) or (
        len(values) >= 3 and values == sorted(values)
    )


# a line ending on one of these runs on into the next ("To / my brother"): no pause is made after it
_RUN_ON_WORDS = frozenset(
    """to of the a an and or nor but my his her their our your its in on at for with by from
into upon that as than""".split()
)


def _verse_lines(lines: list[str]) -> str:
    """Verse (or dedication) lines read as lines: each keeps its own marks, and one with none ends on a short
    pause (a comma) unless its last word cannot end a phrase ("To / my brother" runs on); nothing else is
    added (a line's comma never becomes a full stop)."""
    said = []
    for k, n in enumerate(lines):
        last = n.rsplit(" ", 1)[-1].lower()
        if k < len(lines) - 1 and n[-1] not in ".,;:!?\"'" and last not in _RUN_ON_WORDS:
            n += ","
        said.append(n)
    return " ".join(said)


def _continuation(original: str, normalized: str) -> str:
    """A piece cut from inside a long sentence is voiced as a continuation: the comma or semicolon it was cut
    after stays (normalization closes a fragment with a full stop, which drops the voice mid-sentence)."""
    mark = original.rstrip()[-1:]
    if mark in ",;" and normalized.endswith("."):
        return normalized[:-1] + mark
    if mark in ",;" and normalized.endswith('."'):
        return normalized[:-2] + mark + '"'
    return normalized


@dataclass(slots=True)
class SegmentedChapter:
    """One chapter's segments, and what the segmenter noticed on the way (one line each, also logged)."""

    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Tally:
    """Counts kept while one chapter is segmented (never across chapters: the stage is a pure function)."""

    hard_cuts: int = 0


class Segmenter:
    """Chapters to segments. `chars_per_second` is the engine's speaking-rate estimate on normalized text.
    Holds settings only: `segment(chapter)` is a function of the chapter alone."""

    def __init__(
        self,
        splitter: SentenceSplitter,
        lexicon: Lexicon | None = None,
        chars_per_second: float = D.HIBARI_CHARS_PER_S,
        min_s: float = D.SEGMENT_MIN_S,
        max_s: float = D.SEGMENT_MAX_S,
        merge_max_s: float = D.SEGMENT_MERGE_MAX_S,
        numbered_headings: bool = False,
        heading_numbers: str = D.HEADING_NUMBERS,
    ):
        self.splitter = splitter
        self.heading_numbers = heading_numbers  # "chapter": a bare-number title is read "Chapter One"
        self.numbered_headings = numbered_headings  # see `roman_numbered_headings`
        self.lexicon = lexicon
        self.cps = chars_per_second
        self.min_s = min_s
        self.max_s = max_s
        self.merge_max_s = max(merge_max_s, max_s)

    def normalize(self, text: str, heading: bool = False) -> str:
        return normalize(
            text,
            self.lexicon,
            heading=heading,
            quotes_fixed=True,
            numbered_headings=heading and self.numbered_headings,
        )

    def estimate(self, normalized: str) -> float:
        """Seconds of speech for normalized text at this rate (`pipeline.pace.speech_seconds`): the segment
        bounds (`min_s`, `max_s`) are on speech, as `_merge` counts them in characters."""
        return speech_seconds(normalized, self.cps)

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
        if not sentence_end or line:  # a verse line keeps its own comma (no full stop made of it)
            norm = _continuation(fixed[a:b], norm)
        return _Piece(a, b, norm, self.estimate(norm), line, sentence_end)

    def _split_long(
        self, fixed: str, a: int, b: int, heading: bool, line: bool, tally: _Tally
    ) -> list[_Piece]:
        """A sentence longer than max_s: cut at clause ends, then at spaces, into pieces of about equal
        length, never inside a word. Linear in the sentence's length."""
        whole = self._piece(fixed, a, b, heading, line, True)
        if whole.seconds <= self.max_s:
            return [whole]
        parts = -(-whole.seconds // (self.max_s * 0.85))  # how many pieces, with some headroom
        target = (b - a) / parts  # original characters per piece
        cuts = [m.end() for m in _CLAUSE_END.finditer(fixed, a, b)]
        spaces = [m.start() for m in _SPACE.finditer(fixed, a, b)] if len(cuts) < parts else None
        pieces: list[_Piece] = []
        start = a
        ci = si = 0
        while b - start > target * 1.15:
            ideal = start + target
            lo, hi = start + target * 0.5, start + target * 1.15
            best = None
            while ci < len(cuts) and cuts[ci] <= hi:  # the clause end nearest the ideal cut
                if cuts[ci] >= lo and (best is None or abs(cuts[ci] - ideal) < abs(best - ideal)):
                    best = cuts[ci]
                ci += 1
            if best is None:
                if spaces is None:
                    spaces = [m.start() for m in _SPACE.finditer(fixed, a, b)]
                    si = 0
                while si < len(spaces) and spaces[si] <= start:
                    si += 1
                j = si
                while j < len(spaces) and spaces[j] <= hi:
                    if best is None or abs(spaces[j] - ideal) < abs(best - ideal):
                        best = spaces[j]
                    j += 1
                if best is None:  # no space in reach: the next one, if any
                    best = spaces[j] if j < len(spaces) else None
                    if best is None or best - start > self._hard_chars(target):
                        best = self._hard_cut(fixed, start, int(lo), int(ideal), int(hi))
                        tally.hard_cuts += 1
            if best is None or best >= b:
                break
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

    def _hard_chars(self, target: float) -> float:
        """A run without spaces longer than this is no word: it is cut (with a warning), not read whole."""
        return max(3 * target, self.merge_max_s * self.cps * 2)

    def _hard_cut(self, fixed: str, start: int, lo: int, ideal: int, hi: int) -> int:
        """Where to cut a run with no space in it: after the punctuation mark nearest the ideal point, or at
        the ideal point itself. The caller counts it, so the chapter's warning can say how often it happened."""
        best = None
        for k in range(max(lo, start + 1), min(hi, len(fixed))):
            if not fixed[k - 1].isalnum() and (best is None or abs(k - ideal) < abs(best - ideal)):
                best = k
        return best if best is not None else max(ideal, start + 1)

    def _pieces(self, para: Paragraph, fixed: str, tally: _Tally) -> list[_Piece]:
        heading = para.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING)
        out: list[_Piece] = []
        for a, b, line in self._units(para):
            out.extend(self._split_long(fixed, a, b, heading, line, tally))
        return out

    # --- merging -------------------------------------------------------------------------------------------
    def _merge(self, pieces: list[_Piece]) -> list[list[_Piece]]:
        """Short neighbours within a paragraph merged while the result stays under max_s; a group still
        short is then merged into its shorter neighbour up to merge_max_s. Linear: a group's length in
        normalized characters is carried along, not recomputed."""

        def joined(x: int, y: int) -> int:
            return x + y + 1 if x and y else x + y

        groups: list[list[_Piece]] = []
        chars: list[int] = []
        min_c, max_c, merge_c = self.min_s * self.cps, self.max_s * self.cps, self.merge_max_s * self.cps
        for piece in pieces:
            n = len(piece.normalized)
            if groups and (chars[-1] < min_c or n < min_c) and joined(chars[-1], n) <= max_c:
                groups[-1].append(piece)
                chars[-1] = joined(chars[-1], n)
            else:
                groups.append([piece])
                chars.append(n)
        i = 0
        while len(groups) > 1 and i < len(groups):
            if chars[i] >= min_c:
                i += 1
                continue
            options = []
            if i > 0:
                options.append((joined(chars[i - 1], chars[i]), i - 1))
            if i + 1 < len(groups):
                options.append((joined(chars[i], chars[i + 1]), i))
            fits = [o for o in options if o[0] <= merge_c]
            if not fits:
                i += 1
                continue
            size, left = min(fits)
            groups[left : left + 2] = [groups[left] + groups[left + 1]]
            chars[left : left + 2] = [size]
            i = left
        return groups

    def _said_title(self, chapter: Chapter, text: str, normalized: str) -> str:
        """The chapter's own title as announced (`pipeline.headings.said_title`: "Chapter One" for "I")."""
        said = said_title(text, chapter.parents, self.heading_numbers, self.numbered_headings)
        return normalized if said == text else self.normalize(said, heading=True)

    # --- chapters ------------------------------------------------------------------------------------------
    def chapter_segments(self, chapter: Chapter) -> list[Segment]:
        """The chapter's segments (its warnings are logged; `segment` returns them too)."""
        return self.segment(chapter).segments

    def segment(self, chapter: Chapter) -> SegmentedChapter:
        """The chapter's segments, each with the pause after it, and the chapter's warnings."""
        segments: list[Segment] = []
        tally = _Tally()
        paras = chapter.paragraphs
        scripts: dict[str, None] = {}
        own_title = 0  # the chapter's own title: the last of the title paragraphs it opens with
        while own_title + 1 < len(paras) and paras[own_title + 1].kind == ParagraphKind.TITLE:
            own_title += 1
        for pi, para in enumerate(paras):
            end_pause = _paragraph_pause(para, paras[pi + 1] if pi + 1 < len(paras) else None)
            text = para.text
            if not text.isascii():
                for s in unsupported_scripts(text):
                    scripts.setdefault(s, None)
            fixed = fix_quotes(text)
            groups = self._merge(self._pieces(para, fixed, tally))
            verse = para.kind == ParagraphKind.VERSE
            heading = para.kind in (ParagraphKind.TITLE, ParagraphKind.HEADING)
            for gi, group in enumerate(groups):
                original = text[group[0].start : group[-1].end]
                if not verse:
                    original = original.replace("\n", " ")
                if len(group) == 1:
                    normalized = group[0].normalized
                elif verse:
                    normalized = _verse_lines([p.normalized for p in group if p.normalized])
                else:  # sentences merged: read as one, so a quotation that runs
                    normalized = self.normalize(
                        fixed[group[0].start : group[-1].end], heading
                    )  # across them stays one
                    if not group[-1].ends_sentence:
                        normalized = _continuation(fixed[group[0].start : group[-1].end], normalized)

                if para.kind == ParagraphKind.TITLE and pi == own_title:
                    normalized = self._said_title(chapter, text, normalized)
                pause = end_pause if gi == len(groups) - 1 else _inner_pause(group[-1])
                segments.append(
                    Segment(
                        chapter=chapter.index,
                        index=len(segments),
                        text=original,
                        normalized=normalized,
                        pause_after=pause,
                        paragraph=pi,
                        est_seconds=round(self.estimate(normalized), 3),
                        sentences=[text[p.start : p.end] for p in group],
                    )
                )
        notes = _chapter_notes(chapter, tally.hard_cuts, list(scripts))
        for msg in notes:
            log.warning(msg)
        return SegmentedChapter(segments, notes)


def _paragraph_pause(para: Paragraph, nxt: Paragraph | None) -> Pause:
    """The pause after a paragraph's last segment, by what it is and what follows it."""
    if para.kind == ParagraphKind.TITLE:
        return Pause.TITLE
    if nxt is None:
        return Pause.END
    if para.kind == ParagraphKind.HEADING or nxt.section_break_before or nxt.kind == ParagraphKind.HEADING:
        return Pause.SECTION
    return Pause.PARAGRAPH


def _inner_pause(piece: _Piece) -> Pause:
    """The pause after a segment inside its paragraph, by how its last piece ends."""
    if piece.ends_line:
        return Pause.LINE
    if not piece.ends_sentence:
        return Pause.LINE  # a long sentence cut at a clause: a short breath
    return Pause.SENTENCE


def _chapter_notes(chapter: Chapter, hard_cuts: int, scripts: list[str]) -> list[str]:
    """What the reader should know about a chapter's text: hard cuts, scripts the front end skips."""
    notes: list[str] = []
    if hard_cuts:
        notes.append(
            f"chapter {chapter.index} ({chapter.title[:40]}): {hard_cuts} cut(s) inside runs of "
            "text with no spaces, too long to read as one piece"
        )
    if scripts:
        notes.append(
            f"chapter {chapter.index} ({chapter.title[:40]}): text in {', '.join(scripts)} script is "
            "skipped (the English front end cannot read it)"
        )
    return notes
