"""A content-addressed segment cache on disk.

The key covers everything that changes a segment's audio: the normalized text and the engine's identity
(engine, model and version, voice, sampling settings, seed policy, sample rate). An entry is one `.npz`
file (audio + metadata + a SHA-256 of both), written atomically: a temporary file in the same folder, fsync,
`os.replace`. An entry verifies itself on read: one that cannot be opened or whose checksum does not match
(truncated, bytes flipped by a disk or a copy), or whose content is not a segment record (audio that is not
mono and finite, metadata of the wrong shape), is removed, logged once with its key, and reported as a miss,
so the segment is synthesized again. Reading an entry touches its mtime; when the cache grows past its cap
the least recently used entries go.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np

from . import defaults as D
from .config import CacheConfig
from .files import atomic_write

log = logging.getLogger(__name__)

SEED_POLICY = "sha256(attempt, normalized text)"  # see pipeline.synthesize.base.segment_seed
CACHE_VERSION = 2  # 2: entries carry a checksum of their audio and metadata


def _checksum(audio: np.ndarray, meta_bytes: bytes) -> str:
    h = hashlib.sha256()
    h.update(len(meta_bytes).to_bytes(8, "little"))
    h.update(meta_bytes)
    h.update(np.ascontiguousarray(audio, dtype="<f4").data)
    return h.hexdigest()


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _entry_problem(audio: np.ndarray, meta) -> str:
    """Why an entry that opened and matched its checksum is still not a segment the worker wrote, or "".
    The metadata is the worker's record: seed, attempts, finish reason, repetition, checks."""
    if audio.ndim != 1:
        return f"audio has shape {audio.shape}, not mono"
    if not np.isfinite(audio).all():
        return "audio holds NaN or infinite samples"
    if not isinstance(meta, dict):
        return "metadata is not an object"
    if not isinstance(meta.get("seed", 0), int) or isinstance(meta.get("seed", 0), bool):
        return "seed is not an integer"
    attempts = meta.get("attempts", 1)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        return "attempts is not a positive integer"
    if not isinstance(meta.get("finish_reason", "stop"), str):
        return "finish_reason is not text"
    if meta.get("repetition") is not None and not _number(meta["repetition"]):
        return "repetition is not a number"
    checks = meta.get("checks", [])
    if not isinstance(checks, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("name"), str)
        and isinstance(c.get("passed"), bool)
        and (c.get("value") is None or _number(c["value"]))
        and (c.get("detail") is None or isinstance(c["detail"], str))
        and set(c) <= {"name", "passed", "value", "detail"}
        for c in checks
    ):
        return "checks are not a list of checks"
    return ""


class DiskCache:
    def __init__(self, root: str | Path, max_bytes: int = int(D.CACHE_MAX_GB * 1024**3)):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self._written = 0
        self.discarded: set[str] = set()  # keys of damaged entries removed by this process

    @staticmethod
    def key(text: str, identity: dict) -> str:
        blob = json.dumps(
            {"v": CACHE_VERSION, "text": text, "engine": identity, "seed": SEED_POLICY},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> tuple[np.ndarray, dict] | None:
        """The entry's audio (mono float32) and metadata, or None when absent or damaged (then removed)."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as z:
                audio = z["audio"].astype(np.float32, copy=False)
                meta_bytes = bytes(z["meta"])
                stored = str(z["sha256"]) if "sha256" in z.files else ""
            meta = json.loads(meta_bytes.decode("utf-8"))
        except FileNotFoundError:
            return None
        except Exception as e:  # noqa: BLE001 - zip, zlib, numpy and JSON each raise their own on a damaged file
            self._discard(key, path, f"{type(e).__name__}: {e}")
            return None
        if stored != _checksum(audio, meta_bytes):
            self._discard(key, path, "checksum mismatch" if stored else "no checksum")
            return None
        wrong = _entry_problem(audio, meta)
        if wrong:  # a whole, checksummed entry that is not a segment (another program, a bug)
            self._discard(key, path, wrong)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return audio, meta

    def _discard(self, key: str, path: Path, why: str) -> None:
        if key not in self.discarded:
            self.discarded.add(key)
            log.warning(
                "segment cache: entry %s is damaged (%s); removed, the segment is rendered again", key, why
            )
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)  # a folder where an entry belongs: the entry can never be written
            else:
                path.unlink()
        except OSError as e:
            log.warning("segment cache: could not remove the damaged entry %s (%s)", path, e.strerror or e)

    def put(self, key: str, audio: np.ndarray, meta: dict) -> None:
        buf = io.BytesIO()
        audio = np.asarray(audio, dtype=np.float32)
        meta_bytes = json.dumps(meta).encode("utf-8")
        np.savez(
            buf,
            audio=audio,
            meta=np.frombuffer(meta_bytes, dtype=np.uint8),
            sha256=np.array(_checksum(audio, meta_bytes)),
        )
        data = buf.getvalue()
        try:
            atomic_write(self._path(key), data)
        except OSError as e:
            log.warning("segment cache: could not write an entry (%s); continuing without it", e)
            return
        self._written += len(data)
        if self._written > self.max_bytes // 20:
            self._written = 0
            self.evict()

    def entries(self) -> list[Path]:
        return list(self.root.glob("??/*.npz"))

    def evict(self) -> int:
        """Remove least recently used entries until the cache is under its cap; returns entries removed."""
        files = []
        total = 0
        for p in self.entries():
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
            total += st.st_size
        removed = 0
        for _, size, p in sorted(files):
            if total <= self.max_bytes:
                break
            try:
                p.unlink()
                total -= size
                removed += 1
            except OSError:
                pass
        return removed


def default_cache_dir() -> Path:
    """RENDER_CACHE_DIR, else $XDG_CACHE_HOME/render/segments, else ~/.cache/render/segments."""
    env = os.environ.get("RENDER_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "render" / "segments"


def open_cache(cfg: CacheConfig) -> DiskCache | None:
    """The segment cache `cfg` asks for, or None when it is off or cannot be used (said once)."""
    if not cfg.enabled:
        return None
    root = Path(cfg.dir) if cfg.dir else default_cache_dir()
    try:
        return DiskCache(root, int(cfg.max_gb * 1024**3))
    except OSError as e:
        log.warning("segment cache at %s unusable (%s); rendering without it", root, e.strerror or e)
        return None
