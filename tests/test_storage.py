"""The lessons database (fer/storage): the same tests on a SQLite file and on a real PostgreSQL 15 server.

Lessons are fed real analysed frames (galleries of faces_wild photos through the shipped model, as
the class page analyses them) or, where only the load matters, synthetic faces. A child process
killed outright, a PostgreSQL server stopped and a SQLite folder removed under a running writer
check that what was written survives and that nothing is lost once the database is back.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, grid_boxes, make_face, shared_data
from sqlalchemy import LargeBinary, event, func, inspect, select

from fer.classroom.attention import AttentionConfig
from fer.classroom.lesson import PAUSE_S, Lesson
from fer.classroom.report import class_csv, report_html, seats_csv
from fer.classroom.snapshot import LessonSnapshot
from fer.labels import LABELS
from fer.storage import (
    LessonDatabase,
    LessonEnded,
    LessonWriter,
    StorageError,
    database_url,
    records,
    tables,
    upgrade_to_head,
)
from tests.fixtures.call_galleries import call_gallery, standard
from tests.fixtures.galleries import WILD
from tests.fixtures.postgres import free_port

START = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC)
NAME = "Ben Okafor"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """A new, empty database of each kind: a SQLite file in a folder of its own, a PostgreSQL database."""
    if request.param == "sqlite":
        return database_url(None, tmp_path / "data")
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture
def database(url):
    database = LessonDatabase.open(url)
    yield database
    database.close()


@pytest.fixture(scope="module")
def call_frames() -> list:
    """Three real frames of a call, analysed as the class page analyses them: two 5x5 galleries of
    different students in the same tiles, and a 4x4 one (the gallery reflowed). ``(faces, grid)`` each."""
    shared_data(WILD / "labels.csv")
    from fer.classroom.call import SharedCall
    from fer.classroom.tiles import find_tiles
    from fer.recognition.preprocessing import to_gray

    call = SharedCall.from_model()
    frames = []
    for gallery in (standard("5x5", 0), standard("5x5", 1), call_gallery(4, 4, 1280, 720, 2, count=16)):
        gray = to_gray(gallery.bgr)
        frames.append((call.analyzer.analyze(gray), find_tiles(gray)))
    assert all(len(faces) >= 10 for faces, _ in frames)
    return frames


def code() -> str:
    return secrets.token_urlsafe(16)


def play(lesson: Lesson, frame, start: float, seconds: float, each=None, fps: float = 2.0) -> float:
    """Add ``frame`` (faces, grid) at ``fps`` for ``seconds`` from ``start``; ``each(lesson)`` after each frame."""
    faces, grid = frame
    n, t = 0, start
    while t < start + seconds:
        lesson.add(faces, t, grid)
        n, t = n + 1, start + (n + 1) / fps
        if each:
            each(lesson)
    return t


def real_lesson(frames, each=None) -> Lesson:
    """A lesson of real frames: a minute of one gallery, a minute of the other students in the same tiles
    (seats whose face is no longer found go "no face"), a 30 s pause, then 20 s of the reflowed gallery.
    A seat of the last gallery is named."""
    lesson = Lesson(START, utc_offset_min=60, attention=AttentionConfig(window_s=60, observed_s=20, absent_s=20))
    t = play(lesson, frames[0], 0.0, 60, each)
    t = play(lesson, frames[1], t, 60, each)
    play(lesson, frames[2], t + 30, 20, each)
    lesson.name_seat(lesson.snapshot().seats[1].name, NAME)
    return lesson


def synthetic_lesson(minutes: float = 3, seats: int = 25, start: float = 0.0, lesson: Lesson | None = None) -> Lesson:
    lesson = lesson or Lesson(START)
    side = int(np.sqrt(seats))
    boxes = grid_boxes(side, side)
    rng = np.random.default_rng(0)
    t = start
    while t < start + 60 * minutes:
        labels = rng.choice(["neutral", "happy", "sad"], len(boxes))
        lesson.add([make_face(b, str(label), 0.7) for b, label in zip(boxes, labels, strict=True)], t)
        t += 0.5
    return lesson


def plain(value, digits: int | None = None):
    """A snapshot's value as plain, comparable Python: records as tuples of their fields, arrays as lists;
    floats rounded to ``digits`` if given."""
    if isinstance(value, np.ndarray):
        return plain(value.tolist(), digits)
    if is_dataclass(value):
        return (type(value).__name__, *(plain(getattr(value, f.name), digits) for f in fields(value)))
    if isinstance(value, tuple | list):
        return [plain(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, digits) for k, v in value.items()}
    if isinstance(value, float) and digits is not None:
        return round(value, digits)
    return value


def assert_same(loaded: LessonSnapshot, original: LessonSnapshot) -> None:
    """Every field equal, exactly, but the gallery's tiles (not stored: learnt again)."""
    assert loaded.layout is None
    for f in fields(LessonSnapshot):
        if f.name != "layout":
            assert plain(getattr(loaded, f.name)) == plain(getattr(original, f.name)), f.name


