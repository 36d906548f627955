"""The config model: every tunable, strict, with defaults from `pipeline.defaults`.

A config file is TOML with the sections below (see `configs/default.toml`). Unknown keys are rejected with
an error that names the valid ones, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import defaults as D
from .errors import ConfigError


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EngineConfig(StrictModel):
    name: D.Engine = D.ENGINE
    batch_size: int = Field(D.BATCH_SIZE, ge=0, le=4096)  # 0 = the engine's own default
    voice: str = D.HIBARI_VOICE
    speed: float = Field(D.HIBARI_SPEED, ge=0.5, le=2.0)
    threads: int = Field(D.HIBARI_THREADS, ge=1, le=256)
    model_path: str = ""  # Soprano weights directory ("" = env or HF cache)
    backend: D.SopranoBackend = D.SOPRANO_BACKEND
    temperature: float = Field(D.SOPRANO_TEMPERATURE, ge=0.0, le=2.0)
    top_p: float = Field(D.SOPRANO_TOP_P, gt=0.0, le=1.0)
    top_k: int = Field(D.SOPRANO_TOP_K, ge=0, le=100_000)
    repetition_penalty: float = Field(D.SOPRANO_REPETITION_PENALTY, ge=1.0, le=3.0)
    max_new_tokens: int = Field(D.SOPRANO_MAX_NEW_TOKENS, ge=8, le=D.SOPRANO_MAX_NEW_TOKENS)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16 | int8 | fp16w (README: Soprano precision)
    decoder_dtype: str = D.SOPRANO_DECODER_DTYPE
    memory_fraction: float = Field(D.SOPRANO_MEMORY_FRACTION, gt=0.0, le=0.95)
    kv_cache_fraction: float = Field(D.SOPRANO_KV_CACHE_FRACTION, gt=0.0, le=0.95)


class TextConfig(StrictModel):
    language: str = D.LANGUAGE
    segment_min_s: float = Field(D.SEGMENT_MIN_S, ge=0.0, le=60.0)
    segment_max_s: float = Field(D.SEGMENT_MAX_S, gt=1.0, le=60.0)
    segment_merge_max_s: float = Field(D.SEGMENT_MERGE_MAX_S, gt=1.0, le=60.0)
    include_front_matter: bool = D.INCLUDE_FRONT_MATTER
    read_notes: bool = D.READ_NOTES
    lexicon: list[str] = Field(default_factory=list)  # extra lexicon files, applied after the bundled one


class PauseConfig(StrictModel):
    sentence_s: float = Field(D.PAUSE_SENTENCE_S, ge=0.0, le=10.0)
    line_s: float = Field(D.PAUSE_LINE_S, ge=0.0, le=10.0)
    paragraph_s: float = Field(D.PAUSE_PARAGRAPH_S, ge=0.0, le=10.0)
    section_s: float = Field(D.PAUSE_SECTION_S, ge=0.0, le=10.0)
    title_s: float = Field(D.PAUSE_TITLE_S, ge=0.0, le=10.0)
    head_s: float = Field(D.CHAPTER_HEAD_S, ge=0.0, le=10.0)
    tail_s: float = Field(D.CHAPTER_TAIL_S, ge=0.0, le=10.0)
    silence_threshold_db: float = Field(D.SILENCE_THRESHOLD_DB, ge=-120.0, le=0.0)
    trim_keep_s: float = Field(D.TRIM_KEEP_S, ge=0.0, le=1.0)


class OutputConfig(StrictModel):
    formats: list[D.Format] = Field(default_factory=lambda: list(D.FORMATS))
    sample_rate: int = Field(D.SAMPLE_RATE_HZ, ge=8000, le=192_000)
    mp3_bitrate: str = D.MP3_BITRATE
    aac_bitrate: str = D.AAC_BITRATE
    opus_bitrate: str = D.OPUS_BITRATE
    loudness: D.LoudnessPreset = D.LOUDNESS_PRESET
    target_rms_db: float = Field(D.TARGET_RMS_DB, ge=-40.0, le=-6.0)
    target_lufs: float = Field(D.TARGET_LUFS, ge=-40.0, le=-6.0)
    peak_db: float = Field(D.PEAK_CEILING_DB, ge=-20.0, le=0.0)
    subtitles: bool = D.SUBTITLES
    layout: D.Layout = D.LAYOUT


class ValidateConfig(StrictModel):
    max_attempts: int = Field(D.MAX_ATTEMPTS, ge=1, le=20)
    duration_ratio_min: float = Field(D.DURATION_RATIO_MIN, gt=0.0)
    duration_ratio_max: float = Field(D.DURATION_RATIO_MAX, gt=0.0)
    duration_slack_s: float = Field(D.DURATION_SLACK_S, ge=0.0)
    max_internal_silence_s: float = Field(D.MAX_INTERNAL_SILENCE_S, gt=0.0)
    min_rms_db: float = Field(D.MIN_RMS_DB, le=0.0)
    clip_fraction_max: float = Field(D.CLIP_FRACTION_MAX, ge=0.0, le=1.0)
    max_edge_silence_s: float = Field(D.MAX_EDGE_SILENCE_S, gt=0.0)
    qc: D.QcCheck = D.QC
    asr_wer_max: float = Field(D.ASR_WER_MAX, ge=0.0, le=1.0)
    asr_sample: float = Field(D.ASR_SAMPLE, ge=0.0, le=1.0)
    strict: bool = D.STRICT


class LimitsConfig(StrictModel):
    """Caps on what an untrusted book may cost (hostile books: zip bombs, giant chapters, stalls)."""

    epub_max_total_mb: float = Field(D.EPUB_MAX_TOTAL_BYTES / 2**20, gt=0)
    epub_max_member_mb: float = Field(D.EPUB_MAX_MEMBER_BYTES / 2**20, gt=0)
    epub_max_members: int = Field(D.EPUB_MAX_MEMBERS, ge=1)
    epub_max_ratio: float = Field(D.EPUB_MAX_RATIO, gt=1.0)
    max_spine_items: int = Field(D.MAX_SPINE_ITEMS, ge=1)
    max_toc_entries: int = Field(D.MAX_TOC_ENTRIES, ge=1)
    max_chapter_chars: int = Field(D.MAX_CHAPTER_CHARS, ge=1)
    max_book_chars: int = Field(D.MAX_BOOK_CHARS, ge=1)
    ingest_seconds: float = Field(D.INGEST_SECONDS, gt=0)


class RunConfig(StrictModel):
    executor: D.Executor = D.EXECUTOR
    ray_address: str = ""  # "" = RAY_ADDRESS, else a local Ray instance
    ray_cpus_per_actor: float = Field(D.RAY_CPUS_PER_ACTOR, gt=0.0)
    ray_gpus_per_actor: float = Field(D.RAY_GPUS_PER_ACTOR, ge=0.0)


class CacheConfig(StrictModel):
    enabled: bool = D.CACHE_ENABLED
    dir: str = ""  # "" = RENDER_CACHE_DIR or the user cache dir
    max_gb: float = Field(D.CACHE_MAX_GB, gt=0.0)


class Config(StrictModel):
    engine: EngineConfig = Field(default_factory=EngineConfig)
    text: TextConfig = Field(default_factory=TextConfig)
    pauses: PauseConfig = Field(default_factory=PauseConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    validate_: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    def audio_settings(self) -> dict[str, Any]:
        """Every setting that changes the audio, for the manifest and the chapter fingerprints
        (where the cache lives and how segments are batched change nothing)."""
        return self.model_dump(
            mode="json",
            by_alias=True,
            exclude={
                "cache": True,
                "run": True,
                "limits": True,
                "engine": {"batch_size"},
                "output": {"layout"},
            },
        )


def _fields_of(model: type[BaseModel]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel]:
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        for name, f in model.model_fields.items():
            if part in (name, f.alias):
                ann = f.annotation
                if isinstance(ann, type) and issubclass(ann, BaseModel):
                    model = ann
                break
    return model


def _explain(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    where = ".".join(str(p) for p in loc)
    if first["type"] == "extra_forbidden":
        valid = ", ".join(_fields_of(_model_at(loc)))
        return ConfigError(f"{source}: unknown key '{where}'; valid keys here: {valid}", key=where)
    return ConfigError(f"{source}: '{where}': {first['msg']}", key=where, reason=first["msg"])


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge two plain dicts; `override` wins."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the TOML file at `path`, then `overrides` (a nested dict, e.g. from CLI flags)."""
    data: dict[str, Any] = {}
    source = "config"
    if path is not None:
        source = str(path)
        p = Path(path)
        if p.is_dir():
            raise ConfigError(f"{path}: is a folder; --config takes a TOML file")
        if not p.exists():
            raise ConfigError(f"config file not found: {path}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as e:
            raise ConfigError(f"{path}: not valid TOML ({e})") from e
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the config ({e.strerror or e})") from e
    if overrides:
        data = merge(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise _explain(e, source) from e
