"""The finished book on a real render of the demo (hibari): M4B chapter marks, loudness measured on every
encoded file, tags and covers, subtitles, chapters.txt. One render for the module, every format."""

from __future__ import annotations

import io
import itertools
import json
import re

import mutagen
import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from PIL import Image

from pipeline import defaults as D
from pipeline.audio import frame_rms
from pipeline.config import load_config
from pipeline.ffmpeg import decode_pcm, run_ffmpeg
from pipeline.loudness import gaps_floor_db, measure_file, measure_pcm
from pipeline.plan import plan_book
from tests.conftest import run_cli

FORMATS = ("mp3", "opus", "flac", "wav")
RATE = 44_100


@pytest.fixture(scope="module")
def book(tmp_path_factory, sample_epub):
    out = tmp_path_factory.mktemp("export") / "sample"
    proc = run_cli(
        str(sample_epub),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "mp3,m4b,opus,flac,wav",
    )
    assert proc.returncode == 0, proc.stderr
    return out, json.loads((out / "manifest.json").read_text())


def m4b_chapters(path) -> list[tuple[float, float, str]]:
    """(start s, end s, title) per chapter, as ffmpeg reads them back from the file (FFMETADATA)."""
    text = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"]).stdout.decode("utf-8")
    out = []
    for block in text.split("[CHAPTER]")[1:]:
        fields = dict(line.split("=", 1) for line in block.strip().splitlines() if "=" in line)
        num, den = (int(x) for x in fields["TIMEBASE"].split("/"))
        out.append((int(fields["START"]) * num / den, int(fields["END"]) * num / den, fields["title"]))
    return out


def test_m4b_has_one_mark_per_chapter_at_the_cumulative_durations(book):
    out, manifest = book
    chapters = manifest["chapters"]
    marks = m4b_chapters(out / manifest["m4b"]["file"])
    assert [t for _, _, t in marks] == [c["display_title"] for c in chapters]
    assert len(marks) == len(list(out.glob("*.mp3")))
    cumulative = np.concatenate(([0.0], np.cumsum([c["duration"] for c in chapters])))
    for (start, end, _), c, expect in zip(marks, chapters, cumulative, strict=False):
        assert abs(start - expect) < 0.05, (start, expect)
        assert abs(start - c["start"]) < 0.002 and abs(end - c["end"]) < 0.002
    # the whole book decodes to the sum of the chapters, and each chapter's speech sits where the
    # chapter file has it: the concatenation by stream copy moved nothing
    whole, _ = decode_pcm(str(out / manifest["m4b"]["file"]), RATE)
    assert abs(len(whole) / RATE - cumulative[-1]) < 0.05
    for c, start in zip(chapters, cumulative, strict=False):
        first = c["segment_list"][0]["start"] + start
        voiced = np.flatnonzero(frame_rms(whole, RATE, 0.01) > 10 ** (-50 / 20)) * 0.01
        assert abs(voiced[voiced >= start][0] - first) < 0.05


def _speech_edges(audio: np.ndarray) -> tuple[float, float]:
    voiced = np.flatnonzero(frame_rms(audio, RATE, 0.01) > 10 ** (-50 / 20))
    return voiced[0] * 0.01, len(audio) / RATE - (voiced[-1] + 1) * 0.01


def _encoded_chapters(out, manifest):
    """(label, decoded mono audio at 44.1 kHz, chapter record) for every chapter file and every M4B chapter."""
    whole, _ = decode_pcm(str(out / manifest["m4b"]["file"]), RATE)
    for c in manifest["chapters"]:
        for fmt in FORMATS:
            yield f"{fmt}:{c['index']}", decode_pcm(str(out / c["files"][fmt]), RATE)[0], c
        yield f"m4b:{c['index']}", whole[round(c["start"] * RATE) : round(c["end"] * RATE)], c


