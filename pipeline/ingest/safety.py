"""Reading untrusted EPUB archives safely: in place, within limits, with hostile members refused.

An EPUB is a zip of XML written by strangers. `open_archive` reads every member in memory with a bounded
streaming read (never trusting the sizes the zip's headers declare, never extracting to disk by member
name) and returns a clean in-memory copy for ebooklib:
- members with absolute paths, `..` components, drive letters or backslashes are refused with a warning;
- the total uncompressed size, the compression ratio, the size of any one member and the number of
  members are capped (zip bombs end with a clear error after reading at most the cap);
- DOCTYPE declarations are removed from XML members, so no entity can expand (billion laughs) or point at a
  local file or the network (XXE); the content parser (`xhtml.parse_xhtml`) resolves no entities either.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from ..config import LimitsConfig
from ..errors import InputError

log = logging.getLogger(__name__)

_XML_SUFFIXES = (".xml", ".opf", ".ncx", ".xhtml", ".html", ".htm", ".xht", ".svg", ".smil")
# A DOCTYPE with an optional internal subset. Character classes only: linear time on any input.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[[^\]]*\][^>]*)?>", re.IGNORECASE)
_CHUNK = 1 << 20


@dataclass(slots=True)
class ArchiveLimits:
    """The archive's share of `[limits]` (`LimitsConfig`), in bytes."""

    max_total_bytes: int
    max_member_bytes: int
    max_members: int
    max_ratio: float
    max_spine_items: int
    max_toc_entries: int

    @classmethod
    def of(cls, limits: LimitsConfig | None = None) -> ArchiveLimits:
        """The limits of a config's `[limits]` (the defaults without one)."""
        limits = limits or LimitsConfig()
        return cls(
            max_total_bytes=int(limits.epub_max_total_mb * 2**20),
            max_member_bytes=int(limits.epub_max_member_mb * 2**20),
            max_members=limits.epub_max_members,
            max_ratio=limits.epub_max_ratio,
            max_spine_items=limits.max_spine_items,
            max_toc_entries=limits.max_toc_entries,
        )


@dataclass(slots=True)
class SafeArchive:
    data: bytes  # a clean zip, in memory, holding only the accepted members
    names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def unsafe_member(name: str) -> str:
    """Why a member name is refused, or "" when it is safe."""
    if not name or "\x00" in name:
        return "empty or NUL in name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if "\\" in name:
        return "backslash in name"
    if any(part == ".." for part in name.split("/")):
        return "'..' in path"
    if posixpath.normpath(name).startswith("../"):
        return "escapes the archive"
    return ""


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: str) -> bytes:
    """A member's bytes, reading at most `limit` + 1 of them whatever its header claims."""
    out = bytearray()
    with zf.open(info) as f:
        while True:
            chunk = f.read(min(_CHUNK, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > limit:
                raise InputError(
                    f"{path}: member '{info.filename[:80]}' expands past {limit // 2**20} MB "
                    "(a zip bomb?); the book was not read (limits.epub_max_member_mb)"
                )
    return bytes(out)


def open_archive(path: str, limits: ArchiveLimits | None = None) -> SafeArchive:
    """Validate the EPUB at `path` and return a clean in-memory copy. Raises InputError when it breaks a
    limit; refuses (with a warning) members whose names could escape a folder."""
    limits = limits or ArchiveLimits.of()
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise InputError(
            f"{path}: not an EPUB (not a zip archive); export the book as EPUB and try again"
        ) from e
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    warnings: list[str] = []
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise InputError(
                f"{path}: {len(infos)} files in the archive, over the limit of {limits.max_members} "
                "(limits.epub_max_members)"
            )
        compressed = sum(i.compress_size for i in infos)
        buf = io.BytesIO()
        total = 0
        names: list[str] = []
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as clean:
            for info in infos:
                if info.is_dir():
                    continue
                why = unsafe_member(info.filename)
                if why:
                    msg = f"refused archive member '{info.filename[:80]}' ({why})"
                    warnings.append(msg)
                    log.warning("%s: %s", path, msg)
                    continue
                budget = min(limits.max_member_bytes, limits.max_total_bytes - total)
                try:
                    data = _read_bounded(zf, info, max(budget, 0), path)
                except InputError:
                    if budget < limits.max_member_bytes:
                        raise InputError(
                            f"{path}: the archive expands past {limits.max_total_bytes // 2**20} MB "
                            "(a zip bomb?); the book was not read (limits.epub_max_total_mb)"
                        ) from None
                    raise
                except (
                    zipfile.BadZipFile,
                    zipfile.LargeZipFile,
                    EOFError,
                    OSError,
                    NotImplementedError,
                    RuntimeError,
                ) as e:  # corrupt data, unsupported compression, encrypted member
                    msg = f"unreadable archive member '{info.filename[:80]}' ({type(e).__name__})"
                    warnings.append(msg)
                    log.warning("%s: %s", path, msg)
                    continue
                total += len(data)
                if compressed and total > 8 * _CHUNK and total / max(compressed, 1) > limits.max_ratio:
                    raise InputError(
                        f"{path}: the archive expands {total / compressed:.0f}x (a zip bomb?); the "
                        f"limit is {limits.max_ratio:.0f}x (limits.epub_max_ratio)"
                    )
                if info.filename.lower().endswith(_XML_SUFFIXES) and b"<!" in data:
                    data = _DOCTYPE.sub(b"", data)
                clean.writestr(info.filename, data)
                names.append(info.filename)
            for missing in _missing_manifest_items(clean, set(names)):
                # a refused or absent member the package lists: an empty stand-in, so the rest of the book
                # still loads (its chapter has no text and is skipped with a warning)
                clean.writestr(missing, b"")
                warnings.append(f"manifest item '{missing[:80]}' is missing from the archive")
    return SafeArchive(buf.getvalue(), names, warnings)


def _missing_manifest_items(zf: zipfile.ZipFile, present: set[str]) -> list[str]:
    """Paths the OPF manifest lists (as ebooklib will look them up) that the archive lacks."""
    import urllib.parse

    from lxml import etree

    from .xhtml import safe_char_refs

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
    try:
        container = etree.fromstring(safe_char_refs(zf.read("META-INF/container.xml")), parser)
        opf_path = next(
            (
                el.get("full-path")
                for el in container.iter()
                if isinstance(el.tag, str) and el.tag.endswith("rootfile") and el.get("full-path")
            ),
            None,
        )
        if not opf_path or opf_path not in present:
            return []
        opf = etree.fromstring(safe_char_refs(zf.read(opf_path)), parser)
    except (KeyError, etree.XMLSyntaxError, ValueError):  # UnicodeDecodeError is a ValueError
        return []
    if opf is None:
        return []
    base = posixpath.dirname(opf_path)
    out = []
    for el in opf.iter():
        if isinstance(el.tag, str) and el.tag.endswith("}item") and el.get("href"):
            href = urllib.parse.unquote(el.get("href"))
            name = posixpath.normpath(posixpath.join(base, href)) if base else posixpath.normpath(href)
            if name not in present and name not in out:
                out.append(name)
    return out
