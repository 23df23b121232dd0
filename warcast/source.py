"""Typed access to the tables of hand-written TOML source files.

Every getter names the file and the dotted key when a value is missing or of the wrong kind,
and says what to write instead, so a producer can fix ``episode.toml`` from the message alone.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcast.errors import SourceError

_MISSING = object()
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SourceTable:
    """One TOML table of a source file, with the file path and key prefix for error messages."""

    def __init__(self, data: dict[str, Any], path: Path, prefix: str = "") -> None:
        self.data = data
        self.path = path
        self.prefix = prefix

    def error(self, key: str, message: str, hint: str | None = None) -> SourceError:
        """An error about ``key`` of this table."""
        return SourceError(message, path=self.path, key=self.prefix + key, hint=hint)

    def _get(self, key: str, kind: type | tuple[type, ...], kind_name: str, default: Any) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.error(key, "is required but missing", f"Add {key} = <{kind_name}>")
            return default
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise self.error(key, f"must be {kind_name}, not {type(value).__name__}")
        return value

    def text(self, key: str, default: Any = _MISSING, *, nonempty: bool = True) -> str:
        """A string value; required unless ``default`` is given."""
        value = self._get(key, str, "a quoted string", default)
        if value is default:
            return value
        # Control characters cannot appear in XML and never belong in titles or names.
        value = _CONTROL.sub("", value).strip()
        if nonempty and not value:
            raise self.error(key, "is empty", "Write some text between the quotes")
        return value

    def optional_text(self, key: str) -> str | None:
        """A string value or None when absent or blank."""
        value = self.text(key, None, nonempty=False)
        return value or None

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> int:
        """A whole number no smaller than ``minimum``."""
        value = self._get(key, int, "a whole number", default)
        if value is not default and value < minimum:
            raise self.error(key, f"must be {minimum} or more, not {value}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        """true or false."""
        return self._get(key, bool, "true or false", default)

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        """A string that must be one of ``choices``."""
        value = self.text(key, default)
        if value not in choices:
            raise self.error(key, f"'{value}' is not allowed", f"Use one of: {', '.join(choices)}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """An array of strings (empty when absent)."""
        value = self._get(key, list, "an array of strings", [])
        if not all(isinstance(item, str) for item in value):
            raise self.error(key, "must be an array of strings", 'Write ["one", "two"]')
        cleaned = (_CONTROL.sub("", item).strip() for item in value)
        return tuple(item for item in cleaned if item)

    def url(self, key: str, default: Any = _MISSING, *, spaces: bool = False) -> str:
        """An absolute http(s) URL (checked before any cleaning: a URL is taken as written;
        ``spaces`` lets plain spaces through)."""
        value = self._get(key, str, "a quoted URL", default)
        if value is default:
            return value
        value = value.strip()
        check_url(value, lambda message: self.error(key, message), spaces=spaces)
        return value

    def feed_xml(self, key: str = "feed_xml") -> str | None:
        """Podcasting 2.0 elements to publish as written (checked: podcast: elements only)."""
        value = self.optional_text(key)
        if value is None:
            return None
        from warcast.feed.extensions import parse_fragment

        try:
            parse_fragment(value)
        except ValueError as exc:
            raise self.error(key, str(exc), "Write podcast: elements, e.g. "
                             '<podcast:value type="lightning" method="keysend">…</podcast:value>'
                             ) from None
        return value

    def optional_url(self, key: str) -> str | None:
        """An absolute http(s) URL or None."""
        return self.url(key, None)

    def datetime(self, key: str) -> dt.datetime:
        """An offset date-time; a date-time without a zone is refused."""
        value = self.data.get(key, _MISSING)
        example = "2026-01-05T09:00:00-05:00"
        if value is _MISSING:
            raise self.error(key, "is required but missing", f"Add {key} = {example}")
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                raise self.error(key, f"'{value}' is not a date-time", f"Write it like {example}")\
                    from None
        if not isinstance(value, dt.datetime):
            raise self.error(key, "must be a date and time", f"Write it like {example}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise self.error(key, "has no time zone", f"Add the UTC offset, like {example}")
        return value

    def table(self, key: str, *, required: bool = False) -> SourceTable | None:
        """A sub-table, or None when absent and not required."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                raise self.error(key, "is required but missing", f"Add a [{key}] table")
            return None
        if not isinstance(value, dict):
            raise self.error(key, "must be a table", f"Write it as [{key}] with keys below")
        return SourceTable(value, self.path, f"{self.prefix}{key}.")

    def tables(self, key: str) -> list[SourceTable]:
        """An array of tables ([[key]] blocks), empty when absent."""
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(key, "must be an array of tables", f"Write each entry as [[{key}]]")
        return [SourceTable(item, self.path, f"{self.prefix}{key}[{n}].")
                for n, item in enumerate(value)]

    def reject_unknown(self, known: set[str]) -> None:
        """Refuse keys this table does not define (typos would otherwise be silently ignored)."""
        for key in sorted(set(self.data) - known):
            raise self.error(key, "is not a known setting",
                             f"Check the spelling; known keys: {', '.join(sorted(known))}")


def check_url(value: str, fail: Any, *, spaces: bool = False) -> None:
    """Raise ``fail(message)`` unless ``value`` is an absolute http(s) URL without spaces
    (with ``spaces``, plain spaces pass: an enclosure URL apps know as written)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:   # e.g. an unclosed "[" (an IPv6 host)
        host = None
    bad_char = any((c.isspace() and not (spaces and c == " ")) or ord(c) < 32 or ord(c) == 127
                   for c in value)
    if host is None or parts.scheme not in ("http", "https") or bad_char:
        raise fail(f"'{value}' is not an absolute http(s) URL")
