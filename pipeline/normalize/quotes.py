"""Quotes: dialogue in straight double quotes, apostrophes kept, unbalanced quotes repaired.

`fix_quotes` works on a whole paragraph and returns a string of the *same length* (one character for
one), so a segmenter can cut sentences from the original text and take the same spans of the fixed one.
British single-quote dialogue ('Hello,' she said) becomes double-quote dialogue; apostrophes in don't,
'90s, rock 'n' roll, the students' books and O'Brien stay; a quotation inside a quotation loses its marks. `balance_quotes` then repairs a piece whose
double quotes do not pair up (a sentence cut from a longer quotation, or a quotation that runs on into the
next paragraph, as British and American books both do).
"""

from __future__ import annotations

from .chars import one_to_one

# words that begin with an apostrophe: 'tis, 'twas, 'em, 'cause ... (lower case, without the apostrophe)
ELISIONS = frozenset(
    {
        "tis",
        "twas",
        "twere",
        "twill",
        "twould",
        "em",
        "cause",
        "cos",
        "til",
        "till",
        "bout",
        "round",
        "n",
        "im",
        "er",
        "ere",
        "ave",
        "appen",
        "ow",
        "e",
        "is",
        "alf",
        "orrible",
        "ome",
        "ouse",
        "ad",
        "ead",
        "eaven",
        "ello",
        "allo",
        "ullo",
        "arf",
        "urt",
        "uman",
        "un",
        "nuff",
        "kay",
        "scuse",
        "spect",
        "fraid",
        "gainst",
        "mongst",
        "neath",
        "tween",
        "twixt",
        "mid",
        "midst",
        "pon",
        "prentice",
    }
)


def _word_after(text: str, i: int) -> str:
    j = i + 1
    n = len(text)
    while j < n and j - i <= 12 and text[j].isalpha():
        j += 1
    return text[i + 1 : j].lower()


def fix_quotes(text: str) -> str:
    """Curly quotes straightened; single-quote dialogue to double quotes. Same length as `text`."""
    original = text
    text = one_to_one(text)
    if "'" not in text:
        return text
    n = len(text)
    roles: list[tuple[int, str]] = []  # (index, "open" | "close") of dialogue candidates
    for i, ch in enumerate(text):
        if ch != "'":
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        if prev.isalnum() and nxt.isalnum():
            continue  # don't, O'Brien, rock'n'roll
        if prev.isspace() or prev in '([{"\u2014-' or (not prev.isalnum() and nxt.isalnum()):
            if nxt.isdigit():
                continue  # '90s, '05
            if nxt.isspace():
                continue  # a lone ' between spaces
            word = _word_after(text, i)
            after = text[i + 1 + len(word)] if i + 1 + len(word) < n else " "
            if (
                word in ELISIONS
                and (word != "n" or after == "'")
                and not (word == "is" and _closes_soon(text, i))
            ):
                continue  # 'tis, 'em, 'n'
            roles.append((i, "open"))
        else:  # after a letter, a digit or punctuation, before a space, punctuation or the end
            after = text[i + 1 : i + 3]
            if prev.isalpha() and after[:1] == " " and after[1:2].isalpha() and after[1:2].islower():
                continue  # the students' books, goin' home
            roles.append((i, "close"))
    # pair opens with closes; lone closes are apostrophes (goin'.), a lone open at the paragraph start is a
    # quotation that runs on into the next paragraph. Single quotes inside double-quoted speech are the inner
    # level (American style) and stay single; single-quoted speech (British style) becomes double, and the
    # double quotes inside it become single, so the two levels stay apart.
    inside = _inside_double(original)
    chars = list(text)
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    for i, role in roles:
        if role == "open":
            open_at = i
        elif open_at is not None:
            if inside[open_at]:
                chars[open_at] = chars[i] = INNER_QUOTE
            else:
                spans.append((open_at, i))
            open_at = None
    if open_at is not None and not inside[open_at] and (open_at == _first_nonspace(text) or spans):
        spans.append((open_at, len(text)))
    for a, b in spans:
        chars[a] = '"'
        if b < len(text):
            chars[b] = '"'
        for j in range(a + 1, b):
            if text[j] == '"':
                chars[j] = INNER_QUOTE
    return "".join(chars)


# a quotation inside a quotation: its marks are not read (the engine hears one level of quotes); a private-use
# character keeps the text's length until normalize drops it
INNER_QUOTE = "\ue000"
_OPEN_DOUBLE = "\u201c\u201e\u00ab\u301d"
_CLOSE_DOUBLE = "\u201d\u00bb\u301e"


def _inside_double(text: str) -> list[bool]:
    """For each character, whether it sits inside double-quoted speech (curly quotes say which way they
    face; a straight one opens after a space or at the start and closes otherwise)."""
    out = []
    depth = False
    for i, ch in enumerate(text):
        if ch in _OPEN_DOUBLE:
            depth = True
        elif ch in _CLOSE_DOUBLE:
            depth = False
        elif ch in '"\u201f\u2033\uff02':
            prev = text[i - 1] if i else " "
            depth = prev.isspace() or prev in "([{\u2014-"
        out.append(depth)
    return out


def _closes_soon(text: str, i: int) -> bool:
    """Whether a quote that could start an elision ('e, 'is) is followed by a closing quote before a
    sentence ends: then it opens dialogue ('Is it?' he asked)."""
    j = text.find("'", i + 1, i + 400)
    return (j > 0 and text[j - 1] in ".,!?;:") or (j > 0 and j + 1 >= len(text))


def _first_nonspace(text: str) -> int:
    for i, ch in enumerate(text):
        if not ch.isspace():
            return i
    return -1


def balance_quotes(text: str) -> str:
    """Make the double quotes of a piece pair up: a quotation still open at the end is closed there, a
    closing quote with no opening one gets one at the start; a lone quote with no words after it goes."""
    if text.count('"') % 2 == 0:
        first = text.find('"')
        if (
            first <= 0
            or text[first - 1].isspace()
            or text[first - 1] in "([-"
            or (text[first + 1 : first + 2] not in ("", " ") and text[first + 1 : first + 2].isalnum())
        ):
            return text
        # the piece starts inside a quotation and ends inside another ('I will," he went on, "tell you'):
        # open the first and close the last, so the quotes pair up as the book pairs them
        stripped = text.rstrip()
        return '"' + stripped + '"' + text[len(stripped) :]
    if ' " ' in f" {text} ":
        stray = f" {text} ".replace(' " ', " ", 1)[1:-1]  # a quote with space on both sides belongs nowhere
        if stray.count('"') % 2 == 0:
            return stray
    depth = 0
    missing_open = False
    last_open = -1
    for i, ch in enumerate(text):
        if ch != '"':
            continue
        prev = text[i - 1] if i else " "
        opening = prev.isspace() or prev in "([-"
        if depth == 0 and not opening:
            missing_open = True  # the piece starts inside a quotation
        elif depth == 0:
            depth, last_open = 1, i
        else:
            depth = 0
    if missing_open and depth == 0:
        return '"' + text
    if depth == 1 and not any(c.isalnum() for c in text[last_open + 1 :]):
        return text[:last_open] + text[last_open + 1 :]
    stripped = text.rstrip()
    # still open at the end; and if the piece also started inside a quotation ('I will," he went on,
    # "tell you'), it gets its opening quote too, so the quotes pair up as the book pairs them
    return ('"' if missing_open else "") + stripped + '"' + text[len(stripped) :]
