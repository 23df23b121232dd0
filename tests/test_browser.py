"""The published site in a real headless Chromium, served by ``warcast serve``."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import browser as chromium
from tests.conftest import SAMPLE, Cli
from warcast.state import copy_source

EPISODE = "episodes/venezuela-guyana-essequibo-claim/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    show = folder / "show"
    copy_source(SAMPLE, show, leave_out=("script.txt",))
    result = Cli(show)("publish", "--out", str(folder / "public"))
    assert result.exit_code == 0, result.output
    with chromium.serving(show, folder / "public") as base:
        yield base


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    if chromium.find(chromium.CHROMIUM) is None or chromium.find(chromium.DRIVER) is None:
        pytest.fail("chromium and chromium-driver are missing: run the tests through `make test`")
    browser = chromium.chrome()
    try:
        yield browser
    finally:
        browser.quit()


def wait(condition: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.05)


def _errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _open(driver: Any, url: str) -> None:
    driver.get_log("browser")   # drop what earlier pages logged
    driver.get(url)
    wait(lambda: driver.execute_script("return document.readyState") == "complete")
    wait(lambda: driver.execute_script("return document.querySelector('audio').readyState >= 1"))


def _time(driver: Any) -> float:
    return float(driver.execute_script("return document.querySelector('audio').currentTime"))


def _starts(driver: Any) -> list[float]:
    return [float(s) for s in driver.execute_script(
        "return [...document.querySelectorAll('.transcript [data-start]')]"
        ".map(e => e.dataset.start)")]


def test_episode_page_loads_without_console_errors(driver: Any, site: str) -> None:
    _open(driver, site + EPISODE)
    assert driver.execute_script("return document.querySelectorAll('audio').length") == 1
    assert driver.execute_script(
        "return document.querySelector('audio track').track.mode") in ("showing", "hidden")
    assert _errors(driver) == []


def test_clicking_a_passage_seeks_to_its_start(driver: Any, site: str) -> None:
    _open(driver, site + EPISODE)
    passages = driver.find_elements("css selector", ".transcript [data-start]")
    target = passages[4]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()
    start = float(target.get_attribute("data-start"))
    wait(lambda: abs(_time(driver) - start) < 0.3)
    assert "current" in target.get_attribute("class")
    assert _errors(driver) == []


def test_t_in_the_url_starts_the_player_there(driver: Any, site: str) -> None:
    _open(driver, site + EPISODE + "?t=42")
    wait(lambda: abs(_time(driver) - 42) < 0.5)
    current = float(wait(lambda: driver.execute_script(
        "const e = document.querySelector('.transcript .current'); "
        "return e && e.dataset.start")))
    starts = _starts(driver)
    assert current == max(s for s in starts if s <= 42.05)


def test_the_highlighted_passage_follows_playback(driver: Any, site: str) -> None:
    _open(driver, site + EPISODE)
    starts = _starts(driver)
    assert len(starts) >= 4
    for at in (starts[1] + 0.2, starts[-2] + 0.2):
        driver.execute_script("const a = document.querySelector('audio'); a.muted = true; "
                              "a.currentTime = arguments[0]; a.play()", at)
        wait(lambda at=at: _time(driver) > at + 0.5)   # it is really playing
        now = _time(driver)
        current = float(driver.execute_script(
            "return document.querySelector('.transcript .current').dataset.start"))
        expected = max(s for s in starts if s <= now + 0.05)
        assert current == expected, (now, current, expected)
    driver.execute_script("document.querySelector('audio').pause()")
    assert _errors(driver) == []


def test_search_page_finds_a_phrase_and_opens_the_moment(driver: Any, site: str) -> None:
    driver.get_log("browser")
    driver.get(site + "search/?q=%22west%20of%20the%20Essequibo%22")
    link = wait(lambda: driver.find_elements("css selector", "#results li a"))[0]
    href = link.get_attribute("href")
    assert "/episodes/venezuela-guyana-essequibo-claim/?t=" in href
    seconds = int(href.rsplit("=", 1)[1])
    marked = [m.text for m in driver.find_elements("css selector", "#results li:first-child mark")]
    assert "Essequibo" in marked and "west" in marked
    link.click()
    wait(lambda: driver.execute_script("return document.readyState") == "complete")
    wait(lambda: abs(_time(driver) - seconds) < 0.5)
    spoken = driver.execute_script(
        "const t = document.querySelector('audio').currentTime;"
        "const ps = [...document.querySelectorAll('.transcript [data-start]')];"
        "return ps.filter(p => +p.dataset.start <= t + 0.05).pop().textContent")
    assert "Essequibo" in spoken
    assert _errors(driver) == []


def test_search_page_without_results_says_so(driver: Any, site: str) -> None:
    driver.get(site + "search/?q=zzqxv")
    status = wait(lambda: driver.find_element("css selector", "#status").text.startswith("No")
                  and driver.find_element("css selector", "#status").text)
    assert "zzqxv" in status


def test_readme_screenshot_is_committed() -> None:
    shot = Path(__file__).parent.parent / "docs" / "episode-page.png"
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "docs/episode-page.png" in (shot.parent.parent / "README.md").read_text()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A show of 80 episodes: the oldest ones go to the search page's archive bundle."""
    import re
    import uuid

    folder = tmp_path_factory.mktemp("catalog")
    show = folder / "show"
    copy_source(SAMPLE, show, leave_out=("script.txt", "0002-*", "links.json"))
    first = show / "0001-venezuela-guyana-essequibo-claim"
    for number in range(2, 81):
        clone = show / f"{number:04d}-weekly-brief-{number}"
        shutil.copytree(first, clone)
        toml = (clone / "episode.toml").read_text()
        toml = re.sub(r'^title = ".*"$', f'title = "Weekly brief {number}"', toml, flags=re.M)
        toml = re.sub(r"^number = 1$", f"number = {number}", toml, flags=re.M)
        toml = re.sub(r'^guid = "[^"]+"', f'guid = "{uuid.UUID(int=number)}"', toml,
                      flags=re.M)
        toml = toml.replace("2026-10-06T09:00", f"2026-{1 + number // 28:02d}-"
                                                f"{1 + number % 28:02d}T09:00")
        (clone / "episode.toml").write_text(toml)
    vtt = first / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("Essequibo region", "Essequibo quillwort region"))
    toml = first / "episode.toml"
    toml.write_text(toml.read_text().replace("2026-10-06T09:00", "2025-01-01T09:00"))
    result = Cli(show)("publish", "--out", str(folder / "public"))
    assert result.exit_code == 0, result.output
    assert (folder / "public" / "pagefind" / "archive" / "pagefind-entry.json").is_file()
    with chromium.serving(show, folder / "public") as base:
        yield base


