"""Where Soprano's weights are, and whether they are complete. Imports neither torch nor a model.

A checkpoint is a folder in the layout the published model uses (Hugging Face `ekwek/Soprano-1.1-80M`):
`config.json` (a Qwen3ForCausalLM config), `model.safetensors`, `tokenizer.json`, `tokenizer_config.json`
and `decoder.pth` (the Vocos decoder's torch state dict). `render --engine auto` and `--dry-run` call
`find_weights` and must stay instant: it only reads the config and the safetensors header.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import zipfile
from pathlib import Path

from ... import defaults as D
from ...errors import EngineError

log = logging.getLogger(__name__)

REQUIRED = ("config.json", "model.safetensors", "tokenizer.json", "decoder.pth")
OPTIONAL = ("tokenizer_config.json",)
SPECIAL_TOKENS = ("[STOP]", "[TEXT]", "[START]")
# safetensors names the loader needs (per layer, `{i}` is the layer index)
LM_TENSORS = ("model.embed_tokens.weight", "model.norm.weight")
LAYER_TENSORS = (
    "input_layernorm.weight",
    "post_attention_layernorm.weight",
    "self_attn.q_proj.weight",
    "self_attn.k_proj.weight",
    "self_attn.v_proj.weight",
    "self_attn.o_proj.weight",
    "self_attn.q_norm.weight",
    "self_attn.k_norm.weight",
    "mlp.gate_proj.weight",
    "mlp.up_proj.weight",
    "mlp.down_proj.weight",
)
CONFIG_KEYS = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
)

WHERE = (
    f"put {', '.join(REQUIRED + OPTIONAL)} in a folder and pass --model-path DIR "
    f"(or set SOPRANO_MODEL_PATH), or download {D.SOPRANO_REPO_ID} into the Hugging Face cache"
)


def _bad(path: Path, why: str) -> EngineError:
    return EngineError(f"Soprano checkpoint at {path} is not usable: {why}; {WHERE}")


def safetensors_header(path: Path) -> dict:
    """The JSON header of a .safetensors file: tensor name -> {dtype, shape, data_offsets}."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError("file too short")
        (n,) = struct.unpack("<Q", raw)
        if n <= 0 or n > 100_000_000:
            raise ValueError("bad header length")
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return header


def read_config(path: Path) -> dict:
    """config.json of the checkpoint at `path` (a folder), checked for the keys the engine needs."""
    try:
        cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise _bad(path, f"config.json unreadable ({e.__class__.__name__})") from e
    if not isinstance(cfg, dict):
        raise _bad(path, "config.json is not an object")
    missing = [k for k in CONFIG_KEYS if k not in cfg]
    if missing:
        raise _bad(path, f"config.json lacks {', '.join(missing)}")
    kind = cfg.get("model_type", "")
    if kind and kind != "qwen3":
        raise _bad(path, f"config.json is a '{kind}' model, expected qwen3")
    return cfg


def check_checkpoint(path: Path) -> Path:
    """`path` if it holds a complete checkpoint; otherwise EngineError with one line saying what is wrong."""
    if not path.is_dir():
        raise EngineError(f"Soprano weights folder not found: {path}; {WHERE}")
    missing = [n for n in REQUIRED if not (path / n).is_file()]
    if missing:
        raise _bad(path, f"missing {', '.join(missing)}")
    cfg = read_config(path)
    try:
        header = safetensors_header(path / "model.safetensors")
    except (OSError, ValueError) as e:
        raise _bad(path, f"model.safetensors is not a safetensors file ({e})") from e
    names = [
        *LM_TENSORS,
        *(f"model.layers.{i}.{t}" for i in range(int(cfg["num_hidden_layers"])) for t in LAYER_TENSORS),
    ]
    absent = [n for n in names if n not in header]
    if absent:
        raise _bad(path, f"model.safetensors lacks {len(absent)} tensors (first: {absent[0]})")
    if header["model.embed_tokens.weight"].get("shape") != [int(cfg["vocab_size"]), int(cfg["hidden_size"])]:
        raise _bad(path, "model.embed_tokens.weight does not match config.json")
    try:
        tok = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
        added = {t.get("content") for t in tok.get("added_tokens", [])} | set(
            tok.get("model", {}).get("vocab", {})
        )
    except (OSError, ValueError, AttributeError) as e:
        raise _bad(path, f"tokenizer.json unreadable ({e.__class__.__name__})") from e
    lacking = [t for t in SPECIAL_TOKENS if t not in added]
    if lacking:
        raise _bad(path, f"tokenizer.json lacks {', '.join(lacking)}")
    if not zipfile.is_zipfile(path / "decoder.pth"):
        raise _bad(path, "decoder.pth is not a torch state dict")
    return path


def _hf_cache_dirs() -> list[Path]:
    if os.environ.get("HF_HUB_CACHE"):
        return [Path(os.environ["HF_HUB_CACHE"])]
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    return [home / "hub"]


def cached_snapshot(repo_id: str = D.SOPRANO_REPO_ID) -> Path | None:
    """The newest complete snapshot of `repo_id` in the Hugging Face cache, without importing huggingface_hub."""
    for hub in _hf_cache_dirs():
        repo = hub / f"models--{repo_id.replace('/', '--')}"
        ref = repo / "refs" / "main"
        snaps = repo / "snapshots"
        candidates = []
        if ref.is_file():
            candidates.append(snaps / ref.read_text().strip())
        if snaps.is_dir():
            candidates += sorted(snaps.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for snap in candidates:
            if all((snap / n).is_file() for n in REQUIRED):
                return snap
    return None


def _download(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        return Path(snapshot_download(repo_id, allow_patterns=list(REQUIRED + OPTIONAL)))
    except Exception as e:  # noqa: BLE001 - no network, no such repo, gated: the caller says where to put them
        log.warning(
            "Soprano weights: download of %s failed (%s: %s)",
            repo_id,
            type(e).__name__,
            str(e).splitlines()[0][:160] if str(e) else "no detail",
        )
        return None


def find_weights(model_path: str = "", download: bool = False) -> Path | None:
    """The checkpoint folder: `model_path`, else SOPRANO_MODEL_PATH, else the Hugging Face cache for
    `ekwek/Soprano-1.1-80M` (and, only if `download`, a download of it). None when nothing is found and no
    folder was named; EngineError (one line) when a named folder or the cached one is incomplete."""
    named = model_path or os.environ.get("SOPRANO_MODEL_PATH", "")
    if named:
        return check_checkpoint(Path(named).expanduser())
    snap = cached_snapshot()
    if snap is None and download:
        snap = _download(D.SOPRANO_REPO_ID)
    return check_checkpoint(snap) if snap is not None else None
