from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from fer.recognition.emotion_model import EmotionModel
from fer.recognition.model_card import MODEL_DIR, ModelCard, ModelError, face_crop, read_model_files, sha256
from fer.recognition.preprocessing import model_input


@pytest.fixture
def model_copy(tmp_path):
    for name in ("emotion_cnn.tflite", "metadata.json"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    return tmp_path


def _edit_metadata(folder, change):
    meta = json.loads((folder / "metadata.json").read_text())
    change(meta)
    (folder / "metadata.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def classifier():
    return EmotionModel(read_model_files())


@pytest.fixture(scope="module")
def faces(fer_faces):
    return model_input(fer_faces.split("PrivateTest").faces[:16])


def test_missing_files(model_copy):
    (model_copy / "emotion_cnn.tflite").unlink()
    with pytest.raises(ModelError, match="model file not found: .*emotion_cnn.tflite"):
        read_model_files(model_copy)
    (model_copy / "metadata.json").unlink()
    with pytest.raises(ModelError, match="model metadata not found"):
        read_model_files(model_copy)


def test_tampered_model_fails_checksum(model_copy):
    path = model_copy / "emotion_cnn.tflite"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the sha256"):
        read_model_files(model_copy)


def test_truncated_model_with_matching_checksum_fails_to_load(model_copy):
    path = model_copy / "emotion_cnn.tflite"
    truncated = path.read_bytes()[:4096]
    path.write_bytes(truncated)
    _edit_metadata(model_copy, lambda m: m["files"]["emotion_cnn.tflite"].update(sha256=sha256(truncated)))
    with pytest.raises(ModelError, match="cannot be loaded"):
        EmotionModel(read_model_files(model_copy))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.update(labels=["happy", "sad"]), "labels"),
        (lambda m: m["input"].update(shape=[None, 64, 64, 1]), "input contract"),
        (lambda m: m["face_crop"].update(margin=0.2), "cropped as"),
        (lambda m: m.update(surprise="field"), "unknown fields: surprise"),
        (lambda m: m.pop("name"), None),
    ],
)
def test_card_must_match_the_library(model_copy, change, message):
    _edit_metadata(model_copy, change)
    if message is None:  # a missing contract field takes its one right value
        assert read_model_files(model_copy).card.name == "emotion_cnn"
        return
    with pytest.raises(ModelError, match=message):
        read_model_files(model_copy)


def test_metadata_not_json(model_copy):
    (model_copy / "metadata.json").write_text("{not json")
    with pytest.raises(ModelError, match="not readable JSON"):
        read_model_files(model_copy)
    (model_copy / "metadata.json").write_text("[1, 2]")
    with pytest.raises(ModelError, match="not a JSON object"):
        read_model_files(model_copy)


def test_card_round_trips_and_records_files(model_copy):
    card = ModelCard.read(model_copy)
    assert ModelCard.from_json(card.to_json()) == card
    assert card.face_crop == face_crop()
    updated = card.with_file("emotion_cnn.tflite", b"abc")
    assert updated.files["emotion_cnn.tflite"] == {"sha256": sha256(b"abc"), "bytes": 3}
    assert card.files["emotion_cnn.tflite"]["sha256"] != sha256(b"abc")  # the original is unchanged
    updated.write(model_copy)
    assert ModelCard.read(model_copy) == updated


def test_probabilities(classifier, faces):
    probs = classifier(faces)
    assert probs.shape == (16, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert classifier(faces[:0]).shape == (0, 7)
    with pytest.raises(ValueError, match="shape"):
        classifier(faces[..., 0])


def test_batch_size_does_not_change_a_face_result(classifier, faces):
    alone = np.concatenate([classifier(faces[i : i + 1]) for i in range(4)])
    np.testing.assert_allclose(classifier(faces[:4]), alone, atol=1e-5)
    np.testing.assert_allclose(classifier(faces)[:4], alone, atol=1e-5)


def test_calibration_scales_confidence_and_never_the_label():
    from fer.recognition.face_classifier import temper
    from fer.training.metrics import expected_calibration_error

    probs = np.random.default_rng(0).dirichlet(np.ones(7) * 0.7, size=500).astype(np.float32)
    for temperature in (0.5, 1.0, 2.0):
        scaled = temper(probs, temperature)
        assert (scaled.argmax(1) == probs.argmax(1)).all() and np.allclose(scaled.sum(1), 1, atol=1e-5)
    assert (temper(probs, 0.5).max(1) >= probs.max(1) - 1e-6).all()  # T < 1: surer, never less sure
    # Labels drawn from the probabilities themselves: calibrated at T = 1, and not at T = 0.5.
    labels = np.array([np.random.default_rng(i).choice(7, p=p / p.sum()) for i, p in enumerate(probs)])
    assert expected_calibration_error(probs, labels) < expected_calibration_error(temper(probs, 0.5), labels)


def test_the_served_classifier_applies_the_cards_temperature():
    from fer.recognition.face_classifier import FaceClassifier

    model_files = read_model_files(MODEL_DIR)
    calibration = model_files.card.calibration
    assert 0.25 <= calibration["temperature"] <= 4.0
    assert calibration["private_ece_after"] < calibration["private_ece_before"]
    assert FaceClassifier.from_model(model_files).temperature == calibration["temperature"]
