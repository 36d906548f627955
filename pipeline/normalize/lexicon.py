"""A pronunciation lexicon: whole-word, case-aware respellings applied before the engine sees the text.

TOML, one table `[words]` of `"Word" = "respelling"`. A key in lower case matches any case of the word;
a key with capitals matches that exact case only. A value between slashes is phonemes instead: IPA
(`"/ˈhɜːmaɪəni/"`) or hibari's own alphabet (misaki's, `"/hˈɜɹmIəni/"`), converted to hibari's; the word
is then marked in the normalized text as `[Word](/phonemes/)`, which hibari's G2P reads as those phonemes
for that word only (its lexicon and guesser are bypassed) and every other engine reads as the word
(`plain_text`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

BUNDLED = Path(__file__).resolve().parents[2] / "configs" / "lexicon.toml"


# hibari's phoneme alphabet (its vocab.json without punctuation): what a phoneme entry may hold once converted
ENGINE_PHONEMES = frozenset(
    "AIOQSTWYabcdefhijklmnopqrstuvwxyzæçðøŋœɐɑɒɔɕɖəɚɛɜɟɡɣɤɥɨɪɯɰɲɳɴɸɹɻɽɾʁʂʃʈʊʋʌʎʒʔʝʣʤʥʦʧʨʰʲˈˌːβθχᵊᵝᵻꭧ̃ "
)
_VOWELS = frozenset("AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻ")
# IPA spellings to hibari's (misaki, American): longest first; hibari's own phonemes pass through unchanged
_IPA = [
    ("d͡ʒ", "ʤ"),
    ("t͡ʃ", "ʧ"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("eɪ", "A"),
    ("aɪ", "I"),
    ("ɔɪ", "Y"),
    ("aʊ", "W"),
    ("oʊ", "O"),
    ("əʊ", "O"),
    ("ɜː", "ɜɹ"),
    ("iː", "i"),
    ("uː", "u"),
    ("ɑː", "ɑ"),
    ("ɔː", "ɔ"),
    ("ː", ""),
    ("ɝ", "ɜɹ"),
    ("ɚ", "əɹ"),
    ("r", "ɹ"),
    ("g", "ɡ"),
    ("ɫ", "l"),
    ("e", "ɛ"),
    (".", ""),
    ("'", "ˈ"),
    (",", "ˌ"),
]
PHONEME_MARK = re.compile(r"\[([^\[\]]+)\]\(/([^/()]*)/\)")


def engine_phonemes(written: str) -> str:
    """Phonemes as a lexicon entry writes them (IPA or hibari's own, without the slashes) in hibari's
    alphabet, each stress mark moved to just before its vowel as hibari writes them. Raises ValueError
    naming a character hibari has no phoneme for."""
    ps = written.strip()
    for ipa, ours in _IPA:
        ps = ps.replace(ipa, ours)
    out: list[str] = []
    pending = ""
    for ch in ps:
        if ch in "ˈˌ":
            pending += ch
            continue
        if ch in _VOWELS and pending:
            out.append(pending)
            pending = ""
        out.append(ch)
    ps = "".join(out) + pending
    bad = sorted({c for c in ps if c not in ENGINE_PHONEMES})
    if bad or not ps.strip():
        raise ValueError(
            f"hibari has no phoneme for {', '.join(repr(c) for c in bad)}" if bad else "no phonemes"
        )
    return ps


def plain_text(text: str) -> str:
    """Normalized text with its phoneme marks (`[Word](/phonemes/)`) back to the words: what every engine but
    hibari reads, and what a word count or an ASR comparison sees."""
    return PHONEME_MARK.sub(r"\1", text) if "](/" in text else text


def _word_pattern(keys, possessive: bool = False) -> re.Pattern | None:
    keys = sorted(keys, key=len, reverse=True)
    tail = r"('s\b)?" if possessive else ""
    return (
        re.compile(
            r"(?<![\w'\[])(" + "|".join(re.escape(k) for k in keys) + r")" + tail + r"(?!\w|'(?!s\b)\w)",
            re.IGNORECASE,
        )
        if keys
        else None
    )


def _possessive(ps: str) -> str:
    """The phonemes of "'s" after `ps`, as hibari's G2P adds them (misaki's rule)."""
    last = ps.rstrip("ˈˌ")[-1:]
    return "ᵻz" if last in "szʃʒʧʤ" else "s" if last in "ptkfθ" else "z"


@dataclass(slots=True)
class Lexicon:
    exact: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern | None = None
    phonemes_exact: dict[str, str] = field(default_factory=dict)  # word -> hibari phonemes
    phonemes_folded: dict[str, str] = field(default_factory=dict)
    _phoneme_pattern: re.Pattern | None = None
    files: list[str] = field(default_factory=list)  # the files it was read from

    def update(self, words: dict[str, str]) -> None:
        """Add entries: respellings, or phonemes (already `engine_phonemes`) between slashes."""
        for key, value in words.items():
            phonemes = len(value) > 2 and value.startswith("/") and value.endswith("/")
            for table in (
                (self.phonemes_folded, self.folded)
                if key.lower() == key
                else (self.phonemes_exact, self.exact)
            ):
                table.pop(key, None)  # a later file's entry replaces an earlier one, of either kind
            if key.lower() == key:
                (self.phonemes_folded if phonemes else self.folded)[key] = (
                    value.strip("/") if phonemes else value
                )
            else:
                (self.phonemes_exact if phonemes else self.exact)[key] = (
                    value.strip("/") if phonemes else value
                )
        self._pattern = _word_pattern({*self.exact, *self.folded})
        self._phoneme_pattern = _word_pattern({*self.phonemes_exact, *self.phonemes_folded}, possessive=True)

    def lookup(self, word: str) -> str | None:
        """The respelling, or `/phonemes/`, this lexicon gives `word`; None when it has no entry."""
        for table, key, mark in (
            (self.exact, word, ""),
            (self.folded, word.lower(), ""),
            (self.phonemes_exact, word, "/"),
            (self.phonemes_folded, word.lower(), "/"),
        ):
            if key in table:
                return f"{mark}{table[key]}{mark}"
        return None

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text

        def sub(m: re.Match) -> str:
            word = m.group(0)
            if word in self.exact:
                return self.exact[word]
            return self.folded.get(word.lower(), word)

        return self._pattern.sub(sub, text)

    def mark_phonemes(self, text: str) -> str:
        """Normalized text with each word that has phonemes marked `[Word](/phonemes/)` (the last step of
        `pipeline.normalize.normalize`)."""
        if self._phoneme_pattern is None:
            return text

        def sub(m: re.Match) -> str:
            word, poss = m.group(1), m.group(2) or ""
            ps = self.phonemes_exact.get(word) or self.phonemes_folded.get(word.lower())
            if not ps:
                return m.group(0)
            return f"[{word}{poss}](/{ps}{_possessive(ps) if poss else ''}/)"

        return self._phoneme_pattern.sub(sub, text)


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
        for key, value in words.items():
            if len(value) > 2 and value.startswith("/") and value.endswith("/"):
                try:
                    words[key] = f"/{engine_phonemes(value[1:-1])}/"
                except ValueError as e:
                    raise ConfigError(
                        f"{path}: lexicon entry {key!r} = {value!r}: {e}; write IPA or hibari's "
                        "phonemes between slashes"
                    ) from None
        lex.update(words)
        lex.files.append(str(path))
    return lex
