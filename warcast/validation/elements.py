"""Rules for any element of the channel or of an item, driven by the tables in ``rules``.

Presence, single occurrence, text length, enumerated values, yes-only flags, RFC 2822 dates,
``itunes:explicit`` and stray control characters.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from warcast.validation.context import find, findall, name_of, present, rule_for, text, texts_of
from warcast.validation.findings import ERROR, WARNING, Finding, error, warning
from warcast.validation.rules import (
    CONTROL_CHARACTER,
    EXPLICIT_VALUES,
    FUTURE_TOLERANCE,
    LEGACY_EXPLICIT_VALUES,
    Limit,
    Requirement,
    ValueRule,
)

if TYPE_CHECKING:
    from lxml.etree import _Element


def check_required(
    scope: _Element, where: str, ns: dict[str, str], table: tuple[Requirement, ...]
) -> Iterator[Finding]:
    """Report required or recommended elements that are missing or empty."""
    for name, rule, level, fix in table:
        element = find(scope, name, ns)
        if element is None:
            yield Finding(level, where, rule, f"no <{name}>; {fix}")
        elif not present(element):
            yield Finding(level, where, rule, f"<{name}> is empty; {fix}")


def check_single(
    scope: _Element, where: str, ns: dict[str, str], names: tuple[str, ...]
) -> Iterator[Finding]:
    """Report elements given more than once where apps read only one."""
    for name in names:
        count = len(findall(scope, name, ns))
        if count > 1:
            yield warning(where, rule_for(name), f"<{name}> appears {count} times; keep one")


def check_limits(
    scope: _Element, where: str, ns: dict[str, str], table: tuple[Limit, ...]
) -> Iterator[Finding]:
    """Report text longer than the spec allows."""
    for name, limit, unit, rule, level in table:
        for element in findall(scope, name, ns):
            value = text(element)
            size = len(value.encode("utf-8")) if unit == "bytes" else len(value)
            if size > limit:
                yield Finding(
                    level, where, rule, f"<{name}> is {size} {unit}; shorten it to {limit}"
                )


def check_values(
    scope: _Element,
    where: str,
    ns: dict[str, str],
    table: dict[str, ValueRule],
) -> Iterator[Finding]:
    """Report enumerated or numeric elements with a value outside what is allowed."""
    for name, (allowed, rule, wanted) in table.items():
        for element in findall(scope, name, ns):
            value = text(element)
            if not value:
                continue  # an empty element says nothing; required ones are reported as such
            if isinstance(allowed, re.Pattern):
                ok = allowed.fullmatch(value) is not None
            else:
                ok = value in allowed
            if not ok:
                yield error(where, rule, f"<{name}> is '{value}'; use {wanted}")


def check_flags(
    scope: _Element, where: str, ns: dict[str, str], names: tuple[str, ...]
) -> Iterator[Finding]:
    """Warn about yes-only flags set to something else, which Apple ignores."""
    for name in names:
        for element in findall(scope, name, ns):
            value = text(element)
            if value.lower() != "yes":
                yield warning(
                    where, "apple", f"<{name}> is '{value}', but only 'Yes' has an effect; "
                    "remove the element instead",
                )


def check_dates(
    scope: _Element, where: str, names: tuple[str, ...], now: datetime
) -> Iterator[Finding]:
    """Report dates that are not RFC 2822 with a zone, or far in the future."""
    for name in names:
        for element in scope.findall(name):
            problem = _date_problem(text(element), now)
            if problem is not None:
                level, message = problem
                yield Finding(level, where, "rss", f"<{name}> {message}")


def _date_problem(value: str, now: datetime) -> tuple[str, str] | None:
    """Return (level, what is wrong) for an RSS date, or None if it is fine."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        example = "Wed, 07 Oct 2020 04:30:38 GMT"
        return ERROR, f"'{value}' is not an RFC 2822 date; write e.g. '{example}'"
    if when.tzinfo is None:
        return ERROR, f"'{value}' has no time zone; add one, e.g. +0000"
    if not re.search(r"(?<!\d)\d{4}(?!\d)", value):   # "1 Jan 1" reads as 2001 in most apps
        return ERROR, f"'{value}' has no four-digit year; write e.g. 2020"
    if when > now + FUTURE_TOLERANCE:
        return WARNING, f"'{value}' is in the future; check the date and its time zone"
    return None


def check_explicit(scope: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """itunes:explicit takes true or false; yes/no/clean are the old values."""
    value = text(find(scope, "itunes:explicit", ns))
    if not value or value.lower() in EXPLICIT_VALUES:
        return
    if value.lower() in LEGACY_EXPLICIT_VALUES:
        yield warning(where, "apple", f"<itunes:explicit> is '{value}'; use true or false")
    else:
        yield error(where, "apple", f"<itunes:explicit> is '{value}'; use true or false")


def check_control_characters(
    scope: _Element, where: str, *, skip_items: bool
) -> Iterator[Finding]:
    """Report the first C1 control character, the mark of text mis-decoded from Windows-1252."""
    for child in scope.iterchildren():
        if skip_items and child.tag == "item":
            continue
        for element in child.iter():
            for value in texts_of(element):
                match = CONTROL_CHARACTER.search(value)
                if match:
                    code = f"U+{ord(match.group()):04X}"
                    yield warning(
                        where, "rss", f"<{name_of(element)}> contains control character {code}; "
                        "the text was probably pasted from Windows-1252, retype or re-encode it",
                    )
                    return
