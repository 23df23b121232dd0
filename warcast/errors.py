"""The one error family of warcast.

Every library failure a user can fix is a :class:`WarcastError` that names the file (and, for
structured files, the key) it is about and says what to do next. The CLI turns it into one line
on stderr and exit status 1; nothing below the CLI prints or exits.
"""

from __future__ import annotations

from pathlib import Path


class WarcastError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.key = key
        self.hint = hint

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.key:
            where.append(f"key '{self.key}'")
        text = self.message.rstrip(".")
        if where:
            text = ": ".join([*where, text])
        text = f"{text}. {self.hint.rstrip('.')}." if self.hint else f"{text}."
        return " ".join(text.split())


class SourceError(WarcastError):
    """A show or episode source file (TOML, Markdown, artwork) is missing or invalid."""


class AudioError(WarcastError):
    """An audio file is missing, unreadable or not audio."""


class FeedError(WarcastError):
    """A feed cannot be read, or a published feed fails validation."""


class PublishError(WarcastError):
    """The output folder cannot be written."""


class TranscriptError(WarcastError):
    """A transcript cannot be made, read or written (bad model, broken hand edit)."""


class ArticleError(WarcastError):
    """An article source (feed, JSON Lines, saved pages) or the article store is unusable."""


class SearchError(WarcastError):
    """The search index is missing, unusable, or cannot answer."""


class MemberError(WarcastError):
    """A member cannot be added, found or changed, or the members store is unusable."""


class BusyError(WarcastError):
    """Another warcast command is writing to the same show."""


class StatsError(WarcastError):
    """An access log cannot be read, or download counts cannot be made or written."""


class DeployError(WarcastError):
    """The published site cannot be uploaded, or the apps cannot be told about it."""
