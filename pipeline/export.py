"""Export: chapter audio to encoded, tagged files, subtitles, the whole-book M4B, and the manifest.

Every file is written under a temporary name in its own folder and moved into place with `os.replace`
only when complete, so a file exists only when it is whole. Paths are built from sanitized names and
checked to resolve inside the output folder.

Loudness is checked on every encoded file (`pipeline.loudness.measure_file`): when a codec moved the
level off target or a peak over the ceiling, the chapter is corrected and encoded again.

The M4B is built from AAC chapter streams without a second encode: each chapter is encoded once to AAC
(`.parts/NNN.m4a`), and the book is their concatenation by stream copy plus FFMETADATA chapters. AAC
starts every stream with one priming frame (1024 samples) and the concatenation keeps it, so each
chapter's AAC stream is fed the chapter less its first 1024 samples (head silence): with chapters padded
to whole frames (`pipeline.assemble.pad_to_frames`), every chapter then spans exactly its own length in
the M4B, and the chapter marks, taken from the parts' real packet counts, fall on the chapter starts.
"""
from __future__ import annotations

import base64
import io
import json
import logging
import math
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import defaults as D
from .assemble import FRAME_SAMPLES, normalize_loudness, resample, target_level
from .cache import atomic_write
from .config import OutputConfig, PauseConfig
from .cover import book_cover
from .errors import OutputError
from .ffmpeg import run_ffmpeg
from .loudness import Loudness, measure_file, pcm_gaps_floor_db
from .records import Book, ChapterAudio
from .subtitles import book_cues, chapter_cues, chapters_txt, parse_vtt, to_srt, to_vtt

log = logging.getLogger(__name__)

