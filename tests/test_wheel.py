"""A built wheel works without the checkout: it carries the served model as package data.

The wheel is built from a copy of what it is made of (``pip wheel`` builds in the source folder),
offline (``--no-build-isolation``: the environment's own setuptools), and installed with
``--target`` into a folder of its own; the environment provides its dependencies. Run from
another folder, with that folder first on ``sys.path``, neither the checkout's ``fer/`` nor its
``model/`` may be what it uses. The wheel's size is printed (``pytest -s``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import pytest
from helpers import ROOT

pytestmark = pytest.mark.slow

SERVED = {"fer/model_files/emotion_cnn.tflite", "fer/model_files/metadata.json"}
# Run by the installed package, in a fresh interpreter: where fer and its model come from, then the CLI.
ANALYZE = """
import sys
from pathlib import Path

site, photo = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(site))
import fer
from fer.cli import main
from fer.recognition.model_card import MODEL_DIR

print("fer", fer.__file__, file=sys.stderr)
print("model", MODEL_DIR, file=sys.stderr)
assert Path(fer.__file__).resolve().is_relative_to(site), fer.__file__
assert MODEL_DIR.resolve().is_relative_to(site), MODEL_DIR
raise SystemExit(main(["analyze", photo, "--format", "json"]))
"""


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("fer", "model"):  # all of model/: what must stay out of the wheel is there too
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "resume"))
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "--quiet", "-w", str(dist)]
    subprocess.run(build, check=True, cwd=tmp_path, timeout=600)
    (wheel,) = dist.glob("class_mood-*.whl")
    return wheel


def test_the_wheel_ships_the_served_model_and_analyses_a_photo_from_anywhere(tmp_path, astronaut_bgr):
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    print(
        f"\n{wheel.name}: {wheel.stat().st_size:,} bytes; model files: {sorted(n for n in names if 'model_files' in n)}"
    )
    assert SERVED <= names and "fer/cli.py" in names
    assert not [
        n for n in names if n.startswith("fer/model_files/") and n not in SERVED | {"fer/model_files/__init__.py"}
    ]
    assert not [n for n in names if n.endswith((".keras", ".png"))]  # the float model and plots stay behind
    assert wheel.stat().st_size < 4 * 2**20

    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, timeout=300)
    photo = tmp_path / "astronaut.jpg"
    cv2.imwrite(str(photo), astronaut_bgr)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", ANALYZE, str(site.resolve()), str(photo)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout)
    assert len(rows) == 1 and rows[0]["face_id"] == 1 and rows[0]["source"] == str(photo)

    # The console script the wheel installs, on the same photo.
    command = subprocess.run(
        [str(site / "bin" / "class-mood"), "analyze", str(photo), "--format", "json"],
        cwd=elsewhere,
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert command.returncode == 0, command.stderr[-3000:]
    assert json.loads(command.stdout) == rows
