"""Podcasting 2.0 rules: ``podcast:guid``, ``podcast:locked``, ``podcast:person`` and the
URL attributes of the namespace's link elements."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from warcast.validation.context import Context, find, findall, is_http_url, text
from warcast.validation.findings import Finding, error, warning
from warcast.validation.rules import PERSON_GROUPS, PERSON_ROLES, URL_ATTRIBUTES

if TYPE_CHECKING:
    from lxml.etree import _Element


def check_podcast_guid(ctx: Context) -> Iterator[Finding]:
    """podcast:guid is a UUIDv5. It is derived from the feed URL once and then kept when the
    show moves, so one that differs from the UUIDv5 of today's URL is normal, not a finding."""
    value = text(find(ctx.channel, "podcast:guid", ctx.ns))
    if not value:
        return
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        yield error("channel", "podcast", f"<podcast:guid> '{value}' is not a UUID; use a UUIDv5")
        return
    if parsed.version != 5:
        yield error(
            "channel", "podcast", f"<podcast:guid> is a version {parsed.version} UUID; "
            "it must be a UUIDv5 of the feed URL",
        )


def check_locked_owner(channel: _Element, ns: dict[str, str]) -> Iterator[Finding]:
    """podcast:locked should name the owner address that may unlock it."""
    locked = find(channel, "podcast:locked", ns)
    if locked is not None and not locked.get("owner"):
        yield warning(
            "channel", "podcast", "<podcast:locked> has no owner attribute; add the owner's email"
        )


def check_persons(scope: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """podcast:person needs a name; role and group should come from the podcast taxonomy."""
    for person in findall(scope, "podcast:person", ns):
        if not text(person):
            yield error(where, "podcast", "<podcast:person> has no name")
        for attribute, known in (("role", PERSON_ROLES), ("group", PERSON_GROUPS)):
            value = person.get(attribute)
            if value is not None and value.strip().lower() not in known:
                yield warning(
                    where, "podcast", f"<podcast:person> {attribute} '{value}' is not in the "
                    "Podcast Taxonomy; apps may not recognise it",
                )


def check_url_attributes(scope: _Element, where: str, ns: dict[str, str]) -> Iterator[Finding]:
    """Report Podcasting 2.0 link attributes that are missing or not http(s) URLs."""
    for name, (required, optional) in URL_ATTRIBUTES.items():
        for element in findall(scope, name, ns):
            for attribute in (*required, *optional):
                value = element.get(attribute)
                if value is None and attribute not in required:
                    continue
                if value is None:
                    yield error(where, "podcast", f"<{name}> has no {attribute} attribute")
                elif not is_http_url(value):
                    yield error(
                        where, "podcast", f"<{name}> {attribute} '{value}' is not an http(s) URL"
                    )
