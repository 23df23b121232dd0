"""The article model, and the one place where what a source said becomes an :class:`Article`.

Readers (feeds, JSON Lines, saved pages) only map their fields into a :class:`Draft`;
:func:`finish` checks and cleans every draft the same way: the URL is required and normalized,
the title is required, text becomes plain text, dates get a zone, the members category becomes
``access``. A draft that cannot become an article becomes a :class:`Skip` with the reason.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from warcast.articles.text import body_text, dek_text, excerpt, one_line, remove_controls
from warcast.errors import ArticleError

ACCESS = ("public", "members")


@dataclass(frozen=True)
class Article:
    """One written article of the publication, as the linker and the site will read it."""

    url: str
    title: str
    authors: tuple[str, ...] = ()
    published: dt.datetime | None = None
    tags: tuple[str, ...] = ()
    dek: str = ""
    body: str = ""
    access: str = "public"
    source: str = ""

    @property
    def members_only(self) -> bool:
        return self.access == "members"


@dataclass(frozen=True)
class Skip:
    """An item of a source that was not imported, and why."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class Draft:
    """What a reader found for one item, as the source wrote it (HTML allowed everywhere)."""

    item: str
    url: str = ""
    title: str = ""
    authors: list[str] = field(default_factory=list)
    published: str = ""
    tags: list[str] = field(default_factory=list)
    dek: str = ""
    body: str = ""
    access: str = ""
    """"public", "members", or "" when the source does not say (the members category decides)."""


@dataclass
class Reading:
    """What a reader made of one source: drafts and skips in source order, base URL, warnings."""

    kind: str
    entries: list[Draft | Skip] = field(default_factory=list)
    base: str = ""
    warnings: list[str] = field(default_factory=list)


def finish(draft: Draft, *, source: str, members_category: str, base: str = "",
           warnings: list[str]) -> Article | Skip:
    """Check and clean a draft into an article; problems that only lose a field are warnings."""
    raw_url = remove_controls(draft.url).strip()
    if not raw_url:
        return Skip(draft.item, "has no URL")
    url = normalize_url(urljoin(base, raw_url))
    if url is None:
        return Skip(draft.item, f"URL '{excerpt(raw_url, 80)}' is not an absolute http(s) URL")
    title = one_line(draft.title)
    if not title:
        return Skip(draft.item, "has no title")
    tags = _unique(one_line(tag) for tag in draft.tags)
    members = [tag for tag in tags if tag.casefold() == members_category.casefold()]
    access = draft.access.strip().lower() or "public"
    if access not in ACCESS:
        return Skip(draft.item, f"access '{excerpt(draft.access)}' is neither public nor members")
    try:
        published = parse_date(remove_controls(draft.published))
    except ValueError:
        warnings.append(f"{draft.item}: date '{excerpt(draft.published)}' is not a date; "
                        "left empty")
        published = None
    return Article(
        url=url, title=title, authors=_unique(one_line(name) for name in draft.authors),
        published=published, tags=tuple(tag for tag in tags if tag not in members),
        dek=dek_text(draft.dek), body=body_text(draft.body),
        access="members" if members else access, source=source,
    )


def normalize_url(url: str) -> str | None:
    """The URL articles are keyed by: scheme and host lowercased, fragment dropped; or None.

    Everything else (path case, query, trailing slash) is kept as given: sites differ on
    whether ``/a`` and ``/a/`` are the same page.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{hostport.lower()}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))


def parse_date(text: str) -> dt.datetime | None:
    """An ISO 8601 or RFC 822 date; without a zone it is read as UTC. ValueError if neither."""
    text = text.strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ValueError(text) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values in first-seen order, without case-insensitive repeats."""
    seen: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())


def source_error(source: str, message: str, hint: str) -> ArticleError:
    """An error about a whole source, which may be a URL (named in the message) or a path."""
    if "://" in source:
        return ArticleError(f"{source}: {message}", hint=hint)
    return ArticleError(message, path=source, hint=hint)


@dataclass(frozen=True)
class RelatedArticle:
    """An article as public output may show it: title and URL; members-only marked."""

    url: str
    title: str
    members_only: bool
