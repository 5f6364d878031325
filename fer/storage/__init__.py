"""The lessons database: lessons kept as numbers in SQLite (the default) or PostgreSQL, so that a
restarted server, or another one, finds a lesson again by its code.

* :mod:`~fer.storage.tables`: the tables (SQLAlchemy Core), keyed by the SHA-256 of a lesson's code;
* :mod:`~fer.storage.engine`: the URL, the engine, the migrations (:func:`upgrade_to_head`), :class:`StorageError`;
* :mod:`~fer.storage.records`: a snapshot as rows and back, and what a save writes;
* :mod:`~fer.storage.database`: :class:`LessonDatabase` (save, load, summaries, delete, expire, mood across lessons);
* :mod:`~fer.storage.summaries`: :class:`LessonSummary`, a stored lesson in a list, and its query;
* :mod:`~fer.storage.writer`: :class:`LessonWriter`, the thread that saves live lessons every two seconds.

Importing :mod:`fer` or :mod:`fer.classroom` does not import this package (nor SQLAlchemy).
"""

from fer.storage.database import RETENTION, LessonDatabase, LessonEnded
from fer.storage.engine import StorageError, database_url, upgrade_to_head
from fer.storage.summaries import LessonSummary
from fer.storage.writer import LessonWriter, SaveStatus

__all__ = [
    "RETENTION",
    "LessonDatabase",
    "LessonEnded",
    "LessonSummary",
    "LessonWriter",
    "SaveStatus",
    "StorageError",
    "database_url",
    "upgrade_to_head",
]
