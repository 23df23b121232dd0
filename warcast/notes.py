"""Show notes: Markdown written by producers, rendered to HTML that is safe to publish.

The HTML goes into ``content:encoded`` and episode pages, so it passes a safelist sanitizer
(nh3): no scripts, no event handlers, no ``javascript:`` links, whatever the notes contain.
"""

from __future__ import annotations

import html
import re

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "img",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "ul", "table", "caption", "thead",
    "tbody", "tr", "th", "td", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"},
                      "img": {"src", "alt", "title", "width", "height"},
                      "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_notes(markdown: str) -> str:
    """Markdown (CommonMark) to sanitized HTML; raw HTML in the Markdown is sanitized too."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"linkify": False}).render(markdown)
    return sanitize_html(rendered)


def sanitize_html(fragment: str, *, base: str | None = None) -> str:
    """Keep only safe tags and attributes; links get rel="noopener" for external targets,
    images load lazily. Links relative to ``base`` (an imported feed's website) are made
    absolute; without a base they are kept as written."""
    import nh3

    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        strip_comments=True,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
    )
    if base:
        cleaned = _RELATIVE_LINK.sub(lambda m: m.group(1) + _joined(base, m.group(2)) + '"',
                                     cleaned)
    return cleaned.strip()


_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")(?![a-zA-Z][a-zA-Z0-9+.-]*:|#)([^"]*)"')


def _joined(base: str, link: str) -> str:
    from urllib.parse import urljoin

    return html.escape(urljoin(base, html.unescape(link)))


def plain_text(fragment: str) -> str:
    """Readable plain text of an HTML fragment (for tags and the RSS description fallback)."""
    text = re.sub(r"<(br|/p|/li|/h[2-4]|/blockquote)\s*/?>", "\n", fragment, flags=re.I)
    text = re.sub(r"<li[^>]*>", "• ", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    lines = [" ".join(html.unescape(line).split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()
