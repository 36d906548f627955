"""The progress display of `render` (tqdm bars on stderr), fed by the events a render reports.

Two lines per book: segments synthesized (x real time, ETA), and chapters finished (encoded or kept) with
the chapters being assembled and encoded right now; a shelf adds a line of books above them.
"""

from __future__ import annotations

import time
from typing import Any

from ..progress import RenderProgress, ShelfProgress


class BookBars(RenderProgress):
    """The two bars of one book's render; `position` 0 for a single book, 1 under a shelf's bar."""

    def __init__(self, position: int = 0) -> None:
        self.position = position
        self.bar: Any = None
        self.ch_bar: Any = None
        self.chapters = 0
        self.synthesized = 0  # chapters whose segments are all synthesized
        self.encoding: list[int] = []  # chapters being assembled and encoded
        self.audio_s = 0.0
        self.t0 = time.perf_counter()

    def started(self, title: str, segments: int, chapters: int) -> None:
        from tqdm.auto import tqdm

        self.t0 = time.perf_counter()
        self.chapters = chapters
        leave = self.position == 0
        self.bar = tqdm(
            total=segments,
            unit="seg",
            dynamic_ncols=True,
            desc=(title or "book")[:30],
            position=self.position,
            leave=leave,
        )
        self.ch_bar = tqdm(
            total=chapters,
            unit="ch",
            dynamic_ncols=True,
            desc="chapters done",
            position=self.position + 1,
            leave=leave,
        )

    def _show(self) -> None:
        elapsed = time.perf_counter() - self.t0
        self.bar.set_postfix_str(
            f"ch {self.synthesized}/{self.chapters} synthesized, {self.audio_s:,.0f} s of audio, "
            f"{self.audio_s / max(elapsed, 1e-9):.0f}x real time",
            refresh=False,
        )
        self.ch_bar.set_postfix_str(
            f"encoding ch {', '.join(map(str, self.encoding))}" if self.encoding else "", refresh=True
        )

    def segment_done(self, audio_s: float) -> None:
        self.audio_s = audio_s
        self.bar.update(1)
        self._show()

    def chapter_reused(self, segments: int) -> None:
        # kept as it was: its segments leave the bar's total, so the rate and ETA are synthesis's
        self.bar.total -= segments
        self.synthesized += 1
        self.ch_bar.update(1)
        self._show()

    def chapter_synthesized(self) -> None:
        self.synthesized += 1

    def encoding_started(self, index: int) -> None:
        self.encoding.append(index)
        self._show()

    def chapter_encoded(self, index: int) -> None:
        self.encoding.remove(index)
        self._show()  # the postfix first, so the count never shows with a finished chapter in it
        self.ch_bar.update(1)

    def finished(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.ch_bar.close()


class ShelfBars(ShelfProgress):
    """A bar of books above each book's own two bars."""

    def __init__(self) -> None:
        self.bar: Any = None

    def started(self, books: int) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=books, unit="book", position=0, dynamic_ncols=True, desc="shelf")

    def book(self) -> RenderProgress:
        return BookBars(position=1)

    def book_done(self, audio_s: float, wall_s: float) -> None:
        self.bar.update(1)
        self.bar.set_postfix_str(
            f"audio {audio_s / 3600:.2f} h {audio_s / max(wall_s, 1e-9):.0f}x RT", refresh=False
        )

    def finished(self) -> None:
        if self.bar is not None:
            self.bar.close()
