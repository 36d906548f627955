import tomllib

import pytest

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError
from tests.conftest import ROOT


def test_default_toml_matches_the_defaults_module():
    data = tomllib.loads((ROOT / "configs" / "default.toml").read_text())
    assert Config.model_validate(data).model_dump() == Config().model_dump()


def test_unknown_key_is_rejected_with_valid_keys(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[output]\nformat = ['mp3']\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "unknown key 'output.format'" in str(e.value)
    assert "formats" in str(e.value) and "sample_rate" in str(e.value)


def test_unknown_section_is_rejected(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[outptu]\nformats = ['mp3']\n")
    with pytest.raises(
        ConfigError, match="valid keys here: cache, engine, limits, output, pauses, run, text, validate"
    ):
        load_config(p)


def test_bad_value_names_the_key(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[engine]\nspeed = 9\n")
    with pytest.raises(ConfigError, match=r"engine\.speed") as e:
        load_config(p)
    assert e.value.key == "engine.speed"  # the key itself, for the CLI to name its flag
    assert e.value.reason == "Input should be less than or equal to 2"


def test_overrides_win_over_file(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[engine]\nspeed = 1.5\nvoice = 'emma'\n")
    cfg = load_config(p, {"engine": {"speed": 0.8}})
    assert cfg.engine.speed == 0.8 and cfg.engine.voice == "emma"
