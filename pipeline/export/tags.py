"""Tags for each container: ID3 (MP3, WAV), Vorbis comments (FLAC, Opus) and MP4 atoms (M4B), with the
book's metadata the way audiobook servers read it, and the cover."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..records import Book

if TYPE_CHECKING:
    from mutagen.id3 import Frame

GENRE = "Audiobook"


def isbn_of(book: Book) -> str:
    """The book's ISBN when its identifier is one ("urn:isbn:978-...", "978..."), else ""."""
    isbn = re.sub(r"^(?:urn:)?isbn:", "", book.identifier or "", flags=re.I).strip()
    return isbn if re.fullmatch(r"(?:\d[- ]?){9}[\dXx]|(?:\d[- ]?){12}\d", isbn) else ""


def _id3_frames(
    book: Book,
    title: str,
    track: int,
    total: int,
    comment: str,
    cover: tuple[bytes, str] | None,
    narrator: str = "",
) -> list[Frame]:
    from mutagen.id3 import APIC, COMM, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK

    frames: list[Frame] = [
        TIT2(encoding=3, text=title),
        TALB(encoding=3, text=book.title),
        TPE1(encoding=3, text=book.author),
        TPE2(encoding=3, text=book.author),
        TRCK(encoding=3, text=f"{track}/{total}"),
        TPOS(encoding=3, text="1/1"),
        TCON(encoding=3, text=GENRE),
        COMM(encoding=3, lang="eng", desc="", text=comment),
    ]
    if book.year:
        frames.append(TDRC(encoding=3, text=book.year))
    # what Audiobookshelf and other audiobook servers read besides the basics: narrator as composer,
    # publisher, language, description
    from mutagen.id3 import TCOM, TLAN, TPUB, TXXX

    if narrator:
        frames.append(TCOM(encoding=3, text=narrator))
    if book.publisher:
        frames.append(TPUB(encoding=3, text=book.publisher))
    if book.language:
        frames.append(TLAN(encoding=3, text=book.language))
    if book.description:
        frames.append(TXXX(encoding=3, desc="description", text=book.description))
    if book.series:
        frames.append(TXXX(encoding=3, desc="series", text=book.series))
        if book.series_index:
            frames.append(TXXX(encoding=3, desc="series-part", text=book.series_index))
    if isbn_of(book):
        frames.append(TXXX(encoding=3, desc="isbn", text=isbn_of(book)))
    if cover:
        frames.append(APIC(encoding=3, mime=cover[1], type=3, desc="Cover", data=cover[0]))
    return frames


def tag_mp3(
    path: Path,
    book: Book,
    title: str,
    track: int,
    total: int,
    comment: str,
    cover: tuple[bytes, str] | None = None,
    narrator: str = "",
) -> None:
    """ID3v2.3 tags and the cover (APIC) on an MP3."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    for frame in _id3_frames(book, title, track, total, comment, cover, narrator):
        tags.add(frame)
    tags.save(path, v2_version=3)


def tag_wav(
    path: Path,
    book: Book,
    title: str,
    track: int,
    total: int,
    comment: str,
    cover: tuple[bytes, str] | None = None,
    narrator: str = "",
) -> None:
    """The same ID3 frames in a WAV's "id3 " chunk (read by mutagen, foobar2000, Mp3tag, most players)."""
    from mutagen.wave import WAVE

    f = WAVE(path)
    if f.tags is None:
        f.add_tags()
    assert f.tags is not None
    for frame in _id3_frames(book, title, track, total, comment, cover, narrator):
        f.tags.add(frame)
    f.save(v2_version=3)


def _flac_picture(cover: tuple[bytes, str]):
    from mutagen.flac import Picture
    from PIL import Image

    pic = Picture()
    pic.type, pic.mime, pic.desc, pic.data = 3, cover[1], "Cover", cover[0]
    pic.width, pic.height = Image.open(io.BytesIO(cover[0])).size
    pic.depth = 24
    return pic


