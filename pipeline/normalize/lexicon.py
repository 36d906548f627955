"""A pronunciation lexicon: whole-word, case-aware respellings applied before the engine sees the text.

TOML, one table `[words]` of `"Word" = "respelling"`. A key in lower case matches any case of the word;
a key with capitals matches that exact case only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

BUNDLED = Path(__file__).resolve().parents[2] / "configs" / "lexicon.toml"


@dataclass(slots=True)
class Lexicon:
    exact: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern | None = None

    def update(self, words: dict[str, str]) -> None:
        for key, value in words.items():
            if key.lower() == key:
                self.folded[key] = value
            else:
                self.exact[key] = value
        keys = sorted({*self.exact, *self.folded}, key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![\w'])(" + "|".join(re.escape(k) for k in keys) + r")(?!\w|'(?!s\b)\w)", re.IGNORECASE
            )
            if keys
            else None
        )

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text

        def sub(m: re.Match) -> str:
            word = m.group(0)
            if word in self.exact:
                return self.exact[word]
            return self.folded.get(word.lower(), word)

        return self._pattern.sub(sub, text)


def load_lexicon(paths: Sequence[str | Path] | None = None, bundled: bool = True) -> Lexicon:
    lex = Lexicon()
    files = ([BUNDLED] if bundled and BUNDLED.is_file() else []) + [Path(p) for p in paths or []]
    for path in files:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"lexicon file not found: {path}") from e
        except IsADirectoryError as e:
            raise ConfigError(f"{path}: is a folder; --lexicon takes a TOML file") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError) as e:
            raise ConfigError(f"{path}: not a valid lexicon TOML ({e})") from e
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the lexicon ({e.strerror or e})") from e
        words = data.get("words", {})
        if not isinstance(words, dict) or not all(isinstance(v, str) for v in words.values()):
            raise ConfigError(f'{path}: a lexicon is a [words] table of "word" = "respelling"')
        empty = [k for k in words if not k.strip() or not any(ch.isalnum() for ch in k)]
        if empty:
            raise ConfigError(
                f"{path}: lexicon entry {empty[0]!r} has no word to match; every key must "
                "contain a letter or digit"
            )
        lex.update(words)
    return lex