def lesson_rows(database: LessonDatabase, code_: str) -> dict[str, int]:
    """How many rows each table holds of the lesson of ``code_``."""
    key = tables.lesson_key(code_)
    with database.engine.connect() as connection:
        ids = select(tables.lessons.c.id).where(tables.lessons.c.key == key).scalar_subquery()
        counts = {"lessons": connection.execute(select(func.count()).where(tables.lessons.c.key == key)).scalar()}
        for table in tables.PARTS:
            counts[table.name] = connection.execute(
                select(func.count()).select_from(table).where(table.c.lesson_id == ids)
            ).scalar()
    return counts


def test_a_lesson_of_real_frames_comes_back_whole(database, call_frames):
    lesson_code = code()

    def save_now_and_then(lesson: Lesson) -> None:
        if lesson.frames % 4 == 0:  # as the writer does: every 2 s at 2 frames a second
            database.save(lesson_code, lesson.snapshot(), keep_names=True)

    lesson = real_lesson(call_frames, save_now_and_then)
    original = lesson.snapshot()
    assert len(original.reflows) == 1 and len(original.pauses) == 1 and original.moments
    assert original.names == {original.seats[1].name: NAME}
    database.save(lesson_code, original, keep_names=True)
    loaded = database.load(lesson_code)
    assert_same(loaded, original)
    for with_names in (False, True):
        assert report_html(loaded, with_names) == report_html(original, with_names)
        assert seats_csv(loaded, with_names) == seats_csv(original, with_names)
    assert class_csv(loaded) == class_csv(original)
    # Another server (another process's database object) reads the same.
    other = LessonDatabase.open(database.url)
    assert_same(other.load(lesson_code), original)
    other.close()
    assert database.load(code()) is None


def test_saves_write_what_changed_and_lose_no_second_or_minute(database, monkeypatch):
    written = []
    changes = records.changes

    def counting(*args, **kwargs):
        todo, done = changes(*args, **kwargs)
        written.append({table.name: len(rows) for table, rows in todo.upserts})
        return todo, done

    monkeypatch.setattr("fer.storage.database.changes", counting)
    lesson_code, lesson = code(), Lesson(START)
    boxes = grid_boxes(5, 5)
    t, n = 0.0, 0
    for every in [1, 3, 7, 2, 5, 11, 4, 1, 17, 6] * 11:  # saves at uneven intervals, across minutes
        for _ in range(every):
            lesson.add([make_face(b, "happy" if (i + n) % 3 else "sad", 0.7) for i, b in enumerate(boxes)], t)
            t, n = t + 0.5, n + 1
        database.save(lesson_code, lesson.snapshot())
        loaded, original = database.load(lesson_code), lesson.snapshot()
        assert [r.second for r in loaded.seconds] == [r.second for r in original.seconds]
        assert_same(loaded, original)
    assert t > 5 * 60
    # Each save wrote the seconds and minutes since the last one, not the lesson's whole history.
    assert max(w.get("lesson_seconds", 0) for w in written[1:]) <= 17 // 2 + 2
    assert max(w.get("seat_minutes", 0) for w in written[1:]) <= 2 * 25
    database.save(lesson_code, lesson.snapshot())  # nothing new: the open second and minute only
    assert written[-1].get("lesson_seconds") == 1 and written[-1].get("seat_minutes") == 25
    assert "moments" not in written[-1] and "watched" not in written[-1] and "reflows" not in written[-1]


