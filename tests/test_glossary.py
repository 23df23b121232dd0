"""The glossary: names from the articles, ranked per episode, and respelling by sound."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, make_speech
from warcast.episodes import load_episodes
from warcast.show import load_show
from warcast.transcript import phonemes
from warcast.transcript.glossary import GLOSSARY_FILE, glossary_for, terms_of
from warcast.transcript.model import Word
from warcast.transcript.respelling import Respeller, sound_key
from warcast.transcript.whisper import WhisperOptions, transcribe_words, whole_words

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
    found = terms_of("The Houthis' drones hit ships near Bab el-Mandeb. PDVSA paid. The end. "
                     "AFRICOM drones left Niger, CENTCOM stayed.")
    assert {"Houthis", "Bab el-Mandeb", "PDVSA", "AFRICOM", "CENTCOM"} <= set(found)
    assert "drones" not in found
    assert "AFRICO" not in found   # a long acronym is not cut short


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


def _words(text: str, probability: float = 0.3) -> list[Word]:
    return [Word(i * 0.5, i * 0.5 + 0.4, word, probability)
            for i, word in enumerate(text.split())]


needs_espeak = pytest.mark.skipif(not phonemes.available(), reason="espeak-ng is not installed")


@needs_espeak
def test_phonemes_come_from_espeak_in_one_call_and_measure_sound(monkeypatch) -> None:
    calls = []
    run = phonemes.subprocess.run
    monkeypatch.setattr(phonemes.subprocess, "run", lambda *a, **k: calls.append(a) or run(*a, **k))
    sounds = phonemes.phonemes(["cartoon", "Khartoum", "Burhan", "Zürich-ish", "Fasher."])
    assert len(calls) == 1 and all(sounds.values())
    near = phonemes.similarity(sounds["cartoon"], sounds["Khartoum"])
    assert near > 0.85 > phonemes.similarity(sounds["cartoon"], sounds["Burhan"])
    assert phonemes.phonemes(["cartoon", "Khartoum"])["cartoon"] == sounds["cartoon"]
    assert len(calls) == 1   # remembered for the run


def _plain_distance(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """The weighted edit distance as the textbook recurrence writes it."""
    row = [0.0]
    for y in b:
        row.append(row[-1] + phonemes._gap(y))
    for x in a:
        above, row = row, [row[0] + phonemes._gap(x)]
        for j, y in enumerate(b):
            row.append(min(row[j] + phonemes._gap(y), above[j + 1] + phonemes._gap(x),
                           above[j] + phonemes._substitution(x, y)))
    return row[-1]


def test_phoneme_distance_is_the_plain_recurrence_and_stops_past_its_limit() -> None:
    words = [tuple(w) for w in ("kɑːtuːn", "kɑːtuːm", "bɜːhan", "mɛl fæʃə", "ɛl faʃɚ", "ðə",
                                "həʊθiːz", "hʊθɪz", "", "sʌdɑn", "ɪsɪkiːboʊ")]
    for a in words:
        for b in words:
            exact = _plain_distance(a, b)
            assert phonemes.distance(a, b) == exact   # the same sums, to the last bit
            assert phonemes.distance(a, b, exact) == exact
            if exact > 0.5:
                assert phonemes.distance(a, b, exact - 0.5) > exact - 0.5
            longest = max(len(a), len(b))
            if longest:
                assert phonemes.similarity(a, b, 0.5) == (
                    1 - exact / longest if 1 - exact / longest >= 0.5 else 0.0)
                assert phonemes.similarity(a, b, 0.5) == phonemes.similarity(a, b, 0.5)


@needs_espeak
def test_words_heard_for_a_name_are_respelled_by_sound_over_their_time() -> None:
    respeller = Respeller(("El Fasher", "Darfur", "Khartoum", "Hemedti"), whole_words("tiny.en"))
    out = respeller.words(_words("after the fall of mail fascia. Cartoon, the capital, and "
                                 "Hamidti's men"))
    assert " ".join(w.text for w in out) == ("after the fall of El Fasher. Khartoum, the "
                                             "capital, and Hemedti's men")
    assert (out[4].start, out[4].end, out[4].probability) == (2.0, 2.9, 0.3)


@needs_espeak
def test_nothing_is_respelled_into_a_name_the_glossary_lacks() -> None:
    heard = "after the fall of mail fascia. Cartoon, the capital"
    respeller = Respeller(("Darfur", "Hemedti", "Natanz"), whole_words("tiny.en"))
    assert [w.text for w in respeller.words(_words(heard))] == heard.split()


@needs_espeak
@pytest.mark.parametrize("heard", ["we follow the news", "behind the button", "for no reason",
                                   "I'm sure", "Hamdan Dagalo"])
def test_common_phrases_and_names_heard_right_stay(heard: str) -> None:
    """Words the model was sure of, words too unlike any name, and a glossary name's own
    words are left as written."""
    respeller = Respeller(("Fordow", "Burhan", "Niamey", "Hamdan", "Dagalo", "Mohamed Hamdan"),
                          whole_words("tiny.en"))
    assert [w.text for w in respeller.words(_words(heard, 0.98))] == heard.split()


@needs_espeak
def test_a_name_heard_as_common_words_comes_out_of_real_speech(speech_dir: Path) -> None:
    """The British voice's "El Fasher" is heard by tiny.en as other words ("male fascia",
    or "Mael Fasher", part of the name right); by sound it is the glossary's name, and
    without the name in the glossary it is not."""
    audio = make_speech(speech_dir, "fasher.mp3", "Khartoum, the capital, lies largely empty "
                        "after the fall of El Fasher.", ("-codec:a", "libmp3lame", "-b:a", "64k"),
                        voice="en-gb-x-rp")
    glossary = ("Hemedti", "El Fasher", "Darfur", "Khartoum", "Burhan", "Dagalo", "Zamzam")
    one_thread = WhisperOptions(threads=1)
    words, _ = transcribe_words(audio, one_thread, hotwords=glossary)
    assert " ".join(w.text for w in words).endswith("El Fasher")
    words, _ = transcribe_words(audio, one_thread, hotwords=glossary[:1] + glossary[2:])
    assert "Fasher" not in " ".join(w.text for w in words)


def test_a_name_heard_in_part_is_completed() -> None:
    respeller = Respeller(("El Fasher", "Darfur"), whole_words("tiny.en"), by_sound=True)
    heard = "after the fall of Mael Fasher, the city"
    assert [w.text for w in respeller.words(_words(heard, 0.5))] == \
        ["after", "the", "fall", "of", "El Fasher,", "the", "city"]
    # a word that does not sound like the rest of the name stays: "of Fasher" is not it
    assert [w.text for w in respeller.words(_words("the fall of Fasher", 0.98))] == \
        ["the", "fall", "of", "Fasher"]
    # one that does is completed, unless it is a whole-token word Whisper was sure of
    assert [w.text for w in respeller.words(_words("the fall of Al Fasher", 0.5))] == \
        ["the", "fall", "of", "El Fasher"]
    assert [w.text for w in respeller.words(_words("the fall of Al Fasher", 0.98))] == \
        ["the", "fall", "of", "Al", "Fasher"]


def test_without_espeak_the_letter_key_respells(monkeypatch) -> None:
    monkeypatch.setattr(phonemes, "ESPEAK", "espeak-ng-not-installed")
    monkeypatch.setattr(phonemes, "_CACHE", {})
    assert not phonemes.available() and phonemes.phonemes(["Essequibo"]) == {"Essequibo": ()}
    for respeller in (Respeller(TERMS), Respeller(TERMS, by_sound=True)):
        out = respeller.words(_words("the Esse Quibo, region and Hexeth"))
        assert [w.text for w in out] == ["the", "Essequibo,", "region", "and", "Hegseth"]


def test_articles_lend_names_by_how_close_their_words_are(cli: Cli) -> None:
    """An article on the episode's topic lends its names though it shares no name with the
    episode; one that shares a country's name but is about something else lends none."""
    show = load_show(cli.show)
    first, _ = load_episodes(show)
    on_topic = ("Offshore oil and a century-old border claim. Since the offshore finds, the "
                "region's border dispute has been about oil as much as history: the referendum, "
                "the military picture on the river and the domestic politics of the claim, "
                "says Quorvath Imbelli, who followed the dispute for the court. Escorting "
                "the drilling ships is the navy's task. Imbelli expects the claim to outlast "
                "the referendum.")
    elsewhere = ("Venezuela sent a delegation to the grain talks in Zanzibar. Wheat tariffs, "
                 "fertilizer quotas, harvest insurance and shipping rates for grain carriers "
                 "filled the week; Tembakula Ossiro chaired the talks on seed banks, storage "
                 "silos and the price of maize, sorghum and millet across the coast.")
    filler = ["Drills around the island: carrier groups, exercises and the strait's patrols.",
              "Air defence in a long war: interceptors, radars and the drones they meet.",
              "Sanctions on shipping: insurers, flags of convenience and the tankers' routes."]
    terms = glossary_for(show, first, [elsewhere, on_topic, *filler]).terms
    assert "Quorvath" in terms and "Imbelli" in terms
    assert "Tembakula" not in terms and "Ossiro" not in terms