def tag_vorbis(
    path: Path,
    fmt: str,
    book: Book,
    title: str,
    track: int,
    total: int,
    comment: str,
    cover: tuple[bytes, str] | None = None,
    narrator: str = "",
) -> None:
    """Vorbis comments (FLAC, Opus), cover as a FLAC picture block."""
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus

    f: FLAC | OggOpus = FLAC(path) if fmt == "flac" else OggOpus(path)
    values = {
        "title": title,
        "album": book.title,
        "artist": book.author,
        "albumartist": book.author,
        "tracknumber": str(track),
        "tracktotal": str(total),
        "discnumber": "1",
        "genre": GENRE,
    }
    # readers (ffmpeg, so Audiobookshelf) take DESCRIPTION and COMMENT as one field: the book's description
    # wins it, and our note then goes to ENCODEDBY (Mp3tag's and foobar2000's name for it)
    values["encodedby" if book.description else "comment"] = comment
    if book.year:
        values["date"] = book.year
    for key, value in (
        ("composer", narrator),
        ("publisher", book.publisher),
        ("language", book.language),
        ("description", book.description),
        ("series", book.series),
        ("series-part", book.series_index),
        ("isbn", isbn_of(book)),
    ):
        if value:
            values[key] = value
    for key, value in values.items():
        f[key] = [value]
    if cover:
        pic = _flac_picture(cover)
        if isinstance(f, FLAC):
            f.clear_pictures()
            f.add_picture(pic)
        else:
            f["metadata_block_picture"] = [base64.b64encode(pic.write()).decode("ascii")]
    f.save()


def tag_m4b(
    path: Path, book: Book, comment: str, cover: tuple[bytes, str] | None = None, narrator: str = ""
) -> None:
    from mutagen.mp4 import MP4, MP4Cover

    f = MP4(path)
    f["\xa9nam"] = [book.title]
    f["\xa9alb"] = [book.title]
    f["\xa9ART"] = [book.author]
    f["aART"] = [book.author]
    f["\xa9gen"] = [GENRE]
    f["\xa9cmt"] = [comment]
    f["trkn"] = [(1, 1)]
    f["disk"] = [(1, 1)]
    f["stik"] = [2]  # media kind: audiobook
    if book.year:
        f["\xa9day"] = [book.year]
    if narrator:
        f["\xa9wrt"] = [narrator]  # composer: the narrator, as audiobook servers read it
    if book.description:
        f["desc"] = [book.description[:255]]
        f["ldes"] = [book.description]
    # freeform atoms: ffprobe (what Audiobookshelf reads tags with) names them PUBLISHER, LANGUAGE, ISBN...
    if book.publisher:
        f["----:com.apple.iTunes:PUBLISHER"] = [book.publisher.encode("utf-8")]
    if book.language:
        f["----:com.apple.iTunes:LANGUAGE"] = [book.language.encode("utf-8")]
    if isbn_of(book):
        f["----:com.apple.iTunes:ISBN"] = [isbn_of(book).encode("utf-8")]
    if book.series:
        f["----:com.apple.iTunes:SERIES"] = [book.series.encode("utf-8")]
        if book.series_index:
            f["----:com.apple.iTunes:SERIES-PART"] = [book.series_index.encode("utf-8")]
    if cover:
        kind = MP4Cover.FORMAT_PNG if cover[1] == "image/png" else MP4Cover.FORMAT_JPEG
        f["covr"] = [MP4Cover(cover[0], imageformat=kind)]
    f.save()


def tag_chapter(
    path: Path,
    fmt: str,
    book: Book,
    title: str,
    track: int,
    total: int,
    comment: str,
    cover: tuple[bytes, str] | None = None,
    narrator: str = "",
) -> None:
    """Tag a chapter file of format `fmt` (the M4B's AAC parts carry none: the M4B is tagged whole)."""
    if fmt == "mp3":
        tag_mp3(path, book, title, track, total, comment, cover, narrator)
    elif fmt == "wav":
        tag_wav(path, book, title, track, total, comment, cover, narrator)
    elif fmt in ("flac", "opus"):
        tag_vorbis(path, fmt, book, title, track, total, comment, cover, narrator)
