"""Covers: JPEG or PNG only; SVG covers rasterized (resvg) or their embedded raster used; none -> generated."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from pipeline.cover import book_cover
from pipeline.records import Book
from tests.conftest import BIERCE, WODEHOUSE


def _png(color, size=(40, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def _svg(body: str) -> bytes:
    return (
        f'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 400 600">{body}</svg>'
    ).encode()


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_svg_cover_is_rasterized_whole():
    svg = _svg(
        '<rect width="400" height="600" fill="#c00000"/><rect y="500" width="400" height="100" fill="#000"/>'
    )
    data, mime, source = book_cover(Book("T", ["A"], [], cover=svg, cover_type="image/svg+xml"))
    img = _open(data)
    assert source == "svg-rendered" and mime == "image/jpeg" and img.format == "JPEG"
    assert max(img.size) == 1400 and img.size[1] > img.size[0]
    r, g, b = img.convert("RGB").getpixel((img.size[0] // 2, img.size[1] // 4))
    assert r > 180 and g < 40 and b < 40
    assert (
        max(img.convert("RGB").getpixel((img.size[0] // 2, img.size[1] - 10))) < 40
    )  # the band drawn over it


def test_svg_that_refers_outside_itself_gives_its_embedded_raster():
    raster = base64.b64encode(_png((0, 0, 255))).decode()
    svg = _svg(
        f'<image width="400" height="600" xlink:href="data:image/png;base64,{raster}"/>'
        '<image width="10" height="10" xlink:href="file:///etc/passwd"/>'
    )
    data, mime, source = book_cover(Book("T", ["A"], [], cover=svg, cover_type="image/svg+xml"))
    img = _open(data)
    assert source == "svg-raster" and mime == "image/png" and img.getpixel((5, 5))[:3] == (0, 0, 255)


def test_no_cover_or_an_unreadable_one_gets_a_generated_cover():
    for cover, kind in ((None, ""), (b"not an image", "image/jpeg")):
        data, mime, source = book_cover(Book("A Title", ["An Author"], [], cover=cover, cover_type=kind))
        img = _open(data)
        assert source == "generated" and mime == "image/png" and img.size == (1400, 1400)
        lo, hi = img.convert("L").getextrema()
        assert hi - lo > 100  # something is drawn on it


def test_jpeg_cover_is_kept_as_is():
    buf = io.BytesIO()
    Image.new("RGB", (300, 450), (10, 200, 10)).save(buf, "JPEG")
    data, mime, source = book_cover(Book("T", ["A"], [], cover=buf.getvalue(), cover_type="image/jpeg"))
    assert (data, mime, source) == (buf.getvalue(), "image/jpeg", "epub")


@pytest.mark.skipif(not (WODEHOUSE.exists() and BIERCE.exists()), reason="corpus not present")
@pytest.mark.parametrize("path", [WODEHOUSE, BIERCE])
def test_corpus_svg_covers_are_rasterized(path):
    from pipeline.ingest import read_book

    book = read_book(path)
    assert "svg" in book.cover_type
    data, mime, source = book_cover(book)
    img = _open(data)
    assert source == "svg-rendered" and mime == "image/jpeg" and img.format == "JPEG"
    assert img.size[1] == 1400 and abs(img.size[0] - 933) <= 1  # the 1400 x 2100 portrait, scaled
