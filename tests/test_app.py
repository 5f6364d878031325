"""app.py through Streamlit's AppTest: what the page says when something is wrong."""

from __future__ import annotations

import shutil

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from fer.classifier import MODEL_DIR

APP = str(ROOT / "app.py")


def run_app(monkeypatch, **env) -> AppTest:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("damage", ["missing", "tampered"])
def test_broken_model_gives_a_clear_error_not_a_traceback(monkeypatch, tmp_path, damage):
    for name in ("emotion_cnn.tflite", "metadata.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    target = tmp_path / "emotion_cnn.tflite"
    if damage == "missing":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[:-100])
    at = run_app(monkeypatch, FER_MODEL_DIR=str(tmp_path))
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("The emotion model cannot be loaded")
    assert ("model file not found" if damage == "missing" else "does not match the sha256") in message