def test_loudness_peak_floor_head_and_tail_on_the_encoded_files(book):
    out, manifest = book
    cfg = load_config()
    for label, audio, c in _encoded_chapters(out, manifest):
        m = measure_pcm(audio, RATE)
        assert abs(m.rms_db - cfg.output.target_rms_db) <= 1.0, (label, m)
        assert m.peak_db <= cfg.output.peak_db, (label, m)
        segs = [(s["start"], s["start"] + s["duration"]) for s in c["segment_list"]]
        gaps = [(a[1], b[0]) for a, b in itertools.pairwise(segs)]
        assert gaps and gaps_floor_db(audio, RATE, gaps) <= D.PAUSE_FLOOR_DB, label
        head, tail = _speech_edges(audio)
        assert 0.5 <= head <= 1.0 and 1.0 <= tail <= 5.0, (label, head, tail)
    # the files themselves, as ffmpeg reads them, agree with what the manifest recorded
    for c in manifest["chapters"]:
        for fmt in FORMATS:
            m = measure_file(out / c["files"][fmt])
            assert m.rms_db == pytest.approx(c["loudness"][fmt]["rms_db"], abs=0.05)
        assert c["pause_floor_db"] <= D.PAUSE_FLOOR_DB


def test_tags_and_cover_read_back_from_mp3_and_m4b(book):
    out, manifest = book
    for c in manifest["chapters"]:
        tags = ID3(out / c["files"]["mp3"])
        assert str(tags["TIT2"]) == c["title"] and str(tags["TALB"]) == "The Keeper of Gannet Point"
        assert str(tags["TPE1"]) == str(tags["TPE2"]) == "The Render Project"
        assert str(tags["TRCK"]) == f"{c['index']}/3" and str(tags["TCON"]) == "Audiobook"
        assert str(tags["TDRC"]) == "2026" and "hibari" in str(tags["COMM::eng"])
        apic = tags.getall("APIC")[0]
        assert apic.mime == "image/png" and Image.open(io.BytesIO(apic.data)).format == "PNG"
        for fmt in ("flac", "opus"):
            v = mutagen.File(out / c["files"][fmt])
            assert v["title"] == [c["title"]] and v["artist"] == ["The Render Project"]
            assert v["tracknumber"] == [str(c["index"])] and v["genre"] == ["Audiobook"]
        assert mutagen.File(out / c["files"]["flac"]).pictures[0].mime == "image/png"
        assert mutagen.File(out / c["files"]["opus"])["metadata_block_picture"]
        wav = mutagen.File(out / c["files"]["wav"]).tags
        assert str(wav["TIT2"]) == c["title"] and wav.getall("APIC")
    f = MP4(out / manifest["m4b"]["file"])
    assert f["\xa9nam"] == ["The Keeper of Gannet Point"] and f["\xa9ART"] == ["The Render Project"]
    assert f["aART"] == ["The Render Project"] and f["\xa9gen"] == ["Audiobook"] and f["trkn"] == [(1, 1)]
    cover = Image.open(io.BytesIO(bytes(f["covr"][0])))
    assert cover.format == "PNG" and cover.size[0] >= 600
    assert manifest["cover"]["source"] == "generated"  # the demo book has no cover


def _cues(path) -> list[tuple[float, float, str]]:
    text = path.read_text(encoding="utf-8")
    stamp = r"(\d+):(\d\d):(\d\d)[,.](\d{3})"
    cues = []
    for block in re.split(r"\n\n+", text.strip()):
        m = re.search(stamp + " --> " + stamp, block)
        if not m:
            continue
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append((start, end, block[m.end() :].strip()))
    return cues


