"""Importing a show from another host's feed: a back catalog moved without apps noticing.

``import_feed`` reads the old feed (file or URL), creates ``show.toml`` when there is none,
and keeps one episode folder per item: its guid exactly, its enclosure URL as the audio's
address (apps never download it again), dates, numbers, notes, people, chapters and
transcripts (fetched when reachable, else kept as links). Running it again adds new items and
updates changed ones; an episode edited since the last import is left alone and reported.
Nothing is written until the whole feed has been read and found to be a podcast feed.
"""

from warcast.imports import report
from warcast.imports.engine import ImportReport, import_feed

__all__ = ["ImportReport", "import_feed", "report"]
