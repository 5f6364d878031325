"""Lessons kept in server memory, each reachable only with its unguessable code.

The class page puts the code in its address (``?lesson=...``) so that a reload finds the lesson
again. Several teachers share one server: a lesson's record is returned only for its own code,
lessons nobody has looked at for ``idle_s`` are dropped, and at ``max_lessons`` the store refuses
a new lesson (:class:`StoreFull`). Analysing a shared call costs CPU while it lasts, so at most
``max_sharing`` lessons may send frames at once (:meth:`LessonStore.admit`): one more is told so
instead of slowing every lesson down. Nothing is written to disk.
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
        max_sharing: int = 4,
        sharing_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_lessons = max_lessons
        self.idle_s = idle_s
        self.max_sharing = max_sharing  # lessons analysing a shared call at once
        self.sharing_s = sharing_s  # a lesson with no frame for this long no longer counts as sharing
        self._clock = clock
        self._lessons: dict[str, tuple[Lesson, float]] = {}  # code -> (lesson, last looked at)
        self._frames_at: dict[str, float] = {}  # code -> when its latest frame was admitted
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._lessons)

    def create(self, **lesson_args) -> tuple[str, Lesson]:
        """A new lesson and its code; :class:`StoreFull` when the server holds ``max_lessons``."""
        with self._lock:
            self._drop_idle()
            if len(self._lessons) >= self.max_lessons:
                raise StoreFull(
                    f"this server is watching {self.max_lessons} lessons, its limit; try again when one has ended"
                )
            code = secrets.token_urlsafe(16)
            lesson = Lesson(**lesson_args)
            self._lessons[code] = (lesson, self._clock())
            return code, lesson

    def get(self, code: str | None) -> Lesson | None:
        """The lesson of ``code`` (and it counts as looked at now), or None."""
        if not code or not CODE.fullmatch(code):
            return None
        with self._lock:
            self._drop_idle()
            entry = self._lessons.get(code)
            if entry is None:
                return None
            self._lessons[code] = (entry[0], self._clock())
            return entry[0]

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
        """Drop a lesson now."""
        with self._lock:
            self._lessons.pop(code, None)
            self._frames_at.pop(code, None)

    def _drop_idle(self) -> None:
        now = self._clock()
        for code in [c for c, (_, seen) in self._lessons.items() if now - seen > self.idle_s]:
            del self._lessons[code]
