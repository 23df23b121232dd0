"""What the validator reports: one :class:`Finding` per problem, an error or a warning."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in a feed: where it is, which rule set says so, and what to do."""

    level: str  # "error" (a directory rejects the feed or apps break) or "warning"
    where: str  # "feed", "channel", or "item 3 'Title'" (1-based)
    rule: str  # "rss", "apple", "psp-1" or "podcast" (Podcasting 2.0)
    message: str  # one line: what is wrong and what to do

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: [{self.rule}] {self.message}"


def has_errors(findings: list[Finding]) -> bool:
    """Tell whether any finding is an error, i.e. whether the feed should not be published."""
    return any(finding.level == ERROR for finding in findings)


def error(where: str, rule: str, message: str) -> Finding:
    """An error: a directory would reject the feed, or apps break."""
    return Finding(ERROR, where, rule, message)


def warning(where: str, rule: str, message: str) -> Finding:
    """A warning: a recommendation the feed does not follow."""
    return Finding(WARNING, where, rule, message)
