"""Book folders the way audiobook servers want them (`--layout audiobookshelf`).

Audiobookshelf treats every audio file in a book folder as a track, so the chapter files must not sit
beside the M4B. The render works in `<out>/.render/<author-title>/` (chapter files, subtitles, state,
reports: a hidden folder the server does not scan) and then publishes the whole-book files into
`<out>/<Author>/[<Series>/]<Title>/`: the M4B, the read-along EPUB, `metadata.json` and `cover.jpg`. Each
is copied under a temporary name and moved into place, so a library scan never sees half a file. Folder
names are sanitized and checked to stay inside `--out`.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from .errors import OutputError
from .export.names import safe_name
from .files import atomic_path, inside
from .records import Book, Manifest

WORK_DIR = ".render"


def narrator_name(identity: dict) -> str:
    """The narrator as tags and `metadata.json` name it, from the engine identity: "hibari (voice heart)",
    "Soprano-80M". Never a comma, ';', '&' or ' and ': Audiobookshelf splits a narrator tag into several
    people at those."""
    engine = str(identity.get("engine") or "render")
    name = "Soprano-80M" if engine == "soprano" else engine
    voice = identity.get("voice")
    text = f"{name} (voice {voice})" if voice else name
    return " ".join(re.sub(r"[,;&]| and ", " ", text).split())


def work_folder(out: Path, slug: str) -> Path:
    return Path(out) / WORK_DIR / slug


def book_folder(out: Path, book: Book) -> Path:
    """<out>/<Author>/[<Series>/]<Title>: the first author, the series when the book has one."""
    parts = [safe_name(book.authors[0] if book.authors else "Unknown Author")]
    if book.series:
        parts.append(safe_name(book.series))
    title = safe_name(book.title or "Untitled")
    if book.series and book.series_index:
        title = safe_name(f"{book.series_index} - {book.title}")
    parts.append(title)
    return inside(Path(out), Path(out).joinpath(*parts))


def _place(src: Path, target: Path) -> None:
    """Copy `src` to `target` under a temporary name, then move it into place."""
    with atomic_path(target) as tmp:
        shutil.copyfile(src, tmp)


COVER_NAME = "cover.jpg"


def cover_jpeg(cover: tuple[bytes | None, str]) -> bytes | None:
    """The cover (bytes, MIME) as JPEG bytes for `cover.jpg`; None without a cover."""
    data, mime = cover
    if not data:
        return None
    if mime == "image/jpeg":
        return data
    from PIL import Image

    buf = io.BytesIO()
    img: Image.Image = Image.open(io.BytesIO(data))
    if img.mode in ("RGBA", "LA", "P"):  # transparency onto white, not black
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, "white")
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    img.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def publish_audiobookshelf(manifest: Manifest, work: Path, out: Path, book: Book) -> Path:
    """Copy the whole-book files of a finished render in `work` into its Audiobookshelf book folder."""
    folder = book_folder(out, book)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in (manifest.m4b.file if manifest.m4b else None, manifest.readalong, manifest.metadata_file):
            if name:
                _place(work / name, folder / name)
        if manifest.cover_file:
            _place(work / manifest.cover_file, folder / COVER_NAME)
    except OSError as e:
        raise OutputError(
            f"{folder}: cannot publish the book folder ({e.strerror or e}); choose another --out"
        ) from e
    return folder