EXTENSIONS = {"mp3": ".mp3", "m4b": ".m4b", "opus": ".opus", "flac": ".flac", "wav": ".wav"}
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_name(text: str, max_chars: int = D.TITLE_MAX_CHARS, fallback: str = "untitled") -> str:
    """A file-name component from untrusted text: no separators, no `..`, no leading dots, no control
    characters, no reserved device names, at most `max_chars` characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _UNSAFE.sub(" ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = " ".join(text.split()).strip(" .-")
    text = text[:max_chars].rstrip(" .-")
    if not text or text.split(".")[0].lower() in _RESERVED:
        text = f"{fallback} {text}".strip() if text else fallback
    return text


def inside(root: Path, path: Path) -> Path:
    """`path` resolved, after checking it lies inside `root` (raises OutputError otherwise)."""
    root_r = root.resolve()
    resolved = path.resolve()
    if resolved != root_r and root_r not in resolved.parents:
        raise OutputError(f"refusing to write outside the output folder: {path}")
    return resolved


def chapter_stem(chapter_index: int, title: str, width: int = 2) -> str:
    return f"{chapter_index:0{width}d} - {safe_name(title)}"


PARTS_DIR = ".parts"                   # AAC chapter streams waiting for the M4B
ENCODE_TOLERANCE_DB = 0.5              # an encoded file this close to the target needs no second pass
MAX_ENCODE_PASSES = 3
OPUS_RATE_HZ = 48_000                  # Opus runs at 48 kHz whatever the book's rate
SILENCE_FLOOR_DB = -150.0              # digital silence is reported as this level (JSON has no -inf)


def _codec_args(fmt: str, cfg: OutputConfig) -> list[str]:
    return {
        "mp3": ["-c:a", "libmp3lame", "-b:a", cfg.mp3_bitrate, "-f", "mp3"],
        "m4b": ["-c:a", "aac", "-b:a", cfg.aac_bitrate, "-f", "ipod"],
        "opus": ["-c:a", "libopus", "-b:a", cfg.opus_bitrate, "-f", "ogg"],
        "flac": ["-c:a", "flac", "-f", "flac"],
        "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    }[fmt]


def _replace_atomically(tmp: Path, path: Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def partial(path: Path) -> Path:
    """The temporary name a file is written under until it is complete (hidden, `.part`)."""
    return path.with_name(f".{path.name}.part")


def encode(audio: np.ndarray, sample_rate: int, path: Path, fmt: str, cfg: OutputConfig) -> None:
    """Encode mono float32 audio, shape (T,), to `path` (callers pass a `partial()` name and move the file
    into place once it is encoded, checked and tagged). The PCM is streamed to ffmpeg without a copy."""
    out_rate = OPUS_RATE_HZ if fmt == "opus" else cfg.sample_rate
    audio = resample(audio, sample_rate, out_rate)        # soxr, as everywhere; ffmpeg only encodes
    args = ["-f", "f32le", "-ar", str(out_rate), "-ac", "1", "-i", "pipe:0", *_codec_args(fmt, cfg), str(path)]
    run_ffmpeg(args, input=memoryview(np.ascontiguousarray(audio, dtype="<f4")).cast("B"))


def encode_to_target(audio: np.ndarray, sample_rate: int, path: Path, fmt: str,
                     cfg: OutputConfig) -> tuple[Loudness, int]:
    """Encode, measure the encoded file, and correct and re-encode while it misses the loudness target
    (by more than 0.3 dB) or a peak passes `cfg.peak_db`. Returns (measured loudness, passes)."""
    ebu = cfg.loudness == "ebu"
    target = target_level(cfg)
    offset, ceiling = 0.0, None
    pcm = audio
    for n in range(1, MAX_ENCODE_PASSES + 1):
        encode(pcm, sample_rate, path, fmt, cfg)
        m = measure_file(path, lufs=ebu)
        level = m.lufs if ebu else m.rms_db
        if not math.isfinite(level):
            return m, n
        miss = target - level
        over = m.peak_db - cfg.peak_db
        if abs(miss) <= ENCODE_TOLERANCE_DB and over <= 0:
            if n > 1:
                log.debug("%s: on target after %d encodes (level %.2f, peak %.2f dBFS)", path.name, n, level,
                          m.peak_db)
            return m, n
        if n == MAX_ENCODE_PASSES:
            log.warning("%s: still off target after %d encodes (level %.2f for %.2f, peak %.2f dBFS); kept",
                        path.name, n, level, target, m.peak_db)
            return m, n
        offset += miss
        if over > 0:
            ceiling = (ceiling if ceiling is not None else cfg.peak_db - 0.5) - over - 0.2
        pcm = normalize_loudness(audio, cfg, offset_db=offset, ceiling_db=ceiling)
    raise AssertionError("unreachable")


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _id3_frames(book: Book, title: str, track: int, total: int, comment: str,
                cover: tuple[bytes, str] | None, narrator: str = "") -> list:
    from mutagen.id3 import APIC, COMM, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK
    frames = [TIT2(encoding=3, text=title), TALB(encoding=3, text=book.title), TPE1(encoding=3, text=book.author),
              TPE2(encoding=3, text=book.author), TRCK(encoding=3, text=f"{track}/{total}"),
              TPOS(encoding=3, text="1/1"), TCON(encoding=3, text="Audiobook"),
              COMM(encoding=3, lang="eng", desc="", text=comment)]
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


def tag_mp3(path: Path, book: Book, title: str, track: int, total: int, comment: str,
            cover: tuple[bytes, str] | None = None, narrator: str = "") -> None:
    """ID3v2.3 tags and the cover (APIC) on an MP3."""
    from mutagen.id3 import ID3, ID3NoHeaderError
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    for frame in _id3_frames(book, title, track, total, comment, cover, narrator):
        tags.add(frame)
    tags.save(path, v2_version=3)


def tag_wav(path: Path, book: Book, title: str, track: int, total: int, comment: str,
            cover: tuple[bytes, str] | None = None, narrator: str = "") -> None:
    """The same ID3 frames in a WAV's "id3 " chunk (read by mutagen, foobar2000, Mp3tag, most players)."""
    from mutagen.wave import WAVE
    f = WAVE(path)
    if f.tags is None:
        f.add_tags()
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


