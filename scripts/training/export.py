"""Export a training run's chosen checkpoint into ``model/``.

Writes ``emotion_cnn.keras`` (float32), ``emotion_cnn.tflite`` (float32 ``[N,48,48,1]`` raw 0..255
in, ``[N,7]`` probabilities out, N variable), the model card ``metadata.json``
(:class:`fer.recognition.model_card.ModelCard`: the contract, the run's configuration, sittings and chosen epoch,
checksums, Keras/TFLite parity on real FER2013 faces) and beside it the run's ``history.json``, epoch
by epoch. ``scripts.training.quantize`` then makes the served int8 file, ``scripts.training.evaluate`` adds the metrics.

    python -m scripts.training.export --run runs/main
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fer.recognition.emotion_model import EmotionModel
from fer.recognition.model_card import (
    HISTORY_NAME,
    KERAS_NAME,
    METADATA_NAME,
    METRICS_NAME,
    MODEL_DIR,
    TFLITE_NAME,
    ModelCard,
    ModelFiles,
)
from fer.recognition.preprocessing import model_input
from fer.training.data import load_fer2013
from fer.training.model import ModelConfig, build_model
from scripts.training.checkpoint import sitting

PARITY_FACES = 512
PARITY_TOLERANCE = 1e-4
RUN_RECORD = ("train", "model", "augment", "selection", "precision", "backend", "keras", "hardware", "train_faces")
RUN_RECORD += ("init", "degrade", "teacher")  # where it started, its degradations, what taught it


def to_tflite(model) -> bytes:
    """Convert a float32 Keras model to a TFLite flatbuffer (batch dimension left variable)."""
    import contextlib
    import io

    import tensorflow as tf

    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every captured variable
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def parity(model, tflite: bytes, faces: np.ndarray) -> float:
    """Largest absolute difference between Keras and LiteRT probabilities on ``faces`` ``(N, 48, 48, 1)``."""
    keras_probs = model.predict(faces, batch_size=256, verbose=0)
    lite = EmotionModel(ModelFiles(tflite, ModelCard()))
    return float(np.abs(keras_probs - lite(faces)).max())


def pieces(config: dict, history: list[dict], progress: dict) -> list[dict]:
    """Each sitting of the run: the sittings a checkpoint recorded (``progress``, the card's
    ``training_in_progress`` for this run's settings), then the one that finished it, on this
    machine; or the whole run as one."""
    recorded = progress.get("pieces", []) if progress.get("train") == config["train"] else []
    done = recorded[-1]["epochs"][1] if recorded else 0
    return recorded if done >= len(history) else [*recorded, sitting(history, done + 1)]


def training_record(config: dict, history: list[dict], summary: dict, progress: dict | None = None) -> dict:
    """The card's ``training`` section: the run's settings, sittings and chosen epoch (its history
    goes beside the card, :data:`fer.recognition.model_card.HISTORY_NAME`).

    The checkpoint was chosen on the run's ``selection`` (runs from before FER+ chose on
    ``val_accuracy``, FER2013 PublicTest accuracy); figures are the float Keras model's, one view.
    """
    selection = config.get("selection", "val_accuracy")
    best = max(history, key=lambda h: h[selection])
    chosen = {k: round(v, 4) for k, v in best.items() if k.startswith("public_") or k == "val_accuracy"}
    private = {k: round(v, 4) for k, v in summary.items() if k.startswith("private_")}
    return {
        **{k: config[k] for k in RUN_RECORD if k in config},
        "selection": selection,
        "epochs_run": len(history),
        "best_epoch": best["epoch"],
        "public_at_best_epoch_keras": chosen,
        "private_keras_single_view": private or None,  # a run stopped early has no PrivateTest figures
        "wall_time_s": history[-1]["wall_s"],
        "pieces": pieces(config, history, progress or {}),
    }


def float_net(model_config: dict, weights_from: Path, name: str = "emotion_cnn"):
    """The net of ``model_config`` (a run's ``model`` section) rebuilt in float32 with ``weights_from``'s
    weights: a mixed-precision run's checkpoint would otherwise export with bfloat16 layers."""
    import keras

    net = build_model(ModelConfig.from_dict(model_config))
    net.set_weights(keras.models.load_model(weights_from, compile=False).get_weights())
    return net if name == net.name else keras.Model(net.inputs[0], net.outputs[0], name=name)


def write_model(model, out: Path, data: str, training: dict, history) -> int:
    """Write ``model`` into ``out`` as served before quantisation: the float ``.keras`` and ``.tflite`` files,
    checked against each other on real faces of ``data``, the card with ``training`` and beside it ``history``
    (an earlier model's metrics removed). The exit status: 1 when the two files disagree."""
    out.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path = out / KERAS_NAME, out / TFLITE_NAME
    model.save(keras_path)
    tflite = to_tflite(model)
    tflite_path.write_bytes(tflite)

    faces = load_fer2013(data).split("PublicTest").faces[:PARITY_FACES]
    max_diff = parity(model, tflite, model_input(faces))
    print(f"Keras vs TFLite on {len(faces)} PublicTest faces: max |diff| {max_diff:.2e}", flush=True)
    if not max_diff <= PARITY_TOLERANCE:  # NaN fails too
        print(f"error: parity {max_diff:.2e} exceeds {PARITY_TOLERANCE:.0e}", file=sys.stderr)
        return 1
    card = (
        ModelCard(
            parameters=model.count_params(),
            training=training,
            exported=datetime.now(UTC).isoformat(timespec="seconds"),
            parity={
                "faces": len(faces),
                "split": "PublicTest",
                "max_abs_diff": max_diff,
                "tolerance": PARITY_TOLERANCE,
            },
        )
        .with_file(KERAS_NAME, keras_path.read_bytes())
        .with_file(TFLITE_NAME, tflite)
    )
    card_path = card.write(out)
    (out / HISTORY_NAME).write_text(json.dumps(history, indent=1) + "\n", encoding="utf-8")
    (out / METRICS_NAME).unlink(missing_ok=True)  # an earlier model's figures
    print(
        f"wrote {keras_path} ({keras_path.stat().st_size:,} B), {tflite_path} ({len(tflite):,} B), {card_path}, "
        f"{HISTORY_NAME}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path, help="training run folder (from scripts.training.fit)")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="where to write the model files")
    parser.add_argument("--data", help="FER2013 for the parity check (default: the run's training data)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

    import keras

    keras.mixed_precision.set_global_policy("float32")
    config = json.loads((args.run / "config.json").read_text())
    history = json.loads((args.run / "history.json").read_text())
    summary_path = args.run / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}

    # A card already there lends its record of this run's earlier sittings (the comparisons of
    # variants beside it stay as they are).
    previous = ModelCard.read(args.out) if (args.out / METADATA_NAME).exists() else ModelCard()
    training = training_record(config, history, summary, previous.training_in_progress)
    model = float_net(config["model"], args.run / "best.keras")
    return write_model(model, args.out, args.data or config["train"]["data"], training, history)


if __name__ == "__main__":
    raise SystemExit(main())
