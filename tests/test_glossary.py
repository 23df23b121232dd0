"""The glossary: names from the articles, ranked per episode, and respelling by sound."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, make_speech
from warcast.episodes import load_episodes
from warcast.show import load_show
from warcast.transcript.glossary import GLOSSARY_FILE, glossary_for, terms_of
from warcast.transcript.model import Word
from warcast.transcript.respelling import Respeller, sound_key
from warcast.transcript.whisper import WhisperOptions, transcribe_words

TERMS = ("Essequibo", "Maduro", "Houthis", "Hegseth", "Caracas", "Nora Halvorsen")


@pytest.fixture
def with_articles(cli: Cli) -> Cli:
    result = cli("articles", "import", str(cli.show / "articles.jsonl"))
    assert result.exit_code == 0, result.output
    return cli


@pytest.mark.parametrize(("heard", "meant"), [
    ("Esequibo", "Essequibo"), ("Hoothis", "Houthis"), ("Hexeth", "Hegseth"),
    ("Madero", "Maduro"), ("Caracus", "Caracas"), ("Halverson", "Halvorsen")])
def test_near_misses_are_respelled_by_sound(heard: str, meant: str) -> None:
    assert Respeller(TERMS).match(heard) == meant


@pytest.mark.parametrize("word", ["matter", "Mother", "thesis", "Hottest", "Mandate", "hoots",
                                  "Modern", "Essequibo", "through"])
def test_words_that_are_not_near_misses_stay(word: str) -> None:
    assert Respeller(TERMS).match(word) is None


def test_two_words_join_into_a_name_and_punctuation_stays() -> None:
    words = [Word(0.0, 0.5, "the"), Word(0.5, 1.0, "Esse"), Word(1.0, 1.6, "Quibo,"),
             Word(1.6, 2.0, "region")]
    out = Respeller(TERMS).words(words)
    assert [w.text for w in out] == ["the", "Essequibo,", "region"]
    assert (out[1].start, out[1].end) == (0.5, 1.6)


def test_sound_keys_group_spellings_that_sound_alike() -> None:
    assert sound_key("Hegseth") == sound_key("Heckseth") != sound_key("Hesketh")
    assert sound_key("Caracas") == sound_key("Karakas")
    assert Respeller(()).words([Word(0, 1, "Esequibo")])[0].text == "Esequibo"


def test_terms_are_capitalized_runs_and_acronyms() -> None:
    found = terms_of("The Houthis' drones hit ships near Bab el-Mandeb. PDVSA paid. The end.")
    assert {"Houthis", "Bab el-Mandeb", "PDVSA"} <= set(found)
    assert "drones" not in found


def test_articles_give_each_episode_its_names(with_articles: Cli) -> None:
    show = load_show(with_articles.show)
    first, second = load_episodes(show)
    one, two = glossary_for(show, first), glossary_for(show, second)
    assert one.source == two.source == "derived"
    assert one.terms[:2] == ("Nora Halvorsen", "Lucia Ferreyra")
    assert {"Stabroek", "Roraima", "PDVSA"} <= set(one.terms)    # only in the articles
    assert {"Aspides", "Houthi"} <= set(two.terms)
    assert one.terms.index("ICJ") < one.terms.index("Stabroek")   # its keywords rank first
    assert "Aspides" not in one.terms   # the Red Sea articles' names are not the Essequibo's
    for common in ("Justice", "December", "The", "Host"):   # words Whisper spells anyway
        assert common not in one.terms and common not in two.terms


def test_glossary_command_lists_writes_and_keeps_edits(with_articles: Cli) -> None:
    listed = with_articles("glossary", "1")
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("0001-venezuela-guyana-essequibo-claim (derived): ")
    assert "Stabroek" in listed.output
    wrote = with_articles("glossary", "--write")
    assert wrote.exit_code == 0, wrote.output
    path = with_articles.show / GLOSSARY_FILE
    assert "Stabroek\n" in path.read_text()
    path.write_text("# mine\nEzekiel Quibble\n")
    again = with_articles("glossary", "--write")
    assert again.exit_code == 1
    assert again.output.count("\n") == 1 and "--force" in again.output
    assert path.read_text() == "# mine\nEzekiel Quibble\n"
    shown = with_articles("glossary", "1").output
    assert "(file)" in shown and "Ezekiel Quibble" in shown and "Stabroek" not in shown
    assert with_articles("glossary", "--write", "--force").exit_code == 0
    assert "Ezekiel" not in path.read_text()


def test_unreadable_glossary_file_is_one_line(cli: Cli) -> None:
    (cli.show / GLOSSARY_FILE).write_bytes(b"\xff\xfe\x00bad")
    result = cli("glossary", "1")
    assert result.exit_code == 1
    assert GLOSSARY_FILE in result.output and "UTF-8" in result.output


def test_glossary_names_come_out_of_real_speech(speech_dir: Path) -> None:
    audio = make_speech(speech_dir, "names.mp3", "The Stabroek block lies off Guyana, and "
                        "the Essequibo dispute is older than the oil.",
                        ("-codec:a", "libmp3lame", "-b:a", "64k"))
    words, _ = transcribe_words(audio, WhisperOptions(),
                                hotwords=("Stabroek", "Essequibo", "Guyana", "Roraima"))
    text = " ".join(w.text for w in words)
    assert "Stabroek" in text and "Essequibo" in text and "Roraima" not in text


def test_a_word_whisper_has_one_token_for_is_never_respelled() -> None:
    """"Tehran" sounds and looks like the glossary's "Geran" (a drone), but Whisper has it as
    one token: it wrote the city on purpose, so it stays."""
    from warcast.transcript.whisper import whole_words

    assert Respeller(("Geran", "Maduro")).match("Tehran") == "Geran"   # without the tokenizer
    respeller = Respeller(("Geran", "Maduro"), whole_words("tiny.en"))
    assert respeller.match("Tehran") is None
    assert respeller.match("Madero") == "Maduro"