def tag_vorbis(path: Path, fmt: str, book: Book, title: str, track: int, total: int, comment: str,
               cover: tuple[bytes, str] | None = None, narrator: str = "") -> None:
    """Vorbis comments (FLAC, Opus), cover as a FLAC picture block."""
    if fmt == "flac":
        from mutagen.flac import FLAC
        f = FLAC(path)
    else:
        from mutagen.oggopus import OggOpus
        f = OggOpus(path)
    values = {"title": title, "album": book.title, "artist": book.author, "albumartist": book.author,
              "tracknumber": str(track), "tracktotal": str(total), "discnumber": "1", "genre": "Audiobook"}
    # readers (ffmpeg, so Audiobookshelf) take DESCRIPTION and COMMENT as one field: the book's description
    # wins it, and our note then goes to ENCODEDBY (Mp3tag's and foobar2000's name for it)
    values["encodedby" if book.description else "comment"] = comment
    if book.year:
        values["date"] = book.year
    for key, value in (("composer", narrator), ("publisher", book.publisher), ("language", book.language),
                       ("description", book.description), ("series", book.series),
                       ("series-part", book.series_index), ("isbn", isbn_of(book))):
        if value:
            values[key] = value
    for key, value in values.items():
        f[key] = [value]
    if cover:
        pic = _flac_picture(cover)
        if fmt == "flac":
            f.clear_pictures()
            f.add_picture(pic)
        else:
            f["metadata_block_picture"] = [base64.b64encode(pic.write()).decode("ascii")]
    f.save()


def tag_m4b(path: Path, book: Book, comment: str, cover: tuple[bytes, str] | None = None,
            narrator: str = "") -> None:
    from mutagen.mp4 import MP4, MP4Cover
    f = MP4(path)
    f["\xa9nam"] = [book.title]
    f["\xa9alb"] = [book.title]
    f["\xa9ART"] = [book.author]
    f["aART"] = [book.author]
    f["\xa9gen"] = ["Audiobook"]
    f["\xa9cmt"] = [comment]
    f["trkn"] = [(1, 1)]
    f["disk"] = [(1, 1)]
    f["stik"] = [2]                      # media kind: audiobook
    if book.year:
        f["\xa9day"] = [book.year]
    if narrator:
        f["\xa9wrt"] = [narrator]           # composer: the narrator, as audiobook servers read it
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


def aac_samples(path: Path, frame: int = FRAME_SAMPLES) -> int:
    """Samples in an AAC stream as a concatenation plays it: packets x 1024, the priming frame included."""
    proc = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "framecrc", "-"])
    return frame * sum(1 for line in proc.stdout.decode().splitlines() if line and not line.startswith("#"))


