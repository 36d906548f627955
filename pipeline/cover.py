"""The cover to embed: the EPUB's own as JPEG or PNG, the raster inside an SVG cover, or a generated one.

Players take only JPEG or PNG. An SVG cover (Standard Ebooks ships them: a painting embedded as a data URI
with the title drawn over it as paths) is rasterized with resvg (`resvg-py`, a self-contained wheel) when
it references nothing outside itself; otherwise, or without resvg, the raster image it embeds is used.
An SVG with neither, or a book with no cover, gets a plain generated cover with the title and author
(Pillow), so every player shows something.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import textwrap

from .records import Book

log = logging.getLogger(__name__)

COVER_MAX_PX = 1400  # longest side of an embedded cover
GENERATED_SIZE = (1400, 1400)
_EXTERNAL_REF = re.compile(rb"""(?:href|src)\s*=\s*["'](?!data:|#)""")
_DATA_URI = re.compile(
    rb"""href\s*=\s*["']data:(image/(?:jpeg|jpg|png|webp|gif));base64,([A-Za-z0-9+/=\s]+)["']"""
)


def _to_embeddable(data: bytes) -> tuple[bytes, str] | None:
    """Any raster Pillow opens -> (JPEG or PNG bytes, MIME), scaled to COVER_MAX_PX; None if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        log.info("cover image unreadable (%s: %s)", type(e).__name__, str(e)[:120])
        return None
    if img.format in ("JPEG", "PNG") and max(img.size) <= COVER_MAX_PX:
        return data, "image/jpeg" if img.format == "JPEG" else "image/png"
    img.thumbnail((COVER_MAX_PX, COVER_MAX_PX))
    buf = io.BytesIO()
    if img.mode in ("RGBA", "LA", "P"):
        img.convert("RGBA").save(buf, "PNG", optimize=True)
        return buf.getvalue(), "image/png"
    img.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue(), "image/jpeg"


def render_svg(svg: bytes) -> tuple[bytes, str] | None:
    """The SVG rasterized by resvg, COVER_MAX_PX on its longest side, as JPEG (opaque) or PNG; None when
    resvg is not installed, the SVG refers to any file or URL outside itself, or it cannot be drawn."""
    if _EXTERNAL_REF.search(svg):
        return None
    try:
        import resvg_py
    except ImportError as e:
        log.info("the SVG cover is not drawn: resvg-py is not installed (%s)", e)
        return None
    from PIL import Image

    fonts_off = b"<text" not in svg  # system fonts only when the SVG has text to draw
    try:
        text = svg.decode("utf-8")
        probe = Image.open(
            io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=text, width=64, skip_system_fonts=fonts_off)))
        )
        w, h = probe.size
        png = (
            resvg_py.svg_to_bytes(svg_string=text, skip_system_fonts=fonts_off, width=COVER_MAX_PX)
            if w >= h
            else resvg_py.svg_to_bytes(svg_string=text, skip_system_fonts=fonts_off, height=COVER_MAX_PX)
        )
        img = Image.open(io.BytesIO(bytes(png)))
        img.load()
    except (ValueError, UnicodeDecodeError, OSError) as e:
        log.info("the SVG cover could not be rasterized (%s)", e)
        return None
    buf = io.BytesIO()
    alpha_min = img.getchannel("A").getextrema()[0] if img.mode == "RGBA" else 255  # one band: (min, max)
    if isinstance(alpha_min, int) and alpha_min < 255:
        img.save(buf, "PNG", optimize=True)
        return buf.getvalue(), "image/png"
    img.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue(), "image/jpeg"


def svg_raster(svg: bytes) -> tuple[bytes, str] | None:
    """The largest raster image embedded in an SVG as a data URI, as JPEG or PNG; None if it has none."""
    best: bytes | None = None
    for m in _DATA_URI.finditer(svg):
        try:
            data = base64.b64decode(re.sub(rb"\s+", b"", m.group(2)), validate=True)
        except ValueError:
            continue
        if best is None or len(data) > len(best):
            best = data
    return _to_embeddable(best) if best else None


def generated_cover(title: str, author: str) -> tuple[bytes, str]:
    """A plain square PNG cover: the title and the author in Pillow's default font, dark on light."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", GENERATED_SIZE, (236, 230, 218))
    draw = ImageDraw.Draw(img)
    w, h = GENERATED_SIZE
    draw.rectangle([60, 60, w - 60, h - 60], outline=(60, 50, 40), width=8)
    title_font, author_font = ImageFont.load_default(size=96), ImageFont.load_default(size=60)
    y = h * 0.28
    for line in textwrap.wrap(title or "Untitled", 20)[:6]:
        draw.text((w / 2, y), line, font=title_font, fill=(40, 30, 20), anchor="mm")
        y += 120
    if author:
        draw.text(
            (w / 2, h * 0.8), textwrap.shorten(author, 36), font=author_font, fill=(70, 60, 50), anchor="mm"
        )
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue(), "image/png"


def book_cover(book: Book) -> tuple[bytes, str, str]:
    """(image bytes, MIME "image/jpeg" or "image/png", where it came from: "epub", "svg-rendered",
    "svg-raster", "generated")."""
    if book.cover:
        if "svg" in book.cover_type or book.cover.lstrip()[:5] in (b"<?xml", b"<svg "):
            found = render_svg(book.cover)
            if found:
                return (*found, "svg-rendered")
            found = svg_raster(book.cover)
            if found:
                return (*found, "svg-raster")
            log.info("the SVG cover embeds no raster image; generating a plain cover")
        else:
            found = _to_embeddable(book.cover)
            if found:
                return (*found, "epub")
            log.warning("the book's cover (%s) could not be read; generating a plain cover", book.cover_type)
    return (*generated_cover(book.title, book.author), "generated")
