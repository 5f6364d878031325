"""Lessons kept in server memory, each reachable only with its unguessable code.

The class page puts the code in its address (``?lesson=...``) so that a reload finds the lesson
again. Several teachers share one server: a lesson's record is returned only for its own code,
lessons nobody has looked at for ``idle_s`` are dropped, and at ``max_lessons`` the store refuses
a new lesson (:class:`StoreFull`). Analysing a shared call costs CPU while it lasts, so at most
``max_sharing`` lessons may send frames at once (:meth:`LessonStore.admit`): one more is told so
instead of slowing every lesson down. The store writes nothing itself: the lessons database
(:mod:`fer.storage`) saves the lessons it is given, and a stored lesson going on after a restart is
held again under its code (:meth:`LessonStore.adopt`); ``on_drop`` hears of each lesson let go.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable

from fer.classroom.lesson import Lesson

CODE = re.compile(r"[A-Za-z0-9_-]{22}")  # what secrets.token_urlsafe(16) makes: 128 random bits


class StoreFull(RuntimeError):
    """The server holds as many lessons as it may."""


class LessonStore:
    def __init__(
        self,
        max_lessons: int = 20,
        idle_s: float = 4 * 3600,
        max_sharing: int = 8,
        sharing_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_drop: Callable[[str], None] | None = None,
    ) -> None:
        self.max_lessons = max_lessons
        self.idle_s = idle_s
        # Lessons analysing a shared call at once: a 2-core server analyses 8 shared 1080p calls at 2 frames a
        # second with over 90% of their frames on time (python -m scripts.bench.class_page, "sustain").
        self.max_sharing = max_sharing
        self.sharing_s = sharing_s  # a lesson with no frame for this long no longer counts as sharing
        self._clock = clock
        self._on_drop = on_drop  # told the code of each lesson the store lets go (idle or ended)
        self._lessons: dict[str, tuple[Lesson, float]] = {}  # code -> (lesson, last looked at)
        self._frames_at: dict[str, float] = {}  # code -> when its latest frame was admitted
        self._ended: set[str] = set()  # codes of the lessons ended here ("End this lesson", the Lessons page)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._lessons)

    def create(self, **lesson_args) -> tuple[str, Lesson]:
        """A new lesson and its code; :class:`StoreFull` when the server holds ``max_lessons``."""
        with self._lock:
            dropped = self._drop_idle()
            full = len(self._lessons) >= self.max_lessons
            if not full:
                code = secrets.token_urlsafe(16)
                lesson = Lesson(**lesson_args)
                self._lessons[code] = (lesson, self._clock())
        self._tell(dropped)
        if full:
            raise StoreFull(
                f"this server is watching {self.max_lessons} lessons, its limit; try again when one has ended"
            )
        return code, lesson

    def adopt(self, code: str, lesson: Lesson) -> Lesson:
        """Hold ``lesson`` under its existing ``code`` (a stored lesson going on after a restart, or one
        another server began); the lesson the store holds under the code if it has one already.
        :class:`StoreFull` when the server holds ``max_lessons``."""
        if not CODE.fullmatch(code):
            raise ValueError("not a lesson code")
        with self._lock:
            dropped = self._drop_idle()
            entry = self._lessons.get(code)
            full = entry is None and len(self._lessons) >= self.max_lessons
            if entry is None and not full:
                self._lessons[code] = entry = (lesson, self._clock())
        self._tell(dropped)
        if full:
            raise StoreFull(
                f"this server is watching {self.max_lessons} lessons, its limit; try again when one has ended"
            )
        return entry[0]

    def get(self, code: str | None) -> Lesson | None:
        """The lesson of ``code`` (and it counts as looked at now), or None."""
        if not code or not CODE.fullmatch(code):
            return None
        with self._lock:
            dropped = self._drop_idle()
            entry = self._lessons.get(code)
            if entry is not None:
                self._lessons[code] = (entry[0], self._clock())
        self._tell(dropped)
        return entry[0] if entry is not None else None

    def admit(self, code: str) -> bool:
        """Whether the lesson of ``code`` may have a frame analysed now: it is sharing already, or
        fewer than ``max_sharing`` lessons are."""
        with self._lock:
            now = self._clock()
            sharing = {c for c, t in self._frames_at.items() if now - t <= self.sharing_s and c in self._lessons}
            if code not in sharing and len(sharing) >= self.max_sharing:
                return False
            self._frames_at = {c: self._frames_at[c] for c in sharing}
            self._frames_at[code] = now
            return True

    def end(self, code: str) -> None:
        """Drop a lesson now; :meth:`ended` then says so of its code (a tab still sharing it is told)."""
        with self._lock:
            held = self._lessons.pop(code, None)
            self._frames_at.pop(code, None)
            self._ended.add(code)
        self._tell([code] if held else [])

    def ended(self, code: str | None) -> bool:
        """Whether the lesson of ``code`` was ended on this server."""
        with self._lock:
            return code in self._ended

    def _drop_idle(self) -> list[str]:
        """Drop the lessons nobody looked at for ``idle_s`` (under the lock); their codes."""
        now = self._clock()
        idle = [c for c, (_, seen) in self._lessons.items() if now - seen > self.idle_s]
        for code in idle:
            del self._lessons[code]
        return idle

    def _tell(self, codes: list[str]) -> None:
        """Tell ``on_drop`` of the lessons let go (outside the lock: it may take its time)."""
        for code in codes if self._on_drop else ():
            self._on_drop(code)
