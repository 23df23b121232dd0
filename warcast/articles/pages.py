"""Saved article pages: the article's text and metadata taken out of the site around it.

Metadata comes from the page's head (Open Graph, ``article:*``, canonical link) with the visible
page as fallback, in the order of :data:`FIELDS`. The text comes from the ``<article>`` (else
``<main>``, else ``<body>``) with the site's furniture removed: structural elements
(:data:`FURNITURE_TAGS`), boxes whose class or id names them (:data:`FURNITURE_WORDS`:
newsletter, share, paywall…), prompt lines (:mod:`warcast.articles.text`), and paragraphs that
the folder's pages repeat (template boilerplate). Nothing here reads files or the network.

A page is members-only when it carries a paywall marker: ``article:content_tier`` of
``locked``, JSON-LD ``isAccessibleForFree: false``, an element whose class or id says paywall or
members-only, or the members category among its ``article:tag``/``article:section``.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from warcast.articles.article import Draft, Reading, Skip

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_REL_AUTHOR = 'contains(concat(" ", normalize-space(@rel), " "), " author ")'

FIELDS: dict[str, tuple[str, ...]] = {
    "title": ('//meta[@property="og:title"]/@content', "//article//h1", "//h1", "//title"),
    "url": ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'),
    "published": ('//meta[@property="article:published_time"]/@content',
                  "//article//time/@datetime", "//time/@datetime"),
    "authors": ('//meta[@name="author"]/@content', f"//a[{_REL_AUTHOR}]", f"//*[{_REL_AUTHOR}]"),
    "dek": ('//meta[@name="description"]/@content',
            '//meta[@property="og:description"]/@content'),
    "tags": ('//meta[@property="article:tag" or @property="article:section"]/@content',),
}
"""Field → XPaths in order of preference; the first that finds anything wins."""

LISTS = ("authors", "tags")

FURNITURE_TAGS = frozenset({
    "aside", "button", "dialog", "embed", "footer", "form", "header", "iframe", "input",
    "nav", "noscript", "object", "script", "select", "style", "svg", "template", "textarea",
})
FURNITURE_ROLES = frozenset({
    "banner", "complementary", "contentinfo", "dialog", "navigation", "search",
})
FURNITURE_WORDS = frozenset({
    "ad", "ads", "advert", "advertisement", "breadcrumb", "breadcrumbs", "comments", "cookie",
    "cookies", "cta", "donate", "membership", "modal", "newsletter", "paywall", "popup",
    "promo", "related", "share", "sharedaddy", "sharing", "sidebar", "signup", "social",
    "subscribe", "subscription", "upsell",
})
"""Words of class names and ids (split at - and _) that name a box that is not the article."""

MODIFIER_PREFIXES = ("has-", "is-", "with-", "no-", "tag-", "category-", "format-", "type-",
                     "status-", "postid-")
"""Class names that describe the article rather than name a box (WordPress adds many)."""

PAYWALL_WORDS = frozenset({"paywall", "paywalled"})
PAYWALL_CLASSES = frozenset({"members-only", "member-only", "mepr-unauthorized-message",
                             "gh-post-upgrade-cta"})
LOCKED_TIERS = frozenset({"locked"})
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " · ", " :: ")

BOILERPLATE_MIN_PAGES = 3
"""With this many pages or more, a paragraph on at least half of them is template text."""


def read_pages(pages: list[tuple[str, bytes]]) -> Reading:
    """Drafts from saved pages (label, bytes); template paragraphs they share are dropped."""
    parsed: list[tuple[Draft, list[str]] | Skip] = [_page(label, data) for label, data in pages]
    texts = [entry[1] for entry in parsed if not isinstance(entry, Skip)]
    shared = boilerplate(texts)
    reading = Reading("pages")
    for entry in parsed:
        if isinstance(entry, tuple):
            draft, lines = entry
            # Plain text goes back in as escaped paragraphs: finish() reads bodies as HTML.
            draft.body = "".join(f"<p>{html.escape(line)}</p>" for line in lines
                                 if line not in shared)
            entry = draft
        reading.entries.append(entry)
    return reading


def boilerplate(texts: list[list[str]]) -> set[str]:
    """Paragraphs found on at least half of the pages, when there are enough pages to tell."""
    if len(texts) < BOILERPLATE_MIN_PAGES:
        return set()
    counts = Counter(line for lines in texts for line in set(lines))
    return {line for line, count in counts.items() if 2 * count >= len(texts)}


def _page(label: str, data: bytes) -> tuple[Draft, list[str]] | Skip:
    """One page's draft (body still empty) and its text lines."""
    from lxml import etree
    from lxml.html import HTMLParser, document_fromstring

    try:
        doc = document_fromstring(data, parser=HTMLParser(encoding=_encoding(data)))
    except (etree.ParserError, ValueError, LookupError) as exc:
        return Skip(label, f"cannot be read as HTML ({exc})")
    values = {name: _values(doc, paths) for name, paths in FIELDS.items()}
    single = {name: found[0] if found else "" for name, found in values.items()
              if name not in LISTS}
    single["title"] = _without_site_name(single["title"], doc)
    draft = Draft(item=label, authors=values["authors"], tags=values["tags"],
                  access="members" if _paywalled(doc) else "", **single)
    return draft, _text_lines(doc)