def test_a_resumed_lesson_continues_its_timeline_after_a_pause(url, call_frames):
    lesson_code = code()
    first = LessonDatabase.open(url)
    lesson = real_lesson(call_frames)
    before = lesson.snapshot()
    first.save(lesson_code, before, keep_names=True)
    first.close()

    restarted = LessonDatabase.open(url)  # the server restarted: its lesson is gone from memory
    stored = restarted.load(lesson_code)
    resumed = Lesson.resume(stored, lesson.attention)
    again = resumed.snapshot()  # before a frame: the history as it was, no seats (learnt again)
    assert again.seats == () and again.attention == () and resumed.layout == max(m.layout for m in before.minutes) + 1
    for name in ("frames", "latest_s", "watched", "moments", "reflows", "line", "faces", "started"):
        assert getattr(again, name) == getattr(before, name), name
    assert before.names and again.names == {}  # the seats are learnt again: no name is put on a seat by place
    assert plain(again.seconds, 9) == plain(before.seconds, 9) and plain(again.minutes, 9) == plain(before.minutes, 9)
    gap = 3 * PAUSE_S
    play(resumed, call_frames[0], before.latest_s + gap, 30)
    after = resumed.snapshot()
    assert after.frames == before.frames + 60 and after.watched[: len(before.watched)] == before.watched
    assert len(after.pauses) == len(before.pauses) + 1
    assert after.pauses[-1] == pytest.approx((before.latest_s, before.latest_s + gap))
    assert plain(after.seconds[: len(before.seconds)], 9) == plain(before.seconds, 9)
    assert after.seconds[len(before.seconds)].second == int(before.latest_s + gap)
    assert plain([m for m in after.minutes if m.layout < resumed.layout], 9) == plain(before.minutes, 9)
    assert {m.layout for m in after.minutes} - {m.layout for m in before.minutes} == {resumed.layout}
    assert len(after.seats) >= 10 and after.line.startswith(f"{len(after.seats)} faces")
    assert after.moments[: len(before.moments)] == before.moments
    assert after.reflows == before.reflows and after.names == {}
    restarted.save(lesson_code, after, keep_names=True)
    assert_same(restarted.load(lesson_code), after)
    assert "Not watched" in report_html(restarted.load(lesson_code))
    restarted.close()


def test_delete_removes_every_row_of_the_lesson_and_only_its(database, call_frames):
    gone, kept = code(), code()
    lesson = real_lesson(call_frames)
    for each in (gone, kept):
        database.save(each, lesson.snapshot(), keep_names=True)
    counts = lesson_rows(database, gone)
    assert all(counts.values()), counts  # every table holds some of it
    assert database.delete(gone) and not database.delete(gone)
    assert set(lesson_rows(database, gone).values()) == {0}
    assert lesson_rows(database, kept) == counts and database.load(gone) is None
    database.save(gone, lesson.snapshot())  # saved again after its deletion: whole, not from where it was
    assert_same(database.load(gone), replace(lesson.snapshot(), names={}))


