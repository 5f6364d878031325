"""The model in model/: its files, its metadata and the claims made about it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT

from fer.classifier import MODEL_DIR, EmotionClassifier, read_model_files, sha256
from fer.config import CropConfig
from fer.labels import LABELS
from fer.metrics import classification_report


@pytest.fixture(scope="module")
def metadata():
    return json.loads((MODEL_DIR / "metadata.json").read_text())


def test_checksums_match_metadata(metadata):
    for name in ("emotion_cnn.keras", "emotion_cnn.tflite"):
        data = (MODEL_DIR / name).read_bytes()
        assert metadata["files"][name] == {"sha256": sha256(data), "bytes": len(data)}


def test_metadata_describes_the_contract(metadata):
    assert metadata["labels"] == list(LABELS)
    assert metadata["input"]["shape"] == [None, 48, 48, 1] and metadata["input"]["dtype"] == "float32"
    assert metadata["input"]["range"] == [0, 255]
    assert metadata["output"]["shape"] == [None, 7]
    assert metadata["face_crop"]["margin"] == CropConfig().margin  # the app crops as the model expects
    assert metadata["training"]["hardware"] and metadata["training"]["wall_time_s"] > 0
    assert (MODEL_DIR / "emotion_cnn.tflite").stat().st_size <= 20 * 2**20


def test_int8_file_agrees_with_the_float_keras_model_as_metadata_claims(fer_faces, metadata):
    import keras

    claimed = metadata["quantization"]["agreement_with_float_keras"]
    faces = fer_faces.split(claimed["split"]).faces[:claimed["faces"]][..., None].astype(np.float32)
    model = keras.models.load_model(MODEL_DIR / "emotion_cnn.keras")
    keras_probs = model.predict(faces, batch_size=256, verbose=0)
    lite_probs = EmotionClassifier(read_model_files(), flip_tta=False)(faces)
    same = float((keras_probs.argmax(1) == lite_probs.argmax(1)).mean())
    assert round(same, 4) == claimed["same_label"] and same >= 0.97
    assert np.abs(keras_probs - lite_probs).max() == pytest.approx(claimed["max_abs_diff"], abs=1e-4)


def test_served_accuracy_is_what_metadata_and_readme_claim(fer_faces, metadata):
    private = fer_faces.split("PrivateTest")
    classifier = EmotionClassifier(read_model_files(), flip_tta=True)
    x = private.faces[..., None].astype(np.float32)
    predicted = np.concatenate([classifier(x[i:i + 64]).argmax(1) for i in range(0, len(x), 64)])
    report = classification_report(private.labels, predicted)
    claimed = metadata["metrics"]["PrivateTest_flip_tta"]
    assert round(report.accuracy, 4) == claimed["accuracy"]
    assert round(report.macro_f1, 4) == claimed["macro_f1"]
    assert report.recall["disgust"] > 0
    readme = (ROOT / "README.md").read_text()
    assert f"{report.accuracy:.1%}" in readme and f"{report.macro_f1:.3f}" in readme
