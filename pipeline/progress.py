"""What a render reports while it runs, for whoever shows it.

The library draws nothing: `render_book` and `render_shelf` call these hooks, whose defaults do nothing,
and the command line passes its own display (`pipeline.cli.progress`, tqdm bars on stderr).
"""

from __future__ import annotations


class RenderProgress:
    """The events of one book's render. `started` first; then per chapter, in book order, either
    `chapter_reused` (kept as it was) or `chapter_synthesized` and `encoding_started`, with that chapter's
    `chapter_encoded` coming later from an export thread; `segment_done` after each segment synthesized;
    `finished` last (also after an error)."""

    def started(self, title: str, segments: int, chapters: int) -> None:
        """`segments` and `chapters`: what this run renders (its `--chapters`)."""

    def segment_done(self, audio_s: float) -> None:
        """One more segment synthesized; `audio_s`: seconds of audio synthesized so far in this render."""

    def chapter_reused(self, segments: int) -> None:
        """A chapter kept as an earlier run left it; its `segments` are not synthesized."""

    def chapter_synthesized(self) -> None:
        """Every segment of the next chapter is synthesized (or came from the cache)."""

    def encoding_started(self, index: int) -> None:
        """Chapter `index` is being assembled and encoded (beside the next chapter's synthesis)."""

    def chapter_encoded(self, index: int) -> None:
        """Chapter `index` is written (or failed: the error follows)."""

    def finished(self) -> None:
        """The render is over (the whole-book outputs come next)."""


class ShelfProgress:
    """The events of a shelf of books: `started`, then per book `book` (the display for its render) and
    `book_done`, and `finished` last (also after an error)."""

    def started(self, books: int) -> None:
        """`books`: how many books the shelf holds."""

    def book(self) -> RenderProgress:
        """The display for the next book's render."""
        return RenderProgress()

    def book_done(self, audio_s: float, wall_s: float) -> None:
        """A book is rendered, failed or unchanged; `audio_s`: the shelf's audio so far, in `wall_s` seconds."""

    def finished(self) -> None:
        """The shelf is over."""
