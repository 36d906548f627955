"""`render words BOOK`: every word the engine has to guess, to hear and fix before the book is rendered.

Each word of the book's text (the segments the render would read) is looked at as the engine will say it,
after normalization and the lexicons: a number as its words, an initialism as the engine spells it.

- hibari: a word is listed when its G2P has no reading for it in its lexicons (misaki's gold and silver
  dictionaries, with their stem rules) and falls back on its guesser (the OOV network), or reads a word in
  capitals letter by letter; the phonemes it will use are shown.
- Soprano has no G2P: a word is listed when it is rare in English by wordfreq's frequencies (Zipf under
  `D.WORDS_ZIPF_RARE`), or is a name (capitalized, and never written in lower case in the book), or holds
  digits or an initialism; the text the model reads is shown.

Sorted by how often a listener hears it. Written as a lexicon TOML with every entry commented out
(`lexicon_toml`) and a self-contained HTML page (`words_html`) with, for the most frequent words, a player
of a segment that holds it, rendered by the real engine.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import defaults as D
from ..normalize import Lexicon, normalize, plain_text
from ..records import Plan, Segment

_TOKEN = re.compile(r"[^\s\u2014]+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")


@dataclass(slots=True)
class WordEntry:
    """One word to check: as the book writes it, how often and where, and how the engine will say it."""

    word: str
    kind: str  # guessed | spelled | rare | name | number
    count: int = 0
    chapters: list[int] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)  # ids of the segments that hold it (first 50)
    context: str = ""  # one sentence of the book with the word in it
    reads: str = ""  # the words the engine gets (normalized, lexicon applied)
    says: str = ""  # hibari: its phonemes; Soprano: the text its model reads
    lexicon: str = ""  # the entry a lexicon already gives it, if any
    player_segment: str = ""  # the shortest segment that holds it (its player on the page)


# --- judging a word -----------------------------------------------------------------------------------
class HibariJudge:
    """hibari's G2P, asked word by word whether it reads a word from its dictionaries or guesses it."""

    engine = "hibari"

    def __init__(self, british: bool = False):
        from hibari.g2p import G2P

        self.g2p = G2P(british=british)
        self._memo: dict[str, str | None] = {}

    def kind(self, word: str, written: bool = True) -> str | None:
        """The verdict on one word as the engine gets it: "guessed", "spelled", or None (from its dictionaries)."""
        if word in self._memo:
            return self._memo[word]
        lex = self.g2p.lexicon
        verdict: str | None
        if lex.golds.get(word) is not None or lex.silvers.get(word) is not None:
            verdict = None
        else:
            tokens = self.g2p.phonemize_tokens(self.g2p.tokenize(word))
            ratings = [t.rating for t in tokens if t.text.strip() and any(c.isalpha() for c in t.text)]
            if any(r is None or r <= 2 for r in ratings):
                verdict = "guessed"
            elif word.isupper() and len(word) > 1 and any(r == 3 for r in ratings):
                verdict = "spelled"
            else:
                verdict = None
        self._memo[word] = verdict
        return verdict

    def says(self, reads: str) -> str:
        return "/" + self.g2p(reads) + "/"


class SopranoJudge:
    """Soprano reads what it was trained on: rare words (wordfreq) and names are the ones to check."""

    engine = "soprano"

    def __init__(self, lowercase_seen: set[str]):
        try:
            from wordfreq import zipf_frequency
        except ImportError as e:  # a runtime dependency; only a broken install lacks it
            from ..errors import EngineError

            raise EngineError(
                "render words for Soprano needs wordfreq; install with: pip install wordfreq"
            ) from e
        self.zipf = zipf_frequency
        self.lowercase_seen = lowercase_seen

    def kind(self, word: str, written: bool = True) -> str | None:
        """`written`: the book writes the word so (not a normalizer's expansion, as "Mister" of "Mr.")."""
        if word.isupper() and len(word) > 1:
            return "spelled"
        zipf = self.zipf(word.lower(), "en")
        if zipf < D.WORDS_ZIPF_RARE:
            return "rare"
        if (
            written
            and word[0].isupper()
            and word.lower() not in self.lowercase_seen
            and zipf < D.WORDS_ZIPF_NAME
        ):
            return "name"
        return None

    def says(self, reads: str) -> str:
        from ..synthesize.soprano.engine import model_text

        return model_text(reads)


