"""What Audiobookshelf makes of our files. Its scanner reads tags with ffprobe (format-level tags, matched
case-insensitively: server/utils/prober.js) and maps them to the book (AudioFileScanner
setBookMetadataFromAudioMetaTags): album or title -> title, artist or album_artist -> authors, composer ->
narrators (split at ',', '&', ';', ' and '), genre, date -> publishedYear, description or comment,
publisher, language or lang, series and series-part, isbn. ffmpeg's ffmetadata output is the same
libavformat tag dictionary ffprobe prints, so these tests read it and apply that mapping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import OutputConfig
from pipeline.export.encode import encode
from pipeline.export.tags import isbn_of, tag_m4b, tag_mp3, tag_vorbis
from pipeline.ffmpeg import run_ffmpeg
from pipeline.layout import narrator_name
from pipeline.records import Book, Chapter

# prober.js: the tag names it tries for each field, in order
ABS_TAGS = {
    "title": ("title", "tit2", "tt2"),
    "album": ("album", "talb", "tal"),
    "artist": ("artist", "tpe1", "tp1"),
    "albumartist": ("albumartist", "album_artist", "tpe2"),
    "date": ("date", "tyer", "tye"),
    "composer": ("composer", "tcom", "tcm"),
    "publisher": ("publisher", "tpub", "tpb"),
    "comment": ("comment", "comm", "com"),
    "description": ("description", "desc"),
    "genre": ("genre", "tcon", "tco"),
    "series": ("series", "show", "mvnm"),
    "seriespart": ("series-part", "episode_id", "mvin", "part"),
    "isbn": ("isbn",),
    "language": ("language", "lang"),
}


def _ffmetadata(path: Path, *select: str) -> dict[str, str]:
    meta = run_ffmpeg(["-i", str(path), *select, "-f", "ffmetadata", "-"]).stdout.decode("utf-8")
    head = re.split(r"^\[(?:CHAPTER|STREAM)\]$", meta, flags=re.M)[0]
    tags: dict[str, str] = {}
    for line in head.splitlines()[1:]:
        key, sep, value = line.partition("=")
        if sep and key != "encoder":  # the ffmetadata writer adds its own encoder line
            tags[key] = (
                value.replace("\\=", "=").replace("\\;", ";").replace("\\#", "#").replace("\\\\", "\\")
            )
    return tags


def format_tags(path: Path) -> dict[str, str]:
    """The tags the scanner reads: the file's format-level tags as libavformat reads them (ffprobe's
    format.tags), or the audio stream's when the format has none (prober.js parseProbeData; Ogg keeps its
    comments on the stream)."""
    return _ffmetadata(path) or _ffmetadata(path, "-map_metadata", "0:s:a:0")


def _names(value: str | None) -> list[str]:
    """parseNameString.parse, as far as splitting goes."""
    if not value:
        return []
    for sep in ("&", " and ", ";"):
        if sep in value:
            return [n.strip() for part in value.split(sep) for n in part.split(",") if n.strip()]
    return [n.strip() for n in value.split(",") if n.strip()]


def abs_book(path: Path) -> dict:
    """The book Audiobookshelf's scanner builds from one file's tags."""
    tags = format_tags(path)

    def grab(field: str) -> str | None:
        for name in ABS_TAGS[field]:
            key = next((k for k in tags if k.lower() == name), None)
            if key and tags[key].strip():
                return tags[key].strip()
        return None

    return {
        "title": grab("album") or grab("title"),
        "authors": _names(grab("artist") or grab("albumartist")),
        "narrators": _names(grab("composer")),
        "genres": [grab("genre")] if grab("genre") else [],
        "publishedYear": grab("date"),
        "description": grab("description") or grab("comment"),
        "publisher": grab("publisher"),
        "language": grab("language"),
        "isbn": grab("isbn"),
        "series": [{"name": grab("series"), "sequence": grab("seriespart")}] if grab("series") else [],
    }


BOOK = Book(
    title="The Heron",
    authors=["Ada Finch", "Ben Marsh"],
    chapters=[Chapter(1, "Dawn", [])],
    language="en-GB",
    publisher="Marsh Press",
    date="1898",
    description="A year on the marsh; herons & rain.",
    identifier="urn:isbn:978-0-14-143951-8",
    series="The Marsh Books",
    series_index="2",
)
NARRATOR = narrator_name({"engine": "hibari", "version": "0.2.1", "voice": "heart", "speed": 1.0})
EXPECTED = {
    "title": "The Heron",
    "authors": ["Ada Finch", "Ben Marsh"],
    "narrators": [NARRATOR],
    "genres": ["Audiobook"],
    "publishedYear": "1898",
    "description": BOOK.description,
    "publisher": "Marsh Press",
    "language": "en-GB",
    "isbn": "978-0-14-143951-8",
    "series": [{"name": "The Marsh Books", "sequence": "2"}],
}


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "flac", "opus"])
def test_audiobookshelf_reads_every_field_from_our_tags(tmp_path, fmt):
    cfg = OutputConfig()
    path = tmp_path / f"book.{ {'m4b': 'm4b', 'opus': 'opus'}.get(fmt, fmt) }"
    encode(np.zeros(24_000, np.float32), 24_000, path, fmt, cfg)
    if fmt == "mp3":
        tag_mp3(path, BOOK, "Dawn", 1, 1, "a comment", None, NARRATOR)
    elif fmt == "m4b":
        tag_m4b(path, BOOK, "a comment", None, NARRATOR)
    else:
        tag_vorbis(path, fmt, BOOK, "Dawn", 1, 1, "a comment", None, NARRATOR)
    assert abs_book(path) == EXPECTED


@pytest.mark.parametrize(
    "identity, name",
    [
        ({"engine": "hibari", "voice": "heart"}, "hibari (voice heart)"),
        ({"engine": "soprano", "engine_version": "1"}, "Soprano-80M"),
        ({"engine": "hibari", "voice": "a, b & c"}, "hibari (voice a b c)"),
    ],
)
def test_the_narrator_is_one_person_to_audiobookshelf(identity, name):
    assert narrator_name(identity) == name and _names(name) == [name]


def test_isbn_only_when_the_identifier_is_one():
    for ident, isbn in (
        ("urn:isbn:9780141439518", "9780141439518"),
        ("ISBN:0-14-143951-X", "0-14-143951-X"),
        ("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427", ""),
        ("https://standardebooks.org/x", ""),
        ("12345", ""),
    ):
        assert isbn_of(Book(title="t", authors=[], chapters=[], identifier=ident)) == isbn, ident


def test_metadata_json_is_what_audiobookshelf_parses(tmp_path):
    """abmetadataGenerator.parseJson keeps only known keys of known types (strings, string arrays, booleans),
    parses "Name #2" series strings, and drops the chapters unless each has a numeric start and end and a
    title: every key we write must survive that."""
    from pipeline.export.book import abs_metadata
    from pipeline.records import ChapterRecord

    def record(index, title, start, end):
        return ChapterRecord(
            index,
            title,
            title,
            1,
            [],
            {"mp3": f"{index:02d}.mp3"},
            f"{index:02d}.mp3",
            end - start,
            int((end - start) * 24000),
            24000,
            1,
            start=start,
            end=end,
        )

    chapters = [record(1, "Dawn", 0.0, 12.5), record(2, "Dusk", 12.5, 30.25)]
    data = json.loads(json.dumps(abs_metadata(BOOK, chapters, NARRATOR)))
    strings = {
        "title",
        "subtitle",
        "publishedYear",
        "publishedDate",
        "publisher",
        "description",
        "isbn",
        "asin",
        "language",
    }
    arrays = {"tags", "authors", "narrators", "series", "genres"}
    assert set(data) <= strings | arrays | {"explicit", "abridged", "chapters"}
    for key in strings:
        assert data[key] is None or isinstance(data[key], str), key
    for key in arrays:
        assert isinstance(data[key], list) and all(isinstance(v, str) for v in data[key]), key
    name, _, seq = data["series"][0].rpartition(" #")
    assert (name, seq) == ("The Marsh Books", "2")
    assert data["publishedYear"] == "1898" and data["isbn"] == "978-0-14-143951-8"
    assert data["authors"] == ["Ada Finch", "Ben Marsh"] and data["narrators"] == [NARRATOR]
    for i, c in enumerate(data["chapters"]):
        assert isinstance(c["start"], (int, float)) and isinstance(c["end"], (int, float)) and c["title"]
        assert c["id"] == i
