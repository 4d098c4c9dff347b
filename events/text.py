"""Text as perfledger takes it: Unicode NFC, and no character that does not show as itself.

One rule for every string a fact carries (ids, codes, names, prose), whatever the way in; the
error names the character found (``U+200B ZERO WIDTH SPACE``) and shows where it is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from events.errors import InvalidField


def json_type(value: Any) -> str:
    """How a JSON value's type is called in an error: "a JSON number", "a string", "null"…"""
    return {
        bool: "a boolean",
        int: "a JSON number",
        float: "a JSON number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


# Bidirectional controls can make text display as other text ("Trojan Source"): refused everywhere.
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C))
# What prose may hold of Unicode's invisible (Cf) characters: the soft hyphen and the zero-width
# (non-)joiners belong to the spelling of words (Persian, Indic scripts, emoji sequences).
_PROSE_FORMAT = frozenset("\u00ad\u200c\u200d")
# Prose may hold new lines and tabs (notes are paragraphs); no other control character.
_PROSE_CONTROLS = frozenset("\n\t")
# Names for the control characters people meet (Unicode gives them none).
_CONTROL_NAMES = {
    0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x09: "CHARACTER TABULATION", 0x0A: "LINE FEED",
    0x0B: "LINE TABULATION", 0x0C: "FORM FEED", 0x0D: "CARRIAGE RETURN", 0x1B: "ESCAPE", 0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def _character(ch: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: a character's code point and, when it has one, its name."""
    name = unicodedata.name(ch, None) or _CONTROL_NAMES.get(ord(ch))
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def _refusal(ch: str, *, prose: bool) -> str | None:
    """Why ``ch`` may not be in a code or name (``prose=False``) or in prose; None if it may."""
    category = unicodedata.category(ch)
    if category == "Cs":
        return f"holds a lone surrogate {_character(ch)} (not valid Unicode text)"
    if category == "Cc" and not (prose and ch in _PROSE_CONTROLS):
        fix = "remove it" if prose else "a name or code is one line, without tabs: remove it"
        return f"holds a control character {_character(ch)}; {fix}"
    if ch in _BIDI:
        return (
            f"holds a bidirectional control {_character(ch)}"
            " (it makes text display as other text); remove it"
        )
    if category == "Cf" and not (prose and ch in _PROSE_FORMAT):
        return f"holds an invisible character {_character(ch)}; remove it"
    if category in ("Zl", "Zp"):
        fix = r"write a new line (\n) instead" if prose else "a name or code is one line: remove it"
        return f"holds a {'line' if category == 'Zl' else 'paragraph'} separator {_character(ch)}; {fix}"
    return None


def _shown(value: str, at: int) -> str:
    """The value in double quotes, around position ``at`` when long, with every character that is not
    plainly visible escaped (``"r-1\\u200b"``), so that an error shows what is there."""
    start, end = (0, len(value)) if len(value) <= 60 else (max(at - 30, 0), min(at + 30, len(value)))
    inner = "".join(
        ch if ch.isprintable() and not unicodedata.category(ch).startswith(("C", "Z")) or ch == " "
        else json.dumps(ch)[1:-1] if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"
        for ch in value[start:end]
    )
    return f'{"…" if start else ""}"{inner}"{"…" if end < len(value) else ""}'


# Strings that need no look at each character: printable ASCII, and in prose new lines and tabs too.
_PLAIN = re.compile(r"[ -~]*")
_PLAIN_PROSE = re.compile(r"[ -~\n\t]*")


def normalised_text(value: Any, field: str, *, limit: int, prose: bool) -> str:
    """A string in Unicode normal form C, refused (naming the character) when it holds a character that
    does not show as itself: controls (Cc), invisible format characters (Cf), line and paragraph
    separators (Zl, Zp), lone surrogates (Cs). Prose (``prose=True``, notes and reasons) may also
    hold new lines, tabs, soft hyphens and zero-width (non-)joiners; never a bidirectional control."""
    if not isinstance(value, str):
        raise InvalidField(field, f"must be a string, not {json_type(value)}")
    if len(value) > limit:
        raise InvalidField(field, f"is {len(value)} characters long; the limit is {limit}")
    if (_PLAIN_PROSE if prose else _PLAIN).fullmatch(value):
        return value  # printable ASCII (and, in prose, new lines and tabs): the common case, at C speed
    for at, ch in enumerate(value):
        if ch.isascii() and (ch >= " " and ch != "\x7f" or prose and ch in _PROSE_CONTROLS):
            continue  # the common case, at once
        problem = _refusal(ch, prose=prose)
        if problem is not None:
            raise InvalidField(field, f"{_shown(value, at)} {problem}")
    return value if value.isascii() else unicodedata.normalize("NFC", value)
