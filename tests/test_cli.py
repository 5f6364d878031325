"""``python -m fer analyze`` on real photos, the real video and a directory with a broken file."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from helpers import ROOT

from fer.classroom.recorded import ROW_FIELDS
from fer.labels import LABELS


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fer", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": ""},
    )


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory, astronaut_bgr, video_path):
    folder = tmp_path_factory.mktemp("media")
    cv2.imwrite(str(folder / "astronaut.jpg"), astronaut_bgr)
    cv2.imwrite(str(folder / "blank.png"), astronaut_bgr[:40, :40] * 0)
    shutil.copy(video_path, folder / "clip.mp4")
    (folder / "broken.jpg").write_bytes(b"this is text, not a JPEG")
    (folder / "notes.txt").write_text("ignored: not a photo or video")
    return folder


def test_help_documents_the_command():
    done = run_cli("analyze", "--help")
    assert done.returncode == 0
    for word in ("--format", "--output", "--every", "face_id", "exit status"):
        assert word in done.stdout
    assert run_cli("--help").returncode == 0


def test_a_photo_prints_its_rows_and_nothing_of_the_runtime(wild_photo):
    done = run_cli("analyze", str(wild_photo))
    assert done.returncode == 0, done.stderr
    assert "XNNPACK" not in done.stderr  # LiteRT's notice of its CPU delegate is dropped
    assert done.stderr == ""  # and a photo has no progress bar: nothing else is said either
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and {r["source"] for r in rows} == {str(wild_photo)}


def test_photo_as_json(media_dir):
    done = run_cli("analyze", str(media_dir / "astronaut.jpg"), "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 1 and list(rows[0]) == list(ROW_FIELDS)
    row = rows[0]
    assert row["frame"] == 0 and row["time_s"] == 0.0 and row["face_id"] == 1 and row["label"] in LABELS
    assert 160 <= row["x"] <= 200 and row["w"] >= 80
    assert sum(row[f"p_{label}"] for label in LABELS) == pytest.approx(1.0, abs=1e-3)
    assert row["score"] == max(row[f"p_{label}"] for label in LABELS)


def test_video_rows_and_progress(media_dir, tmp_path):
    out = tmp_path / "faces.csv"
    # From another folder: the installed package finds its model wherever it is run.
    done = run_cli("analyze", str(media_dir / "clip.mp4"), "--every", "1", "--output", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()  # each redraw of the bar (after "\r") reads as a line here
    bars = [i for i, line in enumerate(lines) if line.startswith("clip.mp4 [")]
    assert lines[bars[-1]].startswith("clip.mp4 [####################] 100%")
    assert not any("XNNPACK" in line for line in lines[bars[0] :])  # the runtime's notice never lands in the bar
    rows = list(csv.DictReader(out.open()))
    assert lines[bars[-1] + 1 :] == [f"wrote {len(rows)} rows (csv) for 1 file to {out}"]
    assert rows and list(rows[0]) == list(ROW_FIELDS)
    times = sorted({float(r["time_s"]) for r in rows})
    assert all(t == pytest.approx(round(t), abs=0.05) for t in times)  # one sample per second
    assert len(times) >= 4 and {r["source"] for r in rows} == {str(media_dir / "clip.mp4")}


def test_directory_with_an_unreadable_file(media_dir):
    done = run_cli("analyze", str(media_dir), "--every", "2")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {media_dir / 'broken.jpg'}: not a readable image"]
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    sources = {r["source"].rsplit("/", 1)[-1] for r in rows}
    assert sources == {"astronaut.jpg", "clip.mp4"}  # the blank photo has no faces; notes.txt is skipped


def test_missing_file(media_dir, tmp_path):
    done = run_cli("analyze", str(tmp_path / "nowhere.jpg"), str(media_dir / "astronaut.jpg"))
    assert done.returncode == 1 and "nowhere.jpg: no such file" in done.stderr
    assert len(list(csv.DictReader(io.StringIO(done.stdout)))) == 1


def test_missing_model_exits_2_with_one_line(media_dir, tmp_path):
    done = run_cli("analyze", str(media_dir / "astronaut.jpg"), "--model-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: model metadata not found: {tmp_path / 'metadata.json'}"


def test_an_unfinished_mp4_says_it_has_no_index(video_path, tmp_path):
    from test_media import unfinished_mp4

    from fer.media import NO_INDEX

    cut = unfinished_mp4(video_path, tmp_path)
    done = run_cli("analyze", str(cut))
    assert done.returncode == 1 and done.stdout.splitlines()[1:] == []
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [f"error: {cut}: {NO_INDEX}"]