def test_search_finds_an_archived_episode(driver: Any, catalog: str) -> None:
    driver.get_log("browser")
    driver.get(catalog + "search/?q=quillwort")
    link = wait(lambda: driver.find_elements("css selector", "#results li a"))[0]
    assert "/episodes/venezuela-guyana-essequibo-claim/?t=" in link.get_attribute("href")
    driver.get(catalog + "search/?q=%22Weekly%20brief%2079%22")
    link = wait(lambda: driver.find_elements("css selector", "#results li a"))[0]
    assert "/episodes/weekly-brief-79/" in link.get_attribute("href")
    assert _errors(driver) == []


def test_an_episode_without_transcript_still_plays_cleanly(driver: Any,
                                                           tmp_path: Path) -> None:
    show = tmp_path / "show"
    copy_source(SAMPLE, show, leave_out=("script.txt",))
    for name in ("transcript.vtt", "transcript.words.json", "transcript.state.json"):
        (show / "0002-houthis-red-sea-shipping" / name).unlink()
    assert Cli(show)("publish", "--out", str(tmp_path / "public")).exit_code == 0
    with chromium.serving(show, tmp_path / "public") as base:
        _open(driver, base + "episodes/houthis-red-sea-shipping/?t=5")
        wait(lambda: abs(_time(driver) - 5) < 0.5)
        assert driver.execute_script("return document.querySelectorAll('track').length") == 0
        assert _errors(driver) == []