def test_subtitles_cue_every_sentence_in_order_ending_with_the_chapter(book, sample_epub):
    """Each sentence is one cue, or several when it is too long for two lines of 42 characters; the cues
    hold every word of the chapter's sentences, in order, and end with the chapter."""
    from pipeline.subtitles import wrap_cue_text

    out, manifest = book
    plan = plan_book(sample_epub, load_config())
    # some segments hold several sentences, whose cues split the segment's time
    assert sum(len(seg.sentences) for segs in plan.segments.values() for seg in segs) > sum(
        len(segs) for segs in plan.segments.values()
    )
    for c in manifest["chapters"]:
        sentences = [" ".join(s.split()) for seg in plan.segments[c["index"]] for s in seg.sentences]
        for kind in ("srt", "vtt"):
            path = out / c["subtitles"][kind]
            cues = _cues(path)
            assert [t for _, _, t in cues] == [p for s in sentences for p in wrap_cue_text(s)]
            assert " ".join(t for _, _, t in cues).split() == " ".join(sentences).split()
            assert all(len(t.split("\n")) <= 2 for _, _, t in cues)
            assert abs(cues[-1][1] - c["duration"]) <= 0.5
            starts = [s for s, _, _ in cues]
            assert starts == sorted(starts) and all(s < e for s, e, _ in cues)
            assert cues[0][0] == pytest.approx(c["segment_list"][0]["start"], abs=0.002)
        assert (out / c["subtitles"]["vtt"]).read_text().startswith("WEBVTT\n")


def test_chapters_txt_lists_the_m4b_marks(book):
    out, manifest = book
    lines = (out / "chapters.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(manifest["chapters"])
    for line, c in zip(lines, manifest["chapters"], strict=True):
        stamp, title = line.split(" ", 1)
        h, m, s = stamp.split(":")
        assert (
            abs(int(h) * 3600 + int(m) * 60 + float(s) - c["start"]) < 0.001 and title == c["display_title"]
        )


def test_manifest_records_hierarchy_loudness_and_every_setting(book):
    _, manifest = book
    assert manifest["settings"]["output"]["target_rms_db"] == -20.0
    assert manifest["settings"]["pauses"]["head_s"] == 0.75
    for c in manifest["chapters"]:
        assert {"level", "parents", "display_title", "start", "end", "duration", "loudness"} <= set(c)
        assert set(c["loudness"]) == {"mp3", "m4b", "opus", "flac", "wav"}
        for seg in c["segment_list"]:
            assert {"text", "normalized", "start", "duration", "checks", "attempts", "seed"} <= set(seg)


def test_ebu_preset_hits_its_lufs_target_on_the_mp3(tmp_path, sample_epub):
    out = tmp_path / "ebu"
    proc = run_cli(
        str(sample_epub),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--chapters",
        "1",
        "--loudness",
        "ebu",
    )
    assert proc.returncode == 0, proc.stderr
    c = json.loads((out / "manifest.json").read_text())["chapters"][0]
    m = measure_file(out / c["file"], lufs=True)
    assert abs(m.lufs - (-19.0)) <= 1.0 and m.peak_db <= -3.0, m


def test_rerun_reuses_chapters_and_rebuilds_what_is_missing(book, sample_epub, tmp_path):
    import shutil

    src, manifest = book
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    args = [
        str(sample_epub),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--format",
        "mp3,m4b,opus,flac,wav",
    ]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    again = json.loads((out / "manifest.json").read_text())
    assert again["stats"]["chapters_reused"] == 3
    assert m4b_chapters(out / again["m4b"]["file"]) == m4b_chapters(src / manifest["m4b"]["file"])
    # a chapter whose AAC part or subtitles went missing is made again; the others are reused
    (out / again["chapters"][1]["m4b_part"]).unlink()
    (out / again["chapters"][1]["subtitles"]["srt"]).unlink()
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    third = json.loads((out / "manifest.json").read_text())
    assert third["stats"]["chapters_reused"] == 2 and third["stats"]["chapters_reencoded"] == 1
    assert third["stats"]["chapters_rendered"] == 0  # its segments came from the cache
    assert (out / third["chapters"][1]["subtitles"]["srt"]).is_file()
    marks = m4b_chapters(out / third["m4b"]["file"])
    assert [round(s, 2) for s, _, _ in marks] == [round(c["start"], 2) for c in third["chapters"]]
