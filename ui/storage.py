"""The lessons database as the pages use it: opened once per server process, and a page that goes on
without it when it cannot be reached.

:func:`lesson_storage` opens the database the environment names (``DATABASE_URL``: PostgreSQL, as
Heroku sets it; else a SQLite file in ``FER_DATA_DIR``), removes the lessons older than the retention
(``FER_RETENTION_DAYS``, default 30) and starts the writer that saves live lessons every two seconds. A
database that cannot be opened is said in one line on the page and in the log, and lessons are then
kept in this server's memory only; it is tried again after a while, not on every run of a page.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import streamlit as st

from fer.classroom.snapshot import LessonSnapshot

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "DATABASE_URL"  # PostgreSQL (Heroku Postgres sets it); unset: SQLite in the data folder
DATA_DIR_ENV = "FER_DATA_DIR"  # the SQLite file's folder (default ~/.local/share/class-mood)
RETENTION_ENV = "FER_RETENTION_DAYS"  # lessons not saved for this many days are deleted (default 30)
RETRY_S = 30.0  # a database that could not be opened is tried again after this long


@dataclass(frozen=True)
class Storage:
    """The lessons database and its writer, or why there is none (``error``, one line)."""

    database: object | None  # fer.storage.LessonDatabase
    writer: object | None  # fer.storage.LessonWriter
    error: str | None = None

    def load(self, code: str | None) -> LessonSnapshot | None:
        """The stored lesson of ``code``, if the database holds it (None when it cannot be read: logged)."""
        return self.find(code)[0]

    def find(self, code: str | None) -> tuple[LessonSnapshot | None, str | None]:
        """The stored lesson of ``code`` (None if the database holds none under it), and why it could not be
        read, in one line, when the database failed: then whether it is stored is not known."""
        from fer.storage import StorageError

        if self.database is None or not code:
            return None, None
        try:
            return self.database.load(code), None
        except ValueError:  # not a lesson code: refused before any query
            return None, None
        except StorageError as err:
            log.warning("lessons database: %s", err)
            return None, str(err)


def retention() -> timedelta:
    raw = os.environ.get(RETENTION_ENV, "")
    try:
        days = float(raw) if raw.strip() else 30.0
    except ValueError:
        log.warning("%s=%r is not a number of days; keeping lessons 30 days", RETENTION_ENV, raw)
        days = 30.0
    return timedelta(days=max(days, 1 / 24))


@st.cache_resource(show_spinner="Opening the lessons database...")
def _opened() -> Storage:
    """Opened once per process; raises (and so is not cached) when the database cannot be opened."""
    from fer.storage import LessonDatabase, LessonWriter

    data_dir = os.environ.get(DATA_DIR_ENV)
    database = LessonDatabase.open(os.environ.get(DATABASE_URL_ENV) or None, Path(data_dir) if data_dir else None)
    removed = database.expire(retention())
    log.info("lessons database %r opened; %d lessons past the retention removed", database, removed)
    return Storage(database, LessonWriter(database))


_failed: dict[str, float | str] = {}  # when the last try to open failed, and why (one process, all sessions)


def lesson_storage() -> Storage:
    """The lessons database of this server process; with ``error`` set, lessons live in memory only."""
    from fer.storage import StorageError

    if _failed and time.monotonic() - float(_failed["at"]) < RETRY_S:
        return Storage(None, None, str(_failed["error"]))
    try:
        storage = _opened()
    except StorageError as err:
        error = f"Lessons are not being saved ({err}); they are kept in this server's memory only."
        log.error("lessons database: %s", err)
        _failed.update(at=time.monotonic(), error=error)
        return Storage(None, None, error)
    _failed.clear()
    return storage
