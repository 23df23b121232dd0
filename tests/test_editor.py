"""The transcript editor (``warcast edit``) in a real headless Chromium: edit a word, rename a
speaker, split a cue, save; the published formats show it; ``transcribe`` keeps it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webvtt

from tests import browser as chromium
from tests.conftest import SAMPLE, Cli
from tests.test_browser import _errors, wait
from warcast.editor import suggestion

EP1 = "0001-venezuela-guyana-essequibo-claim"


class Editor:
    """``warcast edit`` running on a copy of the sample show."""

    def __init__(self, show: Path, url: str) -> None:
        self.show, self.url = show, url
        self.folder = show / EP1


@pytest.fixture
def editor(tmp_path: Path) -> Iterator[Editor]:
    show = tmp_path / "show"
    shutil.copytree(SAMPLE, show, ignore=shutil.ignore_patterns("script.txt", "*.sqlite*"))
    vtt = show / EP1 / "transcript.vtt"
    vtt.write_text(vtt.read_text().replace("Essequibo region", "Esequibo region", 1))
    with chromium.warcast_server(show, "edit", "1") as url:
        yield Editor(show, url)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    browser = chromium.chrome()
    try:
        yield browser
    finally:
        browser.quit()


def rename(driver: Any, speaker: Any, name: str, scope: str) -> None:
    """Rename the voice of ``speaker`` (its label) for one turn or all (``scope``: the
    button's id)."""
    from selenium.webdriver.common.by import By

    speaker.click()
    field = driver.find_element(By.ID, "rename-name")
    field.clear()
    field.send_keys(name)
    driver.find_element(By.ID, scope).click()
    wait(lambda: name in driver.execute_script(   # a loaded machine may paint it a moment later
        "return [...document.querySelectorAll('.speaker')].map(b => b.textContent)"))


def open_editor(driver: Any, editor: Editor) -> None:
    driver.get_log("browser")
    driver.get(editor.url)
    wait(lambda: driver.execute_script("return document.querySelectorAll('.cue').length > 0"))
    wait(lambda: driver.execute_script("return document.querySelector('audio').readyState >= 1"))


def cue_index(driver: Any, word: str) -> int:
    """The index of the first cue whose text holds ``word``."""
    return int(driver.execute_script(
        "return [...document.querySelectorAll('.cue')].findIndex("
        "c => c.querySelector('.text').textContent.split(' ').includes(arguments[0]))", word))


def select_word(driver: Any, cue: int, word: str, collapse: bool = False) -> None:
    """Select ``word`` in cue ``cue`` (or put the caret at its start) as a person would."""
    driver.execute_script("""
        const text = document.querySelectorAll('.cue')[arguments[0]].querySelector('.text');
        const span = [...text.querySelectorAll('.word')].find(s => s.textContent === arguments[1]);
        text.focus();
        const range = document.createRange();
        range.selectNodeContents(span);
        if (arguments[2]) { range.collapse(true); }
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    """, cue, word, collapse)


def save(driver: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
    wait(lambda: driver.find_element("id", "status").text.startswith(("Saved", "Not saved")))
    assert driver.find_element("id", "status").text.startswith("Saved")


def test_glossary_suggestion_of_a_near_miss() -> None:
    terms = ("Essequibo", "Nora Halvorsen")
    assert suggestion("Esequibo,", terms) == "Essequibo,"
    assert suggestion("Halvorson", terms) == "Halvorsen"
    assert suggestion("Essequibo", terms) is None
    assert suggestion("region", terms) is None


def test_edit_rename_split_save_publish_and_transcribe_keeps_it(
        driver: Any, editor: Editor, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    before = json.loads((editor.folder / "transcript.words.json").read_text())
    open_editor(driver, editor)
    assert not _errors(driver)
    cues_before = driver.execute_script("return document.querySelectorAll('.cue').length")

    # a word Whisper misheard is offered its glossary spelling
    suggestions = driver.find_elements(By.CSS_SELECTOR, ".suggestion")
    assert [s.text for s in suggestions] == ["Esequibo → Essequibo"]
    suggestions[0].click()
    assert "Essequibo" in driver.find_element(By.CSS_SELECTOR, ".cue:nth-child(2) .text").text

    # click a word to hear it: the audio moves to it and plays
    span = driver.find_elements(By.CSS_SELECTOR, ".word")[12]
    start = float(span.get_attribute("data-start"))
    span.click()
    wait(lambda: driver.execute_script("return !document.querySelector('audio').paused")
         or abs(driver.execute_script("return document.querySelector('audio').currentTime")
                - start) < 0.5)
    assert abs(driver.execute_script("return document.querySelector('audio').currentTime")
               - start) < 1.0

    # edit a word by typing over it
    cue = cue_index(driver, "basics.")
    select_word(driver, cue, "basics.")
    ActionChains(driver).send_keys("fundamentals.").perform()

    # rename a speaker everywhere
    lucia = driver.find_elements(By.CSS_SELECTOR, ".speaker")[cue + 1]
    assert lucia.text == "Lucia Ferreyra"
    rename(driver, lucia, "Lucía Ferreyra", "rename-all")
    names = driver.execute_script(
        "return [...document.querySelectorAll('.speaker')].map(b => b.textContent)")
    assert "Lucia Ferreyra" not in names and names.count("Lucía Ferreyra") >= 3

    # split a cue before a word
    split_cue = cue_index(driver, "What")
    select_word(driver, split_cue, "What", collapse=True)
    driver.find_elements(By.CSS_SELECTOR, ".split")[split_cue].click()
    assert driver.execute_script("return document.querySelectorAll('.cue').length") \
        == cues_before + 1
    save(driver)
    assert not _errors(driver)

    vtt = webvtt.read(str(editor.folder / "transcript.vtt"))
    texts = [c.text.replace("\n", " ") for c in vtt]
    assert len(vtt) == cues_before + 1
    assert any(t.startswith("What is being claimed?") for t in texts)
    assert any("fundamentals." in t for t in texts) and not any("basics." in t for t in texts)
    assert {c.voice for c in vtt} == {"Nora Halvorsen", "Lucía Ferreyra"}
    assert any("Essequibo region" in t for t in texts)
    # words that did not change keep the timings Whisper gave them
    after = json.loads((editor.folder / "transcript.words.json").read_text())
    assert after[0] == before[0]
    kept = {tuple(w) for row in before for w in row} & {tuple(w) for row in after for w in row}
    assert len(kept) >= sum(map(len, before)) - 8

    cli = Cli(editor.show)
    out = tmp_path / "public"
    result = cli("publish", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out / "episodes" / "venezuela-guyana-essequibo-claim"
    segments = json.loads((page / "transcript.json").read_text())["segments"]
    assert {s.get("speaker") for s in segments} == {"Nora Halvorsen", "Lucía Ferreyra"}
    assert any("fundamentals" in s["body"] for s in segments)
    assert "Lucía Ferreyra: " in (page / "transcript.srt").read_text()
    assert "<cite>Lucía Ferreyra</cite>" in (page / "transcript.html").read_text()

    saved = (editor.folder / "transcript.vtt").read_bytes()
    result = cli("transcribe", "1")
    assert f"{EP1}: kept (edited by hand)" in result.output
    assert (editor.folder / "transcript.vtt").read_bytes() == saved


def test_a_transcribe_running_during_the_edit_does_not_clobber_it(
        driver: Any, editor: Editor) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    # the episode is out of date (new settings) and machine-written: transcribe will redo it
    toml = editor.show / "show.toml"
    toml.write_text(toml.read_text().replace('model = "tiny.en"',
                                             'model = "tiny.en"\nbeam_size = 2'))
    open_editor(driver, editor)
    running = subprocess.Popen([sys.executable, "-m", "warcast", "--show", str(editor.show),
                                "transcribe", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "WARCAST_LOCK_WAIT": "30"})
    cue = cue_index(driver, "basics.")
    select_word(driver, cue, "basics.")
    ActionChains(driver).send_keys("essentials.").perform()
    save(driver)
    output, _ = running.communicate(timeout=300)
    assert running.returncode == 0, output
    assert f"{EP1}: kept (edited by hand)" in output
    assert "essentials." in (editor.folder / "transcript.vtt").read_text()


def test_bad_save_is_refused_and_nothing_is_written(editor: Editor) -> None:
    before = (editor.folder / "transcript.vtt").read_bytes()
    body = json.dumps({"cues": [{"start": 5, "end": 9, "speaker": None, "text": "a"},
                                {"start": 4, "end": 6, "speaker": None, "text": "b"}]}).encode()
    request = urllib.request.Request(editor.url + "api/transcript", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 409
    assert "cue 2 starts before cue 1 ends" in json.loads(caught.value.read())["error"]
    assert (editor.folder / "transcript.vtt").read_bytes() == before


def test_edit_refuses_an_episode_without_transcript(tmp_path: Path) -> None:
    show = tmp_path / "show"
    shutil.copytree(SAMPLE, show, ignore=shutil.ignore_patterns("script.txt", "*.sqlite*"))
    (show / EP1 / "transcript.vtt").unlink()
    result = Cli(show)("edit", "1")
    assert result.exit_code == 1
    assert "has no transcript to edit. Run 'warcast transcribe' first." in result.output


def test_words_whisper_was_unsure_of_are_marked_and_reached_by_key(
        driver: Any, editor: Editor) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    words = [w for row in json.loads((editor.folder / "transcript.words.json").read_text())
             for w in row]
    doubtful = [words[30], words[50]]
    (editor.folder / "transcript.unsure.json").write_text(
        json.dumps([[*w, 0.31] for w in doubtful]))
    open_editor(driver, editor)
    marked = driver.execute_script(
        "return [...document.querySelectorAll('.word.unsure')].map(s => s.textContent)")
    assert marked == [w[2] for w in doubtful]
    misheard = driver.execute_script(
        "const s = document.querySelector('.word.suggest'); return [+s.dataset.start, 0, "
        "s.textContent]")
    assert misheard[2] == "Esequibo"
    for word in sorted([*doubtful, misheard]):   # unsure and misheard words, in time order
        ActionChains(driver).key_down(Keys.ALT).send_keys("n").key_up(Keys.ALT).perform()
        assert driver.execute_script("return window.getSelection().toString()") == word[2]
        at = driver.execute_script("return document.querySelector('audio').currentTime")
        assert abs(at - word[0]) < 0.05


def test_rename_one_turn_and_join_cues(driver: Any, editor: Editor) -> None:
    from selenium.webdriver.common.by import By

    open_editor(driver, editor)
    speakers = driver.execute_script(
        "return [...document.querySelectorAll('.speaker')].map(b => b.textContent)")
    first_turn = speakers.index("Lucia Ferreyra")   # Nora's opening turn is cues [0, this)
    rename(driver, driver.find_elements(By.CSS_SELECTOR, ".speaker")[0], "Nora H.", "rename-one")
    renamed = driver.execute_script(
        "return [...document.querySelectorAll('.speaker')].map(b => b.textContent)")
    assert renamed[:first_turn] == ["Nora H."] * first_turn
    assert renamed[first_turn:] == speakers[first_turn:]
    assert "Nora Halvorsen" in renamed[first_turn:]   # her later turns keep her name
    texts = driver.execute_script(
        "return [...document.querySelectorAll('.cue .text')].map(t => t.textContent)")
    driver.find_elements(By.CSS_SELECTOR, ".join")[0].click()
    joined = driver.execute_script(
        "return [...document.querySelectorAll('.cue .text')].map(t => t.textContent)")
    assert joined[0] == f"{texts[0]} {texts[1]}" and joined[1:] == texts[2:]
    save(driver)
    vtt = webvtt.read(str(editor.folder / "transcript.vtt"))
    assert len(vtt) == len(texts) - 1
    assert [c.voice for c in vtt][:first_turn - 1] == ["Nora H."] * (first_turn - 1)
    assert vtt[0].start_in_seconds == 0.0 and abs(
        vtt[0].end_in_seconds - webvtt.read(str(SAMPLE / EP1 / "transcript.vtt"))[1]
        .end_in_seconds) < 0.002
