"""The real training, export and evaluation scripts on a few hundred real FER2013 faces."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from fer.classifier import load_classifier, read_model_files, sha256
from fer.labels import LABELS

pytestmark = pytest.mark.training


def run_script(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def trained(fer_tar, tmp_path_factory):
    """Two epochs on 256 real faces, run in two pieces (stop after epoch 1, then resume)."""
    run = tmp_path_factory.mktemp("run")
    common = ("--run", str(run), "--data", str(fer_tar))
    first = run_script("train.py", *common, "--epochs", "2", "--warmup-epochs", "1", "--limit", "256",
                       "--batch-size", "32", "--until-epoch", "1")
    assert "epoch   1" in first and "stopped after epoch 1 of 2" in first
    assert not (run / "summary.json").exists()
    second = run_script("train.py", "--run", str(run), "--resume")
    assert "resuming" in second and "epoch   2" in second and "epoch   1 " not in second
    return run


def test_training_writes_a_resumable_run(trained):
    config = json.loads((trained / "config.json").read_text())
    assert config["train"]["limit"] == 256 and config["train_faces"] == 256
    history = json.loads((trained / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(0 <= h["val_accuracy"] <= 1 and np.isfinite(h["loss"]) for h in history)
    # After warm-up the cosine schedule decays: the second epoch ends at a lower learning rate.
    assert history[1]["lr"] < history[0]["lr"]
    summary = json.loads((trained / "summary.json").read_text())
    assert summary["epochs_run"] == 2 and 0 <= summary["private_accuracy"] <= 1
    for name in ("best.keras", "last.keras"):
        assert (trained / name).stat().st_size > 100_000


def test_export_and_evaluate(trained, fer_tar, tmp_path):
    out = tmp_path / "model"
    printed = run_script("export.py", "--run", str(trained), "--out", str(out), "--data", str(fer_tar))
    assert "max |diff|" in printed
    files = read_model_files(out)  # checks checksum, labels and input contract
    meta = files.metadata
    assert meta["labels"] == list(LABELS)
    assert meta["parity"]["max_abs_diff"] <= 1e-4 and meta["parity"]["faces"] == 512
    assert meta["files"]["emotion_cnn.keras"]["sha256"] == sha256((out / "emotion_cnn.keras").read_bytes())
    assert meta["training"]["epochs_run"] == 2

    classifier = load_classifier(out)
    faces = np.zeros((3, 48, 48, 1), np.float32)
    assert classifier(faces).shape == (3, 7)

    run_script("evaluate.py", "--model-dir", str(out), "--data", str(fer_tar))
    meta = json.loads((out / "metadata.json").read_text())
    for key in ("PublicTest", "PrivateTest", "PublicTest_flip_tta", "PrivateTest_flip_tta"):
        assert meta["metrics"][key]["faces"] == 3589
        assert sum(map(sum, meta["metrics"][key]["confusion"])) == 3589
    assert (out / "confusion_matrix.png").stat().st_size > 10_000
    assert (out / "training_curves.png").stat().st_size > 10_000
    read_model_files(out)  # evaluation kept the checksums valid