# --- the book's words -------------------------------------------------------------------------------
def _sentence(seg: Segment, token: str) -> str:
    for s in seg.sentences:
        if token in s:
            return s
    return seg.text


def _occurrences(plan: Plan):
    """(token as written, as normalized (with its period), its key, segment) for every word of every
    planned segment, in reading order."""
    for index in sorted(plan.segments):
        for seg in plan.segments[index]:
            for m in _TOKEN.finditer(seg.text):
                token = _EDGE.sub("", m.group())
                if not token or not any(c.isalnum() for c in token):
                    continue
                token = _POSSESSIVE.sub("", token) if len(token) > 3 else token
                key = token if token.isupper() or any(c.isdigit() for c in token) else token.lower()
                said = (
                    token + "." if m.group().rstrip("\"'”’)]").endswith(".") else token
                )  # "Mr." is "Mister"
                yield token, said, key, seg


def find_words(
    plan: Plan, lexicon: Lexicon, engine: str, voice_british: bool = False, limit_segments: int = 50
) -> list[WordEntry]:
    """Every word of `plan` the engine has to guess, most heard first (see the module's docstring)."""
    seen: dict[str, WordEntry] = {}
    forms: dict[str, dict[str, int]] = {}
    lowercase: set[str] = set()
    occurrences = list(_occurrences(plan))
    for token, *_ in occurrences:
        if token.islower():
            lowercase.add(token)
    judge: HibariJudge | SopranoJudge = (
        HibariJudge(voice_british) if engine == "hibari" else SopranoJudge(lowercase)
    )
    verdicts: dict[str, tuple[str | None, str]] = {}
    for token, said, key, seg in occurrences:
        if said not in verdicts:
            verdicts[said] = _judge(said, lexicon, judge)
        kind, reads = verdicts[said]
        if kind is None:
            continue
        entry = seen.get(key)
        if entry is None:
            entry = seen[key] = WordEntry(
                token, kind, context=_sentence(seg, token), reads=reads, lexicon=lexicon.lookup(token) or ""
            )
        forms.setdefault(key, {}).setdefault(token, 0)
        forms[key][token] += 1
        entry.count += 1
        if seg.chapter not in entry.chapters:
            entry.chapters.append(seg.chapter)
        if len(entry.segments) < limit_segments and (not entry.segments or entry.segments[-1] != seg.id):
            entry.segments.append(seg.id)
    by_id = {s.id: s for segs in plan.segments.values() for s in segs}
    for key, entry in seen.items():
        entry.word = max(forms[key].items(), key=lambda kv: kv[1])[0]  # the form the book uses most
        entry.says = judge.says(entry.reads)
        entry.player_segment = min(entry.segments, key=lambda i: len(by_id[i].normalized))
        entry.context = _sentence(by_id[entry.player_segment], entry.word)  # the sentence its player says
    return sorted(seen.values(), key=lambda e: (-e.count, e.word.lower()))


def _judge(token: str, lexicon: Lexicon, judge) -> tuple[str | None, str]:
    """(kind or None, the words the engine gets) for one written token."""
    reads = plain_text(normalize(token, lexicon))
    if any(c.isdigit() for c in token):
        return "number", reads
    kinds = [judge.kind(w, w in token) for w in _WORD.findall(reads)]
    for kind in ("guessed", "rare", "name", "spelled"):
        if kind in kinds:
            return kind, reads
    return None, reads


# --- outputs ------------------------------------------------------------------------------------------
def chapter_ranges(chapters: list[int]) -> str:
    out: list[list[int]] = []
    for n in sorted(chapters):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in out)


