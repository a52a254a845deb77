"""Find where a key lives in a TOML file, so that errors can say file:line:col.

``tomllib`` gives positions only for syntax errors. Validation errors (a wrong type, an
unknown key) need the line of the key they are about; this module scans the text once and
maps key paths such as ``("nudge", 1, "at")`` to their line and columns. It understands
tables, arrays of tables, dotted keys and one-line inline tables, and skips multi-line
strings; anything it cannot place falls back to the nearest enclosing table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Path = tuple[str | int, ...]

_BARE_OR_QUOTED = r'(?:[A-Za-z0-9_-]+|"[^"\n]*"|\'[^\'\n]*\')'
_KEY = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEY})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_KEY})\s*\]")
_ASSIGNMENT = re.compile(rf"^(\s*)({_KEY})\s*=\s*")
_INLINE_PAIR = re.compile(rf"[{{,]\s*({_KEY})\s*=\s*")


def split_key(key: str) -> list[str]:
    """``'a."b.c".d'`` -> ``['a', 'b.c', 'd']``."""
    parts = re.findall(_BARE_OR_QUOTED, key)
    return [part[1:-1] if part[0] in "\"'" else part for part in parts]


def dotted(path: Path) -> str:
    """``("nudge", 1, "at")`` -> ``"nudge[1].at"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True)
class Position:
    """Where a key is: its line, the column of the key, and the column of its value (1-based)."""

    line: int
    key_col: int
    value_col: int


class SourceMap:
    """Key path -> position, built from a TOML document's text."""

    def __init__(self, text: str) -> None:
        self.positions: dict[Path, Position] = {}
        self._line_paths: dict[int, Path] = {}
        self._scan(text)

    def locate(self, path: Path) -> Position | None:
        """The position of ``path``, or of its nearest ancestor that appears in the file."""
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found:
                return found
        return None

    def path_at_line(self, line: int) -> Path | None:
        """The key path defined on ``line``, or the table that encloses it."""
        for candidate in range(line, 0, -1):
            if candidate in self._line_paths:
                return self._line_paths[candidate]
        return None

    def _scan(self, text: str) -> None:
        array_counts: dict[Path, int] = {}
        prefix: Path = ()
        open_quote: str | None = None
        inline_array: Path | None = None  # inside `key = [` spanning lines
        inline_items = 0
        depth = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if open_quote:
                if line.count(open_quote) % 2 == 1:
                    open_quote = None
                continue
            if inline_array is not None:
                stripped = line.lstrip()
                if stripped.startswith("{"):
                    item = (*inline_array, inline_items)
                    inline_items += 1
                    offset = len(line) - len(stripped)
                    self._record(item, number, offset, offset)
                    for pair in _INLINE_PAIR.finditer(stripped):
                        inner = (*item, *split_key(pair[1]))
                        self._record(inner, number, offset + pair.start(1), offset + pair.end())
                depth += line.count("[") - line.count("]")
                if depth <= 0:
                    inline_array = None
                continue
            if match := _ARRAY_HEADER.match(line):
                *parents, last = split_key(match[1])
                name = (*self._resolve(parents, array_counts), last)
                index = array_counts.get(name, -1) + 1
                array_counts[name] = index
                prefix = (*name, index)
                self._record(prefix, number, match.start(1), match.end())
            elif match := _TABLE_HEADER.match(line):
                prefix = self._resolve(split_key(match[1]), array_counts)
                self._record(prefix, number, match.start(1), match.end())
            elif match := _ASSIGNMENT.match(line):
                path = (*prefix, *split_key(match[2]))
                self._record(path, number, match.end(1), match.end())
                rest = line[match.end() :]
                if rest.lstrip().startswith("[") and rest.count("[") > rest.count("]"):
                    inline_array, inline_items = path, 0
                    depth = rest.count("[") - rest.count("]")
                if rest.lstrip().startswith("{"):
                    offset = match.end()
                    for pair in _INLINE_PAIR.finditer(rest):
                        inner = (*path, *split_key(pair[1]))
                        self._record(inner, number, offset + pair.start(1), offset + pair.end())
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        open_quote = quote
                        break

    @staticmethod
    def _resolve(parts: list[str], array_counts: dict[Path, int]) -> Path:
        """Insert the current index after each prefix that names an array of tables."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in array_counts:
                path = (*path, array_counts[path])
        return path

    def _record(self, path: Path, number: int, key_at: int, value_at: int) -> None:
        self.positions.setdefault(path, Position(number, key_at + 1, value_at + 1))
        self._line_paths.setdefault(number, path)
