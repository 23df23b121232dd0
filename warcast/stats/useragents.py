"""User agents: which podcast app (and platform) made a request, or whether a bot did.

Two maintained open lists, vendored as data in ``warcast/data`` (source, licence and date in
its README): the OPAWG podcast user-agent list names apps, their platform and the bots of the
podcast world; the crawler-user-agents list adds the web's crawlers. The first OPAWG entry that
matches decides; a user agent OPAWG does not know is a bot when a crawler pattern matches.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from urllib.parse import unquote

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Agent:
    """What a user agent is, for counting: its app and platform (``unknown`` when not known)."""

    app: str
    platform: str
    bot: bool


@dataclass(frozen=True)
class _Entry:
    pattern: re.Pattern[str]
    agent: Agent


def _data(name: str) -> list[dict]:
    return json.loads(resources.files("warcast").joinpath("data", name).read_text("utf-8"))


@functools.cache
def _opawg() -> tuple[_Entry, ...]:
    entries = []
    for item in _data("opawg-user-agents.json"):
        agent = Agent(app=item.get("app") or UNKNOWN, platform=item.get("os") or UNKNOWN,
                      bot=bool(item.get("bot")))
        entries.extend(_Entry(re.compile(pattern), agent) for pattern in item["user_agents"])
    return tuple(entries)


@functools.cache
def _crawlers() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{item['pattern']})"
                               for item in _data("crawler-user-agents.json")))


@functools.lru_cache(maxsize=65536)
def classify(user_agent: str) -> Agent:
    """The app, platform and bot flag of one user agent string (URL-escaped ones too, as
    CloudFront and S3 logs write them)."""
    text = user_agent.strip()
    # The lists hold patterns for both spellings (``BBC%20Sounds/``): try the escaped form too.
    forms = (text, unquote(text)) if "%" in text else (text,)
    for entry in _opawg():
        if any(entry.pattern.search(form) for form in forms):
            return entry.agent
    if text and any(_crawlers().search(form) for form in forms):
        return Agent(app=UNKNOWN, platform=UNKNOWN, bot=True)
    return Agent(app=UNKNOWN, platform=UNKNOWN, bot=False)