def _ffmeta_escape(text: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", text)


def ffmetadata(book: Book, marks: list[tuple[int, int, str]]) -> str:
    """FFMETADATA1 with the book's tags and one [CHAPTER] per (start ms, end ms, title), TIMEBASE=1/1000."""
    lines = [";FFMETADATA1", f"title={_ffmeta_escape(book.title)}", f"album={_ffmeta_escape(book.title)}",
             f"artist={_ffmeta_escape(book.author)}", "genre=Audiobook"]
    for start, end, title in marks:
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={_ffmeta_escape(title)}"]
    return "\n".join(lines) + "\n"


def chapter_record(audio: ChapterAudio, files: dict[str, str], extra: dict | None = None) -> dict:
    ch = audio.chapter
    return {
        "index": ch.index, "title": ch.title, "display_title": ch.display_title, "level": ch.level,
        "parents": ch.parents, "files": files, "file": next(iter(files.values()), ""),
        "duration": round(audio.duration, 3), "samples": len(audio.audio), "sample_rate": audio.sample_rate,
        "segments": len(audio.rendered), **(extra or {}),
        "segment_list": [
            {"id": t.segment.id, "text": t.segment.text, "normalized": t.segment.normalized,
             "sentences": t.segment.sentences,
             "start": round(t.start, 3), "duration": round(t.end - t.start, 3),
             "pause_after": t.segment.pause_after.value, "seed": r.seed, "attempts": r.attempts,
             "cached": r.cached, "passed": r.passed,
             "checks": {c.name: {"passed": c.passed, "value": c.value, "detail": c.detail} for c in r.checks}}
            for t, r in zip(audio.timings, audio.rendered, strict=True)
        ],
    }


def speech_gaps(audio: ChapterAudio) -> list[tuple[float, float]]:
    """The pauses between consecutive segments' speech, (start, end) in seconds."""
    spans = [(t.start, t.end) for t in audio.timings if t.end > t.start]
    return [(a[1], b[0]) for a, b in zip(spans, spans[1:]) if b[0] > a[1]]


ABS_METADATA_NAME = "metadata.json"


def isbn_of(book: Book) -> str:
    """The book's ISBN when its identifier is one ("urn:isbn:978-...", "978..."), else ""."""
    isbn = re.sub(r"^(?:urn:)?isbn:", "", book.identifier or "", flags=re.I).strip()
    return isbn if re.fullmatch(r"(?:\d[- ]?){9}[\dXx]|(?:\d[- ]?){12}\d", isbn) else ""


def abs_metadata(book: Book, chapters: list[dict], narrator: str, title_of) -> dict:
    """The book as Audiobookshelf's `metadata.json` sidecar reads it; chapters are the M4B's marks (the
    records' start/end, set by `BookExporter.finish`)."""
    isbn = isbn_of(book)
    year = book.year or None
    return {
        "title": book.title, "subtitle": None, "authors": list(book.authors),
        "narrators": [narrator] if narrator else [],
        "series": [f"{book.series} #{book.series_index}" if book.series_index else book.series] if book.series else [],
        "genres": ["Audiobook"],
        "publishedYear": year, "publishedDate": book.date or None, "publisher": book.publisher or None,
        "description": book.description or None,
        "isbn": isbn or None, "asin": None,
        "language": book.language or None, "explicit": False, "abridged": False, "tags": [],
        "chapters": [{"id": i, "start": rec["start"], "end": rec["end"], "title": title_of(rec)}
                     for i, rec in enumerate(chapters)],
    }


class BookExporter:
    """Writes a book's outputs as its chapters finish: chapter files in every format, subtitles, the AAC
    parts of the M4B; then the book-level files. The orchestrator (`pipeline.render`) calls
    `chapter(audio)` per chapter and `finish(records)` once."""

    def __init__(self, book: Book, out: Path, cfg: OutputConfig, comment: str, total_chapters: int,
                 pauses: PauseConfig | None = None, narrator: str = ""):
        self.book = book
        self.out = Path(out)
        self.cfg = cfg
        self.comment = comment
        self.total = total_chapters
        self.width = max(2, len(str(total_chapters)))
        self.formats = [f for f in cfg.formats if f not in ("m4b", "epub")]
        self.epub = "epub" in cfg.formats
        if self.epub and "mp3" not in self.formats:
            self.formats.insert(0, "mp3")      # the read-along book carries each chapter's MP3
        self.m4b = "m4b" in cfg.formats
        self.narrator = narrator
        self.parts = self.out / PARTS_DIR
        data, mime, source = book_cover(book)
        self.cover = (data, mime)
        self.cover_source = source

    def chapter_stem(self, chapter) -> str:
        return chapter_stem(chapter.index, chapter.title, self.width)

    def _target(self, name: str) -> Path:
        return inside(self.out, self.out / name)

    def chapter(self, audio: ChapterAudio) -> dict:
        """Encode, check and tag one chapter in every chapter format, write its subtitles and its AAC part
        for the M4B; returns its manifest record."""
        ch = audio.chapter
        stem = self.chapter_stem(ch)
        files: dict[str, str] = {}
        loudness: dict[str, dict] = {}

        def one(fmt: str) -> tuple[str, Path, Loudness, int]:
            """Encode, check and tag under a temporary name; the finished file appears only when whole."""
            if fmt == "m4b":
                self.parts.mkdir(exist_ok=True)
                target = inside(self.out, self.parts / f"{ch.index:05d}.m4a")
                # the priming frame takes the place of the first 1024 samples (head silence): see the module doc
                pcm = audio.audio[FRAME_SAMPLES:]
            else:
                target = self._target(f"{stem}{EXTENSIONS[fmt]}")
                pcm = audio.audio
            tmp = partial(target)
            try:
                measured, passes = encode_to_target(pcm, audio.sample_rate, tmp, fmt, self.cfg)
                if fmt == "mp3":
                    tag_mp3(tmp, self.book, ch.title, ch.index, self.total, self.comment, self.cover, self.narrator)
                elif fmt == "wav":
                    tag_wav(tmp, self.book, ch.title, ch.index, self.total, self.comment, self.cover, self.narrator)
                elif fmt in ("flac", "opus"):
                    tag_vorbis(tmp, fmt, self.book, ch.title, ch.index, self.total, self.comment, self.cover,
                               self.narrator)
                _replace_atomically(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            return fmt, target, measured, passes

        # every format is its own ffmpeg process: encode them side by side
        jobs = [*self.formats, *(["m4b"] if self.m4b else [])]
        with ThreadPoolExecutor(max_workers=len(jobs) or 1, thread_name_prefix="encode") as pool:
            done = list(pool.map(one, jobs))
        extra: dict = {"loudness": loudness}
        for fmt, target, measured, passes in done:
            loudness[fmt] = {**measured.to_json(), "passes": passes}
            if fmt == "m4b":
                extra["aac_samples"] = aac_samples(target)
                extra["m4b_part"] = f"{PARTS_DIR}/{target.name}"
            else:
                files[fmt] = target.name
        # the pauses' noise floor: the assembler writes digital silence between segments and the codecs keep
        # it silent; measured here on the audio handed to the encoders, without decoding every file again
        extra["pause_floor_db"] = _round(max(pcm_gaps_floor_db(audio.audio, audio.sample_rate, speech_gaps(audio)),
                                             SILENCE_FLOOR_DB))
        if extra["pause_floor_db"] > D.PAUSE_FLOOR_DB:
            log.warning("chapter %d: pauses at %.1f dB, above the floor of %.0f dB", ch.index,
                        extra["pause_floor_db"], D.PAUSE_FLOOR_DB)
        extra["speech_start"] = round(min((t.start for t in audio.timings if t.end > t.start), default=0.0), 3)
        extra["speech_end"] = round(max((t.end for t in audio.timings if t.end > t.start), default=0.0), 3)
        if self.cfg.subtitles:
            cues = chapter_cues(audio)
            subs = {}
            for kind, text in (("srt", to_srt(cues)), ("vtt", to_vtt(cues))):
                target = self._target(f"{stem}.{kind}")
                atomic_write(target, text.encode("utf-8"))
                subs[kind] = target.name
            extra["subtitles"] = subs
        # files besides `files` that a resumed run needs to reuse this chapter (pipeline.state)
        extra["extra_files"] = [*extra.get("subtitles", {}).values(), *([extra["m4b_part"]] if self.m4b else [])]
        return chapter_record(audio, files, extra)

    def finish(self, chapters: list[dict]) -> dict:
        """Book-level outputs once every chapter is done: each record gets its place in the book
        ("start"/"end", which are the M4B's chapter marks when one is written), then `chapters.txt`,
        the M4B and the cover. Returns what to add to the manifest."""
        extra: dict = {"cover": {"source": self.cover_source, "type": self.cover[1]}}
        pos = 0.0
        for rec in chapters:
            span = rec["aac_samples"] / rec["sample_rate"] if self.m4b else rec["duration"]
            rec["start"], rec["end"] = round(pos, 3), round(pos + span, 3)
            pos += span
        marks = [(rec["start"], self._title(rec)) for rec in chapters]
        atomic_write(self._target("chapters.txt"), chapters_txt(marks).encode("utf-8"))
        extra["chapters_file"] = "chapters.txt"
        if self.cfg.subtitles and chapters and all((rec.get("subtitles") or {}).get("vtt") for rec in chapters):
            # the whole book's subtitles, on the M4B's timeline, from each chapter's own (verified) file
            cues = book_cues([(rec["start"], rec["end"], parse_vtt((self.out / rec["subtitles"]["vtt"]).read_text(
                encoding="utf-8"))) for rec in chapters])
            stem = safe_name(self.book.title or "book")
            subs = {}
            for kind, text in (("srt", to_srt(cues)), ("vtt", to_vtt(cues))):
                target = self._target(f"{stem}.{kind}")
                atomic_write(target, text.encode("utf-8"))
                subs[kind] = target.name
            extra["book_subtitles"] = subs
        if self.m4b and chapters:
            extra["m4b"] = self._write_m4b(chapters)
        atomic_write(self._target(ABS_METADATA_NAME), (json.dumps(
            abs_metadata(self.book, chapters, self.narrator, self._title), indent=2, ensure_ascii=False) + "\n"
        ).encode("utf-8"))
        extra["metadata_file"] = ABS_METADATA_NAME
        from .layout import COVER_NAME, cover_jpeg
        jpeg = cover_jpeg(self.cover)
        if jpeg:                                   # the folder's cover, as Audiobookshelf and players look for it
            atomic_write(self._target(COVER_NAME), jpeg)
            extra["cover_file"] = COVER_NAME
        if self.epub:
            from .readalong import readalong_epub
            target = self._target(f"{safe_name(self.book.title or 'book')}.epub")
            data, made = readalong_epub(self.book, chapters, self.out, self.narrator)
            atomic_write(target, data)
            extra["readalong"] = target.name
            extra["readalong_made_from"] = made
        return extra

    def _title(self, rec: dict) -> str:
        return " - ".join([*rec["parents"], rec["title"]]) if rec["parents"] else rec["title"]

    def _write_m4b(self, chapters: list[dict]) -> dict:
        target = self._target(f"{safe_name(self.book.title or 'book')}.m4b")
        tmp = target.with_name(f".{target.name}.part")
        listing = self.parts / "concat.txt"
        meta = self.parts / "chapters.ffmeta"
        parts = [(self.parts / f"{rec['index']:05d}.m4a").resolve() for rec in chapters]
        listing.write_text("".join("file '" + str(p).replace("'", "'\\''") + "'\n" for p in parts), "utf-8")
        ms = [(int(round(rec["start"] * 1000)), int(round(rec["end"] * 1000)), self._title(rec)) for rec in chapters]
        meta.write_text(ffmetadata(self.book, ms), "utf-8")
        try:
            missing = [p.name for p in parts if not p.is_file()]
            if missing:
                raise OutputError(f"M4B: AAC chapter streams missing from {self.parts}: {', '.join(missing)}; "
                                  "delete the output folder's .render-state.json and run again")
            run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-f", "ffmetadata", "-i", str(meta),
                        "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy",
                        "-movflags", "+faststart", "-f", "ipod", str(tmp)])
            tag_m4b(tmp, self.book, self.comment, self.cover, self.narrator)
            _replace_atomically(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            listing.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
        return {"file": target.name, "duration": chapters[-1]["end"], "chapters": len(chapters)}


def _round(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None
