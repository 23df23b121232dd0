"""What an import says when it is done: the summary line, the warnings and the error that
ends it, in words, for the CLI to print."""

from __future__ import annotations

from warcast.errors import FeedError
from warcast.imports.engine import ImportReport


def summary(report: ImportReport, feed: str) -> str:
    """``Imported 3 of the feed's 4 episodes from …: 1 new, 1 updated, 1 unchanged.``"""
    done = len(report.new) + len(report.updated) + len(report.unchanged)
    of = f" of the feed's {report.items}" if done != report.items else ""
    downloaded = f", {len(report.downloaded)} audio files downloaded" \
        if report.downloaded else ""
    return (f"Imported {done}{of} episodes from {feed}: {len(report.new)} new, "
            f"{len(report.updated)} updated, {len(report.unchanged)} unchanged{downloaded}.")


def warnings(report: ImportReport) -> list[str]:
    """The episodes left alone or kept, one line per kind."""
    kinds = (("edited since the last import, left alone (--force replaces them)",
              report.edited),
             ("not made by an import, left alone", report.foreign),
             ("no longer in the feed, kept", report.gone))
    return [f"{len(names)} episodes {label}: {', '.join(names)}" for label, names in kinds
            if names]


def errors(report: ImportReport) -> list[str]:
    """Items that made no episode, then audio downloads that did not finish."""
    return report.rejected + report.failures


def failure(report: ImportReport) -> FeedError | None:
    """The error an import with rejected items or unfinished downloads ends with."""
    if report.rejected:
        return FeedError(f"{len(report.rejected)} items of the feed could not be imported",
                         hint="See the errors above; the other episodes were imported")
    if report.failures:
        return FeedError(f"{len(report.failures)} audio downloads did not complete",
                         hint="Run the same import again to resume them")
    return None