_HOW = {
    "guessed": "guessed by its G2P",
    "spelled": "read letter by letter",
    "rare": "rare in English",
    "name": "a name",
    "number": "a number, read as words",
}


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lexicon_toml(words: list[WordEntry], title: str, engine: str) -> str:
    """The lexicon a person fills in: one commented-out entry per word, with its count, chapters, context
    and how the engine says it now; an entry starts as what the engine does now (uncommented unchanged, it
    changes nothing)."""
    lines = [
        f'# render words: the words {engine} has to guess in "{title}", most heard first.',
        "# To fix one, remove the '# ' before its entry and write a respelling (\"Yook-ridge\") or phonemes",
        "# between slashes: IPA (/ˈjuːkrɪdʒ/) or hibari's own (/jˈukɹɪʤ/). A lower-case word matches any case.",
        "# Saved as BOOK.lexicon.toml beside the book, it is read by every render of that book; or pass it",
        "# with --lexicon FILE. Render again and only the segments with an edited word are made again.",
        "[words]",
    ]
    for e in words:
        key = e.word if e.kind in ("name", "spelled") or e.word[:1].isupper() else e.word.lower()
        lines += [
            "",
            f"# {e.word}: {e.count} time{'s' * (e.count != 1)}, chapter{'s' * (len(e.chapters) != 1)} "
            f"{chapter_ranges(e.chapters)}; {_HOW[e.kind]}; {engine} says {e.says}",
            f"#   {' '.join(e.context.split())[:160]}",
        ]
        if e.lexicon:
            lines.append(f"#   already in a lexicon as {e.lexicon}")
        start = e.says if engine == "hibari" else (e.lexicon or e.word)
        lines.append(f"# {_toml_str(key)} = {_toml_str(start)}")
    return "\n".join(lines) + "\n"


_CSS = """body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f5f5f7;color:#1d1d1f}
main{max-width:980px;margin:0 auto;padding:24px}h1{margin:0 0 4px}.sub,.meta{color:#6e6e73}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:10px}td,th{padding:8px 10px;
border-bottom:1px solid #e5e5ea;text-align:left;vertical-align:top}th{font-size:13px;color:#6e6e73}
.w{font-weight:600}.ps{font-family:ui-monospace,monospace}.ctx{font-style:italic}audio{width:260px;height:32px}
.num{text-align:right}.pill{font-size:12px;border-radius:8px;padding:1px 6px;background:#eef}"""


def words_html(
    words: list[WordEntry], title: str, engine: str, players: dict[str, str], note: str = ""
) -> str:
    """The page: one row per word (count, chapters, how it is said, context), with the player of its segment
    (`players`: segment id -> `data:` URI) where one was rendered. Self-contained."""
    rows = []
    for n, e in enumerate(words, 1):
        uri = players.get(e.player_segment)
        player = f'<audio controls preload="none" src="{uri}"></audio>' if uri else ""
        rows.append(
            f"<tr><td class='num'>{n}</td><td><span class='w'>{html.escape(e.word)}</span><div class='meta'>"
            f"{html.escape(_HOW[e.kind])}</div></td><td class='num'>{e.count}</td>"
            f"<td>{html.escape(chapter_ranges(e.chapters))}</td><td class='ps'>{html.escape(e.says)}"
            f"{'<div class=meta>lexicon: ' + html.escape(e.lexicon) + '</div>' if e.lexicon else ''}</td>"
            f"<td><div class='ctx'>{html.escape(' '.join(e.context.split()))}</div>"
            f"<div class='meta'>segment {html.escape(e.player_segment)}</div>{player}</td></tr>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}: words to check</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}: words to check</h1><p class='sub'>{len(words)} words {html.escape(engine)} "
        f"has to guess, most heard first. {html.escape(note)}</p>"
        "<table><tr><th>#</th><th>Word</th><th>Times</th><th>Chapters</th><th>How it is said</th>"
        f"<th>In the book</th></tr>{''.join(rows)}</table></main></body></html>\n"
    )


