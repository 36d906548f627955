"""Build the demo book, `samples/sample.epub`: three short chapters written for this project.

Each chapter has a title, a number and a quotation, so the demo exercises the text front end.
Usage: python scripts/make_sample.py [OUT.epub]
"""

from __future__ import annotations

import sys
from pathlib import Path

from ebooklib import epub

CHAPTERS = [
    (
        "The Lighthouse Keeper",
        [
            "Mara Quill kept the lighthouse on Gannet Point for 23 years, and in all that time the lamp never "
            "once went dark.",
            "Every evening she climbed the 114 steps to the lantern room, trimmed the wick, and wound the clock "
            "that turned the great lens.",
            "\u201cA light that fails only once,\u201d her father had told her, \u201cis a light that cannot be "
            "trusted.\u201d She had never forgotten it.",
        ],
    ),
    (
        "A Letter from the Mainland",
        [
            "On the 3rd of March a boat came across the bay with a single letter in a blue envelope.",
            "The harbour board wrote that the lighthouse would be fitted with an electric lamp by the end of "
            "1898, and that her services would then no longer be required.",
            "Mara read the letter twice, folded it into quarters, and put it in the tin where she kept the "
            "matches. \u201cWe shall see,\u201d she said to the gulls.",
        ],
    ),
    (
        "The Storm",
        [
            "The storm arrived three nights later, and by midnight the wind was blowing at 60 miles an hour.",
            "At two in the morning a fishing boat with 7 men aboard rounded the point, searching for the light.",
            "\u201cThere,\u201d shouted the skipper, pointing at the steady beam above the rocks. \u201cShe is still "
            "awake.\u201d The boat came safely home, and nobody ever spoke of the electric lamp again.",
        ],
    ),
]


def build(out: Path) -> Path:
    book = epub.EpubBook()
    book.set_identifier("render-sample-0001")
    book.set_title("The Keeper of Gannet Point")
    book.set_language("en")
    book.add_author("The Render Project")
    book.add_metadata("DC", "date", "2026-01-01")
    items = []
    for i, (title, paras) in enumerate(CHAPTERS, 1):
        ch = epub.EpubHtml(title=title, file_name=f"chapter-{i}.xhtml", lang="en")
        body = "".join(f"<p>{p}</p>" for p in paras)
        ch.content = (
            f'<html><body><section epub:type="chapter"><h2>{title}</h2>{body}</section></body></html>'
        )
        book.add_item(ch)
        items.append(ch)
    book.toc = [epub.Link(c.file_name, c.title, f"ch{i}") for i, c in enumerate(items, 1)]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    out.parent.mkdir(parents=True, exist_ok=True)
    epub.write_epub(str(out), book)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("samples/sample.epub")
    print(build(target))
