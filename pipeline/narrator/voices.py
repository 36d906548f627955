"""`render --voices`: every engine's voices, and one sentence rendered in each voice available here.

hibari ships one voice in its package (`heart`); the others are downloaded on first use, which needs a
network, so here each one is listed with whether it can be heard now and, where it cannot, why. Soprano has
one voice, its model: it is rendered when its weights are found and torch is installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import defaults as D
from ..audio import pad_to_frames, resample
from ..config import Config
from ..errors import RenderError
from ..export.encode import encode_to_target
from ..export.names import EXTENSIONS
from ..files import atomic_path, inside
from ..loudness import normalize_loudness
from .words import make_folder


@dataclass(slots=True)
class VoiceLine:
    engine: str
    voice: str
    about: str
    file: Path | None = None
    why_not: str = ""


def hibari_voices() -> list[VoiceLine]:
    """hibari's registry: each voice, and whether its model is here (in the package or cached)."""
    from hibari.voices import VOICES, voice_path

    lines = []
    for name, v in VOICES.items():
        about = f"{v['language']} {v['gender']} {v['accent']}"
        try:
            voice_path(name, download_missing=False)
            lines.append(VoiceLine("hibari", name, about))
        except FileNotFoundError as e:
            lines.append(
                VoiceLine(
                    "hibari",
                    name,
                    about,
                    why_not=f"not here yet: hibari downloads {os.path.basename(str(e))} ({v['bytes'] / 1e6:.1f} MB) "
                    f"on its first use, which needs a network (render --voice {name} once)",
                )
            )
    return lines


def soprano_voices(cfg: Config) -> list[VoiceLine]:
    from ..synthesize import soprano_weights

    where = soprano_weights(cfg.engine.model_path or os.environ.get("SOPRANO_MODEL_PATH", ""))
    if where is None:
        return [
            VoiceLine(
                "soprano",
                "soprano-80m",
                "the model's one voice",
                why_not="weights not found (--model-path, SOPRANO_MODEL_PATH or the Hugging Face cache)",
            )
        ]
    try:
        import torch  # noqa: F401 - only asked whether it is installed
    except ImportError:
        return [
            VoiceLine(
                "soprano",
                "soprano-80m",
                "the model's one voice",
                why_not="torch is not installed; install with: pip install -e '.[soprano]'",
            )
        ]
    return [VoiceLine("soprano", "soprano-80m", f"the model's one voice ({where})")]


def _speak(line: VoiceLine, cfg: Config, out: Path) -> None:
    """Render `D.VOICE_SENTENCE` in `line`'s voice to `out/<engine>-<voice>.<fmt>`, or say why not."""
    from ..synthesize import load_engine
    from ..synthesize.base import SynthRequest, segment_seed

    engine_cfg = cfg.engine.model_copy(update={"name": line.engine})
    if line.engine == "hibari":
        engine_cfg = engine_cfg.model_copy(update={"voice": line.voice})
    try:
        engine = load_engine(engine_cfg)
    except RenderError as e:
        line.why_not = str(e)
        return
    try:
        audio = engine.synthesize_batch([SynthRequest(D.VOICE_SENTENCE, segment_seed(D.VOICE_SENTENCE))])[
            0
        ].audio
    finally:
        engine.close()
    pcm = normalize_loudness(
        pad_to_frames(resample(audio, engine.sample_rate, cfg.output.sample_rate)), cfg.output
    )
    fmt = next((f for f in cfg.output.formats if f in ("mp3", "m4b", "opus", "flac", "wav")), "mp3")
    target = inside(out, out / f"{line.engine}-{line.voice}{EXTENSIONS[fmt]}")
    with atomic_path(target) as tmp:
        encode_to_target(pcm, cfg.output.sample_rate, tmp, fmt, cfg.output)
    line.file = target


def render_voices(cfg: Config, out: Path | None, quiet: bool = False) -> list[VoiceLine]:
    """List every voice on stdout, one line each, with the file its sentence went to or why there is none."""
    import typer

    out = Path(out) if out is not None else Path(D.VOICES_OUT)
    make_folder(out)
    lines = [*hibari_voices(), *soprano_voices(cfg)]
    for line in lines:
        if not line.why_not:
            _speak(line, cfg, out)
        said = str(line.file) if line.file is not None else f"not rendered: {line.why_not}"
        typer.echo(f"{line.engine:8s} {line.voice:12s} {line.about:32s} {said}")
    return lines