def test_a_lesson_deleted_on_another_server_is_ended_there_not_stored_again(url, call_frames):
    sharing, other = LessonDatabase.open(url), LessonDatabase.open(url)  # two servers, one database
    writer = LessonWriter(sharing, every_s=3600)  # rounds by flush() only
    try:
        lesson_code, lesson = code(), real_lesson(call_frames)
        writer.add(lesson_code, lesson)
        writer.flush()
        assert writer.status(lesson_code).line == "saved" and other.load(lesson_code) is not None
        assert other.delete(lesson_code)  # "End this lesson" on the other server
        play(lesson, call_frames[0], lesson.latest_s + 0.5, 2)  # the call goes on where it is shared
        for _ in range(2):  # the next rounds write nothing of it
            writer.flush()
            status = writer.status(lesson_code)
            assert status.ended and not status.ok and status.line.startswith("no longer saved: the lesson was ended")
            assert other.load(lesson_code) is None and set(lesson_rows(other, lesson_code).values()) == {0}
        with pytest.raises(LessonEnded):
            sharing.save(lesson_code, lesson.snapshot())
        assert other.load(lesson_code) is None
        writer.remove(lesson_code)  # the page lets it go
        assert writer.status(lesson_code) is None and other.load(lesson_code) is None
    finally:
        writer.close()
        sharing.close()
        other.close()


def test_expire_removes_the_lessons_not_saved_for_long(database):
    lesson = synthetic_lesson(minutes=0.5, seats=4)
    old, recent = code(), code()
    database.save(old, lesson.snapshot(), now=datetime.now(UTC) - timedelta(days=31))
    database.save(recent, lesson.snapshot(), now=datetime.now(UTC) - timedelta(days=29))
    assert database.expire() == 1
    assert database.load(old) is None and database.load(recent) is not None
    assert set(lesson_rows(database, old).values()) == {0}
    assert database.expire(older_than=timedelta(days=28)) == 1 and database.load(recent) is None


def test_summaries_and_mood_only_for_the_codes_given(database):
    a, b, c = code(), code(), code()
    happy = synthetic_lesson(minutes=1, seats=4)
    database.save(a, happy.snapshot())
    later = Lesson(START + timedelta(days=1), utc_offset_min=-300)
    for t in range(60):  # 30 s, a pause, 30 s; everyone sad
        later.add([make_face(box, "sad", 0.9) for box in grid_boxes(2, 2)], t / 2 + (60 if t >= 30 else 0))
    database.save(b, later.snapshot())
    database.save(c, synthetic_lesson(minutes=1, seats=9).snapshot())
    summaries = database.summaries([b, a, code()])
    assert [s.code for s in summaries] == [b, a]  # the newest first; an unknown code is left out
    sad = summaries[0]
    assert sad.started == START + timedelta(days=1) and sad.local_start.hour == 4 and sad.frames == 60
    assert sad.watched_s == pytest.approx(29) and sad.length_s == pytest.approx(89.5) and sad.faces == 4
    assert sad.summary == "4 faces · mostly sad"
    np.testing.assert_allclose(sad.shares, later.snapshot().overall())
    assert database.summaries([]) == [] and database.mood_across([c])[0][0] == c
    across = database.mood_across([a, b])
    assert [x[0] for x in across] == [a, b]  # in time
    np.testing.assert_allclose(across[0][2], happy.snapshot().overall())


@pytest.mark.parametrize(
    "bad", ["", "../../etc/passwd", "x" * 21, "x" * 23, "a" * 21 + "!", "' OR 1=1 --xxxxxxxxxxx", None, 42]
)
def test_a_malformed_code_is_refused_before_any_query(database, bad):
    statements, checkouts = [], []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    event.listen(database.engine.pool, "checkout", lambda *args: checkouts.append(1))
    snapshot = Lesson(START).snapshot()
    writer = LessonWriter(database, every_s=60)
    for call in (
        lambda: database.save(bad, snapshot),
        lambda: database.load(bad),
        lambda: database.delete(bad),
        lambda: database.end(bad),
        lambda: database.summaries([code(), bad]),
        lambda: database.mood_across([bad]),
        lambda: writer.add(bad, Lesson()),
    ):
        with pytest.raises(ValueError, match="not a lesson code"):
            call()
    writer.close()
    assert statements == [] and checkouts == []


