"""Live lessons saved as they go: a background thread that saves each one every two seconds.

:class:`LessonWriter` takes a snapshot of each lesson registered with it (:meth:`LessonWriter.add`)
every ``every_s`` seconds and saves it (:meth:`fer.storage.database.LessonDatabase.save`), so a server
killed outright loses the last few seconds at most. A lesson whose frames and names have not changed
since its last save is not written again. When a save fails (the database is unreachable, the disk
is full) the lesson goes on in memory and the next save writes everything not yet written; each
lesson's :class:`SaveStatus` says in one line what a page shows: "saved", or "not saved since 10:42:
<reason>". A lesson deleted meanwhile by another page or server is ended: it is no longer saved, and
its status says so (``ended``) until the page lets it go (:meth:`LessonWriter.remove`).
:meth:`LessonWriter.close` saves once more and stops the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

from fer.classroom.lesson import Lesson
from fer.storage.database import ENDED, LessonDatabase, LessonEnded
from fer.storage.engine import StorageError
from fer.storage.tables import lesson_key

log = logging.getLogger(__name__)

EVERY_S = 2.0  # seconds between two saves of a lesson: with a save's own time, what a killed server loses


@dataclass(frozen=True)
class SaveStatus:
    """Where a lesson's saving stands. ``saved_at``: its latest save that worked (UTC), if any;
    ``failing``: why its latest save failed, while they fail; ``since``: when it was registered (UTC)."""

    since: datetime
    utc_offset_min: int = 0  # the teacher's clock, for the line
    saved_at: datetime | None = None
    failing: str | None = None
    ended: bool = False  # deleted by another page or server: no longer saved

    @property
    def ok(self) -> bool:
        return self.failing is None and not self.ended

    @property
    def line(self) -> str:
        """One line for the page: "saved", "not saved yet", or "not saved since 10:42: <reason>"."""
        if self.ended:
            return f"no longer saved: {ENDED}"
        if self.failing is None:
            return "saved" if self.saved_at is not None else "not saved yet"
        last = (self.saved_at or self.since).astimezone(timezone(timedelta(minutes=self.utc_offset_min)))
        return f"not saved since {last:%H:%M}: {self.failing}"


@dataclass
class _Entry:
    lesson: Lesson
    keep_names: bool
    status: SaveStatus
    frames: int = -1  # the lesson's frames at its latest save that worked
    names: dict[str, str] | None = None  # and its names then
    kept: bool | None = None  # and keep_names then


class LessonWriter:
    """Saves registered lessons to ``database`` every ``every_s`` seconds, on a thread of its own."""

    def __init__(
        self,
        database: LessonDatabase,
        every_s: float = EVERY_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.every_s = every_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # guards _entries
        self._saving = threading.Lock()  # one round of saves at a time (the thread's, a flush, close)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lesson-writer", daemon=True)
        self._thread.start()

    def add(self, code: str, lesson: Lesson, keep_names: bool = False) -> None:
        """Save ``lesson`` under ``code`` from now on; the teacher's names only with ``keep_names``."""
        lesson_key(code)  # a malformed code is refused here, not on the thread
        with self._lock:
            self._entries[code] = _Entry(lesson, keep_names, SaveStatus(self._clock(), lesson.utc_offset_min))

    def keep_names(self, code: str, keep: bool) -> None:
        """Whether the names the teacher typed are stored with the lesson (from its next save)."""
        with self._lock:
            if code in self._entries:
                self._entries[code].keep_names = keep

    def remove(self, code: str, save: bool = True) -> SaveStatus | None:
        """Stop saving the lesson of ``code``, after saving it once more unless ``save`` is False; its last status.
        A round of saves going on ends first: none saves the lesson after this returns (a delete may follow)."""
        if save:
            self.flush([code])
        with self._saving, self._lock:
            entry = self._entries.pop(code, None)
        return entry.status if entry else None

    def status(self, code: str) -> SaveStatus | None:
        """How the saving of the lesson of ``code`` stands (None if it is not registered)."""
        with self._lock:
            entry = self._entries.get(code)
            return entry.status if entry else None

    def flush(self, codes: list[str] | None = None) -> None:
        """Save the lessons of ``codes`` (all) now, on the caller's thread."""
        with self._saving:
            with self._lock:
                entries = [(c, e) for c, e in self._entries.items() if codes is None or c in codes]
            down = None  # why the database cannot be reached, once a save of this round found it so
            for code, entry in entries:
                down = self._save(code, entry, down)

    def close(self) -> None:
        """Stop the thread and save every lesson once more."""
        self._stop.set()
        self._thread.join()
        self.flush()

    def __enter__(self) -> LessonWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.flush()
            except Exception:  # the thread must outlive any one round: it is what keeps the lessons
                log.exception("saving the lessons failed")

    def _save(self, code: str, entry: _Entry, down: str | None) -> str | None:
        """Save one lesson if it changed; with the database found ``down`` in this round, it is not tried
        (an unreachable server would cost each lesson its connect timeout). Returns why the database is
        down, if it is."""
        lesson, keep = entry.lesson, entry.keep_names
        if entry.status.ended:
            return down
        names = lesson.names_now()
        if entry.status.ok and (lesson.frames, names, keep) == (entry.frames, entry.names, entry.kept):
            return down  # nothing new since its latest save
        failing = down
        if down is None:
            snapshot = lesson.snapshot()
            try:
                self.database.save(code, snapshot, keep_names=keep, now=self._clock())
            except LessonEnded:
                log.info("a lesson was deleted on another page; it is no longer saved")
                with self._lock:
                    entry.status = replace(entry.status, ended=True)
                return down
            except StorageError as error:
                failing = error.reason
                down = error.reason if error.database_wide else None
            except Exception as error:  # a bug must not stop the other lessons' saves: told, and in the log
                log.exception("saving a lesson failed")
                failing = f"{type(error).__name__}: {error}".splitlines()[0]
            else:
                with self._lock:
                    entry.frames, entry.names, entry.kept = snapshot.frames, snapshot.names, keep
                    entry.status = replace(entry.status, saved_at=self._clock(), failing=None)
                return None
        if entry.status.ok:
            log.warning("lesson not saved: %s", failing)
        with self._lock:
            entry.status = replace(entry.status, failing=failing)
        return down
