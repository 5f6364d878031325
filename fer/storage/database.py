"""The lessons database: lessons saved as they go, loaded again after a restart or on another server.

:class:`LessonDatabase` keeps a :class:`~fer.classroom.snapshot.LessonSnapshot` per lesson code,
numbers only (:mod:`fer.storage.tables`), under the SHA-256 of the code. A save writes, in one
transaction, what changed since this process's last save of the lesson (:func:`fer.storage.records.changes`);
a failed save changes nothing, and the next writes all that is not written yet. Every query takes
its values as parameters, and a string that is no lesson code is refused with ValueError before
any query. Nothing lists the lessons: a caller asks for the codes it holds. A lesson deleted after this
process saved it is ended: its next save raises :class:`LessonEnded` and writes nothing. Thread-safe.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fer.classroom.snapshot import LessonSnapshot
from fer.storage import tables as t
from fer.storage.engine import StorageError, create, database_url, shown, sqlite_path, transaction, upgrade_to_head
from fer.storage.records import Changes, Saved, changes, lesson_row, snapshot_of
from fer.storage.summaries import LessonSummary, summary_of, summary_query

RETENTION = timedelta(days=30)  # lessons not saved for this long go, when expire() is called
ENDED = "the lesson was ended on another page: its record was deleted from the lessons database"


class LessonEnded(Exception):
    """A lesson this process saved was deleted meanwhile ("End this lesson" or the Lessons page, in
    another tab or on another server; or the retention): it is not stored again."""


class LessonDatabase:
    """Lessons in a SQLite file or a PostgreSQL database; open one with :meth:`open`."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._path = sqlite_path(url)
        self._file: tuple[int, int] | None = self._file_id()
        self._saved: dict[str, Saved] = {}  # code -> what its last save in this process wrote
        self._ended: set[str] = set()  # codes of lessons deleted elsewhere after this process saved them
        self._locks: dict[str, threading.Lock] = {}  # one save of a lesson at a time
        self._lock = threading.Lock()
        self._generation = 0  # counts the database files found anew (SQLite): a save's state is of one
        # SQLite has one writer at a time: this process's saves queue here rather than in SQLite's busy
        # handler, which sleeps in growing steps and leaves the file idle meanwhile.
        self._writing = threading.Lock() if self._path is not None else contextlib.nullcontext()
        insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
        self._upserts = {table.name: _upsert(insert, table) for table in t.PARTS}

    @classmethod
    def open(cls, url: str | None = None, data_dir: Path | None = None) -> LessonDatabase:
        """The database at ``url`` (None: the SQLite file in ``data_dir``, see
        :func:`fer.storage.engine.database_url`), its schema brought up to date. Raises
        :class:`StorageError` when it cannot be reached, made or migrated (a full disk included)."""
        url = database_url(url, data_dir)
        engine = create(url)
        try:
            upgrade_to_head(engine)
        except StorageError:
            engine.dispose()
            raise
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"LessonDatabase({shown(self.url)!r})"

    def save(self, code: str, snapshot: LessonSnapshot, keep_names: bool = False, now: datetime | None = None) -> None:
        """Write what changed in the lesson of ``code`` since its last save, in one transaction. The names
        the teacher typed are stored only with ``keep_names`` (and removed when it is unset). Raises
        ValueError for a malformed code, :class:`StorageError` when the database fails (nothing is then
        written, and the next save writes everything since the last one that worked)."""
        key = t.lesson_key(code)
        self._check_file()
        now = now or datetime.now(UTC)
        with self._lock:
            if code in self._ended:
                raise LessonEnded(ENDED)
            lock = self._locks.setdefault(code, threading.Lock())
            generation = self._generation
        with lock, self._writing:
            with transaction(self.engine, "cannot save the lesson", write=True) as connection:
                saved = self._saved.get(code)
                row = lesson_row(snapshot, keep_names, now)
                lesson_id = saved.lesson_id if saved else None
                if lesson_id is not None:
                    found = connection.execute(update(t.lessons).where(t.lessons.c.id == lesson_id).values(row))
                    if found.rowcount != 1:  # deleted since this process saved it: ended, not stored again
                        with self._lock:
                            self._saved.pop(code, None)
                            self._ended.add(code)
                        raise LessonEnded(ENDED)
                if lesson_id is None:
                    lesson_id = self._lesson_id(connection, key, row)
                todo, done = changes(lesson_id, snapshot, saved, keep_names)
                self._write(connection, lesson_id, todo)
            with self._lock:
                if generation == self._generation:  # else it went to a file since replaced: all is written again
                    self._saved[code] = done

    def _lesson_id(self, connection: Connection, key: str, row: dict) -> int:
        """The id of the lesson stored under ``key``, its row updated, or of a new row."""
        found = connection.execute(select(t.lessons.c.id).where(t.lessons.c.key == key)).scalar()
        if found is not None:
            connection.execute(update(t.lessons).where(t.lessons.c.id == found).values(row))
            return found
        return connection.execute(t.lessons.insert().values(key=key, **row)).inserted_primary_key[0]

    def _write(self, connection: Connection, lesson_id: int, todo: Changes) -> None:
        if todo.seats_left is not None:
            states = t.seat_states.c
            connection.execute(
                delete(t.seat_states).where(states.lesson_id == lesson_id, states.seat.not_in(todo.seats_left))
            )
        if todo.names_left is not None:
            names = t.seat_names.c
            connection.execute(
                delete(t.seat_names).where(names.lesson_id == lesson_id, names.seat.not_in(todo.names_left))
            )
        for kind, first in todo.moments_from.items():
            m = t.moments.c
            connection.execute(delete(t.moments).where(m.lesson_id == lesson_id, m.kind == kind, m.n >= first))
        for table, rows in todo.upserts:
            connection.execute(self._upserts[table.name], rows)

    def load(self, code: str) -> LessonSnapshot | None:
        """The lesson of ``code`` as last saved, or None if none is stored under it."""
        key = t.lesson_key(code)
        with transaction(self.engine, "cannot read the lesson") as connection:
            lesson = connection.execute(select(t.lessons).where(t.lessons.c.key == key)).mappings().first()
            if lesson is None:
                return None
            parts = {
                table.name: connection.execute(
                    select(table).where(table.c.lesson_id == lesson["id"]).order_by(*table.primary_key.columns)
                )
                .mappings()
                .all()
                for table in t.PARTS
            }
        return snapshot_of(lesson, parts)

    def summaries(self, codes: Iterable[str]) -> list[LessonSummary]:
        """The stored lessons among ``codes`` (others are left out), the newest first."""
        keys = _keys(codes)
        if not keys:
            return []
        query = summary_query(list(keys))
        with transaction(self.engine, "cannot read the lessons") as connection:
            rows = connection.execute(query).mappings().all()
        return [summary_of(keys[row["key"]], row) for row in rows]

    def mood_across(self, codes: Iterable[str]) -> list[tuple[str, datetime, np.ndarray]]:
        """Per stored lesson among ``codes``, oldest first: its code, start (UTC) and ``(7,)`` mean shares of
        each emotion over it (each face counted once per frame, as :func:`fer.video.mood.overall_shares`)."""
        return [(s.code, s.started, s.shares) for s in reversed(self.summaries(codes))]

    def end(self, code: str, at: datetime | None = None) -> bool:
        """Mark the lesson of ``code`` ended (now, or ``at``); whether one is stored under it."""
        key = t.lesson_key(code)
        ended = (at or datetime.now(UTC)).astimezone(UTC)
        with transaction(self.engine, "cannot end the lesson", write=True) as connection:
            done = connection.execute(update(t.lessons).where(t.lessons.c.key == key).values(ended=ended))
        return done.rowcount == 1

    def delete(self, code: str) -> bool:
        """Remove every row of the lesson of ``code``; whether one was stored."""
        key = t.lesson_key(code)
        with transaction(self.engine, "cannot delete the lesson", write=True) as connection:
            ids = select(t.lessons.c.id).where(t.lessons.c.key == key)
            removed = self._delete(connection, ids)
        with self._lock:
            self._saved.pop(code, None)
            self._ended.discard(code)
        return removed > 0

    def expire(self, older_than: timedelta = RETENTION, now: datetime | None = None) -> int:
        """Remove the lessons not saved for ``older_than`` (default 30 days); how many went."""
        cutoff = (now or datetime.now(UTC)).astimezone(UTC) - older_than
        with transaction(self.engine, "cannot remove old lessons", write=True) as connection:
            removed = self._delete(connection, select(t.lessons.c.id).where(t.lessons.c.updated < cutoff))
        return removed

    def _delete(self, connection: Connection, ids) -> int:
        """Delete the lessons of the id query ``ids`` with all their rows; how many lessons."""
        for table in t.PARTS:  # not left to ON DELETE CASCADE: a SQLite connection may not enforce it
            connection.execute(delete(table).where(table.c.lesson_id.in_(ids.scalar_subquery())))
        return connection.execute(delete(t.lessons).where(t.lessons.c.id.in_(ids.scalar_subquery()))).rowcount

    def _file_id(self) -> tuple[int, int] | None:
        if self._path is None:
            return None
        try:
            status = os.stat(self._path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def _check_file(self) -> None:
        """A SQLite file removed or replaced under the server (its folder deleted, a volume swapped) would
        take the saves with it silently, open connections writing on to a file nobody can reach: say so
        while its folder is gone, and once it is back, start a new file and write every lesson afresh."""
        if self._path is None:
            return
        if not self._path.parent.is_dir():
            gone = f"the database's folder {self._path.parent} is gone"
            raise StorageError(f"cannot save the lesson: {gone}", gone)
        if self._file_id() == self._file:
            return
        with self._lock:
            if self._file_id() == self._file:
                return
            self.engine.dispose()
            upgrade_to_head(self.engine)
            self._file = self._file_id()
            self._saved.clear()
            self._generation += 1


def _upsert(insert, table: Table):
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE`` of every other column."""
    statement = insert(table)
    keys = [c.name for c in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys, set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    )


def _keys(codes: Iterable[str]) -> dict[str, str]:
    """Key -> code for each code; ValueError for any malformed one, before a query."""
    if isinstance(codes, str):
        codes = [codes]
    return {t.lesson_key(code): code for code in codes}
