"""Lessons kept in server memory, each reachable only with its unguessable code.

The class page puts the code in its address (``?lesson=...``) so that a reload finds the lesson
again. Several teachers share one server: a lesson's record is returned only for its own code,
lessons nobody has looked at for ``idle_s`` are dropped, and at ``max_lessons`` the store refuses
a new lesson (:class:`StoreFull`) instead of slowing every lesson down. Nothing is written to disk.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable

from fer.lesson import Lesson

CODE = re.compile(r"[A-Za-z0-9_-]{22}")  # what secrets.token_urlsafe(16) makes: 128 random bits


class StoreFull(RuntimeError):
    """The server holds as many lessons as it may."""


class LessonStore:
    def __init__(
        self, max_lessons: int = 20, idle_s: float = 4 * 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_lessons = max_lessons
        self.idle_s = idle_s
        self._clock = clock
        self._lessons: dict[str, tuple[Lesson, float]] = {}  # code -> (lesson, last looked at)
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

    def end(self, code: str) -> None:
        """Drop a lesson now."""
        with self._lock:
            self._lessons.pop(code, None)

    def _drop_idle(self) -> None:
        now = self._clock()
        for code in [c for c, (_, seen) in self._lessons.items() if now - seen > self.idle_s]:
            del self._lessons[code]
