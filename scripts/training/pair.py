"""Join two trained nets into the served pair: one model, one call, the mean of both nets' probabilities.

Both nets have the designed shape (:func:`fer.training.model.build_model`) and were trained apart: the
first is the one the app served alone (``--first``: a model folder of one net, its card and history),
the second a run of ``scripts.training.fit`` (``--second``), trained with video-call degradations. The
pair takes what one net takes (``[N,48,48,1]`` raw gray 0..255) and returns what one net returns
(``[N,7]`` probabilities, the two nets' mean), so the app's crop, views and serving code stay as they
are; each view of a face costs two nets' time, and the app shows a photo's face in fewer views
(:data:`fer.config.AnalyzerConfig.zooms`).

Writes ``emotion_cnn.keras`` (float32, both nets inside), a float ``emotion_cnn.tflite``, the card
(both nets' training records under ``training["nets"]``, Keras/TFLite parity) and beside it
``history.json``, each run's epochs under its name. ``scripts.training.quantize``, ``evaluate`` and
``calibrate`` then make and measure the served int8 file, as for one net.

    python -m scripts.training.pair --first model --second runs/videocall-tune --out model
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fer.labels import INPUT_SHAPE
from fer.recognition.model_card import HISTORY_NAME, KERAS_NAME, METADATA_NAME, METRICS_NAME, TFLITE_NAME, ModelCard
from fer.recognition.preprocessing import model_input
from fer.training.data import load_fer2013
from fer.training.model import ModelConfig, build_model
from scripts.training.export import PARITY_FACES, PARITY_TOLERANCE, parity, to_tflite, training_record

PAIR = "the mean of the probabilities of two nets of the designed shape, trained apart, in one model"


def build_pair(first, second):
    """A ``keras.Model`` ``face_gray -> probabilities``: the mean of ``first``'s and ``second``'s outputs."""
    import keras

    faces = keras.Input(INPUT_SHAPE, name="face_gray")
    probs = keras.layers.Average(name="probabilities")([first(faces), second(faces)])
    return keras.Model(faces, probs, name="emotion_pair")


def float_net(config: dict, weights_from: Path, name: str):
    """The net of ``config`` (a run's ``model`` section) in float32, named ``name``, with ``weights_from``'s weights
    (a mixed-precision run's checkpoint would otherwise bring bfloat16 layers)."""
    import keras

    net = build_model(ModelConfig.from_dict(config))
    net.set_weights(keras.models.load_model(weights_from, compile=False).get_weights())
    return keras.Model(net.inputs[0], net.outputs[0], name=name)


def first_net(folder: Path) -> tuple[dict, list[dict]]:
    """The training record and history of the one net a model folder serves."""
    card = ModelCard.read(folder)
    if "nets" in card.training:
        raise SystemExit(f"--first {folder}: it serves a pair already; give the folder of one net")
    return card.training, json.loads((folder / HISTORY_NAME).read_text())


def second_net(run: Path, progress: dict) -> tuple[dict, dict[str, list[dict]]]:
    """The training record of a run (with the run it started from, when the card's ``training_in_progress``
    recorded that one) and the histories of both, by run name."""
    config = json.loads((run / "config.json").read_text())
    history = json.loads((run / "history.json").read_text())
    summary_path = run / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    record = {"run": run.name, **training_record(config, history, summary)}
    histories = {run.name: history}
    if "init" in config and progress:
        base = Path(progress["checkpoint"])
        base_history = json.loads((base / "history.json").read_text()) if (base / "history.json").exists() else []
        record["started_from"] = {
            "weights": config["init"],
            **{k: progress[k] for k in ("train", "model", "precision", "parameters", "wall_s", "pieces")},
            "epochs_run": progress["epochs_done"],
            "best_epoch": progress["best_so_far"]["epoch"],
            "public_at_best_epoch_keras": progress["best_so_far"],
        }
        if base_history:
            histories[f"{run.name}:started_from"] = base_history
    return record, histories


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", required=True, type=Path, help="model folder of the net served alone")
    parser.add_argument("--second", required=True, type=Path, help="training run folder of the second net")
    parser.add_argument("--out", required=True, type=Path, help="where to write the pair's files")
    parser.add_argument("--data", help="FER2013 for the parity check (default: the second run's training data)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

    import keras

    keras.mixed_precision.set_global_policy("float32")
    card = ModelCard.read(args.first)
    first_record, first_history = first_net(args.first)
    second_record, histories = second_net(args.second, card.training_in_progress)
    second_config = json.loads((args.second / "config.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:  # --first may be --out: read it before writing
        first_keras = Path(scratch) / KERAS_NAME
        shutil.copy2(args.first / KERAS_NAME, first_keras)
        first = float_net(first_record["model"], first_keras, "first")
        second = float_net(second_config["model"], args.second / "best.keras", "second")
        pair = build_pair(first, second)
        args.out.mkdir(parents=True, exist_ok=True)
        keras_path, tflite_path = args.out / KERAS_NAME, args.out / TFLITE_NAME
        pair.save(keras_path)
    tflite = to_tflite(pair)
    tflite_path.write_bytes(tflite)

    faces = load_fer2013(args.data or second_config["train"]["data"]).split("PublicTest").faces[:PARITY_FACES]
    max_diff = parity(pair, tflite, model_input(faces))
    print(f"Keras vs TFLite on {len(faces)} PublicTest faces: max |diff| {max_diff:.2e}", flush=True)
    if not max_diff <= PARITY_TOLERANCE:  # NaN fails too
        print(f"error: parity {max_diff:.2e} exceeds {PARITY_TOLERANCE:.0e}", file=sys.stderr)
        return 1

    nets = [{"role": "first", **first_record}, {"role": "second", **second_record}]
    card = (
        ModelCard(
            parameters=pair.count_params(),
            training={"served": PAIR, "nets": nets},
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
    card.write(args.out)
    (args.out / HISTORY_NAME).write_text(json.dumps({"first": first_history, **histories}, indent=1) + "\n")
    (args.out / METRICS_NAME).unlink(missing_ok=True)  # the first net's figures
    print(
        f"wrote {keras_path} ({keras_path.stat().st_size:,} B), {tflite_path} ({len(tflite):,} B), "
        f"{args.out / METADATA_NAME}, {HISTORY_NAME}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