def stored_values(database: LessonDatabase) -> list:
    """Every value of every row of every table (the migrations' own included)."""
    with database.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        assert set(names) == {*tables.metadata.tables, "alembic_version"}
        values = []
        for name in names:
            for column in inspect(connection).get_columns(name):
                assert not isinstance(column["type"], LargeBinary), (name, column["name"])
                assert "BLOB" not in str(column["type"]).upper() and "BYTEA" not in str(column["type"]).upper()
            values += [v for row in connection.exec_driver_sql(f'SELECT * FROM "{name}"') for v in row]
    return values


def test_numbers_only_and_names_only_when_kept(database, call_frames):
    lesson_code = code()
    lesson = real_lesson(call_frames)
    database.save(lesson_code, lesson.snapshot())
    values = stored_values(database)
    assert len(values) > 1000
    for value in values:
        assert value is None or isinstance(value, int | float | bool | datetime | str), type(value)
        if isinstance(value, str):
            assert len(value) <= 64 and value.isprintable()  # a key, a seat, a label, the line: no picture
    strings = " ".join(v for v in values if isinstance(v, str))
    assert "Ben" not in strings and "Okafor" not in strings and lesson_code not in strings
    if database.engine.dialect.name == "sqlite":  # not in the file's bytes either
        path = Path(database.engine.url.database)
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert NAME.encode() not in raw and lesson_code.encode() not in raw
    database.save(lesson_code, lesson.snapshot(), keep_names=True)  # the teacher chose to keep the names
    assert NAME in stored_values(database) and database.load(lesson_code).names == lesson.snapshot().names
    database.save(lesson_code, lesson.snapshot(), keep_names=False)  # and changed their mind
    assert NAME not in stored_values(database) and database.load(lesson_code).names == {}


CHILD = """
import sys, time
from datetime import UTC, datetime
import numpy as np
from fer.classroom.lesson import Lesson
from fer.faces import Face
from fer.storage import LessonDatabase, LessonWriter

url, code = sys.argv[1:3]
database = LessonDatabase.open(url)
lesson = Lesson(datetime.now(UTC))
writer = LessonWriter(database)
writer.add(code, lesson)
probabilities = np.array([0.05, 0.05, 0.05, 0.6, 0.05, 0.1, 0.1])
faces = [Face((100 + 250 * c, 80 + 140 * r, 60, 60), probabilities) for r in range(5) for c in range(5)]
started, n = time.monotonic(), 0
while True:
    t = n / 2  # 2 frames a second of the lesson's time, in real time
    time.sleep(max(0.0, started + t - time.monotonic()))
    lesson.add(faces, t)
    print(t, flush=True)
    n += 1
"""


@pytest.mark.slow  # about 10 s a database: the lesson runs in real time
def test_a_killed_server_loses_a_few_seconds_at_most(url):
    lesson_code = code()
    LessonDatabase.open(url).close()  # migrated before the clock starts
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, lesson_code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        latest = -1.0
        for line in child.stdout:
            latest = float(line)
            if latest >= 9.0:
                break
        assert latest >= 9.0, "the child stopped early"
        time.sleep(np.random.default_rng().uniform(0, 2))  # anywhere in the writer's cycle
        os.kill(child.pid, signal.SIGKILL)
        latest = max([latest, *(float(line) for line in child.stdout)])
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    database = LessonDatabase.open(url)
    stored = database.load(lesson_code)
    database.close()
    assert stored is not None and latest - stored.latest_s <= 5.0, (latest, stored.latest_s)
    # One save, one transaction: the frames, the seconds and the minutes agree.
    assert stored.frames == round(2 * stored.latest_s) + 1 == sum(r.frames for r in stored.seconds)
    assert {m.frames for m in stored.minutes if m.minute == 0} == {min(stored.frames, 120)}


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_lost_database_is_told_and_nothing_is_lost_once_it_is_back(url, request):
    database = LessonDatabase.open(url)
    if database.engine.dialect.name == "postgresql":
        server = request.getfixturevalue("postgres_server")
        lose, recover = server.stop, server.start
    else:
        folder = Path(database.engine.url.database).parent
        lose, recover = (lambda: shutil.rmtree(folder)), folder.mkdir
    lesson_code, lesson = code(), Lesson(START, utc_offset_min=60)
    writer = LessonWriter(database, every_s=0.1, clock=lambda: START + timedelta(seconds=lesson.latest_s))
    writer.add(lesson_code, lesson)
    try:
        synthetic_lesson(minutes=1, lesson=lesson)
        wait_for(lambda: writer.status(lesson_code).saved_at is not None and writer.status(lesson_code).ok)
        assert writer.status(lesson_code).line == "saved"
        lose()
        synthetic_lesson(minutes=1, start=60.0, lesson=lesson)
        wait_for(lambda: not writer.status(lesson_code).ok)
        status = writer.status(lesson_code)
        assert status.line.startswith("not saved since 10:0") and len(status.line.splitlines()) == 1
        assert "\n" not in status.failing and "Traceback" not in status.failing
        assert ("connection" if database.engine.dialect.name == "postgresql" else "is gone") in status.failing
        synthetic_lesson(minutes=1, start=120.0, lesson=lesson)  # the lesson goes on in memory
    finally:
        recover()
    wait_for(lambda: writer.status(lesson_code).ok)
    assert writer.status(lesson_code).line == "saved"
    writer.close()
    assert_same(database.load(lesson_code), lesson.snapshot())
    database.close()


