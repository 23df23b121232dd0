"""What an import writes: show.toml, and each episode's files rendered from the old feed.

Rendering is a pure function of what was read (and fetched), so the same feed gives the same
bytes; what was written is recorded in each folder's ``.imported.json``, so that a later
import can tell an episode the producer has edited from one it may update.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from warcast.files import noted, readable, toml_bytes
from warcast.imports.model import SourceEpisode, SourceShow

STATE_FILE = ".imported.json"
_HEADER = (
    "Imported by `warcast import` (show.toml names the feed).",
    "Edit freely: a later import leaves an edited episode alone (and says so); --force "
    "replaces it.",
    "guid and audio_url are what podcast apps know this episode by: never change them.",
)


def episode_toml(episode: SourceEpisode, *, chapters: list[dict[str, object]],
                 transcripts: bool, image: str | None, audio: str | None) -> bytes:
    """episode.toml for an imported item. ``chapters`` were read from the feed or fetched
    (else ``chapters_url`` stays a link); ``transcripts`` says a transcript.vtt was made (else
    the feed's transcripts stay links); ``image`` and ``audio`` are downloaded files."""
    unknown = "unknown: the old feed did not say"
    entries: list[tuple[str | None, object]] = [(None, line) for line in _HEADER]
    entries += [("title", episode.title), ("guid", episode.guid),
                ("published", episode.published), ("type", episode.type)]
    entries += _present(number=episode.number, season=episode.season,
                        season_name=episode.season_name)
    if episode.explicit is not None:
        entries.append(("explicit", episode.explicit))
    entries += _present(block=episode.block or None)
    if episode.members_only:
        entries.append(("members_only", noted(True, "imported from a private feed")))
    entries += [("summary", episode.summary), ("keywords", list(episode.keywords)),
                ("audio_url", episode.audio_url), ("audio_type", episode.audio_type),
                ("audio_bytes", episode.audio_bytes if episode.audio_bytes
                 else noted(episode.audio_bytes, unknown)),
                ("duration", _seconds(episode.duration) if episode.duration
                 else noted(_seconds(episode.duration), unknown))]
    if audio:
        entries.append(("audio", noted(audio, "downloaded copy (the feed keeps audio_url)")))
    entries += _present(image=image)
    if not image and episode.image_url:
        entries.append(("image_url", noted(episode.image_url, "artwork on the old host")))
    if episode.itunes_title:
        entries.append(("itunes_title", noted(episode.itunes_title, "what Apple shows")))
    entries += _feed_xml(episode.feed_xml)
    if not chapters and episode.chapters_url:
        entries.append(("chapters_url", episode.chapters_url))
    entries += _tables("guests", [dict(person) for person in episode.persons])
    entries += _tables("chapters", [
        {key: _seconds(value) if key == "start" else str(value) for key, value in c.items()}
        for c in chapters])
    if not transcripts:
        entries += _tables("transcripts", [dict(link) for link in episode.transcripts])
    return toml_bytes(entries)


def _present(**values: object) -> list[tuple[str | None, object]]:
    """The entries whose value is given (not None, not empty)."""
    return [(key, value) for key, value in values.items() if value not in (None, "", 0)]


def _feed_xml(xml: str | None) -> list[tuple[str | None, object]]:
    if not xml:
        return []
    return [(None, "Podcasting 2.0 elements of the old feed, published as written"),
            ("feed_xml", readable(xml))]


def _tables(key: str, rows: list[dict[str, object]]) -> list[tuple[str | None, object]]:
    return [(key, rows)] if rows else []


def _seconds(value: object) -> int | float:
    number = round(float(value), 3)  # type: ignore[arg-type]
    return int(number) if number == int(number) else number


def show_toml(show: SourceShow, source: str, *, base_url: str, cover: str, email: str,
              guid: str | None, guid_note: str = "") -> bytes:
    """show.toml for an imported show, every value taken from the old feed."""
    entries: list[tuple[str | None, object]] = [
        (None, f"Show settings, imported by `warcast import` from {source}. Edit freely."),
        ("title", show.title), ("description", show.description), ("author", show.author),
        ("language", show.language), ("explicit", show.explicit), ("type", show.type),
        ("cover", cover), ("base_url", base_url),
        (None, "When the old host lets you, set its feed's itunes:new-feed-url to this show's "
               "feed"),
        (None, "(base_url/feed.xml) and redirect it there (HTTP 301): apps then follow the "
               "move."),
        (None, 'new_feed_url = "https://example.org/next-home/feed.xml"   # only if it moves '
               "again"),
    ]
    entries += _present(copyright=show.copyright)
    entries += [("medium", show.medium), ("locked", show.locked)]
    if guid:
        entries.append(("guid", noted(guid, f"podcast:guid {guid_note}: never change it")))
    entries += _present(complete=show.complete or None, block=show.block or None)
    entries.append(("keywords", list(show.keywords)))
    entries += _feed_xml(show.feed_xml)
    entries.append(("owner", {"name": show.owner_name, "email": email}))
    entries += _tables("categories", [{"category": name, **({"subcategory": sub} if sub else {})}
                                      for name, sub in show.categories])
    entries += _tables("funding", [{"url": url, "text": text} for url, text in show.funding])
    entries += _tables("hosts", [dict(host) for host in show.hosts])
    return toml_bytes(entries)


def item_digest(episode: SourceEpisode) -> str:
    """What the old feed says about an item: a change means the item was edited there."""
    data = {key: value for key, value in vars(episode).items() if key != "where"}
    text = json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digests(folder: Path, names: list[str]) -> dict[str, str | None]:
    """SHA-256 of each named file in ``folder`` (None for a missing one)."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            if (folder / name).is_file() else None for name in sorted(names)}


#: The files an import writes into an episode folder: a record naming anything else (edited
#: by hand, or planted) is no record of ours.
IMPORTED_FILES = {"episode.toml", "notes.html", "transcript.vtt", "cover.jpg", "cover.png"}
_AUDIO_NAME = re.compile(r"audio\.[a-z0-9]{1,5}")


def read_state(folder: Path) -> dict | None:
    """The record of the last import into ``folder``, or None (not an imported episode, or a
    record that is broken or names files an import never writes)."""
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict) or \
            not isinstance(data.get("guid"), str) or not set(data["files"]) <= IMPORTED_FILES \
            or not isinstance(data.get("next", {}), dict) \
            or not set(data.get("next", {})) <= IMPORTED_FILES:
        return None
    audio = data.get("audio")
    if audio is not None and not (isinstance(audio, str) and _AUDIO_NAME.fullmatch(audio)):
        return None
    if data.get("image") not in (None, "cover.jpg", "cover.png"):
        return None
    return data


def state_bytes(state: dict) -> bytes:
    """The ``.imported.json`` record: guid, item digest, written files' digests, and what
    the episode.toml was rendered from (chapters, transcript, image, audio)."""
    return (json.dumps(state, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
