"""What every SQLite store of warcast shares: one connection, closed by ``with`` or ``close``."""

from __future__ import annotations

import sqlite3
from typing import Self


class Database:
    """A store over one SQLite connection (``db``), usable as a context manager."""

    db: sqlite3.Connection

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