def _values(doc: HtmlElement, paths: tuple[str, ...]) -> list[str]:
    """All non-empty values at the first XPath that finds any (element text or attribute)."""
    for path in paths:
        found = [value if isinstance(value, str) else value.text_content()
                 for value in doc.xpath(path)]
        found = [" ".join(value.split()) for value in found if value.strip()]
        if found:
            return found
    return []


def _without_site_name(title: str, doc: HtmlElement) -> str:
    """``Title | Site`` → ``Title`` when the page names its site (og:site_name)."""
    for site in doc.xpath('//meta[@property="og:site_name"]/@content'):
        for separator in TITLE_SEPARATORS:
            if site.strip() and title.endswith(separator + site.strip()):
                return title[: -len(separator + site.strip())]
    return title


def _paywalled(doc: HtmlElement) -> bool:
    """Tell whether the page marks itself as for members (see the module docstring)."""
    tiers = doc.xpath('//meta[@property="article:content_tier"]/@content')
    if any(tier.strip().lower() in LOCKED_TIERS for tier in tiers):
        return True
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            if _not_free(json.loads(script.text_content())):
                return True
        except ValueError:
            continue
    return any(_paywall_box(element) for element in doc.iter() if isinstance(element.tag, str))


def _not_free(data: Any) -> bool:
    """Find ``"isAccessibleForFree": false`` anywhere in JSON-LD (schema.org paywall markup)."""
    if isinstance(data, dict):
        free = data.get("isAccessibleForFree")
        if free is False or (isinstance(free, str) and free.strip().lower() == "false"):
            return True
        return any(_not_free(value) for value in data.values())
    return isinstance(data, list) and any(_not_free(value) for value in data)


def _paywall_box(element: HtmlElement) -> bool:
    tokens = _tokens(element)
    return bool(tokens & PAYWALL_CLASSES or _words(tokens) & PAYWALL_WORDS)


def _text_lines(doc: HtmlElement) -> list[str]:
    """The article's paragraphs as plain text, furniture removed."""
    from lxml.html import tostring

    from warcast.articles.text import html_lines

    root = _article_root(doc)
    for element in [el for el in root.iterdescendants() if _is_furniture(el)]:
        element.drop_tree()
    return html_lines(tostring(root, encoding="unicode"))


def _article_root(doc: HtmlElement) -> HtmlElement:
    """The ``<article>`` with the most text, else ``<main>``, else ``<body>``."""
    for path in ("//article", '//main | //*[@role="main"]', "//body"):
        found = doc.xpath(path)
        if found:
            return max(found, key=lambda element: len(element.text_content()))
    return doc


def _is_furniture(element: HtmlElement) -> bool:
    if not isinstance(element.tag, str):  # comments, processing instructions
        return True
    if element.tag in FURNITURE_TAGS or element.get("hidden") is not None:
        return True
    if (element.get("role") or "").strip().lower() in FURNITURE_ROLES:
        return True
    return bool(_words(_tokens(element)) & FURNITURE_WORDS)


def _tokens(element: HtmlElement) -> set[str]:
    """Class names and id, lowercased, without modifier classes."""
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower().split()
    return {name for name in names if not name.startswith(MODIFIER_PREFIXES)}


def _words(tokens: set[str]) -> set[str]:
    return {word for token in tokens for word in re.split(r"[-_]+", token) if word}


def _encoding(data: bytes) -> str:
    """The page's declared encoding (BOM or meta charset), else UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", data[:4096],
                      re.IGNORECASE)
    if not match:
        return "utf-8"
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return "utf-8"