def mp3_uri(audio, sample_rate: int, bitrate: str = "64k") -> str:
    """A `data:` URI of mono float32 audio as MP3."""
    from ..audio import as_f32le
    from ..ffmpeg import run_ffmpeg

    proc = run_ffmpeg(
        [
            "-f",
            "f32le",
            "-ar",
            str(sample_rate),
            "-ac",
            "1",
            "-i",
            "pipe:0",
            "-c:a",
            "libmp3lame",
            "-b:a",
            bitrate,
            "-f",
            "mp3",
            "-",
        ],
        input=bytes(as_f32le(audio)),  # a short clip: the copy costs nothing
    )
    return "data:audio/mpeg;base64," + base64.b64encode(proc.stdout).decode("ascii")


def speak(worker, segments: list[Segment], on_each: Callable[[], None] | None = None) -> dict[str, str]:
    """Render `segments` with the real engine (through the segment cache) and encode each as a player's URI."""
    out: dict[str, str] = {}
    for r in worker.render(segments):
        if r.audio.size:
            out[r.segment.id] = mp3_uri(r.audio, r.sample_rate)
        if on_each is not None:
            on_each()
    return out


# --- the command --------------------------------------------------------------------------------------
def make_folder(out) -> None:
    """Make an output folder, or say in one line why it cannot be made (exit 5)."""
    from ..errors import OutputError

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(
            f"{out}: output folder cannot be made ({e.strerror or e}); choose another --out"
        ) from e


@dataclass(slots=True)
class WordsResult:
    words: list[WordEntry]
    lexicon_file: str
    page: str
    players: int
    note: str = ""


def render_words(path, out, cfg, players: int = D.WORDS_PLAYERS, chapters: str | None = None) -> WordsResult:
    """`render words`: the book's words to check into `out` (default out/<book>-words/): `<book>.lexicon.toml`
    and `words.html`, with a player for each of the `players` most heard words."""
    from pathlib import Path

    from ..cache import open_cache
    from ..errors import EngineError
    from ..executors import make_worker
    from ..export.names import safe_name
    from ..files import atomic_write
    from ..normalize import load_lexicon
    from ..plan import book_lexicons, plan_book
    from ..synthesize import choose_engine

    path = Path(path)
    engine = choose_engine(cfg.engine)[0]
    plan = plan_book(path, cfg, chapters, engine)
    lexicon = load_lexicon([*cfg.text.lexicon, *book_lexicons(path)])
    british = False
    if engine == "hibari":
        from hibari.voices import VOICES

        british = bool(VOICES.get(cfg.engine.voice, {}).get("british"))
    words = find_words(plan, lexicon, engine, british)
    out = Path(out) if out is not None else Path("out") / f"{safe_name(path.stem)}-words"
    make_folder(out)
    title = plan.book.title or path.stem
    lex_file = out / f"{safe_name(path.stem)}{D.BOOK_LEXICON_SUFFIX}"
    atomic_write(lex_file, lexicon_toml(words, title, engine).encode("utf-8"))
    by_id = {s.id: s for segs in plan.segments.values() for s in segs}
    wanted = list(dict.fromkeys(e.player_segment for e in words[: max(0, players)]))
    uris: dict[str, str] = {}
    note = (
        f"Players: the {len(wanted)} most heard words, each in a segment of the book as {engine} reads it now."
        if wanted
        else ""
    )
    if wanted:
        try:
            worker = make_worker(cfg, None, open_cache(cfg.cache))
        except EngineError as e:
            note = f"No players: {e}"
        else:
            try:
                uris = speak(worker, [by_id[i] for i in wanted])
            finally:
                worker.close()
    page = out / "words.html"
    atomic_write(page, words_html(words, title, engine, uris, note).encode("utf-8"))
    return WordsResult(words, str(lex_file), str(page), len(uris), note)
