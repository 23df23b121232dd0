"""Search: the FTS5 index over real SQLite, the query language, filters, safety, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests import browser
from tests.conftest import Cli, make_speech, need
from warcast.search import IndexedEpisode, Passage, SearchIndex, parse, passages_of
from warcast.state import MEMBERS_SEARCH_INDEX, SEARCH_INDEX
from warcast.transcript.model import Cue, Transcript


def _episode(slug: str, day: str, lines: list[tuple[float, str, str]], *,
             title: str | None = None) -> IndexedEpisode:
    cues = tuple(Cue(start, start + 4.0, text, speaker) for start, speaker, text in lines)
    return IndexedEpisode(
        slug=slug, title=title or slug.replace("-", " ").title(),
        published=dt.date.fromisoformat(day),
        page_url=f"https://pod.example.org/episodes/{slug}/",
        audio_url=f"https://pod.example.org/media/{slug}.mp3",
        passages=(*passages_of(Transcript(cues)), Passage("title", 0, 0, title or slug)))


@pytest.fixture
def catalog(tmp_path: Path) -> SearchIndex:
    index = SearchIndex(tmp_path / "search.sqlite", create=True)
    index.update([
        _episode("sanctions-and-oil", "2025-03-01", [
            (0.0, "Ana", "Welcome back to the show."),
            (5.0, "Ana", "New sanctions on Venezuelan oil exports took effect this week."),
            (40.0, "Ben", "Maduro answered with a decree about the Essequibo region."),
            (80.0, "Ben", "Russia sent advisers, and the Wagner network moved gold."),
        ]),
        _episode("red-sea-shipping", "2025-06-01", [
            (0.0, "Cleo", "Houthi missiles closed the Red Sea to most container shipping."),
            (45.0, "Cleo", "Insurers raised war-risk premiums for every tanker."),
            (90.0, "Dev", "Iran supplies the drones, according to the panel of experts."),
        ]),
        _episode("sahel-after-wagner", "2024-01-15", [
            (0.0, "Ana", "Russia in the Sahel is a different story from Russia in Venezuela."),
            (60.0, "Ana", "Mali's junta pays for security with mining concessions."),
        ]),
    ])
    return index


def _slugs(result) -> list[str]:  # type: ignore[no-untyped-def]
    """The episodes hit, best first, each once."""
    return list(dict.fromkeys(hit.episode for hit in result.hits))


def _exact(result) -> list[str]:  # type: ignore[no-untyped-def]
    """The episodes hit by the words as typed (not approximately), best first, each once."""
    return list(dict.fromkeys(hit.episode for hit in result.hits if not hit.approximate))


def test_words_must_all_match(catalog: SearchIndex) -> None:
    assert _exact(catalog.search("Russia Venezuela")) == ["sahel-after-wagner"]
    assert _slugs(catalog.search("Russia Venezuela", suggest=False)) == ["sahel-after-wagner"]
    assert set(_slugs(catalog.search("Russia"))) == {"sanctions-and-oil", "sahel-after-wagner"}


def test_stemming_and_diacritics(catalog: SearchIndex) -> None:
    hit = catalog.search("sanction").hits[0]
    assert hit.episode == "sanctions-and-oil" and "<mark>sanctions</mark>" in hit.snippet
    assert _slugs(catalog.search("Malí"))[0] == "sahel-after-wagner"
    assert _slugs(catalog.search("insurer premium")) == ["red-sea-shipping"]


def test_phrase_prefix_or_and_exclusion(catalog: SearchIndex) -> None:
    assert _slugs(catalog.search('"Red Sea"')) == ["red-sea-shipping"]
    assert _exact(catalog.search('"Sea Red"')) == []
    assert _slugs(catalog.search("Essequ*")) == ["sanctions-and-oil"]
    assert set(_slugs(catalog.search("Houthi OR Maduro"))) == {"red-sea-shipping",
                                                               "sanctions-and-oil"}
    assert _slugs(catalog.search("Russia -Venezuela")) == ["sanctions-and-oil"]
    assert _slugs(catalog.search("-Russia")) == []


def test_hits_land_on_the_cue_where_the_words_are_spoken(catalog: SearchIndex) -> None:
    hit = catalog.search("Wagner gold").hits[0]
    assert (hit.start, hit.speaker) == (80.0, "Ben")
    assert hit.url == "https://pod.example.org/episodes/sanctions-and-oil/?t=80"
    assert hit.audio_url == "https://pod.example.org/media/sanctions-and-oil.mp3#t=80"
    assert catalog.search("Iran drones").hits[0].start == 90.0


def test_filters(catalog: SearchIndex) -> None:
    assert _slugs(catalog.search("Russia", episode="sahel-after-wagner")) == [
        "sahel-after-wagner"] * 1
    assert _slugs(catalog.search("Russia", since=dt.date(2025, 1, 1))) == ["sanctions-and-oil"]
    assert _slugs(catalog.search("Russia", until=dt.date(2024, 12, 31))) == [
        "sahel-after-wagner"]
    assert _slugs(catalog.search("Russia", speaker="ben")) == ["sanctions-and-oil"]
    assert catalog.search("Russia", speaker="Cleo").hits == []
    assert catalog.search("Russia", episode="no-such-episode").hits == []


def test_one_episode_does_not_flood_the_results(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s.sqlite", create=True)
    chatty = [(i * 40.0, "Ana", f"Drones again, part {i}.") for i in range(12)]
    index.update([_episode("chatty", "2025-01-01", chatty),
                  _episode("quiet", "2024-01-01", [(0.0, "Ben", "A word on drones.")])])
    assert [h.episode for h in index.search("drones").hits].count("chatty") == 3
    assert "quiet" in _slugs(index.search("drones"))
    assert len(index.search("drones", episode="chatty", limit=20).hits) == 12


def test_typos_get_suggestions_and_results(catalog: SearchIndex) -> None:
    result = catalog.search("Esequibo")
    assert result.suggestions == ["Essequibo"]
    assert _slugs(result) == ["sanctions-and-oil"]
    assert catalog.search("Essequibo").suggestions == []
    assert catalog.search("zzzzqqq").hits == []


@pytest.mark.parametrize("query", [
    '"', '"unterminated phrase', "(", ")", "((Russia", "AND", "OR", "NOT", "Russia AND",
    "NEAR(", "NEAR(Russia Sahel", "*", "**", "-", "--Russia", "^Russia", "Russia:", "body:x",
    "{body}: Russia", "\x00\x07Russia\x1b[31m", "Russia " * 2000, "é" * 10000, "'; DROP TABLE",
    "💥 Russia", "\u202eRussia", "a* b* c*",
])
def test_hostile_queries_never_fail(catalog: SearchIndex, query: str) -> None:
    result = catalog.search(query)
    assert isinstance(result.hits, list)
    json.dumps(result.as_json())


def test_only_stop_words_do_not_return_every_row(catalog: SearchIndex) -> None:
    assert catalog.search("the").hits == []
    assert catalog.search("the of and").hits == []   # as an exact phrase: nowhere
    assert _slugs(catalog.search("welcome back to the")) == ["sanctions-and-oil"]


def test_snippets_are_escaped_html(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s.sqlite", create=True)
    index.update([_episode("x", "2025-01-01",
                           [(0.0, "A", "<script>alert(1)</script> Tehran & Riyadh")])])
    snippet = index.search("Tehran").hits[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>Tehran</mark> &amp; Riyadh" in snippet


def test_incremental_update_touches_only_what_changed(catalog: SearchIndex) -> None:
    first = _episode("sanctions-and-oil", "2025-03-01", [
        (0.0, "Ana", "A correction: the tariffs were on Venezuelan asphalt.")])
    report = catalog.update([first, _episode("red-sea-shipping", "2025-06-01", [
        (0.0, "Cleo", "Houthi missiles closed the Red Sea to most container shipping."),
        (45.0, "Cleo", "Insurers raised war-risk premiums for every tanker."),
        (90.0, "Dev", "Iran supplies the drones, according to the panel of experts."),
    ])], prune=False)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 1, 0)
    assert _slugs(catalog.search("asphalt")) == ["sanctions-and-oil"]
    assert catalog.search("Maduro").hits == []
    assert "Maduro" not in catalog.suggest(["madur0"]).values()
    report = catalog.update([first])
    assert report.removed == 2
    assert catalog.stats()["episodes"] == 1


def test_rowids_keep_episodes_of_one_day_apart(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s.sqlite", create=True)
    index.update([_episode(f"e{n}", "2025-01-01", [(0.0, "A", f"topic{n} drones")])
                  for n in range(5)])
    assert sorted(_slugs(index.search("drones", limit=20))) == [f"e{n}" for n in range(5)]
    assert _slugs(index.search("topic3", episode="e3")) == ["e3"]


def test_parse_builds_literal_fts_strings() -> None:
    assert parse('Maduro "Red Sea" sanc* -Iran').fts() == \
        '("maduro" AND "red sea" AND "sanc"*) NOT "iran"'
    assert parse("a OR Houthis").fts() == '("a" OR "houthis")'
    assert parse('x"y').fts() == '"x" AND "y"'


def test_a_broken_index_file_is_one_clear_error(tmp_path: Path) -> None:
    from warcast.errors import SearchError

    bad = tmp_path / "search.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SearchError, match="warcast index"):
        SearchIndex(bad)
    with pytest.raises(SearchError, match="no search index yet"):
        SearchIndex(tmp_path / "missing.sqlite")
    newer = tmp_path / "newer.sqlite"
    SearchIndex(newer, create=True).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(SearchError, match="schema 99"):
        SearchIndex(newer)


# --- the command line, on the sample show --------------------------------------------------

def test_cli_index_is_incremental_and_search_prints_json(cli: Cli, show_dir: Path) -> None:
    result = cli("index")
    assert result.exit_code == 0, result.output
    assert "(public): 2 added" in result.output
    assert "(public): 0 added, 0 updated, 0 removed, 2 unchanged" in cli("index").output
    out = cli("search", "Essequibo river", "--json")
    data = json.loads(out.output)
    assert set(data) == {"query", "hits", "suggestions"}
    hit = data["hits"][0]
    assert hit["episode"] == "venezuela-guyana-essequibo-claim"
    assert set(hit) >= {"episode", "title", "start", "end", "speaker", "snippet", "url"}
    assert hit["url"].endswith(f"/episodes/venezuela-guyana-essequibo-claim/?t={int(hit['start'])}")
    vtt = (show_dir / "0001-venezuela-guyana-essequibo-claim" / "transcript.vtt").read_text()
    assert f"{int(hit['start']) // 60:02d}:{int(hit['start']) % 60:02d}" in vtt
    human = cli("search", "Esequibo")
    assert "Did you mean Essequibo?" in human.output


def test_cli_search_filters_and_bad_dates(cli: Cli) -> None:
    cli("index")
    out = json.loads(cli("search", "the Red Sea", "--episode", "2", "--json").output)
    assert {h["episode"] for h in out["hits"]} == {"houthis-red-sea-shipping"}
    assert json.loads(cli("search", "Red Sea", "--since", "2030-01-01", "--json").output)[
        "hits"] == []
    bad = cli("search", "x", "--since", "last week")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_search_before_indexing_says_what_to_do(cli: Cli) -> None:
    result = cli("search", "anything")
    assert result.exit_code == 1
    assert "Run 'warcast index'" in result.output and "Traceback" not in result.output


def test_members_only_episodes_stay_out_of_the_public_index(cli: Cli, show_dir: Path) -> None:
    toml = show_dir / "0002-houthis-red-sea-shipping" / "episode.toml"
    toml.write_text(toml.read_text().replace("members_only = false", "members_only = true"))
    assert cli("publish", "--out", str(show_dir.parent / "public")).exit_code == 0
    public = json.loads(cli("search", "Houthis", "--json").output)
    assert all(h["episode"] != "houthis-red-sea-shipping" for h in public["hits"])
    with SearchIndex(show_dir / SEARCH_INDEX) as index:
        assert "houthis-red-sea-shipping" not in {
            slug for (slug,) in index.db.execute("SELECT slug FROM episodes")}
        assert index.db.execute("SELECT count(*) FROM terms WHERE term = 'houthi'"
                                ).fetchone()[0] == 0
    with SearchIndex(show_dir / MEMBERS_SEARCH_INDEX) as members:
        assert _slugs(members.search("Houthis"))[0] == "houthis-red-sea-shipping"


def test_a_search_lands_where_the_words_are_spoken(cli: Cli, show_dir: Path,
                                                   speech_dir: Path) -> None:
    """Real speech with a known timing: the hit's time is where the sentence starts (and the
    sentence after 20 s of silence is transcribed at all)."""
    need("sox")
    first = make_speech(speech_dir, "lead.wav", "Welcome to the programme. Today we talk about "
                        "the budget.", ("-c:a", "pcm_s16le"))
    second = make_speech(speech_dir, "late.wav", "The minister resigned on Tuesday morning "
                         "after the vote.", ("-c:a", "pcm_s16le"))
    lead = float(subprocess.run(["soxi", "-D", str(first)], capture_output=True, text=True,
                                check=True).stdout)
    audio = speech_dir / "timed.mp3"
    subprocess.run(["sox", str(first), str(audio.with_suffix(".wav")), "pad", "0", "20"],
                   check=True)
    subprocess.run(["sox", str(audio.with_suffix(".wav")), str(second),
                    str(speech_dir / "joined.wav")], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(speech_dir / "joined.wav"),
                    "-c:a", "libmp3lame", "-b:a", "64k", str(audio)], check=True)
    assert cli("new", str(audio), "--title", "Timed", "--published",
               "2026-11-01T09:00:00+00:00").exit_code == 0
    assert cli("transcribe", "timed").exit_code == 0
    assert cli("index").exit_code == 0
    hits = json.loads(cli("search", "minister resigned", "--json").output)["hits"]
    assert hits and hits[0]["title"] == "Timed"
    assert lead + 20 - 1.5 <= hits[0]["start"] <= lead + 20 + 1.0


# --- over HTTP ---------------------------------------------------------------------------------

def test_serve_answers_search_with_the_same_json_as_the_cli(cli: Cli, show_dir: Path) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    out = show_dir.parent / "public"
    assert cli("publish", "--out", str(out)).exit_code == 0
    with browser.serving(show_dir, out) as root:
        base = root.rstrip("/")
        with urllib.request.urlopen(base + "/api/search?q=Essequibo%20river&limit=3") as r:
            assert r.headers["Content-Type"].startswith("application/json")
            served = json.loads(r.read())
        expected = json.loads(cli("search", "Essequibo river", "--limit", "3", "--json").output)
        assert served == expected and served["hits"]
        hostile = urllib.parse.quote('NEAR( "((* -')
        with urllib.request.urlopen(f"{base}/api/search?q={hostile}") as r:
            assert r.status == 200 and "hits" in json.loads(r.read())
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(base + "/api/search?q=x&limit=lots")
        assert bad.value.code == 400
        audio = next((out / "media").iterdir())
        request = urllib.request.Request(f"{base}/media/{audio.name}",
                                         headers={"Range": "bytes=100-199"})
        with urllib.request.urlopen(request) as r:
            assert r.status == 206 and r.read() == audio.read_bytes()[100:200]


@pytest.fixture
def misheard(tmp_path: Path) -> SearchIndex:
    """Transcripts as Whisper writes them: names and words slightly wrong in places."""
    index = SearchIndex(tmp_path / "misheard.sqlite", create=True)
    index.update([
        _episode("red-sea", "2025-06-01", [
            (0.0, "Cleo", "The Houthis fired again at ships near the strait."),
            (40.0, "Cleo", "Analysts say the Hoothis have more drones than before."),
            (80.0, "Dev", "Freight rates rows sharply after the attack on the tanker."),
            (120.0, "Dev", "Hexeth told reporters the destroyers would stay."),
        ]),
        _episode("guyana", "2025-03-01", [
            (0.0, "Ana", "Caracas still claims the Esequibo region west of the river."),
            (40.0, "Ana", "Freight rates rose sharply in the Caribbean as well."),
        ]),
    ])
    return index


def test_misheard_names_are_found_below_exact_matches(misheard: SearchIndex) -> None:
    hits = misheard.search("Houthis").hits
    assert [h.approximate for h in hits] == [False, True]
    assert "<mark>Hoothis</mark>" in hits[1].snippet and hits[1].start == 40.0
    hexeth = misheard.search("Hegseth").hits
    assert [(h.start, h.approximate) for h in hexeth] == [(120.0, True)]
    assert misheard.search("Essequibo").hits[0].episode == "guyana"


def test_a_phrase_with_one_misheard_word_ranks_below_the_exact_phrase(
        misheard: SearchIndex) -> None:
    hits = misheard.search('"freight rates rose sharply"').hits
    assert [(h.episode, h.approximate) for h in hits] == [("guyana", False), ("red-sea", True)]
    assert misheard.search('"freight rates rose sharply"', limit=1).hits[0].episode == "guyana"


def test_unrelated_words_are_not_matched_approximately(misheard: SearchIndex) -> None:
    assert misheard.search("helicopter").hits == []
    assert misheard.search("Russia").hits == []
    only = misheard.search("destroyers").hits
    assert [(h.start, h.approximate) for h in only] == [(120.0, False)]


def test_json_says_which_hits_matched_approximately(cli: Cli) -> None:
    cli("index")
    data = json.loads(cli("search", "Hoothis", "--json").output)
    assert data["hits"] and all(h["approximate"] for h in data["hits"])
    exact = json.loads(cli("search", "Houthis", "--limit", "1", "--json").output)
    assert exact["hits"][0]["approximate"] is False
    assert "(approximate)" in cli("search", "Hoothis").output


def test_an_index_made_before_sound_keys_learns_them_on_its_next_update(
        misheard: SearchIndex, tmp_path: Path) -> None:
    misheard.db.execute("DROP TABLE sounds")   # as an index of the previous release was
    misheard.close()
    old = SearchIndex(tmp_path / "misheard.sqlite")
    assert [h.approximate for h in old.search("Houthis").hits] == [False]   # no error
    old.close()
    reopened = SearchIndex(tmp_path / "misheard.sqlite", create=True)
    reopened.update([], prune=False)   # nothing changed, yet the keys are filled in
    assert [h.approximate for h in reopened.search("Houthis").hits] == [False, True]


@pytest.fixture
def heard(tmp_path: Path) -> SearchIndex:
    """An interview as tiny.en wrote it: a name split in two, another joined, numbers in
    digits, words the script has that the transcript lost, cues of a few seconds."""
    index = SearchIndex(tmp_path / "heard.sqlite", create=True)
    index.update([
        _episode("guyana", "2025-03-01", [
            (0.0, "Ana", "Caracas still claims the Esse Quibo region west of the river."),
            (4.0, "Ana", "Guyana took men in Wales to the World Court back in 2018."),
            (8.0, "Ana", "The judges have knocked out every procedural objection."),
            (12.0, "Ana", "The award from the end of the 19th century is valid or not."),
            (16.0, "Ana", "The Zamzam camp nearby was overrun in the spring."),
            (20.0, "Ana", "Gold and drones, and more gold for the ministry in Bamako."),
            (24.0, "Ana", "Destroyers fired missiles worth a couple of million dollars at drones."),
        ]),
        _episode("sahel", "2025-04-01", [
            (0.0, "Ben", "Wagner paid its way partly through gold mines."),
            (40.0, "Ben", "The drones cost a tiny fraction of that, in the rain."),
        ]),
    ])
    return index


def _found(result) -> list[tuple[str, float, bool]]:  # type: ignore[no-untyped-def]
    return [(h.episode, h.start, h.approximate) for h in result.hits]


def test_a_name_whisper_split_or_the_listener_split_is_found(heard: SearchIndex) -> None:
    assert _found(heard.search("Essequibo"))[0] == ("guyana", 0.0, True)
    assert _found(heard.search("zam zam camp"))[0] == ("guyana", 16.0, True)
    assert _found(heard.search("bama ko"))[0] == ("guyana", 20.0, True)
    assert heard.search("Essequibo", suggest=False).hits == []


def test_numbers_said_in_words_find_the_digits(heard: SearchIndex) -> None:
    assert _found(heard.search("world court twenty eighteen")) == [("guyana", 4.0, False)]
    assert _found(heard.search('"end of the nineteenth century"')) == [("guyana", 12.0, False)]


def test_most_of_the_words_find_a_passage_below_every_full_match(heard: SearchIndex) -> None:
    # "navy" was never said, "objection" was: the passage with most words comes, marked.
    assert _found(heard.search("knocked objection navy"))[0] == ("guyana", 8.0, True)
    hits = _found(heard.search("wagner gold mines rain"))
    assert hits[0] == ("sahel", 0.0, True)
    exact = _found(heard.search("gold mines"))
    assert exact[0] == ("sahel", 0.0, False) and all(a for _, _, a in exact[1:])


def test_a_question_finds_what_it_asks_about(heard: SearchIndex) -> None:
    hits = heard.search("what did they say about drone costs").hits
    assert (hits[0].episode, hits[0].start) == ("sahel", 40.0)


def test_a_phrase_with_a_word_more_or_less_is_found_approximately(heard: SearchIndex) -> None:
    hits = _found(heard.search('"knocked out every objection"'))
    assert hits[0] == ("guyana", 8.0, True)
    assert heard.search('"knocked out every objection"', suggest=False).hits == []


def test_a_hit_lands_where_most_of_the_query_is_said(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s.sqlite", create=True)
    index.update([_episode("drones", "2025-01-01", [
        (0.0, "Ana", "Drones again tonight over the city."),
        (5.0, "Ana", "Then the weather turned and the roads closed."),
        (10.0, "Ana", "The missiles cost far more than the drones they hit."),
    ])])
    assert index.search("missiles cost drones").hits[0].start == 10.0
    assert index.search('"stack of nets"').hits == []


def test_a_phrase_with_one_word_left_finds_that_word_last(heard: SearchIndex) -> None:
    # The phrase is nowhere (the transcript says "more gold for the ministry"); its one
    # uncommon word is: found, marked approximate.
    hits = _found(heard.search('"where the ministry"'))
    assert hits == [("guyana", 20.0, True)]
    assert heard.search('"where the ministry"', suggest=False).hits == []


def test_one_word_of_three_is_enough_when_nothing_better_matches(heard: SearchIndex) -> None:
    assert _found(heard.search("zebra quagga camp")) == [("guyana", 16.0, True)]


def test_common_words_alone_do_not_make_an_approximate_hit(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s.sqlite", create=True)
    chatter = [(i * 40.0, "Ana", "drones " * 120) for i in range(20)]   # 2,400 times
    index.update([_episode("busy", "2025-01-01", [*chatter, (900.0, "Ana", "Zamzam fell.")])])
    assert index.search("drones quagga").hits == []        # "drones" is everywhere
    assert _found(index.search("zamzam quagga")) == [("busy", 900.0, True)]
