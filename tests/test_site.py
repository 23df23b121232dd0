"""The website: pages for people and search engines, checked with strict parsers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import html5lib
import pytest

from tests.conftest import Cli
from warcast.publish.layout import Layout
from warcast.show import load_show
from warcast.site.pages import sitemaps

EPISODE = "venezuela-guyana-essequibo-claim"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# Page weight budget (bytes, uncompressed): the page shell (HTML around the transcript text,
# CSS, JS) and what the search page loads before the first query.
SHELL_BUDGET = 30_000
SEARCH_BUDGET = 200_000


@pytest.fixture
def site(cli: Cli, show_dir: Path) -> Path:
    out = show_dir.parent / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def _parse(path: Path):  # type: ignore[no-untyped-def]
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes())


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html")
                  if "transcript" not in p.name and p.parent.name != "backlinks")


def test_every_page_is_valid_html5(site: Path) -> None:
    pages = _pages(site)
    assert {p.relative_to(site).as_posix() for p in pages} >= {
        "index.html", "episodes/index.html", "search/index.html",
        f"episodes/{EPISODE}/index.html"}
    for page in pages:
        _parse(page)   # strict: raises on any parse error


def test_internal_links_resolve_to_published_files(site: Path) -> None:
    for page in _pages(site):
        tree = _parse(page)
        base = "http://site/" + page.relative_to(site).as_posix()
        for element in tree.iter():
            for attribute in ("href", "src", "data-bundle"):
                value = element.get(attribute)
                if not value or re.match(r"^[a-z][a-z0-9+.-]*:", value) or value.startswith("?"):
                    continue
                path = urlsplit(urljoin(base, value)).path.lstrip("/")
                target = site / path
                if path == "" or path.endswith("/"):
                    target = target / "index.html"
                assert target.is_file(), f"{page}: {attribute}={value}"


def test_episode_page_contract(site: Path) -> None:
    page = site / "episodes" / EPISODE / "index.html"
    tree = _parse(page)
    audio = tree.findall(".//audio")
    assert len(audio) == 1
    track = audio[0].find("track")
    assert track is not None and track.get("kind") == "captions"
    assert (page.parent / track.get("src")).is_file()
    passages = tree.findall(".//div[@class='transcript']/p[@data-start]")
    starts = [float(p.get("data-start")) for p in passages]
    assert len(starts) > 5 and starts == sorted(starts)
    text = " ".join("".join(p.itertext()) for p in passages)
    assert "Essequibo" in text          # the transcript is real text in the HTML
    canonical = tree.find(".//link[@rel='canonical']").get("href")
    assert canonical == f"https://warcast.example.org/episodes/{EPISODE}/"
    og = {m.get("property"): m.get("content") for m in tree.findall(".//meta[@property]")}
    assert og["og:url"] == canonical and og["og:audio"].endswith(".mp3")
    assert og["og:image"].startswith("https://")
    hrefs = [a.get("href") for a in tree.findall(".//ul[@class='files']//a")]
    assert [Path(h).suffix for h in hrefs] == [".vtt", ".srt", ".json", ".html", ".txt"]


def test_json_ld_describes_the_episode_and_the_series(site: Path) -> None:
    episode = _jsonld(site / "episodes" / EPISODE / "index.html")
    assert episode["@type"] == "PodcastEpisode"
    media = episode["associatedMedia"]
    assert media["@type"] == "AudioObject" and media["contentUrl"].endswith(".mp3")
    assert re.fullmatch(r"PT(\d+M)?\d+S", media["duration"])
    assert "Essequibo" in media["transcript"]
    assert episode["partOfSeries"]["@type"] == "PodcastSeries"
    series = _jsonld(site / "index.html")
    assert series["@type"] == "PodcastSeries"
    assert series["webFeed"] == "https://warcast.example.org/feed.xml"


def _jsonld(page: Path) -> dict:
    scripts = [s for s in _parse(page).iter("script")
               if s.get("type") == "application/ld+json"]
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def test_sitemap_and_robots(site: Path) -> None:
    root = ElementTree.parse(site / "sitemap.xml").getroot()
    urls = {u.findtext(f"{SITEMAP_NS}loc"): u.findtext(f"{SITEMAP_NS}lastmod")
            for u in root.iter(f"{SITEMAP_NS}url")}
    assert f"https://warcast.example.org/episodes/{EPISODE}/" in urls
    assert "https://warcast.example.org/episodes/houthis-red-sea-shipping/" in urls
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in urls.values())
    robots = (site / "robots.txt").read_text()
    assert "Sitemap: https://warcast.example.org/sitemap.xml" in robots


def test_members_only_episode_has_no_page_sitemap_entry_or_search_record(
        cli: Cli, show_dir: Path) -> None:
    toml = show_dir / "0002-houthis-red-sea-shipping" / "episode.toml"
    toml.write_text(toml.read_text().replace("members_only = false", "members_only = true"))
    out = show_dir.parent / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    assert not (out / "episodes" / "houthis-red-sea-shipping").exists()
    assert "houthis" not in (out / "sitemap.xml").read_text()
    for path in out.rglob("*"):
        if path.is_file() and path.suffix not in (".mp3", ".m4a", ".jpg", ".png", ".wasm"):
            assert b"houthis-red-sea-shipping" not in path.read_bytes(), path


def test_a_sitemap_index_past_the_limit(show_dir: Path) -> None:
    show = load_show(show_dir)
    from warcast.episodes import load_episodes
    from warcast.site.pages import _episode_view

    layout = Layout(show)
    views = [_episode_view(show, e, layout, [], None, frozenset())
             for e in load_episodes(show)]
    files = sitemaps(show, layout, views, limit=2)
    index = ElementTree.fromstring(files["sitemap.xml"])
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    parts = [s.findtext(f"{SITEMAP_NS}loc") for s in index]
    assert parts == ["https://warcast.example.org/sitemaps/sitemap-1.xml",
                     "https://warcast.example.org/sitemaps/sitemap-2.xml"]
    assert sum(len(ElementTree.fromstring(files[f"sitemaps/sitemap-{n}.xml"]))
               for n in (1, 2)) == 4


def test_content_cannot_inject_script(cli: Cli, show_dir: Path) -> None:
    folder = show_dir / "0001-venezuela-guyana-essequibo-claim"
    toml = folder / "episode.toml"
    text = toml.read_text()
    title = re.search(r'^title = "(.*)"$', text, re.M).group(1)
    toml.write_text(text.replace(f'title = "{title}"',
                                 'title = "Essequibo </script><script>alert(1)</script>"'))
    vtt = folder / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("The Essequibo is the land",
                                           "The <img src=x onerror=alert(2)> Essequibo"))
    out = show_dir.parent / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    for page in _pages(out):
        tree = _parse(page)
        for script in tree.iter("script"):
            assert script.get("type") == "application/ld+json" or \
                script.get("src", "").startswith(("../", "assets/")), page
            if script.get("type") == "application/ld+json":
                json.loads(script.text)
        assert not any(e.get("onerror") for e in tree.iter()), page


def test_page_weight_within_budget(site: Path) -> None:
    page = site / "episodes" / EPISODE / "index.html"
    tree = _parse(page)
    transcript_text = sum(len("".join(p.itertext()).encode())
                          for p in tree.findall(".//div[@class='transcript']/p"))
    jsonld = sum(len((s.text or "").encode()) for s in tree.iter("script"))
    assets = sum(p.stat().st_size for p in (site / "assets").iterdir())
    shell = page.stat().st_size - transcript_text - jsonld + assets
    assert shell < SHELL_BUDGET, shell
    search = (site / "search" / "index.html").stat().st_size + assets + sum(
        (site / "pagefind" / "recent" / name).stat().st_size
        for name in ("pagefind.js", "pagefind-worker.js", "pagefind-entry.json"))
    wasm = sum(p.stat().st_size for p in (site / "pagefind" / "recent").glob("wasm.*.pagefind"))
    assert not (site / "pagefind" / "recent" / "wasm.unknown.pagefind").exists()
    assert search + wasm < SEARCH_BUDGET, search + wasm


def test_templates_and_static_files_can_be_overridden(cli: Cli, show_dir: Path) -> None:
    (show_dir / "templates").mkdir()
    (show_dir / "templates" / "episodes.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>Our archive</p>{% endblock %}')
    (show_dir / "static").mkdir()
    (show_dir / "static" / "site.css").write_text("body{color:#123}")
    out = show_dir.parent / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    assert "Our archive" in (out / "episodes" / "index.html").read_text()
    css = [p for p in (out / "assets").iterdir() if p.suffix == ".css"]
    assert [p.read_text() for p in css] == ["body{color:#123}"]


def test_search_bundle_holds_public_passages_with_moments(site: Path) -> None:
    bundle = site / "pagefind" / "recent"
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-entry.json").is_file()
    assert not list(bundle.glob("pagefind-ui*"))
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert "en" in entry["languages"]