def test_an_unreachable_database_is_tried_once_a_round(tmp_path):
    folder = tmp_path / "data"
    database = LessonDatabase.open(None, data_dir=folder)
    writer = LessonWriter(database, every_s=3600)  # rounds by flush() only
    lessons = {code(): synthetic_lesson(minutes=0.2, seats=4) for _ in range(3)}
    for each, lesson in lessons.items():
        writer.add(each, lesson)
    tried, save = [], database.save

    def counting(lesson_code, *args, **kwargs):
        tried.append(lesson_code)
        return save(lesson_code, *args, **kwargs)

    database.save = counting
    shutil.rmtree(folder)
    writer.flush()
    assert len(tried) == 1 and all(not writer.status(each).ok for each in lessons)
    folder.mkdir()
    writer.flush()
    assert len(tried) == 4 and all(writer.status(each).line == "saved" for each in lessons)
    writer.close()
    for each, lesson in lessons.items():
        assert_same(database.load(each), lesson.snapshot())


def test_the_writer_saves_each_lesson_and_once_more_when_closed(database):
    lessons = {code(): synthetic_lesson(minutes=0.5, seats=4) for _ in range(3)}
    writer = LessonWriter(database, every_s=60)  # only close() saves here
    for each, lesson in lessons.items():
        writer.add(each, lesson, keep_names=True)
        lesson.name_seat("A1", "Ana")
    assert all(writer.status(each).line == "not saved yet" for each in lessons)
    writer.close()
    for each, lesson in lessons.items():
        assert_same(database.load(each), lesson.snapshot())
        assert writer.status(each).line == "saved"


def test_opening_fails_in_one_line(tmp_path):
    nowhere = f"postgres://teacher:secret@127.0.0.1:{free_port()}/lessons"
    with pytest.raises(StorageError) as caught:
        LessonDatabase.open(nowhere)
    message = str(caught.value)
    assert message.startswith("cannot open the lessons database at postgresql+psycopg://teacher:***@127.0.0.1")
    assert "secret" not in message and "\n" not in message and caught.value.__cause__ is None
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match="cannot open the lessons database"):
        LessonDatabase.open(None, data_dir=tmp_path / "file" / "below")  # no folder can be made there


def test_urls():
    assert database_url("postgres://u:p@host:5432/db") == "postgresql+psycopg://u:p@host:5432/db"
    assert database_url("postgresql://host/db") == "postgresql+psycopg://host/db"
    assert database_url("postgresql+psycopg://host/db") == "postgresql+psycopg://host/db"
    assert database_url(None, Path("/srv/data")) == "sqlite:////srv/data/lessons.sqlite3"
    assert database_url("").endswith("/.local/share/class-mood/lessons.sqlite3")


