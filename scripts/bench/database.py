"""Benchmark the lessons database: many lessons saved at once, to SQLite and to PostgreSQL.

``--lessons`` lessons (20), each on a thread of its own, are fed ``--minutes`` (10) of frames at 2
a second of a ``--seats`` (49) seat gallery (the lesson's time is simulated; no images:
:class:`fer.faces.Face` records with realistic probabilities, each seat's mood drifting about a mood
of its own, a few cameras off for a minute). Every 2 s of lesson time, as the writer does
(:class:`fer.storage.LessonWriter`), all of them take their snapshot and save it
(:meth:`fer.storage.LessonDatabase.save`) at the same moment: 20 writers at once. Feeding the lessons
is not timed (on two cores their Python would otherwise be timed as the saves' wait for the
interpreter). Then each lesson is loaded back and compared with the lesson in memory (every second,
minute, moment, watched stretch and seat: no row lost), and the figures printed:

* the write cost per analysed frame: the wall time of each round of saves (all lessons at once,
  snapshots included) over the frames that round covers, median and p95 over the rounds;
* one save's wall time while the others save too, median and p95;
* the database's size after the run (SQLite: the file and its write-ahead log; PostgreSQL: the
  tables and their indexes).

PostgreSQL is Debian's PostgreSQL 15 in a temporary folder, started as the tests start it
(``tests/fixtures/postgres.py``), at its default, durable settings.

    python -m scripts.bench.database [--backends sqlite postgresql] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from fer.classroom.lesson import Lesson
from fer.faces import Face
from fer.storage import LessonDatabase, database_url
from fer.storage import tables as t
from scripts.training.common import finish, machine
from tests.fixtures.postgres import PostgresServer


@dataclass
class Run:
    """One lesson of the benchmark: its code, its lesson, and how long each of its saves took (ms)."""

    code: str
    lesson: Lesson
    save_ms: list[float] = field(default_factory=list)  # snapshot and save


def gallery_faces(seats: int, frames: int, rng: np.random.Generator) -> list[list[Face]]:
    """``frames`` frames of a 1920x1080 gallery of ``seats`` faces: each seat's probabilities drawn about
    a mood of its own that drifts slowly; a tenth of the seats with their camera off for a minute."""
    cols = int(np.ceil(np.sqrt(seats)))
    rows = int(np.ceil(seats / cols))
    tile_w, tile_h = 1920 // cols, 1080 // rows
    boxes = [
        (c * tile_w + tile_w // 2 - 40, r * tile_h + tile_h // 2 - 40, 80, 80) for r in range(rows) for c in range(cols)
    ]
    boxes = boxes[:seats]
    mood = rng.dirichlet(np.full(7, 0.6), size=seats)
    off = {int(s): int(rng.integers(0, max(1, frames - 120))) for s in rng.choice(seats, max(1, seats // 10))}
    out = []
    for n in range(frames):
        if n % 60 == 0:  # every 30 s the seats' moods drift
            mood = 0.8 * mood + 0.2 * rng.dirichlet(np.full(7, 0.6), size=seats)
        probabilities = np.array([rng.dirichlet(20 * m + 0.05) for m in mood], np.float32)
        out.append(
            [
                Face(box, p)
                for s, (box, p) in enumerate(zip(boxes, probabilities, strict=True))
                if not (s in off and off[s] <= n < off[s] + 120)
            ]
        )
    return out


def run_lesson(
    database: LessonDatabase, run: Run, frames: list[list[Face]], fps: float, per_save: int, ticks: threading.Barrier
) -> None:
    """Feed the lesson ``per_save`` frames, then (with every other lesson, between two ``ticks``) take its
    snapshot and save it, as the writer does every 2 s of a lesson; until its frames are done."""
    for first in range(0, len(frames), per_save):
        for n in range(first, min(first + per_save, len(frames))):
            run.lesson.add(frames[n], n / fps)
        ticks.wait()  # every lesson fed: the saves start together
        started = time.perf_counter()
        database.save(run.code, run.lesson.snapshot())
        run.save_ms.append(1000 * (time.perf_counter() - started))
        ticks.wait()  # every lesson saved


def lost_rows(database: LessonDatabase, runs: list[Run]) -> list[str]:
    """What differs between each lesson in memory and as loaded back: nothing, when no row was lost."""
    problems = []
    for run in runs:
        kept, stored = run.lesson.snapshot(), database.load(run.code)
        pairs = {
            "frames": (kept.frames, stored.frames),
            "seconds": (
                [(r.second, r.frames, r.shares.tolist()) for r in kept.seconds],
                [(r.second, r.frames, r.shares.tolist()) for r in stored.seconds],
            ),
            "minutes": (
                [(m.minute, m.layout, m.seat, m.frames_seen, m.probabilities.tolist()) for m in kept.minutes],
                [(m.minute, m.layout, m.seat, m.frames_seen, m.probabilities.tolist()) for m in stored.minutes],
            ),
            "moments": (kept.moments, stored.moments),
            "watched": (kept.watched, stored.watched),
            "seats": ([s.name for s in kept.seats], [s.name for s in stored.seats]),
        }
        problems += [f"{run.code[:6]}: {name}" for name, (a, b) in pairs.items() if a != b]
    return problems


def row_counts(database: LessonDatabase) -> dict[str, int]:
    with database.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar()
            for table in (t.lessons, *t.PARTS)
        }


def size_mb(database: LessonDatabase) -> float:
    """The database's size: a SQLite file with its write-ahead log, or PostgreSQL's tables with their indexes."""
    if database.engine.dialect.name == "sqlite":
        path = Path(database.engine.url.database)
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    with database.engine.connect() as connection:
        sizes = [
            connection.execute(select(func.pg_total_relation_size(table.name))).scalar()
            for table in (t.lessons, *t.PARTS)
        ]
    return sum(sizes) / 2**20


def bench(url: str, lessons: int, minutes: float, seats: int, fps: float, every_s: float) -> dict:
    """The figures of one backend at ``url``."""
    database = LessonDatabase.open(url)
    rng = np.random.default_rng(0)
    frames = int(minutes * 60 * fps)
    runs = [Run(secrets.token_urlsafe(16), Lesson(datetime.now(UTC))) for _ in range(lessons)]
    feeds = [gallery_faces(seats, frames, np.random.default_rng(rng.integers(2**32))) for _ in runs]
    per_save = max(1, round(every_s * fps))
    ticks = threading.Barrier(lessons + 1)
    threads = [
        threading.Thread(target=run_lesson, args=(database, run, feed, fps, per_save, ticks))
        for run, feed in zip(runs, feeds, strict=True)
    ]
    for thread in threads:
        thread.start()
    per_frame = []  # each tick's saves (all lessons at once, wall time) over the frames they cover
    for first in range(0, frames, per_save):
        ticks.wait()
        started = time.perf_counter()
        ticks.wait()
        per_frame.append(1000 * (time.perf_counter() - started) / (lessons * min(per_save, frames - first)))
    for thread in threads:
        thread.join()
    save_ms = np.concatenate([run.save_ms for run in runs])
    problems = lost_rows(database, runs)
    figures = {
        "lessons": lessons,
        "frames_each": frames,
        "seats": seats,
        "saves": len(save_ms),
        "write_ms_per_frame_median": round(float(np.median(per_frame)), 2),
        "write_ms_per_frame_p95": round(float(np.percentile(per_frame, 95)), 2),
        "one_save_ms_median": round(float(np.median(save_ms)), 1),
        "one_save_ms_p95": round(float(np.percentile(save_ms, 95)), 1),
        "rows": row_counts(database),
        "size_mb": round(size_mb(database), 1),
        "lost": problems or "none: every lesson loads back equal to the lesson in memory",
    }
    database.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.database",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--backends", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    parser.add_argument("--lessons", type=int, default=20, help="lessons written at once")
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of each lesson")
    parser.add_argument("--seats", type=int, default=49)
    parser.add_argument("--fps", type=float, default=2.0, help="analysed frames a second of a lesson")
    parser.add_argument("--every-s", type=float, default=2.0, help="seconds of a lesson between two saves")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    figures: dict = {"machine": machine()}
    size = (args.lessons, args.minutes, args.seats, args.fps, args.every_s)
    for backend in args.backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                figures[backend] = bench(database_url(None, Path(folder)), *size)
        else:
            with PostgresServer() as server:
                figures[backend] = bench(server.create_database(), *size)
        print(f"{backend}: {json.dumps(figures[backend])}", flush=True)
    lines = [figures["machine"]]
    for backend in args.backends:
        f = figures[backend]
        lines.append(
            f"{backend}: {f['lessons']} lessons x {f['frames_each']} frames, {f['seats']} seats: write cost per frame "
            f"median {f['write_ms_per_frame_median']} ms, p95 {f['write_ms_per_frame_p95']} ms (one save, "
            f"{f['lessons']} at once: median {f['one_save_ms_median']} ms, p95 {f['one_save_ms_p95']} ms); "
            f"{f['size_mb']} MB; lost: {f['lost']}"
        )
    return finish("\n".join(lines), figures, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
