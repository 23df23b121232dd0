"""Article exports as JSON Lines: one JSON object per line.

Each line holds ``url, title, authors, published, tags, dek, body, access`` (other keys are
ignored). ``authors`` and ``tags`` are lists of strings (a single string is one value),
``published`` is ISO 8601, ``access`` is ``public`` or ``members``. A line that is not valid
JSON, or has a field of the wrong type, is skipped with the reason; the others are imported.
"""

from __future__ import annotations

import json
from typing import Any

from warcast.articles.article import Draft, Reading, Skip, source_error
from warcast.articles.text import excerpt

TEXT_FIELDS = ("url", "title", "published", "dek", "body", "access")
LIST_FIELDS = ("authors", "tags")


def read_lines(data: bytes, *, source: str) -> Reading:
    """Parse JSON Lines into drafts, one per non-blank line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise source_error(source, f"is not UTF-8 text (byte {exc.start})",
                           "Export the JSON Lines as UTF-8") from None
    reading = Reading("jsonl")
    # Not splitlines(): it also splits at control characters that may sit inside a string.
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            reading.entries.append(_entry(line, f"line {number}"))
    return reading


def _entry(line: str, label: str) -> Draft | Skip:
    """One line as a draft, or the reason it cannot be one."""
    try:
        record = json.loads(line, strict=False)  # raw control characters are removed later
    except json.JSONDecodeError as exc:
        return Skip(label, f"is not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return Skip(label, f"is {_json_type(record)} in JSON, not an object")
    title = excerpt(record["title"]) if isinstance(record.get("title"), str) else ""
    label = f"{label} ('{title}')" if title else label
    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            return Skip(label, f"'{name}' must be a string, not {_json_type(value)}")
        fields[name] = value or ""
    for name in LIST_FIELDS:
        value = record.get(name)
        values = [value] if isinstance(value, str) else value or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return Skip(label, f"'{name}' must be a list of strings")
        fields[name] = values
    return Draft(item=label, **fields)


def _json_type(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list",
             dict: "an object", str: "a string"}
    return names.get(type(value), "a value")