def test_the_migrations_make_the_tables(database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), tables.metadata) == []
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
    LessonDatabase.open(database.url).close()  # opening again: up to date, nothing to do


def test_a_lesson_stored_before_a_migration_is_read_after_it(tmp_path):
    from datetime import UTC, datetime

    from sqlalchemy import text

    from fer.storage.engine import create, database_url

    url = database_url(None, tmp_path)
    engine = create(url)
    upgrade_to_head(engine, "0001")  # a server of the first schema stored a lesson
    lesson_code = code()
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    row = {"key": tables.lesson_key(lesson_code), "started": now, "utc_offset_min": 60, "updated": now}
    row |= {"frames": 10, "latest_s": 4.5, "faces": 3, "line": "3 faces · mostly happy", "window_s": 240.0}
    row |= {"keep_names": False} | {f"now_{label}": 1.0 / 7 for label in LABELS}
    with engine.begin() as connection:
        columns = ", ".join(row)
        connection.execute(text(f"INSERT INTO lessons ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row)
    engine.dispose()
    upgraded = LessonDatabase.open(url)  # the next server migrates at start
    loaded = upgraded.load(lesson_code)
    assert loaded.expressions and loaded.frames == 10 and loaded.line == "3 faces · mostly happy"
    assert upgraded.summaries([lesson_code])[0].summary == "no faces seen"  # it had no seconds stored
    upgraded.close()


def test_importing_fer_imports_no_database_library():
    probe = "import sys, fer, fer.classroom.lesson, fer.classroom.lesson_store, fer.classroom.report, fer.cli\n"
    probe += "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'psycopg')))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


WHEEL_PROBE = """
import secrets, sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import fer.storage
from fer.classroom.lesson import Lesson
from fer.storage import LessonDatabase
assert Path(fer.storage.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), fer.storage.__file__
database = LessonDatabase.open(None, data_dir=Path(sys.argv[2]))
code = secrets.token_urlsafe(16)
database.save(code, Lesson(datetime.now(UTC)).snapshot())
print(database.load(code).frames)
"""


@pytest.mark.slow
def test_the_wheel_ships_the_migrations(tmp_path):
    from test_wheel import build_wheel

    wheel = build_wheel(tmp_path)
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, timeout=300)
    assert (site / "fer" / "storage" / "migrations" / "versions" / "0001_lessons.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", WHEEL_PROBE, str(site), str(tmp_path / "data")],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "0"


def test_a_full_disk_is_told_and_nothing_is_lost_once_there_is_room(tmp_path):
    """SQLite's own limit on its file's pages stands in for a full disk: the same SQLITE_FULL error."""
    from sqlalchemy import event

    database = LessonDatabase.open(None, tmp_path)
    lesson_code, lesson = code(), Lesson(START, utc_offset_min=60)
    writer = LessonWriter(database, every_s=0.1, clock=lambda: START + timedelta(seconds=lesson.latest_s))
    writer.add(lesson_code, lesson)
    synthetic_lesson(minutes=1, lesson=lesson)
    wait_for(lambda: writer.status(lesson_code).saved_at is not None and writer.status(lesson_code).ok)

    def full(dbapi_connection, _record) -> None:  # the file may not grow by a page more
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(database.engine, "connect", full)
    database.engine.dispose()  # the connections open from now on find the disk full
    synthetic_lesson(minutes=2, start=60.0, lesson=lesson)
    wait_for(lambda: not writer.status(lesson_code).ok)
    status = writer.status(lesson_code)
    assert status.line.startswith("not saved since") and "full" in status.failing and "\n" not in status.line
    event.remove(database.engine, "connect", full)
    database.engine.dispose()  # room again
    wait_for(lambda: writer.status(lesson_code).ok)
    writer.close()
    assert_same(database.load(lesson_code), lesson.snapshot())
    database.close()
